"""Workbooks from the wild (../shared/realworld/README.md): each case built here in code the way the real
file is built, ingested into a real warehouse, and checked against the README's right outcome."""
import datetime as dt
import hashlib
import os
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
import openpyxl
import pytest

from reports.feedback import feedback_rows
from salespipe.cli import main
from salespipe.template import how_to_fix
from conftest import LOG_HEADER, log_row, workbook, xls_workbook

D = dt.date(2026, 11, 26)
LOG_FILE = "日志表_张三_20261126.xlsx"  # a file name that names the day, as salespeople name them


def column_letter(header: str) -> str:
    """The Excel column of a LOG_HEADER column (日期 → A)."""
    return "ABCDEFGHIJ"[LOG_HEADER.index(header)]


def set_cells(path: Path, cells: dict[str, object], sheet: str | None = None) -> Path:
    """Reopen a workbook and write cells as Excel would: a '=…' string becomes a formula, which
    openpyxl saves without a calculated result (<f>…</f><v></v>), like a program that never calculated."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)
    return path


def hide_sheet(path: Path, name: str, state: str = "hidden") -> Path:
    wb = openpyxl.load_workbook(path)
    wb[name].sheet_state = state
    wb.save(path)
    return path


def patch_sheet_xml(path: Path, change, sheet_number: int = 1) -> Path:
    """Rewrite xl/worksheets/sheet<n>.xml inside the zip with `change(xml) -> xml`: what openpyxl cannot
    write (a formula with its cached error value, a formula cell with no <v> at all)."""
    member = f"xl/worksheets/sheet{sheet_number}.xml"
    with zipfile.ZipFile(path) as z:
        parts = [(info, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            z.writestr(info, change(data.decode("utf-8")).encode("utf-8") if info.filename == member else data)
    return path


def error_cells(path: Path, cells: dict[str, tuple[str, str]]) -> Path:
    """Cells holding a formula whose stored result is an error, as Excel saves them:
    <c r="C3" t="e"><f>VLOOKUP(…)</f><v>#N/A</v></c>. `cells`: ref → (formula without '=', error)."""
    def change(xml: str) -> str:
        for ref, (formula, error) in cells.items():
            xml, n = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)',
                             f'<c r="{ref}" t="e"><f>{escape(formula)}</f><v>{escape(error)}</v></c>', xml)
            assert n == 1, f"cell {ref} not found in the sheet"
        return xml
    return patch_sheet_xml(path, change)


BIFF_ERROR_CODES = {"#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17, "#NAME?": 0x1D, "#NUM!": 0x24,
                    "#N/A": 0x2A}  # as Excel 97-2003 stores them (xlwt's own name table maps #VALUE! to #NUM!)


