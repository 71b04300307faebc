-- 不合格行：每个被退回的行一条（一行多个问题只算一行；被更正文件取代的不算），可只取日期在范围内的行（视图 stg_rejected_rows 即不限范围的全部）
-- from_date：可选，只取日期在这一天及以后的行（行的日期；没有日期时为收到日期）
-- to_date：可选，只取日期在这一天及以前的行
create or replace macro rejected_rows(from_date := null, to_date := null) as table
-- every problem of a row carries the row's date and the day it was received (ingest.load._insert_rejects writes a
-- row's problems together), so the range keeps or drops a row's problems together, before they are grouped rather
-- than after: a report's activity counts of one day (reports.data.activity) took 0.026-0.028 / 0.054-0.059 s on
-- bench/scale.py's one- / three-year warehouse grouping all history's problems, 0.019-0.020 s on either now
with rejected as (
    select * from rejects
    where superseded_by is null and row_number is not null
      and (from_date is null or coalesce(row_date, received_on) >= from_date)  -- (core's in_range comes later)
      and (to_date is null or coalesce(row_date, received_on) <= to_date)
),

final as (
    select
        file,
        sheet,
        row_number,
        any_value(kind) as kind,
        any_value(salesperson_id) as salesperson_id,
        coalesce(any_value(row_date), any_value(received_on)) as row_date
    from rejected
    group by file, sheet, row_number, file_sha256
)

select * from final;
