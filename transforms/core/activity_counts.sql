-- 按期间统计每个业务员及全组合计（salesperson_id 为空）的活动量、成单率、丢单率与跟进频率；周、月由行直接去重计数，不由日数相加（mart_activity_* 由它生成）
-- grain：期间粒度 day / week / month / quarter / half / year
-- from_date：可选，只计算这一天及以后的行（报表用，应为期间第一天；省去全年的计算）
-- to_date：可选，只计算这一天及以前的行（应为期间最后一天）
create or replace macro activity_counts(grain, from_date := null, to_date := null) as table
with events as (
    select period_start(grain, event_date) as period, * from core_events
    where in_range(event_date, from_date, to_date)
),

-- one row per (period, salesperson, customer): what happened between them in the period
pairs as (
    select
        period,
        salesperson_id,
        customer_code,
        bool_or(is_signed) as signed,
        bool_or(source = 'log') as active,
        bool_or(source in ('log', 'bc') and customer_class in ('B', 'B1', 'C')) as bc,
        -- 丢单 counts only when the salesperson has no 签单 with that customer in the period
        bool_or(source = 'log' and result = '丢单') and not bool_or(is_signed) as lost
    from events
    group by period, salesperson_id, customer_code
),

-- the team counts each customer once, however many salespeople worked it
team_pairs as (
    select period, '*' as salesperson_id, customer_code,
        bool_or(signed) as signed, bool_or(active) as active, bool_or(bc) as bc, bool_or(lost) as lost
    from pairs
    group by period, customer_code
),

customer_counts as (
    select
        period,
        salesperson_id as sp_key,
        count(*) filter (where bc) as bc_customers,
        count(*) filter (where signed) as closed_customers,
        count(*) filter (where lost) as lost_customers,
        count(*) as followed_customers,
        count(*) filter (where active) as active_customers
    from (select * from pairs union all select * from team_pairs)
    group by period, salesperson_id
),

method_counts as (
    select
        period,
        case when grouping(salesperson_id) = 1 then '*' else salesperson_id end as sp_key,
        count(*) filter (where method = '电话') as calls,
        count(*) filter (where method = '传真') as faxes,
        count(*) filter (where method = 'E-mail') as emails,
        count(*) filter (where method = '面访') as visits
    from events
    where source = 'log'
    group by grouping sets ((period, salesperson_id), (period))
),

created as (
    select
        period,
        case when grouping(created_by) = 1 then '*' else created_by end as sp_key,
        count(*) as new_customers
    from (select period_start(grain, first_seen) as period, created_by from customers
          where in_range(first_seen, from_date, to_date))
    group by grouping sets ((period, created_by), (period))
),

rejected as (
    select
        period,
        case when grouping(salesperson_id) = 1 then '*' else salesperson_id end as sp_key,
        count(*) as rejected_rows
    from (select period_start(grain, row_date) as period, salesperson_id
          from rejected_rows(from_date := from_date, to_date := to_date)
          where kind <> 'approvals')  -- the approvers' rows (退回的审批行) are not a salesperson's data quality
    group by grouping sets ((period, salesperson_id), (period))
),

periods as (
    select period from customer_counts union select period from rejected union select period from created
),

in_service as (
    select p.period, s.salesperson_id as sp_key
    from periods as p
    join core_salespeople as s
      on s.is_selling and in_service(s.status, s.hired_on, s.left_on, p.period, period_end(grain, p.period))
),

spine as (
    select period, sp_key from customer_counts
    union select period, sp_key from rejected
    union select period, sp_key from created
    union select period, sp_key from in_service
    union select period, '*' from periods
),

final as (
    select
        spine.period,
        case when spine.sp_key = '*' then null else spine.sp_key end as salesperson_id,
        case when spine.sp_key = '*' then '全组合计' else people.name end as name,
        coalesce(m.calls, 0) as calls,
        coalesce(m.faxes, 0) as faxes,
        coalesce(m.emails, 0) as emails,
        coalesce(m.visits, 0) as visits,
        coalesce(c.bc_customers, 0) as bc_customers,
        coalesce(c.closed_customers, 0) as closed_customers,
        coalesce(c.lost_customers, 0) as lost_customers,
        coalesce(c.followed_customers, 0) as followed_customers,
        coalesce(c.active_customers, 0) as active_customers,
        coalesce(n.new_customers, 0) as new_customers,
        coalesce(r.rejected_rows, 0) as rejected_rows,
        c.closed_customers / nullif(c.followed_customers, 0) as win_rate,
        c.lost_customers / nullif(c.followed_customers, 0) as loss_rate,
        (coalesce(m.calls, 0) + coalesce(m.faxes, 0) + coalesce(m.emails, 0) + coalesce(m.visits, 0))
            / nullif(c.active_customers, 0) as followup_frequency
    from spine
    left join customer_counts as c using (period, sp_key)
    left join method_counts as m using (period, sp_key)
    left join created as n using (period, sp_key)
    left join rejected as r using (period, sp_key)
    left join salespeople as people on people.salesperson_id = spine.sp_key
    where spine.sp_key is not null
)

select * from final;
