"""The tolerance list of input-sheets.md: every case is a real workbook written here and read back."""
import datetime as dt
import json

import openpyxl
import pytest

from salespipe.ingest.batch import read_batch
from salespipe.ingest.header import context_from_file_name
from conftest import LOG_HEADER, log_row, workbook, xls_workbook

D = dt.date(2026, 11, 26)


def stage(*paths):
    batch = read_batch(list(paths), set(), "022", 30)
    return batch


def only(batch, kind="log"):
    assert list(batch.records) == [kind], batch.records.keys()
    return batch.records[kind]


def test_header_found_below_title_rows(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [LOG_HEADER, log_row()], title=["销售日志表", "", "填表日期：2026-11-26"])
    (rec,) = only(stage(path))
    assert rec["source_row"] == 5
    assert rec["customer_name"] == "天津市格致企业管理咨询有限公司"
    assert rec["activity_date"] == D and rec["salesperson_name"] == "张三"


def test_blank_rows_and_columns_around_the_table(tmp_path):
    rows = [[None, None] + LOG_HEADER, [], [None, None] + log_row(), [None], [None, None] + log_row(person="李四")]
    path = workbook(tmp_path / "a.xlsx", rows)
    recs = only(stage(path))
    assert [r["salesperson_name"] for r in recs] == ["张三", "李四"]
    assert [r["source_row"] for r in recs] == [3, 5]


def test_two_row_header_through_merged_cells(tmp_path):
    upper = ["日期", "业务员", "客户信息", None, None, None, None, "联系方式", "跟进状态", "结果"]
    lower = ["日期", "业务员", "客户名称", "联系人", "联系电话", "地址", "客户类别", "联系方式", "跟进状态", "结果"]
    path = workbook(tmp_path / "a.xlsx", [upper, [None, None, *lower[2:7]], log_row()],
                    merged=["A1:A2", "B1:B2", "C1:G1", "H1:H2", "I1:I2", "J1:J2"])
    ws = openpyxl.load_workbook(path)
    sheet = ws.active
    for c, text in enumerate(lower[2:7], start=3):
        sheet.cell(2, c, text)
    ws.save(path)
    (rec,) = only(stage(path))
    assert rec["contact"] == "王经理" and rec["phone"] == "02223456789" and rec["method"] == "电话"
    assert rec["source_row"] == 3


def test_merged_body_cells_apply_to_every_row_of_the_merge(tmp_path):
    rows = [LOG_HEADER, log_row(), log_row(day=None, person=None, customer="天津恒通机械有限公司"),
            log_row(day=None, person=None, customer="天津德润贸易有限公司")]
    path = workbook(tmp_path / "a.xlsx", rows, merged=["A2:A4", "B2:B4"])
    recs = only(stage(path))
    assert [(r["activity_date"], r["salesperson_name"]) for r in recs] == [(D, "张三")] * 3
    assert not any(r["problems"] for r in recs)


def test_total_subtotal_and_note_rows_are_not_data(tmp_path):
    rows = [LOG_HEADER, log_row(), ["小计", None, None, None, None, None, None, None, None, None],
            log_row(person="李四"), ["合 计", "", 2], [], ["注：本表每日17:30前交客户信息管理员"], ["制表人：赵六"]]
    recs = only(stage(workbook(tmp_path / "a.xlsx", rows)))
    assert [r["salesperson_name"] for r in recs] == ["张三", "李四"]


@pytest.mark.parametrize("header", [
    ["联系日期", "销售员", "公司名称", "联系人姓名", "电话", "详细地址", "客户类型", "沟通方式", "跟进情况", "跟进结果"],
    ["跟进日期", "业务代表", "客户全称", "客户联系人", "手机", "公司地址", "客户等级", "跟进方式", "进度", "结果"],
    ["日期/Date", "销售人员", "单位名称", "联系人", "固话", "地址", "类别", "方式", "阶段", "结果"],
    ["日期（必填）", "*业务员", "客户名称*", "联系人(必填)", "联系电话：", "地址", "客户类别", "联系方式", "跟进状态", "结果"],
    ["日 期", "业 务 员", "客户名称", "联系人", "联系电话", "地址", "客户类别", "联系方式", "跟进状态", "结果"],
    ["日期", "业务员", "客户名称", "联系人", "联系电话（必填）", "地址（元）", "客户类别", "联系方式", "跟进状态", "结果"],
    ["日期", "业务员", "\u3000客户名称\u3000", "联系人", "联系电话", "地址", "客户类别", "联系方式", "跟进状态", "结果"],
    ["日期【必填】", "业务员[必填]", "客户名称【必填】", "联系人※", "联系电话★", "地址", "客户类别", "联系方式【必填】",
     "跟进状态", "结果"],
    ["日期(Date)", "业务员(Sales)", "客户名称(Customer)", "联系人(Contact)", "联系电话(Tel)", "地址(Address)",
     "客户类别(Class)", "联系方式(Method)", "跟进状态(Stage)", "结果(Result)"],
    ["1.日期", "2.业务员", "3.客户名称", "4.联系人", "5.联系电话", "6.地址", "7.客户类别", "8.联系方式", "9.跟进状态",
     "10.结果"],
])
def test_header_aliases_and_decorations(tmp_path, header):
    (rec,) = only(stage(workbook(tmp_path / "a.xlsx", [header, log_row()])))
    assert rec["activity_date"] == D and rec["contact"] == "王经理" and rec["phone"] == "02223456789"
    assert rec["method"] == "电话" and rec["stage"] == 1 and rec["result"] == "继续跟进" and not rec["problems"]


