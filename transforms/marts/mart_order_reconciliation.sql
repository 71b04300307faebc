-- 签单核对：日志里写了签单却没有登记订单的，以及登记了订单却没有任何签单日志的（以销售业绩登记表为准），带跟单号与来源行
select * from order_reconciliation()
