-- 截至今天（北京时间）的逾期应收款；其他日期用 receivables_overdue(日期)
select * from receivables_overdue((now() at time zone 'Asia/Shanghai')::date)
