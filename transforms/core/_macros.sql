-- 期间与在职判断的公用宏
create or replace macro period_start(grain, d) as
    case grain
        when 'day' then d::date
        when 'week' then date_trunc('week', d)::date
        when 'month' then date_trunc('month', d)::date
        when 'quarter' then date_trunc('quarter', d)::date
        when 'half' then make_date(year(d), case when month(d) <= 6 then 1 else 7 end, 1)
        when 'year' then date_trunc('year', d)::date
    end;

-- 日期是否在可选的范围内（范围端点为空表示不限）
create or replace macro in_range(d, from_date, to_date) as
    (from_date is null or d >= from_date) and (to_date is null or d <= to_date);

create or replace macro period_end(grain, p) as
    case grain
        when 'day' then p::date
        when 'week' then (p + interval 6 day)::date
        when 'month' then (p + interval 1 month - interval 1 day)::date
        when 'quarter' then (p + interval 3 month - interval 1 day)::date
        when 'half' then (p + interval 6 month - interval 1 day)::date
        when 'year' then (p + interval 1 year - interval 1 day)::date
    end;

-- 比较期：环比 = 上一个同长度期间；同比 = 去年同期
create or replace macro previous_period(grain, p) as
    case
        when (select text from settings where key = 'comparison') = '同比' then (p - interval 1 year)::date
        when grain = 'day' then (p - interval 1 day)::date
        when grain = 'week' then (p - interval 7 day)::date
        when grain = 'month' then (p - interval 1 month)::date
        when grain = 'quarter' then (p - interval 3 month)::date
        when grain = 'half' then (p - interval 6 month)::date
        when grain = 'year' then (p - interval 1 year)::date
    end;

create or replace macro setting(k) as (select number from settings where key = k);

-- 在职：入职不晚于期末，且未离职或离职不早于期初（离职却无离职日期的视为不在职）
create or replace macro in_service(status, hired_on, left_on, first_day, last_day) as
    not (status = '离职' and left_on is null)
    and (hired_on is null or hired_on <= last_day)
    and (left_on is null or left_on >= first_day);
