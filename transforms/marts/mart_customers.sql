-- 客户一览：每个客户（存续编码）一行：名称、当前负责业务员、最近的客户类别、首次与最近联系日期、达到的最远跟进状态、未结束的跟单号、累计销售收入（合并掉的旧编码的记录都计入存续编码）
with customer_master as (select * from customers),
events as (select * from core_events),
people as (select salesperson_id, name from salespeople),
merged_codes as (
    select alias_code, customer_code from customer_aliases where alias_code is not null
),

-- a contact is a log row or a BC registration; orders count as revenue, not as contacts
contacts as (
    select
        customer_code,
        min(event_date) as first_contact_date,
        max(event_date) as last_contact_date,
        max(stage) filter (where source = 'log') as furthest_stage,
        arg_max(customer_class, (event_date, source_row)) filter (where customer_class is not null) as customer_class
    from events
    where source in ('log', 'bc')
    group by customer_code
),

sales as (
    select customer_code, sum(amount) as revenue
    from events
    where source = 'order'
    group by customer_code
),

-- open: a live 跟单号 (not folded into another by a merge) whose latest result is neither 签单 nor 丢单
open_followups as (
    select coalesce(m.customer_code, f.customer_code) as customer_code, list(f.followup_no order by f.followup_no) as numbers
    from followups as f
    left join merged_codes as m on m.alias_code = f.customer_code
    where f.merged_into is null and coalesce(f.result, '') not in ('签单', '丢单')
    group by all
),

final as (
    select
        c.customer_code,
        c.name,
        c.owner_id,
        p.name as owner_name,
        coalesce(k.customer_class, c.customer_class) as customer_class,
        k.first_contact_date,
        k.last_contact_date,
        k.furthest_stage,
        coalesce(f.numbers, []::varchar[]) as open_followup_nos,
        coalesce(s.revenue, 0)::decimal(18, 2) as revenue
    from customer_master as c
    left join people as p on p.salesperson_id = c.owner_id
    left join contacts as k on k.customer_code = c.customer_code
    left join open_followups as f on f.customer_code = c.customer_code
    left join sales as s on s.customer_code = c.customer_code
)

select * from final
