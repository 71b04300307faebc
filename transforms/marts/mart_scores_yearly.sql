-- 年度业绩评估（第八章 表17）：六项能力分、能力分、素质分、综合分（素质:能力 = 3:7）与排名，missing 列出缺少的项
with scored as (select * from scores('year')),

final as (
    select
        period as year,
        salesperson_id,
        name,
        revenue_score,
        profit_score,
        visits_score,
        active_rank_score,
        service_rank_score,
        per_customer_score,
        ability_score,
        quality_score,
        composite_score,
        composite_rank,
        missing
    from scored
)

select * from final
