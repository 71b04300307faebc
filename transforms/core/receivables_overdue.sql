-- 逾期应收款：约定回款日期早于 as_of 且已回款少于合同金额的订单，每张一行（客户编码已解析到存续编码）
-- as_of：截至日期（报告日期）
create or replace macro receivables_overdue(as_of) as table
with open_orders as (
    select * from orders where due_date < as_of::date and coalesce(paid, 0) < amount
),
merged_codes as (
    select alias_code, customer_code from customer_aliases where alias_code is not null
),

final as (
    select
        as_of::date as as_of,
        coalesce(m.customer_code, o.customer_code) as customer_code,
        c.name,
        o.salesperson_id,
        o.amount - coalesce(o.paid, 0) as amount_due,
        date_diff('day', o.due_date, as_of::date) as days_overdue,
        o.order_date,
        o.due_date,
        o.amount,
        o.business_type,
        o.source_file,
        o.source_row
    from open_orders as o
    left join merged_codes as m on m.alias_code = o.customer_code
    left join customers as c on c.customer_code = coalesce(m.customer_code, o.customer_code)
)

select * from final;
