-- 季度业绩评估（第八章 表17）：六项能力分、能力分、素质分、综合分（素质:能力 = 3:7）与排名，missing 列出缺少的项
select period as quarter, * exclude (period) from score_marts('quarter')
