-- 销售日志中的联系事件（已接受、未被取代的行）
select
    activity_date as event_date,
    salesperson_id,
    customer_code,
    'log' as source,
    method,
    customer_class,
    result,
    stage,
    null::decimal(18, 2) as amount,
    null::decimal(18, 2) as gross_profit,
    business_type,
    need_type,
    followup_no,
    source_file,
    source_sheet,
    source_row
from activities
