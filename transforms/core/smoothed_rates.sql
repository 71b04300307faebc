-- 每个业务员的平滑成单率 / 丢单率（截至 as_of 的最近 trailing_days 天）：(x + k × 全组比率) / (n + k)，k = smoothing_k；及同期的跟进频率；用于排名与分配
-- as_of：截至日期（含）
create or replace macro smoothed_rates(as_of) as table
with recent as (
    select * from core_events
    where event_date <= as_of::date
      and event_date > as_of::date - to_days(setting('trailing_days')::integer)
),

pairs as (
    select
        salesperson_id,
        customer_code,
        bool_or(is_signed) as signed,
        bool_or(source = 'log' and result = '丢单') and not bool_or(is_signed) as lost,
        count(*) filter (where source = 'log') as log_rows,
        bool_or(source = 'log') as active
    from recent
    group by salesperson_id, customer_code
),

per_person as (
    select
        salesperson_id,
        count(*) as followed_customers,
        count(*) filter (where signed) as closed_customers,
        count(*) filter (where lost) as lost_customers,
        sum(log_rows) as log_rows,
        count(*) filter (where active) as active_customers
    from pairs
    group by salesperson_id
),

team as (
    select
        sum(closed_customers) / nullif(sum(followed_customers), 0) as team_win_rate,
        sum(lost_customers) / nullif(sum(followed_customers), 0) as team_loss_rate
    from per_person
),

final as (
    select
        as_of::date as as_of,
        p.salesperson_id,
        p.followed_customers,
        p.closed_customers,
        p.lost_customers,
        (p.closed_customers + setting('smoothing_k') * t.team_win_rate)
            / (p.followed_customers + setting('smoothing_k')) as smoothed_win_rate,
        (p.lost_customers + setting('smoothing_k') * t.team_loss_rate)
            / (p.followed_customers + setting('smoothing_k')) as smoothed_loss_rate,
        p.log_rows / nullif(p.active_customers, 0) as followup_frequency
    from per_person as p, team as t
)

select * from final;
