-- 签单核对：日志里写了签单却没有登记订单的，以及登记了订单却没有任何签单日志的（以销售业绩登记表为准），带跟单号与来源行
with signed_logs as (
    select * from core_events where source = 'log' and is_signed
),
order_rows as (
    select * from core_events where source = 'order'
),
window_days as (select setting('window_days') as days),

log_without_order as (
    select l.salesperson_id, l.customer_code, l.event_date, l.business_type, l.followup_no, l.source_file,
           l.source_row, '日志签单但没有登记订单' as issue
    from signed_logs as l
    where not exists (
        select 1 from order_rows as o, window_days as w
        where o.salesperson_id = l.salesperson_id and o.customer_code = l.customer_code
          and abs(date_diff('day', o.event_date, l.event_date)) <= w.days)
),

order_without_log as (
    select o.salesperson_id, o.customer_code, o.event_date, o.business_type, o.followup_no, o.source_file,
           o.source_row, '登记了订单但日志中没有签单' as issue
    from order_rows as o
    where not exists (
        select 1 from signed_logs as l, window_days as w
        where o.salesperson_id = l.salesperson_id and o.customer_code = l.customer_code
          and abs(date_diff('day', o.event_date, l.event_date)) <= w.days)
),

final as (
    select
        date_trunc('month', x.event_date)::date as month,
        x.salesperson_id,
        s.name,
        x.customer_code,
        c.name as customer_name,
        x.event_date,
        x.issue,
        x.business_type,
        x.followup_no,
        x.source_file,
        x.source_row
    from (select * from log_without_order union all select * from order_without_log) as x
    left join salespeople as s on s.salesperson_id = x.salesperson_id
    left join customers as c on c.customer_code = x.customer_code
)

select * from final
