-- scores 从 from_period 起计算时读取的第一天：from_period 所在期间的比较期（previous_period）的第一天；为空表示不限
-- grain：期间粒度 month / quarter / half / year（这几种粒度的比较期总从期间的第一天开始）
-- from_period：要计算的第一期（期间内任一天），为空表示不限
create or replace macro scores_first_day(grain, from_period) as
    previous_period(grain, period_start(grain, from_period::date));

-- scores 计算到 to_period 时读取的最后一天：to_period 所在期间的最后一天；为空表示不限
-- grain：期间粒度 month / quarter / half / year
-- to_period：要计算的最后一期（期间内任一天），为空表示不限
create or replace macro scores_last_day(grain, to_period) as
    period_end(grain, period_start(grain, to_period::date));

-- 第八章 业绩评估（表17）：每个销售岗位业务员及全组合计（salesperson_id 为空）每期的能力六项、能力分、素质分、综合分与排名，以及计算用的原始数（收入、毛利、拜访、名次）
-- grain：期间粒度 month / quarter / half / year
-- from_period：可选，只输出这一期及以后（期间内任一天；报表用：只读本期与比较期的行，不计算全部历史）
-- to_period：可选，只输出这一期及以前（期间内任一天）
create or replace macro scores(grain, from_period := null, to_period := null) as table
-- the rows read: from the comparison period of the first period output to the end of the last (unbounded when the
-- bounds are null); both ends fall on period boundaries, so every period read is whole. One month of bench/scale.py's
-- warehouses: 0.06 s on one or three years, against 0.12 / 0.33 s for the view filtered to it. core_events is filtered
-- by the expressions themselves, which DuckDB pushes into the scan of the tables (through a subquery it read all
-- history); the three small tables by the bounds worked out once (each use of the expressions costs binding time,
-- 0.007 s)
with events as (
    select period_start(grain, event_date) as period, * from core_events
    where in_range(event_date, scores_first_day(grain, from_period), scores_last_day(grain, to_period))
),

bounds as (
    select scores_first_day(grain, from_period) as first_day, scores_last_day(grain, to_period) as last_day
),

period_targets as (
    select t.* from targets as t, bounds as b where in_range(t.month, b.first_day, b.last_day)
),

period_ratings as (
    select r.* from quality_ratings as r, bounds as b where in_range(r.month, b.first_day, b.last_day)
),

period_inspections as (
    select i.* from inspections as i, bounds as b where in_range(i.inspect_date, b.first_day, b.last_day)
),

periods as (
    select distinct period from events
    union select distinct period_start(grain, month) from period_targets
    union select distinct period_start(grain, month) from period_ratings
    union select distinct period_start(grain, inspect_date) from period_inspections
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
    from period_inspections group by all
),

goals as (
    select period_start(grain, month) as period, salesperson_id,
        sum(revenue_target) as revenue_target,
        avg(per_customer_target) as per_customer_target
    from period_targets group by all
),

quality as (
    select period_start(grain, month) as period, salesperson_id,
        avg(list_avg(list_filter([duty_score, attitude_score, skill_score], lambda x: x is not null)))
            as quality_score
    from period_ratings group by all
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
from final
where in_range(period, period_start(grain, from_period::date), period_start(grain, to_period::date));

-- 业绩评估视图 mart_scores_monthly … _yearly 的列（接口约定的顺序）：scores(grain) 去掉原始数
-- grain：期间粒度 month / quarter / half / year
-- from_period：可选，只计算这一期及以后（期间内任一天；见 scores）
-- to_period：可选，只计算这一期及以前（期间内任一天）
create or replace macro score_marts(grain, from_period := null, to_period := null) as table
select
    period, salesperson_id, name, revenue_score, profit_score, visits_score, active_rank_score,
    service_rank_score, per_customer_score, ability_score, quality_score, composite_score, composite_rank, missing
from scores(grain, from_period := from_period, to_period := to_period);
