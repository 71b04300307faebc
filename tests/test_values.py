"""Cell values as people type them → canonical values (input-sheets.md, tolerance list)."""
import datetime as dt
from decimal import Decimal

import pytest

from salespipe.errors import BadValue
from salespipe.ingest import values as V

D = dt.date(2026, 11, 26)


@pytest.mark.parametrize("raw, year_hint, expected", [
    (dt.datetime(2026, 11, 26, 0, 0), None, D),          # a real Excel date
    (D, None, D),
    (46352.0, None, D),                                   # an Excel serial number
    (46352, None, D),
    ("46352", None, D),
    ("2026-11-26", None, D),
    ("2026/11/26", None, D),
    ("2026.11.26", None, D),
    ("2026年11月26日", None, D),
    ("２０２６年１１月２６日", None, D),                     # full-width digits
    ("2026-11-26 09:30", None, D),
    ("20261126", None, D),
    (20261126.0, None, D),                                # typed into a numeric cell
    ("11月26日", 2026, D),                                 # year from the title or file name
    ("2026-1-5", None, dt.date(2026, 1, 5)),
    ("2026年11月26号", None, D),                           # 号 as people say it
    ("11月26号", 2026, D),
    ("2026-11-26T09:30:00", None, D),                     # ISO text from an export
])
def test_dates_in_every_listed_form(raw, year_hint, expected):
    assert V.parse_date(raw, year_hint) == expected


@pytest.mark.parametrize("raw, reason", [
    ("11月26日", "缺少年份"),
    ("2026-02-30", "日期不存在"),
    ("明天", "无法识别"),
    (12.5, "无法识别"),
])
def test_bad_dates_say_why(raw, reason):
    with pytest.raises(BadValue, match=reason):
        V.parse_date(raw, None)


@pytest.mark.parametrize("raw, expected", [
    (12800, Decimal("12800.00")),
    (12800.5, Decimal("12800.50")),
    ("12,800", Decimal("12800.00")),
    ("12，800元", Decimal("12800.00")),
    ("1.28万元", Decimal("12800.00")),
    ("3万", Decimal("30000.00")),
    ("１２８００", Decimal("12800.00")),
    ("¥12,800.75", Decimal("12800.75")),
])
def test_money_forms(raw, expected):
    assert V.parse_money(raw) == expected


def test_money_that_is_not_a_number_is_refused():
    with pytest.raises(BadValue, match="金额"):
        V.parse_money("面议")


@pytest.mark.parametrize("raw, expected", [
    ("2026-11", dt.date(2026, 11, 1)), ("2026年11月", dt.date(2026, 11, 1)),
    ("202611", dt.date(2026, 11, 1)), (dt.date(2026, 11, 17), dt.date(2026, 11, 1)),
])
def test_months(raw, expected):
    assert V.parse_month(raw) == expected


@pytest.mark.parametrize("enum, raw, expected", [
    (V.METHOD, "电访", "电话"), (V.METHOD, "打电话", "电话"), (V.METHOD, "TEL", "电话"),
    (V.METHOD, "fax", "传真"), (V.METHOD, "Email", "E-mail"), (V.METHOD, "发邮件", "E-mail"),
    (V.METHOD, "电邮", "E-mail"), (V.METHOD, "上门", "面访"), (V.METHOD, "拜访", "面访"), (V.METHOD, "面谈", "面访"),
    (V.CUSTOMER_CLASS, "A类", "A"), (V.CUSTOMER_CLASS, "b1", "B1"), (V.CUSTOMER_CLASS, "Ｂ１", "B1"),
    (V.CUSTOMER_CLASS, "C", "C"),
    (V.INDUSTRY, "制造", "生产制造"), (V.INDUSTRY, "制造业", "生产制造"), (V.INDUSTRY, "服务业", "服务"),
    (V.SOURCE, "网上", "网络打入"), (V.SOURCE, "400来电", "网络打入"), (V.SOURCE, "转介绍", "关系客户"),
    (V.SOURCE, "陌拜", "电话开发"),
    (V.RESULT, "1", "签单"), (V.RESULT, 1, "签单"), (V.RESULT, "成交", "签单"), (V.RESULT, "跟进中", "继续跟进"),
    (V.RESULT, "放弃", "丢单"), (V.RESULT, "4", "未跟进"), (V.RESULT, "3.丢单", "丢单"),
    (V.STATUS, "在岗", "在职"), (V.STATUS, "已离职", "离职"),
    (V.METHOD, "Tel.", "电话"), (V.METHOD, "电话。", "电话"),     # a full stop typed after the word
])
def test_loose_enumerations_map_to_canonical_values(enum, raw, expected):
    assert enum.parse(raw) == expected


def test_unknown_enumeration_lists_the_allowed_values():
    with pytest.raises(BadValue, match="可填：电话、传真、E-mail、面访"):
        V.METHOD.parse("飞鸽传书")


@pytest.mark.parametrize("raw, expected", [
    (3, 3), (3.0, 3), ("3", 3), ("3.已发方案", 3), ("3、已发方案或提纲", 3), ("三", 3),
    ("已发方案", 3), ("初次沟通", 1), ("已报价", 1), ("面谈", 2), ("方案修改", 4), ("方案敲定", 5),
    ("促成订单", 6), ("签订订单", 7), ("７", 7),
])
def test_stages(raw, expected):
    assert V.parse_stage(raw) == expected


@pytest.mark.parametrize("raw", [0, 8, "9", "随便聊聊"])
def test_bad_stages(raw):
    with pytest.raises(BadValue, match="跟进状态"):
        V.parse_stage(raw)


@pytest.mark.parametrize("raw, expected", [
    ("管理咨询", ("管理咨询", "")), ("咨询", ("管理咨询", "")), ("内训", ("企业内训", "")),
    ("企业内训+中层管理", ("企业内训", "中层管理")), ("拓展", ("拓展培训", "")),
    ("培训认证", ("认证", "")), ("公开", ("公开课", "")), ("公开课+销售技巧", ("公开课", "销售技巧")),
    ("咨询+A", ("管理咨询", "A")), ("企业 内训 + Excel 高级", ("企业内训", "Excel 高级")),
    ("2.内训+中层", ("企业内训", "中层")),
])
def test_business_types_with_optional_category(raw, expected):
    assert V.parse_business(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    (13812345678.0, "13812345678"), (2223456789.0, "2223456789"), (1.5, "1.5"), ("  张三 ", "张三"),
    (dt.date(2026, 11, 26), "2026-11-26"), ("", ""), (None, ""),
])
def test_cell_text_writes_numbers_as_typed(raw, expected):
    assert V.cell_text(raw) == expected


@pytest.mark.parametrize("raw", ["2026-11-26（周四）", "2026年11月26日 星期四", "2026/11/26(四)"])
def test_dates_with_a_weekday_written_after_them(raw):
    assert V.parse_date(raw) == D


@pytest.mark.parametrize("raw, expected", [("第3阶段", 3), ("第三步", 3), ("第 7 阶段", 7), ("阶段3", 3),
                                          ("阶段：5", 5), ("Stage 2", 2)])
def test_stages_written_as_ordinals(raw, expected):
    assert V.parse_stage(raw) == expected
