-- 每个业务员与客户之间的事件：日志联系、BC类登记、签单（客户编码已解析到存续编码），带业务类型与来源行
with log_events as (select * from stg_log_events),
bc_events as (select * from stg_bc_events),
order_events as (select * from stg_order_events),
merged_codes as (
    select alias_code, customer_code from customer_aliases where alias_code is not null
),

events as (
    select * from log_events
    union all by name
    select * from bc_events
    union all by name
    select * from order_events
),

final as (
    select
        e.event_date,
        e.salesperson_id,
        coalesce(m.customer_code, e.customer_code) as customer_code,
        e.source,
        e.method,
        e.customer_class,
        e.result,
        e.stage,
        e.amount,
        e.gross_profit,
        e.result = '签单' as is_signed,
        -- the follow-up ledger's rule (metrics.md): 推介业务, else 客户需求; an order's 业务类型
        coalesce(e.business_type, e.need_type) as business_type,
        e.followup_no,
        e.source_file,
        e.source_sheet,
        e.source_row
    from events as e
    left join merged_codes as m on m.alias_code = e.customer_code
)

select * from final