def test_unknown_extra_columns_are_kept_as_json(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [LOG_HEADER + ["微信号"], log_row() + ["wx_gezhi"]])
    (rec,) = only(stage(path))
    assert json.loads(rec["extra"]) == {"微信号": "wx_gezhi"}


def test_full_width_text_is_understood(tmp_path):
    row = log_row(phone="０２２－２３４５６７８９", cls="Ｂ１", method="ＴＥＬ", stage="３")
    (rec,) = only(stage(workbook(tmp_path / "a.xlsx", [LOG_HEADER, row])))
    assert (rec["phone"], rec["customer_class"], rec["method"], rec["stage"]) == ("02223456789", "B1", "电话", 3)


def test_salesperson_and_date_in_a_title_cell(tmp_path):
    header = LOG_HEADER[2:]
    path = workbook(tmp_path / "a.xlsx", [header, log_row()[2:]], title=["销售日志表", "业务员：张三  日期：2026年11月26日"])
    (rec,) = only(stage(path))
    assert rec["salesperson_name"] == "张三" and rec["activity_date"] == D and not rec["problems"]


def test_salesperson_and_date_from_the_file_name_as_last_resort(tmp_path):
    path = workbook(tmp_path / "日志表_张三_20261126.xlsx", [LOG_HEADER[2:], log_row()[2:]])
    (rec,) = only(stage(path))
    assert rec["salesperson_name"] == "张三" and rec["activity_date"] == D


def test_file_name_context():
    ctx = context_from_file_name("日志表_李四_2026-11-27")
    assert ctx.salesperson == "李四" and ctx.date == dt.date(2026, 11, 27)


@pytest.mark.parametrize("day", [D, 46352, "2026-11-26", "2026/11/26", "2026.11.26", "2026年11月26日", "11月26日", 20261126])
def test_every_date_form_in_a_log_sheet(tmp_path, day):
    path = workbook(tmp_path / "日志表_2026.xlsx", [LOG_HEADER, log_row(day=day)], title=["2026年销售日志表"])
    (rec,) = only(stage(path))
    assert rec["activity_date"] == D, rec["problems"]


def test_month_day_date_takes_year_from_title(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [LOG_HEADER, log_row(day="12月1日")], title=["2025年12月 销售日志"])
    (rec,) = only(stage(path))
    assert rec["activity_date"] == dt.date(2025, 12, 1)


def test_phone_typed_into_a_numeric_cell_keeps_its_digits(tmp_path):
    rows = [LOG_HEADER, log_row(phone=13812345678), log_row(phone=2223456789)]
    recs = only(stage(workbook(tmp_path / "a.xlsx", rows)))
    assert [r["phone"] for r in recs] == ["13812345678", "02223456789"]


@pytest.mark.parametrize("header, cut", [(LOG_HEADER[2:], 2), (["日期", *LOG_HEADER[2:]], 1)])
def test_several_days_and_people_in_one_sheet_with_block_titles(tmp_path, header, cut):
    row = [None, *log_row()[2:]] if cut == 1 else log_row()[2:]
    rows = [["业务员：张三  日期：2026-11-26"], header, row, ["业务员：李四  日期：2026-11-27"], header, row]
    recs = only(stage(workbook(tmp_path / "a.xlsx", rows)))
    assert [(r["salesperson_name"], r["activity_date"]) for r in recs] == [("张三", D), ("李四", dt.date(2026, 11, 27))]


