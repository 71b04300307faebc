-- 签单核对：日志里写了签单却没有登记订单的，以及登记了订单却没有任何签单日志的（以销售业绩登记表为准），带跟单号与来源行；可只取事件日期在范围内的行（视图 mart_order_reconciliation 即不限范围的全部）
-- from_date：可选，只列事件日期在这一天及以后的行（报表用：只读这段日期前后 window_days 天的日志与订单，不读全部历史）
-- to_date：可选，只列事件日期在这一天及以前的行
create or replace macro order_reconciliation(from_date := null, to_date := null) as table
-- the rows listed are dated in the range; the rows they are matched against, within window_days of it. The bounds
-- are written as `between` in the filters themselves, which DuckDB pushes into the scans (written with in_range it
-- read every 签单 row of history); event dates are required (ingest rejects a row without one): `between` loses none.
-- The weekly's rows on bench/scale.py's warehouses: 0.028-0.029 / 0.062-0.069 s on one / three years with the view
-- filtered, 0.018-0.021 s on either; the monthly's 0.034-0.035 / 0.052-0.075 s, 0.023-0.027 s. Both sources come from
-- one filtered CTE (`near`): bounded as fast as two (0.016 / 0.024 s a week / month on one year), the whole view on
-- three years 0.49 s against 0.46 s
with window_days as (select setting('window_days') as days),
near as (  -- the 签单 log rows and the orders within window_days of the range: all the range's rows are matched against
    select * from core_events
    where (source = 'order' or (source = 'log' and is_signed))
      and event_date between coalesce(from_date::date - ceil(setting('window_days'))::integer, '-infinity'::date)
                         and coalesce(to_date::date + ceil(setting('window_days'))::integer, 'infinity'::date)
),
signed_logs as (select * from near where source = 'log'),
order_rows as (select * from near where source = 'order'),

log_without_order as (
    select l.salesperson_id, l.customer_code, l.event_date, l.business_type, l.followup_no, l.source_file,
           l.source_row, '日志签单但没有登记订单' as issue
    from signed_logs as l
    where l.event_date between coalesce(from_date::date, '-infinity'::date) and coalesce(to_date::date, 'infinity'::date)
      and not exists (
        select 1 from order_rows as o, window_days as w
        where o.salesperson_id = l.salesperson_id and o.customer_code = l.customer_code
          and abs(date_diff('day', o.event_date, l.event_date)) <= w.days)
),

order_without_log as (
    select o.salesperson_id, o.customer_code, o.event_date, o.business_type, o.followup_no, o.source_file,
           o.source_row, '登记了订单但日志中没有签单' as issue
    from order_rows as o
    where o.event_date between coalesce(from_date::date, '-infinity'::date) and coalesce(to_date::date, 'infinity'::date)
      and not exists (
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

select * from final;
