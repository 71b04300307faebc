-- 不合格行：每个被退回的行一条（一行多个问题只算一行；被更正文件取代的不算）
select * from rejected_rows()
