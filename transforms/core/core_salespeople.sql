-- 业务员名册及是否销售岗位（销售岗位参与统计、排名与评分）
with people as (select * from salespeople),
selling as (
    select unnest(string_split((select text from settings where key = 'selling_roles'), ',')) as role
),

final as (
    select
        p.*,
        p.role is null or p.role in (select role from selling) as is_selling
    from people as p
)

select * from final
