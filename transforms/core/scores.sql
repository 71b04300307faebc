-- 第八章 业绩评估（表17）：每个销售岗位业务员及全组合计（salesperson_id 为空）每期的能力六项、能力分、素质分、综合分与排名，以及计算用的原始数（收入、毛利、拜访、名次）
-- grain：期间粒度 month / quarter / half / year
create or replace macro scores(grain) as table
with events as (
    select period_start(grain, event_date) as period, * from core_events
),

periods as (
    select distinct period from events
    union select distinct period_start(grain, month) from targets
    union select distinct period_start(grain, month) from quality_ratings
    union select distinct period_start(grain, inspect_date) from inspections
),

-- who is scored: selling salespeople in service at some point of the period
people as (
    select p.period, s.salesperson_id, s.name
    from periods as p
    join core_salespeople as s
      on s.is_selling and in_service(s.status, s.hired_on, s.left_on, p.period, period_end(grain, p.period))
),

sales as (
    select period, salesperson_id,
        sum(amount) as revenue,
        sum(gross_profit) as gross_profit,
        count(distinct customer_code) as order_customers
    from events where source = 'order'
    group by all
),

activity as (
    select period, salesperson_id,
        count(*) filter (where method = '面访') as visits,
        count(distinct customer_code) as active_customers
    from events where source = 'log'
    group by all
),

service as (
    select period_start(grain, inspect_date) as period, salesperson_id, avg(total_score) as service_mean
    from inspections group by all
),

goals as (
    select period_start(grain, month) as period, salesperson_id,
        sum(revenue_target) as revenue_target,
        avg(per_customer_target) as per_customer_target
    from targets group by all
),

quality as (
    select period_start(grain, month) as period, salesperson_id,
        avg(list_avg(list_filter([duty_score, attitude_score, skill_score], lambda x: x is not null)))
            as quality_score
    from quality_ratings group by all
),

inputs as (
    select
        p.period, p.salesperson_id, p.name,
        coalesce(s.revenue, 0) as revenue,
        coalesce(s.gross_profit, 0) as gross_profit,
        coalesce(s.order_customers, 0) as order_customers,
        coalesce(a.visits, 0) as visits,
        coalesce(a.active_customers, 0) as active_customers,
        v.service_mean,
        g.revenue_target,
        g.per_customer_target,
        q.quality_score
    from people as p
    left join sales as s using (period, salesperson_id)
    left join activity as a using (period, salesperson_id)
    left join service as v using (period, salesperson_id)
    left join goals as g using (period, salesperson_id)
    left join quality as q using (period, salesperson_id)
),

-- the team-total row (salesperson_id null): the same formulas on the team's sums; it has no rank
team_inputs as (
    select
        i.period, null as salesperson_id, '全组合计' as name,
        sum(i.revenue) as revenue,
        sum(i.gross_profit) as gross_profit,
        any_value(t.order_customers) as order_customers,
        sum(i.visits) as visits,
        null::bigint as active_customers,
        null::double as service_mean,
        sum(i.revenue_target) as revenue_target,
        avg(i.per_customer_target) as per_customer_target,
        avg(i.quality_score) as quality_score
    from inputs as i
    left join (select period, count(distinct customer_code) as order_customers from events
               where source = 'order' group by period) as t using (period)
    group by i.period
),

ranked as (
    select *,
        rank() over (partition by period order by active_customers desc) as active_rank,
        case when service_mean is not null
             then rank() over (partition by period, service_mean is null order by service_mean desc) end as service_rank
    from inputs
    union all by name
    select *, null::bigint as active_rank, null::bigint as service_rank from team_inputs
),

compared as (
    select cur.*,
        prev.gross_profit as prev_gross_profit,
        prev.visits as prev_visits,
        prev.active_rank as prev_active_rank,
        prev.service_rank as prev_service_rank,
        prev.period is not null as has_previous
    from ranked as cur
    left join ranked as prev
      on prev.salesperson_id is not distinct from cur.salesperson_id
     and prev.period = previous_period(grain, cur.period)
),

raw_scores as (
    select *,
        case when revenue_target > 0 then 100 * revenue / revenue_target end as revenue_raw,
        case when prev_gross_profit <> 0
             then 100 + 100 * (gross_profit - prev_gross_profit) / abs(prev_gross_profit) end as profit_raw,
        case when prev_visits <> 0 then 100 + 100 * (visits - prev_visits) / abs(prev_visits) end as visits_raw,
        case when active_rank is null then null
             when prev_active_rank is null then 100
             else 100 + setting('rank_step') * (prev_active_rank - active_rank) end as active_rank_raw,
        case when service_rank is null then null
             when prev_service_rank is null then 100
             else 100 + setting('rank_step') * (prev_service_rank - service_rank) end as service_rank_raw,
        case when per_customer_target > 0 and order_customers > 0
             then 100 * (revenue / order_customers) / per_customer_target end as per_customer_raw,
        setting('cap') as cap
    from compared
),

