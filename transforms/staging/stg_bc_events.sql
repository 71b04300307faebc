-- BC类客户登记事件
select
    register_date as event_date,
    salesperson_id,
    customer_code,
    'bc' as source,
    null as method,
    customer_class,
    null as result,
    null::integer as stage,
    null::decimal(18, 2) as amount,
    null::decimal(18, 2) as gross_profit
from bc_registrations