def xls_with_error(path: Path, rows: list[list], cell: tuple[int, int], error: str) -> Path:
    """A legacy .xls (xlwt) whose cell (row, column), 0-based, holds an error value such as #N/A."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("日志")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if (r, c) == cell:
                sheet.row(r).set_cell_error(c, BIFF_ERROR_CODES[error])
            elif isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- 01_hidden_sheet


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheet_rows_are_read_like_visible_ones(project, state):
    project.add_roster()
    path = project.add(LOG_FILE, [LOG_HEADER, log_row(day=D - dt.timedelta(days=1))], sheet="11月25日", extra_sheets={
        "11月26日": [LOG_HEADER, log_row(customer="天津市宏达物流有限公司"), log_row(customer="天津滨海新区鑫源化工有限公司")]})
    hide_sheet(path, "11月26日", state)
    project.ingest()
    assert project.query("select activity_date, customer_name, source_sheet, source_row from activities "
                         "order by activity_date, source_row") == [
        (D - dt.timedelta(days=1), "天津市格致企业管理咨询有限公司", "11月25日", 2),
        (D, "天津市宏达物流有限公司", "11月26日", 2),
        (D, "天津滨海新区鑫源化工有限公司", "11月26日", 3)]
    assert project.query("select * from rejects") == []


# ---------------------------------------------------------------- 03_formulas_without_results


@pytest.mark.parametrize("stored_result", ["empty <v></v>", "no <v> at all"])
def test_formula_never_calculated_is_rejected_saying_so_not_as_empty(project, stored_result):
    """A program wrote formulas but never calculated them: row 3's 联系人/联系电话 are VLOOKUPs into a hidden
    sheet, row 4 is formulas only. Neither row vanishes, and neither is called 没有填写."""
    project.add_roster()
    path = project.add(LOG_FILE, [LOG_HEADER, log_row(contact="刘明", phone="13812345678"),
                                  log_row(customer="天津市宏达物流有限公司", contact=None, phone=None),
                                  [None] * len(LOG_HEADER)],
                       sheet="日志", extra_sheets={"客户资料": [["公司", "联系人姓名", "号码"],
                                                               ["天津市宏达物流有限公司", "王芳", "13698765432"],
                                                               ["天津滨海新区鑫源化工有限公司", "赵刚", "022-58761234"]]})
    hide_sheet(path, "客户资料")
    formulas = {"D3": "=VLOOKUP(C3,客户资料!A:C,2,0)", "E3": "=VLOOKUP(C3,客户资料!A:C,3,0)",
                "C4": "=客户资料!A3", "D4": "=客户资料!B3", "E4": "=客户资料!C3"}
    formulas |= {f"{c}4": f"={c}3" for c in "ABFGHIJ"}
    set_cells(path, formulas, sheet="日志")
    if stored_result == "no <v> at all":
        patch_sheet_xml(path, lambda xml: re.sub(r"<v\s*/>|<v></v>", "", xml))
    project.ingest()
    assert project.query("select contact from activities") == [("刘明",)]
    rejects = project.query("select row_number, column_name, reason from rejects where sheet = '日志' order by all")
    assert sorted({row for row, _, _ in rejects}) == [3, 4]
    assert {column for row, column, _ in rejects if row == 3} == {"联系人", "联系电话"}
    # row 4's 业务员 is a formula too: no usable salesperson (it counts for the team only, metrics.md), yet the row
    # reaches the feedback of 张三 (S001), whose file it is
    assert project.query("select distinct row_number, salesperson_id from rejects where sheet = '日志' order by 1") == [
        (3, "S001"), (4, None)]
    con = duckdb.connect(str(project.config.warehouse), read_only=True)
    try:
        heard = feedback_rows(con, D)
    finally:
        con.close()
    assert sorted({p["row_number"] for p in heard["S001"]["rejected"] if p["sheet"] == "日志"}) == [3, 4]
    for _, _, reason in rejects:
        assert "计算" in reason and re.search("保存|另存", reason) and "没有填写" not in reason, reason


# ---------------------------------------------------------------- 04_error_cells


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
@pytest.mark.parametrize("column, formula, error", [
    ("客户名称", "VLOOKUP(K3,客户表!A:B,2,0)", "#N/A"),
    ("联系电话", "VLOOKUP(C3,客户表!B:D,3,0)", "#N/A"),
    ("客户类别", "VLOOKUP(C3,客户表!B:E,4,0)", "#N/A"),  # an optional column
    ("日期", 'DATEVALUE("2026.11.27")', "#VALUE!"),   # in a file named for 2026-11-26
    ("联系人", "VLOOKUP(C3,#REF!,2,0)", "#REF!"),
    ("跟进状态", "I2/0", "#DIV/0!"),
])
def test_an_error_value_is_a_bad_value_rejected_by_name_not_a_blank(project, column, formula, error, fmt):
    project.add_roster()
    rows = [LOG_HEADER, log_row(customer="天津市恒远机电设备有限公司"), log_row(customer="天津市宏达物流有限公司")]
    if fmt == "xlsx":
        error_cells(project.add(LOG_FILE, rows, sheet="日志"), {f"{column_letter(column)}3": (formula, error)})
    else:
        xls_with_error(project.inbox / LOG_FILE.replace(".xlsx", ".xls"), rows, (2, LOG_HEADER.index(column)), error)
    project.ingest()
    assert project.query("select customer_name from activities") == [("天津市恒远机电设备有限公司",)]
    ((row, rejected_column, reason, row_date),) = project.query(
        "select row_number, column_name, reason, row_date from rejects")
    assert (row, rejected_column) == (3, column)
    assert error in reason and "没有填写" not in reason, reason
    # the cause that error value has (#VALUE! is no failed VLOOKUP), and a fix that works: saving again keeps the error
    cause = {"#N/A": "找不到", "#VALUE!": "类型不对", "#REF!": "已被删除", "#DIV/0!": "除以了 0"}[error]
    assert cause in reason and ("VLOOKUP" in reason) == (error == "#N/A"), reason
    assert "重新保存改不好" in how_to_fix("log", column, reason)
    if column == "日期":
        assert row_date != D  # not the date of the file name


# ---------------------------------------------------------------- 06_phone_scientific_notation


def test_phone_in_scientific_notation_is_read_when_every_digit_is_there_and_rejected_when_not(project):
    project.add_roster()
    phones = ["2.22346E+09", "1.38001E+10",      # as Excel shows them: digits lost
              "1.7743856575E10", "2.22345789E9",  # every digit there
              2223457890, 13800138000]           # numbers in numeric cells
    project.add(LOG_FILE, [LOG_HEADER, *[log_row(customer=f"天津市测试{i}号机械有限公司", phone=phone)
                                         for i, phone in enumerate(phones, start=1)]], sheet="日志")
    project.ingest()
    assert project.query("select source_row, phone from activities order by source_row") == [
        (4, "17743856575"), (5, "02223457890"), (6, "02223457890"), (7, "13800138000")]
    rejects = project.query("select row_number, column_name, value, reason from rejects order by row_number")
    assert [r[:3] for r in rejects] == [(2, "联系电话", "2.22346E+09"), (3, "联系电话", "1.38001E+10")]
    assert all("科学计数法" in reason for *_, reason in rejects), rejects


# ---------------------------------------------------------------- 07_wrong_extension_and_twin


def xlsx_log(path: Path, customer: str) -> Path:
    return workbook(path, [LOG_HEADER, log_row(customer=customer)], sheet="日志")


def xls_log(path: Path, customer: str) -> Path:
    return xls_workbook(path, [LOG_HEADER, log_row(customer=customer)])


@pytest.mark.parametrize("name, write", [
    ("日志表_张三_20261126.xls", xlsx_log),   # an .xlsx named .xls
    ("日志表_张三_20261126.xlsx", xls_log),   # an .xls named .xlsx
    ("日志表_张三_20261126.et", xls_log),     # WPS's .et: a renamed .xls
])
def test_a_workbook_is_read_by_its_content_whatever_its_extension(project, name, write):
    project.add_roster()
    write(project.inbox / name, "天津市宏达物流有限公司")
    project.ingest()
    assert project.query("select activity_date, customer_name, source_file from activities") == [
        (D, "天津市宏达物流有限公司", name)]
    assert project.scalar("select status from ingested_files where file_name = ?", [name]) == "ingested"


@pytest.mark.parametrize("same_run", [True, False], ids=["same run", "next run"])
def test_a_correctly_named_twin_of_a_misnamed_file_is_not_skipped_as_already_read(project, same_run):
    project.add_roster()
    misnamed = xls_log(project.inbox / "日志表_张三_20261126.xlsx", "天津市宏达物流有限公司")
    os.utime(misnamed, (1_900_000_000, 1_900_000_000))
    content = misnamed.read_bytes()
    if not same_run:
        project.ingest()  # the misnamed file alone first
    twin = project.inbox / "日志表_张三_20261126_转发.xls"
    twin.write_bytes(content)
    os.utime(twin, (2_000_000_000, 2_000_000_000))
    project.ingest()
    assert project.query("select customer_name from activities") == [("天津市宏达物流有限公司",)]
    assert dict(project.query("select file_name, status from ingested_files where file_name like '日志表%'")) == {
        misnamed.name: "ingested", twin.name: "skipped"}


@pytest.mark.parametrize("name, content, read_as", [
    ("客户信息.xlsx", "客户信息: \t张伟\t3号楼201\t市场营销\t13900001111\t某某大学\r购买信息: \r", None),
    ("日志表_张三_20261126.xls",  # Excel's "web page" export, named .xls
     '<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8"></head><body><table>'
     "<tr>" + "".join(f"<th>{h}</th>" for h in LOG_HEADER) + "</tr>"
     "<tr>" + "".join(f"<td>{v}</td>" for v in log_row(customer="天津市宏达物流有限公司")) + "</tr></table></body></html>",
     "天津市宏达物流有限公司"),
])
def test_text_or_a_web_page_named_as_a_workbook_is_never_called_damaged(project, name, content, read_as):
    """Read by content (a web-page table is what Excel itself opens), or at least a reason that says what
    the file really is — never 文件已损坏."""
    project.add_roster()
    (project.inbox / name).write_text(content, encoding="utf-8")
    project.ingest()
    read = project.query("select customer_name from activities")
    reasons = [r for (r,) in project.query("select reason from rejects where file = ?", [name])]
    assert (read_as and read == [(read_as,)]) or (reasons and all("损坏" not in r for r in reasons)), (read, reasons)


@pytest.mark.parametrize("name, content, said", [
    ("日志表_张三_20261126.html", "<html><body><table><tr><td>客户名称</td></tr></table></body></html>",
     "这是网页（HTML）文件，不是 Excel 文件"),
    ("日志表_张三_20261126.txt", "日期,客户名称\n2026-11-26,天津市宏达物流有限公司\n", "这是文本（如 CSV）文件，不是 Excel 文件"),
    ("日志表_张三_20261126.xlsx", "日期,客户名称\n2026-11-26,天津市宏达物流有限公司\n",
     "文件名是 .xlsx，但内容是文本（如 CSV），不是 Excel 文件"),
])
def test_a_file_that_is_no_workbook_is_said_to_be_what_it_is(project, name, content, said):
    # a name and content that agree (.html holding a web page) are no mismatch: the reason says what the file is
    (project.inbox / name).write_text(content, encoding="utf-8")
    project.ingest()
    (reason,) = [r for (r,) in project.query("select reason from rejects where file = ?", [name])]
    assert reason.startswith(said) and "另存为 .xlsx" in reason, reason


# ---------------------------------------------------------------- 09_invisible_characters


@pytest.mark.parametrize("z", ["\u200b", "\ufeff", "\xa0"], ids=["zero-width space", "BOM", "no-break space"])
def test_invisible_characters_count_as_whitespace_in_values_and_header_labels(project, z):
    project.add_roster()
    project.add(LOG_FILE, [LOG_HEADER,
                           log_row(contact=z),
                           log_row(customer="天津市宏达物流有限公司" + z, contact="王芳", phone="13698765432"),
                           log_row(customer="天津市宏达物流有限公司", contact="王芳", phone=z + "13698765432"),
                           log_row(customer="天津滨海新区鑫源化工有限公司", contact="赵刚" + z, phone="022-58761234",
                                   method="面访" + z),
                           log_row(customer="天津市津南区永兴五金厂", contact="孙立", phone="13511112222",
                                   cls="B" + z, stage=z + "3")], sheet="日志")
    header = ["日期", "业务员", "客户名称" + z, "联系人", "联系" + z + "电话", *LOG_HEADER[5:]]
    project.add("日志表_张三_20261125.xlsx", [header, log_row(day=D - dt.timedelta(days=1),
                                                            customer="天津市河东区丰华印刷厂", phone="13722223333")])
    project.ingest()
    assert project.query("select source_row, customer_name, contact, phone, method, customer_class, stage "
                         "from activities where source_file = ? order by source_row", [LOG_FILE]) == [
        (3, "天津市宏达物流有限公司", "王芳", "13698765432", "电话", "B", 1),
        (4, "天津市宏达物流有限公司", "王芳", "13698765432", "电话", "B", 1),
        (5, "天津滨海新区鑫源化工有限公司", "赵刚", "02258761234", "面访", "B", 1),
        (6, "天津市津南区永兴五金厂", "孙立", "13511112222", "电话", "B", 3)]
    assert project.query("select file, row_number, column_name, reason from rejects") == [
        (LOG_FILE, 2, "联系人", "联系人没有填写（必填）")]
    assert project.query("select customer_name, phone from activities where source_file = '日志表_张三_20261125.xlsx'") == [
        ("天津市河东区丰华印刷厂", "13722223333")]
    assert project.query("select name from customers where name like '%宏达%'") == [("天津市宏达物流有限公司",)]
    assert project.scalar("select count(*) from customers where contains(name, ?) or contains(contact, ?)", [z, z]) == 0


def test_accepted_rows_keep_the_text_as_written_beside_the_cleaned_value(project):
    project.add_roster()
    project.add(LOG_FILE, [LOG_HEADER, log_row(customer="<script>alert(1)</script>天津锦程物流有限公司", contact="刘明",
                                               phone="022-2345 6789")])
    project.ingest()
    assert project.query("select customer_name, contact, phone, customer_name_written, contact_written, phone_written "
                         "from activities") == [
        ("<script>alert（1）</script>天津锦程物流有限公司", "刘明", "02223456789",
         "<script>alert(1)</script>天津锦程物流有限公司", None, "022-2345 6789")]  # None: as stored
    assert project.scalar("select coalesce(contact_written, contact) from activities") == "刘明"


# ---------------------------------------------------------------- 10_example_and_hint_rows

TEMPLATE_HEADER = ["序号", "客户名称", "联系人", "联系电话", "地址", "客户类别", "联系方式", "推介业务", "跟进状态", "结果", "备注"]
HINTS = ["必填，格式2026-11-25", "必填", "必填，写全称", "必填", "必填，手机或带区号座机", None, "下拉选择", "必填，下拉选择",
         "填1-7", "下拉选择"]


@pytest.mark.parametrize("marker, note", [("示例", "此行为填写示例，请勿删除"), ("样例", None), ("填写示例", None)])
def test_template_example_and_hint_rows_are_skipped_and_recorded_not_data(project, marker, note):
    project.add_roster()
    template = project.add("销售日志表_张三.xlsx", [
        ["销售日志表"],
        ["业务员：张三", None, None, "日期：2026年11月26日"],
        TEMPLATE_HEADER,
        [marker, "天津XX科技有限公司", "张经理", "13800000000", "天津市南开区XX路88号", "B", "电话", "企业内训", "1.初次沟通",
         "继续跟进", note],
        [1, "天津市恒远机电设备有限公司", "刘明", "13812345678", "天津市河西区友谊路12号", "B", "电话", "企业内训", "1.初次沟通",
         "继续跟进", None],
        [2, "天津市宏达物流有限公司", "王芳", "13698765432", "天津市河北区中山路5号", "C", "面访", "拓展培训", "2.详细沟通",
         "继续跟进", None]], sheet="日志", merged=["A1:K1"])
    hinted = project.add("日志表_张三_20261125.xlsx", [LOG_HEADER, HINTS, log_row(
        day=D - dt.timedelta(days=1), customer="天津市津南区永兴五金厂", contact="孙立", phone="13511112222")], sheet="日志")
    hashes = {template.name: sha256(template), hinted.name: sha256(hinted)}
    summary = project.ingest()
    assert sorted(project.query("select source_file, source_row, customer_name from activities")) == sorted([
        (hinted.name, 3, "天津市津南区永兴五金厂"),
        ("销售日志表_张三.xlsx", 5, "天津市恒远机电设备有限公司"), ("销售日志表_张三.xlsx", 6, "天津市宏达物流有限公司")])
    assert sorted(project.query("select name from customers")) == sorted([
        ("天津市津南区永兴五金厂",), ("天津市恒远机电设备有限公司",), ("天津市宏达物流有限公司",)])
    assert project.query("select file, row_number, column_name, value, reason from rejects") == []
    skipped = {(file, row): (sheet, reason, file_hash, run) for file, sheet, row, reason, file_hash, run in
               project.query("select file, sheet, row_number, reason, file_sha256, run_id from skipped_rows")}
    example, hint = skipped[(template.name, 4)], skipped[(hinted.name, 2)]  # other skipped rows (titles…) may be there
    assert example[0] == hint[0] == "日志" and example[3] == hint[3] == summary.run_id
    assert (example[2], hint[2]) == (hashes[template.name], hashes[hinted.name])
    assert re.search("示例|样例", example[1]) and re.search("提示|必填", hint[1]), (example, hint)


# ---------------------------------------------------------------- 11_sheet_level_rejects


def test_the_printed_summary_lists_every_sheet_not_read_and_why(project, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # rich wraps long cells at the terminal width
    shops = [["店名", "地址", "联系人", "电话"],
             ["惠万家便利店", "湛江市赤坎区南桥路12号", "黄 丽", 13712345678],
             ["鸿运商行", "湛江市霞山区海滨大道88号", "吴先生", "13612345678"]]
    project.add_roster()
    project.add("客户资料.xlsx", shops)
    project.add(LOG_FILE, [LOG_HEADER, log_row()], sheet="日志", extra_sheets={"通讯录": shops})
    assert main(["ingest", "--config", str(project.root / "config" / "salespipe.toml")]) == 0
    out = capsys.readouterr().out
    not_read = project.query("select file, sheet, reason from rejects where row_number is null order by file")
    assert sorted((f, s) for f, s, _ in not_read) == sorted([("客户资料.xlsx", "Sheet1"), (LOG_FILE, "通讯录")])
    for file, sheet, reason in not_read:
        why = re.split("[，（]", reason.split("：", 1)[-1])[0]  # 工作表…未读取：<why>，…（how to fix）
        assert file in out, out
        assert any(sheet in line and why in line for line in out.splitlines()), out
    assert project.scalar("select count(*) from activities") == 1


# ---------------------------------------------------------------- 16_amount_units


def test_a_cell_that_states_its_unit_wins_over_the_unit_in_the_header(project):
    # a currency sign or name before the number states yuan as 元 after it does (a fresh helper's ￥12800 was stored
    # as 128,000,000.00)
    customers = ["天津市恒远机电设备有限公司", "天津市宏达物流有限公司", "天津滨海新区鑫源化工有限公司", "天津市津南区永兴五金厂",
                 "天津市河东区丰华印刷厂", "天津锦程物流有限公司", "天津市泰和包装有限公司", "天津市瑞丰建材有限公司"]
    written = [(1.28, 0.64), ("12800元", "6400元"), ("1.28万元", "0.64万元"), ("12,800元", "6,400元"),
               ("１２８００元", "６４００元"), ("1.28", "0.64"), ("￥12800", "¥6,400"), ("人民币 12800", "RMB6400")]
    project.add_roster()
    project.add(LOG_FILE, [LOG_HEADER, *[log_row(customer=c, phone=f"1381234567{i}") for i, c in enumerate(customers)]])
    header = ["签单日期", "业务员", "客户名称", "业务类型", "合同金额（万元）", "已回款（万元）", "约定回款日期"]
    project.add("销售业绩登记表_张三_202611.xlsx", [header, *[[D, "张三", c, "企业内训", amount, paid, "2026-12-31"]
                                                          for c, (amount, paid) in zip(customers, written)]])
    project.ingest()
    assert project.query("select source_row, amount, paid from orders order by source_row") == [
        (row, Decimal("12800.00"), Decimal("6400.00")) for row in range(2, 10)]
    assert project.query("select * from rejects") == []


# ---------------------------------------------------------------- a percentage format (issue 14: what Excel shows)


def test_a_score_shown_as_a_percentage_is_read_as_excel_shows_it(project, tmp_path):
    import xlwt

    project.add_roster()
    header = ["检查日期", "业务员", "总得分", "检查人"]
    path = project.add("日常业务检查记录_20261126.xlsx", [header, [D, "张三", 0.95, "吴经理"], [D, "李四", 0.875, "吴经理"]])
    book = openpyxl.load_workbook(path)
    book.active["C2"].number_format = "0%"  # built-in format 9: shows 95%
    book.active["C3"].number_format = "0.0%"  # a custom format: shows 87.5%
    book.save(path)
    legacy = xlwt.Workbook()
    sheet = legacy.add_sheet("检查")
    for c, text in enumerate(header):
        sheet.write(0, c, text)
    sheet.write(1, 0, "2026-11-25")
    sheet.write(1, 1, "张三")
    sheet.write(1, 2, 0.9, xlwt.easyxf(num_format_str="0%"))
    legacy.save(str(project.inbox / "日常业务检查记录_20261125.xls"))
    project.ingest()
    # by hand: 0.95 shown as 95%, 0.875 as 87.5%, 0.9 as 90% — the 100-point score a person reads
    assert project.query("select salesperson_id, total_score from inspections order by salesperson_id, total_score") == [
        ("S001", 90.0), ("S001", 95.0), ("S002", 87.5)]
