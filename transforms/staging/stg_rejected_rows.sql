-- 不合格行：每个被退回的行一条（一行多个问题只算一行；被更正文件取代的不算）
with rejected as (
    select * from rejects
    where superseded_by is null and row_number is not null
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

select * from final