def test_several_kinds_in_one_workbook(tmp_path):
    orders = [["签单日期", "业务员", "客户名称", "业务类型", "合同金额", "成本"],
              [D, "张三", "天津市格致企业管理咨询有限公司", "企业内训+中层管理", "1.28万元", "3,000"]]
    path = workbook(tmp_path / "a.xlsx", [LOG_HEADER, log_row()], sheet="日志", extra_sheets={"业绩": orders})
    batch = stage(path)
    assert set(batch.records) == {"log", "orders"}
    (order,) = batch.records["orders"]
    assert order["amount"] == 1_280_000 and order["cost"] == 300_000 and order["gross_profit"] == 980_000
    assert (order["business_type"], order["business_detail"]) == ("企业内训", "中层管理")


def test_legacy_xls_is_read(tmp_path):
    path = xls_workbook(tmp_path / "a.xls", [LOG_HEADER, log_row(phone=13812345678.0)], title=["销售日志表"])
    (rec,) = only(stage(path))
    assert rec["activity_date"] == D and rec["phone"] == "13812345678" and rec["source_row"] == 3


def test_xlsm_is_read(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [LOG_HEADER, log_row()])
    xlsm = path.with_suffix(".xlsm")
    path.rename(xlsm)
    (rec,) = only(stage(xlsm))
    assert rec["salesperson_name"] == "张三"


@pytest.mark.parametrize("kind, header, row, checks", [
    ("bc", ["登记日期", "业务员", "客户名称", "联系人", "联系电话", "客户类别"],
     [D, "张三", "天津德润贸易有限公司", "刘总", "13800138000", "B1"], {"customer_class": "B1", "register_date": D}),
    ("roster", ["工号", "姓名", "岗位", "状态", "特长", "跟单能力", "客户容量"],
     ["S009", "赵六", "kae", "在岗", "咨询/内训，拓展", 4, 80],
     {"salesperson_id": "S009", "role": "KAE", "status": "在职", "specialties": ["企业内训", "拓展培训", "管理咨询"],
      "followup_ability": 4.0, "capacity": 80}),
    ("targets", ["月份", "业务员", "销售收入目标", "单户销量目标"], ["2026年11月", "张三", "10万元", "2万"],
     {"month": dt.date(2026, 11, 1), "revenue_target": 10_000_000, "per_customer_target": 2_000_000}),
    ("quality", ["月份", "业务员", "工作职责", "工作态度", "业务基本技能", "评分人"], ["2026-11", "张三", 90, 85, 80, "经理"],
     {"duty_score": 90.0, "attitude_score": 85.0, "skill_score": 80.0}),
    ("inspections", ["检查日期", "业务员", "总得分", "检查人", "存在的问题"], ["2026-11-26", "张三", 92, "赵经理", "日志不全"],
     {"total_score": 92.0, "inspect_date": D}),
    ("leads", ["客户名称", "联系人", "联系电话", "客户需求", "客户来源", "获取日期"],
     ["天津新客户科技有限公司", "孙总", "13900139000", "内训", "购买", "2026-11-20"],
     {"need_type": "企业内训", "source": "购买数据库", "acquired_on": dt.date(2026, 11, 20)}),
    ("approvals", ["客户编码", "客户名称", "建议业务员", "审批结果", "改派业务员", "审批人", "审批日期"],
     ["KH000001", "天津市格致企业管理咨询有限公司", "张三", "同意", "", "总经理", "2026-11-27"],
     {"decision": "批准", "customer_code": "KH000001"}),
])
def test_every_kind_is_recognised_by_its_header(tmp_path, kind, header, row, checks):
    (rec,) = only(stage(workbook(tmp_path / "x.xlsx", [header, row])), kind)
    assert not rec["problems"], rec["problems"]
    for key, value in checks.items():
        assert rec[key] == value, key


def test_sheet_and_file_names_are_hints_only(tmp_path):
    path = workbook(tmp_path / "业绩登记表.xlsx", [LOG_HEADER, log_row()], sheet="名册")
    only(stage(path), "log")


def test_unrecognisable_sheet_is_recorded_not_dropped(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [["品名", "规格", "数量"], ["笔", "黑", 3]])
    batch = stage(path)
    assert batch.records == {}
    (reject,) = batch.sheet_rejects
    assert "无法识别表头" in reject["reason"] and reject["sheet"] == "Sheet1"


@pytest.mark.parametrize("title, person", [
    ("业务员：张三  日期：2026-11-26", "张三"), ("业务员: 张三", "张三"), ("销售员 张三   2026年11月26日", "张三"),
    ("姓名：张三（S001）", "张三"),
])
def test_title_cell_spellings(tmp_path, title, person):
    path = workbook(tmp_path / "a.xlsx", [LOG_HEADER[2:], log_row()[2:]], title=[title, "日期：2026-11-26"])
    (rec,) = only(stage(path))
    assert rec["salesperson_name"] == person and rec["activity_date"] == D