bounded as (
    -- floored at 0; capped only when a cap is configured
    select *,
        list_transform(
            [revenue_raw, profit_raw, visits_raw, active_rank_raw, service_rank_raw, per_customer_raw],
            lambda x: case when x is null then null
                           when cap > 0 then least(cap, greatest(0, x))
                           else greatest(0, x) end) as subs,
        [setting('weight_revenue'), setting('weight_profit'), setting('weight_visits'),
         setting('weight_active_rank'), setting('weight_service_rank'), setting('weight_per_customer')] as weights
    from raw_scores
),

ability as (
    select *,
        list_sum(list_transform(range(1, 7), lambda i: coalesce(subs[i] * weights[i], 0)))
            / nullif(list_sum(list_transform(range(1, 7), lambda i: case when subs[i] is null then 0 else weights[i] end)), 0)
            as ability_score
    from bounded
),

-- why each sub-score is missing or defaulted (metrics.md: "the report marks which were missing")
explained as (
    select *,
        case grain when 'month' then '月' when 'quarter' then '季度' when 'half' then '半年' else '年' end as unit,
        [case when revenue_target is null then '销售收入：未设销售收入目标'
              when revenue_target <= 0 then '销售收入：销售收入目标为 0' end,
         case when not has_previous then '销售利润：首' || unit || '无上期毛利'
              when prev_gross_profit = 0 then '销售利润：上期毛利为 0，无法计算增长' end,
         case when not has_previous then '实际拜访数：首' || unit || '无上期面访量'
              when prev_visits = 0 then '实际拜访数：上期面访量为 0，无法计算增长' end,
         case when salesperson_id is null then '活跃客户数：全组不排名'
              when prev_active_rank is null then '活跃客户数：首' || unit || '无上期排名，按 100 计' end,
         case when salesperson_id is null then '销售执行：全组不排名'
              when service_rank is null then '销售执行：本' || unit || '没有日常业务检查记录'
              when not has_previous then '销售执行：首' || unit || '无上期排名，按 100 计'
              when prev_service_rank is null then '销售执行：上期没有日常业务检查，无上期排名，按 100 计' end,
         case when per_customer_target is null then '单户销量：未设单户销量目标'
              when per_customer_target <= 0 then '单户销量：单户销量目标为 0'
              when order_customers = 0 then '单户销量：本' || unit || '没有订单' end,
         case when salesperson_id is not null and quality_score is null then '素质：本' || unit || '没有评分' end]
            as reasons
    from ability
),

final as (
    select
        period,
        salesperson_id,
        name,
        subs[1]::double as revenue_score,
        subs[2]::double as profit_score,
        subs[3]::double as visits_score,
        subs[4]::double as active_rank_score,
        subs[5]::double as service_rank_score,
        subs[6]::double as per_customer_score,
        -- the team row has sub-scores of the team's sums but no ability, quality, composite or rank (issue 15)
        case when salesperson_id is not null then ability_score end::double as ability_score,
        case when salesperson_id is not null then quality_score end::double as quality_score,
        case when salesperson_id is not null
             then setting('quality_share') * quality_score + (1 - setting('quality_share')) * ability_score
        end::double as composite_score,
        list_filter(reasons, lambda x: x is not null) as missing,
        revenue, gross_profit, visits, active_customers, service_mean, revenue_target, per_customer_target,
        active_rank, service_rank, prev_active_rank, prev_service_rank, prev_gross_profit, prev_visits
    from explained
)

select
    final.*,
    case when composite_score is not null and salesperson_id is not null
         then rank() over (partition by period, composite_score is null or salesperson_id is null
                           order by composite_score desc) end
        as composite_rank
from final;

-- 业绩评估视图 mart_scores_monthly … _yearly 的列（接口约定的顺序）：scores(grain) 去掉原始数
-- grain：期间粒度 month / quarter / half / year
create or replace macro score_marts(grain) as table
select
    period, salesperson_id, name, revenue_score, profit_score, visits_score, active_rank_score,
    service_rank_score, per_customer_score, ability_score, quality_score, composite_score, composite_rank, missing
from scores(grain);
