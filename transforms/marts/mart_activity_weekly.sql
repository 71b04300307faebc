-- 每个业务员每周（ISO 周，周一至周日）的活动量、成单率和丢单率；salesperson_id 为空的一行是全组合计（客户跨业务员去重）
select period as week_start, * exclude (period) from activity_counts('week')
