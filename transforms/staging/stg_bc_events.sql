-- BC类客户登记事件
select
    register_date as event_date,
    salesperson_id,
    customer_code,
    'bc' as source,
    null::varchar as method,
    customer_class,
    null::varchar as result,
    null::integer as stage,
    null::decimal(18, 2) as amount,
    null::decimal(18, 2) as gross_profit,
    null::varchar as business_type,
    need_type,
    null::varchar as followup_no,
    source_file,
    source_sheet,
    source_row
from bc_registrations
