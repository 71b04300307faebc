-- 线索去向：每条线索一行：来源、获取日期、审批结果与日期、分到的业务员、对应的客户、此后的联系次数、达到的最远跟进状态与销售收入（回答“分配出去的线索后来怎样了”）
with lead_rows as (select * from leads),
decisions as (select * from assignment_decisions where lead_id is not null),
events as (select * from core_events),
people as (select salesperson_id, name from salespeople),
merged_codes as (
    select alias_code, customer_code from customer_aliases where alias_code is not null
),

-- the decision that stands for a lead: the last one recorded
latest_decision as (
    select
        lead_id,
        arg_max(decision, recorded_at) as decision,
        arg_max(decided_on, recorded_at) as decided_on,
        arg_max(to_salesperson_id, recorded_at) as assigned_salesperson_id
    from decisions
    group by lead_id
),

linked as (
    select
        l.lead_id, l.customer_name, l.source, l.need_type, l.acquired_on,
        coalesce(m.customer_code, l.customer_code) as customer_code,
        d.decision, d.decided_on, d.assigned_salesperson_id
    from lead_rows l
    left join latest_decision d using (lead_id)
    left join merged_codes m on m.alias_code = l.customer_code
),

-- what the customer's rows say from the decision on (from the lead's arrival when there was none)
since as (
    select
        k.lead_id,
        count(*) filter (where e.source in ('log', 'bc')) as contacts_since,
        max(e.stage) filter (where e.source = 'log') as furthest_stage,
        sum(e.amount) filter (where e.source = 'order') as revenue
    from linked k
    join events e
        on e.customer_code = k.customer_code
        and e.event_date >= coalesce(k.decided_on, k.acquired_on, e.event_date)
    group by k.lead_id
),

final as (
    select
        k.lead_id,
        k.customer_name,
        k.source,
        k.need_type,
        k.acquired_on,
        case
            when k.decision in ('批准', '改派') then '已分配'
            when k.decision = '驳回' then '已驳回'
            when k.customer_code is not null then '已是客户'
            else '待审批'
        end as outcome,
        k.decision,
        k.decided_on,
        k.assigned_salesperson_id,
        p.name as assigned_name,
        k.customer_code,
        coalesce(s.contacts_since, 0) as contacts_since,
        s.furthest_stage,
        coalesce(s.revenue, 0) as revenue
    from linked k
    left join since s using (lead_id)
    left join people p on p.salesperson_id = k.assigned_salesperson_id
)

select * from final order by lead_id