def test_template_rows_with_only_a_number_or_a_date_are_empty_rows(tmp_path):
    header = ["序号", *LOG_HEADER]
    rows = [header, [1, *log_row()], [2, D, "张三", None, None, None, None, None, None, None, None], [3], [4], [5]]
    recs = only(stage(workbook(tmp_path / "a.xlsx", rows)))
    assert [r["source_row"] for r in recs] == [2]


def test_two_row_header_with_a_contact_group(tmp_path):
    upper = ["日期", "业务员", "客户名称", "客户联系人", None, "联系方式", "跟进状态", "结果"]
    lower = [None, None, None, "姓名", "电话", None, None, None]
    row = [D, "张三", "天津市格致企业管理咨询有限公司", "王经理", "022-23456789", "电话", "1", "继续跟进"]
    path = workbook(tmp_path / "a.xlsx", [upper, lower, row], merged=["D1:E1", "A1:A2", "B1:B2", "C1:C2", "F1:F2",
                                                                     "G1:G2", "H1:H2"])
    (rec,) = only(stage(path))
    assert (rec["salesperson_name"], rec["contact"], rec["phone"]) == ("张三", "王经理", "02223456789")


def test_lianxifangshi_holding_phone_numbers_when_the_method_has_its_own_column(tmp_path):
    header = ["日期", "业务员", "客户名称", "联系人", "联系方式", "沟通方式", "跟进状态", "结果"]
    row = [D, "张三", "天津市格致企业管理咨询有限公司", "王经理", "022-23456789", "面访", "1", "继续跟进"]
    (rec,) = only(stage(workbook(tmp_path / "a.xlsx", [header, row])))
    assert (rec["phone"], rec["method"], rec["problems"]) == ("02223456789", "面访", [])


def test_money_header_in_ten_thousands_scales_the_numbers(tmp_path):
    header = ["签单日期", "业务员", "客户名称", "业务类型", "合同金额（万元）", "成本(元)"]
    rows = [header, [D, "张三", "天津甲有限公司", "咨询", 1.28, 3000], [D, "张三", "天津乙有限公司", "咨询", "2万", "1,000"]]
    recs = only(stage(workbook(tmp_path / "a.xlsx", rows)), "orders")
    assert [(r["amount"], r["cost"]) for r in recs] == [(1_280_000, 300_000), (2_000_000, 100_000)]


def test_the_written_out_invisible_characters_are_every_format_character_of_the_bmp():
    import unicodedata

    from salespipe.ingest.reader import _INVISIBLE

    expected = {chr(i) for i in range(0x10000) if unicodedata.category(chr(i)) == "Cf"}
    assert {chr(i) for i in range(0x10000) if _INVISIBLE.fullmatch(chr(i))} == expected


def test_title_with_labels_and_values_in_separate_cells_still_names_the_salesperson(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["日期", "2026-11-26", "业务员", "张三"])  # a title row, label and value in separate cells
    sheet.append(LOG_HEADER[:1] + LOG_HEADER[2:])
    sheet.append([D] + log_row()[2:])
    book.save(tmp_path / "log.xlsx")
    (rec,) = stage(tmp_path / "log.xlsx").records["log"]
    assert rec["salesperson_name"] == "张三" and not rec["problems"]


def test_the_upper_row_of_a_two_row_header_is_not_read_as_a_title(tmp_path):
    # 联系人姓名 over a merged-down cell: its 姓名 is not "业务员/姓名：…" (found by the property test)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["客户名称", "联系电话", "联系人姓名", "客户信息", None, "日期"])
    sheet.append([None, None, None, "客户类别", "联系方式", None])
    for col in "ABCF":
        sheet.merge_cells(f"{col}1:{col}2")
    sheet.merge_cells("D1:E1")
    sheet.append(["天津市格致企业管理咨询有限公司", "022-23456789", "王经理", "B", "电话", D])
    book.save(tmp_path / "日志表_周杰_20261126.xlsx")
    (rec,) = stage(tmp_path / "日志表_周杰_20261126.xlsx").records["log"]
    assert rec["salesperson_name"] == "周杰" and not rec["problems"]


def test_every_hint_and_example_word_begins_with_a_character_the_fast_path_looks_at():
    from salespipe.ingest import rows

    for pattern in (rows._HINT, rows._EXAMPLE):
        firsts = {alternative[0] for alternative in pattern.pattern[2:-1].split("|")}
        assert firsts <= rows._TEMPLATE_START, pattern.pattern
