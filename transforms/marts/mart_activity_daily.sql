-- 每个业务员每日的活动量、成单率和丢单率；salesperson_id 为空的一行是全组合计（客户跨业务员去重）
with counts as (select * from activity_counts('day')),

final as (
    select
        period as activity_date,
        salesperson_id,
        name,
        calls,
        faxes,
        emails,
        visits,
        bc_customers,
        closed_customers,
        lost_customers,
        followed_customers,
        active_customers,
        new_customers,
        rejected_rows,
        win_rate,
        loss_rate,
        (calls + faxes + emails + visits) / nullif(active_customers, 0) as followup_frequency
    from counts
)

select * from final
