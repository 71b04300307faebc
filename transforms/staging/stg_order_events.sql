-- 销售业绩登记表中的签单事件（业绩以此为准）
select
    order_date as event_date,
    salesperson_id,
    customer_code,
    'order' as source,
    null::varchar as method,
    null::varchar as customer_class,
    '签单' as result,
    null::integer as stage,
    amount,
    gross_profit,
    business_type,
    null::varchar as need_type,
    followup_no,
    source_file,
    source_sheet,
    source_row
from orders
