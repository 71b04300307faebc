-- 期间与在职判断的公用宏（每个宏紧挨在上面的注释就是它的 COMMENT；“参数名：说明”一行说明一个参数）

-- 日期 d 所在期间的第一天
-- grain：期间粒度 day / week（ISO 周，周一开始）/ month / quarter / half / year
-- d：日期
create or replace macro period_start(grain, d) as
    case grain
        when 'day' then d::date
        when 'week' then date_trunc('week', d)::date
        when 'month' then date_trunc('month', d)::date
        when 'quarter' then date_trunc('quarter', d)::date
        when 'half' then make_date(year(d), case when month(d) <= 6 then 1 else 7 end, 1)
        when 'year' then date_trunc('year', d)::date
    end;

-- 日期 d 是否在可选的范围内（范围端点为空表示不限）
-- d：日期
-- from_date：范围的第一天（含），为空表示不限
-- to_date：范围的最后一天（含），为空表示不限
create or replace macro in_range(d, from_date, to_date) as
    (from_date is null or d >= from_date) and (to_date is null or d <= to_date);

-- 以 p 开始的期间的最后一天
-- grain：期间粒度 day / week / month / quarter / half / year
-- p：期间第一天（period_start 的结果）
create or replace macro period_end(grain, p) as
    case grain
        when 'day' then p::date
        when 'week' then (p + interval 6 day)::date
        when 'month' then (p + interval 1 month - interval 1 day)::date
        when 'quarter' then (p + interval 3 month - interval 1 day)::date
        when 'half' then (p + interval 6 month - interval 1 day)::date
        when 'year' then (p + interval 1 year - interval 1 day)::date
    end;

-- 比较期的第一天：环比 = 上一个同长度期间；同比 = 去年同期（由 settings 表的 comparison 决定）
-- grain：期间粒度 day / week / month / quarter / half / year
-- p：本期第一天
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

-- settings 表中一个数值设置（来自 config/salespipe.toml，如权重、平滑常数）
-- k：设置项名称，如 weight_revenue、smoothing_k
create or replace macro setting(k) as (select number from settings where key = k);

-- 业务员在 first_day 至 last_day 期间是否有在职的日子：入职不晚于期末，且未离职或离职不早于期初（状态为离职却无离职日期的视为不在职）
-- status：名册状态（在职 / 离职）
-- hired_on：入职日期（为空表示不限）
-- left_on：离职日期（为空表示未离职）
-- first_day：期间第一天
-- last_day：期间最后一天
create or replace macro in_service(status, hired_on, left_on, first_day, last_day) as
    not (status = '离职' and left_on is null)
    and (hired_on is null or hired_on <= last_day)
    and (left_on is null or left_on >= first_day);
