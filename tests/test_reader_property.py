"""Property: random 销售日志表 rows, every value written in a form that input-sheets.md tolerates, put in
a real workbook (.xlsx by openpyxl or .xls by xlwt) and read back through `read_batch`, come back as the
values that were meant — row for row, with no problems.

Each expected value is the canonical value drawn *before* it was rendered in a written form (draw the
method 电话, then write it as 电访 or ' tel '); nothing here calls the parsers under test.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import xlwt
from hypothesis import HealthCheck, given, settings, strategies as st

from salespipe.ingest.batch import Batch, read_batch

EXCEL_EPOCH = dt.date(1899, 12, 30)
AREA_CODE = "022"  # the run's default area code: a bare 8-digit landline is in Tianjin

# ---------------------------------------------------------------- how a typed text reaches the cell


def fullwidth(text: str) -> str:
    """ASCII as the full-width characters a Chinese input method types (１２３, ｔｅｌ, （）, 　)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


# Text is typed as it is, padded with spaces, in full width, or with invisible characters (zero-width
# space, BOM, no-break space) that input-sheets.md says count as whitespace. The first is the simplest.
PADDINGS = {
    "as typed": lambda t: t,
    "spaces": lambda t: f" {t} ",
    "ideographic space": lambda t: f"\u3000{t}\u3000",
    "full width": fullwidth,
    "full width, spaces": lambda t: f" {fullwidth(t)}\u3000",
    "no-break spaces": lambda t: f"\u00a0{t}\u00a0",
    "zero-width space before": lambda t: f"\u200b{t}",
    "zero-width space after": lambda t: f"{t}\u200b",
    "BOM before": lambda t: f"\ufeff{t}",
    "all invisibles": lambda t: f"\u00a0\u200b{t}\ufeff ",
}


class Picks:
    """A row's many small choices read from one drawn byte string: one hypothesis draw per row keeps
    10,000 rows fast, and hypothesis shrinks each byte toward 0, i.e. each choice toward its first,
    simplest option (a byte past the end counts as 0)."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def __call__(self, options, width: int = 1):
        """One of `options`, read from the next `width` bytes (2 for a day of the year, 4 for 10**9 numbers)."""
        chunk = self.data[self.at:self.at + width]
        self.at += width
        return options[int.from_bytes(chunk, "big") % len(options)]

    def written(self, forms: list):
        """One of the forms a value may be written in; a text form is then padded."""
        value = self(forms)
        return PADDINGS[self(list(PADDINGS))](value) if isinstance(value, str) else value


ROW_CHOICES = st.binary(min_size=30, max_size=30)  # the most one row uses (with a date and a mobile)


# ---------------------------------------------------------------- values and their written forms


def date_forms(d: dt.date) -> list:
    """A date cell, serial numbers and every text form of input-sheets.md (月日 needs the year elsewhere)."""
    serial = (d - EXCEL_EPOCH).days
    return [
        d, serial, float(serial), int(f"{d:%Y%m%d}"),
        f"{d:%Y-%m-%d}", f"{d.year}-{d.month}-{d.day}", f"{d.year}/{d.month}/{d.day}", f"{d:%Y/%m/%d}",
        f"{d:%Y.%m.%d}", f"{d.year}年{d.month}月{d.day}日", f"{d:%Y年%m月%d日}", f"{d:%Y%m%d}",
        f"{d.month}月{d.day}日",
    ]


def scientific(digits: str, e: str = "E") -> str:
    """The digits in exact scientific notation, as a text cell holds a number a program once wrote so:
    `1.3800138E10` (shortest form, no '+': nothing rounded) or `1.3800138000E+10` (every digit there).
    Excel's display form `1.38001E+10` has lost digits and is rejected by the spec, so it is not drawn."""
    if e.endswith("+"):
        return f"{digits[0]}.{digits[1:]}{e}{len(digits) - 1}"
    return f"{digits[0]}.{digits[1:].rstrip('0')}{e}{len(digits) - 1}"


def mobile_forms(m: str) -> list:
    return [m, int(m), float(m), f"{m[:3]}-{m[3:7]}-{m[7:]}", f"{m[:3]} {m[3:7]} {m[7:]}", f"+86 {m}",
            f"+86{m}", scientific(m), scientific(m, "e"), scientific(m, "E+")]


def landline_forms(area: str, local: str) -> list:
    dropped = area[1:] + local  # the number Excel kept when the leading 0 was typed into a numeric cell
    forms = [f"{area}-{local[:4]} {local[4:]}", f"({area}){local}", f"（{area}）{local}", f"{area}{local}",
             f"{area}-{local}", int(dropped), float(dropped), scientific(dropped), scientific(dropped, "E+")]
    if area == AREA_CODE:
        forms += [local, int(local)]  # a bare 8-digit landline is in the default area
    return forms


AREAS = ("022", "010", "021", "0755", "0571")


def phone(pick: Picks) -> tuple[str, object]:
    """(the normal form: digits, landlines with their area code; the cell as written)."""
    if pick((True, False)):
        number = f"1{pick(range(3, 10))}{pick(range(10**9), 4):09d}"
        return number, pick.written(mobile_forms(number))
    area = pick(AREAS)
    local = f"{pick(range(2, 8))}{pick(range(10**7), 3):07d}"
    return area + local, pick.written(landline_forms(area, local))


def spellings(table: dict[str, list]) -> list[tuple[str, object]]:
    """(canonical, written) for every accepted spelling: one draw picks both."""
    return [(canonical, spelling) for canonical, written_as in table.items() for spelling in [canonical, *written_as]]


# input-sheets.md's lists (canonical ← accepted), with the case and number-cell variants they imply
METHODS = spellings({"电话": ["电访", "打电话", "tel", "TEL", "Tel"], "传真": ["fax", "FAX"],
                     "E-mail": ["email", "EMAIL", "e-mail", "邮件", "电邮", "发邮件"], "面访": ["拜访", "面谈", "上门"]})
RESULTS = spellings({"签单": [1, "1", "成交", "已签"], "继续跟进": [2, "2", "跟进中"], "丢单": [3, "3", "失败", "放弃"],
                     "未跟进": [4, "4"]})
CLASSES = spellings({c: [c.lower(), f"{c}类", f"{c.lower()}类"] for c in ("A", "A1", "B", "B1", "C")})
INDUSTRIES = spellings({"生产制造": ["制造", "生产", "制造业"], "销售": [], "贸易": [], "服务": ["服务业"], "其他": []})
SOURCES = spellings({"网络打入": ["网络", "网上", "400来电"], "关系客户": ["关系", "转介绍"], "电话开发": ["陌拜", "电话陌生开发"]})
STAGE_NAMES = {1: "初次沟通/介绍情况/发资料/已报价", 2: "详细沟通/面谈/制作方案或提纲", 3: "已发方案或提纲",
               4: "方案或提纲修改", 5: "方案敲定/后期细节协调", 6: "最后价格确定/促成订单", 7: "签订订单"}
STAGES = spellings({n: [float(n), str(n), f"{n}.{name.split('/')[0]}", name, *name.split("/")]
                    for n, name in STAGE_NAMES.items()})

PEOPLE = ("张三", "李四", "王五", "赵六", "孙七", "郑十", "欧阳娜娜", "周杰", "吴明月")  # 周 and 月 are common in names
CONTACTS = ("王经理", "李总", "刘女士", "陈工", "赵红", "孙明", "马丽", "高先生")
CUSTOMERS = ("天津市格致企业管理咨询有限公司", "天津滨海机械制造厂", "北京华通商贸有限公司", "南开大学",
             "天津市第一中心医院", "航瑞5G通信技术（天津）有限公司", "天津信达物流集团", "河西区永兴五金商行",
             "天津市和平区职业技能培训学校", "中国银行天津分行")


# ---------------------------------------------------------------- the columns of the sheet

@dataclass(frozen=True)
class Col:
    field: str
    labels: tuple[str, ...]  # the canonical header and the aliases of input-sheets.md


DATE = Col("activity_date", ("日期", "联系日期", "跟进日期", "日期/Date"))
PERSON = Col("salesperson_name", ("业务员", "销售员", "销售人员", "业务代表"))
REQUIRED = (
    Col("customer_name", ("客户名称", "公司名称", "客户全称", "单位名称")),
    Col("contact", ("联系人", "联系人姓名", "客户联系人")),
    Col("phone", ("联系电话", "电话", "手机", "联系方式(电话)", "固话")),
    Col("customer_class", ("客户类别", "客户类型", "客户等级", "类别")),
    Col("method", ("联系方式", "沟通方式", "跟进方式", "方式")),
    Col("result", ("结果", "跟进结果")),
)
OPTIONAL = (
    Col("industry", ("行业", "客户行业", "所属行业")),
    Col("source", ("客户来源", "来源")),
    Col("stage", ("跟进状态", "跟进情况", "进度", "阶段")),
)
COMPARED = ("activity_date", "salesperson_name", *(c.field for c in REQUIRED + OPTIONAL))
ENUMS = {"customer_class": CLASSES, "method": METHODS, "result": RESULTS, "industry": INDUSTRIES,
         "source": SOURCES, "stage": STAGES}

DECORATIONS = ("{}", "{}（必填）", "{}(必填)", "*{}", "{}*", "＊{}")
LABEL_NOISE = {  # spaces and invisible characters inside and around a header label
    "none": lambda t: t,
    "space inside": lambda t: f"{t[:1]} {t[1:]}",
    "ideographic spaces around": lambda t: f"\u3000{t}\u3000",
    "no-break space inside": lambda t: f"{t[:1]}\u00a0{t[1:]}",
    "zero-width space inside": lambda t: f"{t[:1]}\u200b{t[1:]}",
    "BOM before": lambda t: f"\ufeff{t}",
    "zero-width space after": lambda t: f"{t}\u200b",
}


@st.composite
def header_label(draw, col: Col) -> str:
    label = draw(st.sampled_from(DECORATIONS)).format(draw(st.sampled_from(col.labels)))
    return LABEL_NOISE[draw(st.sampled_from(list(LABEL_NOISE)))](label)


# ---------------------------------------------------------------- one sheet


@dataclass
class LogSheet:
    """A workbook as written: its file name and format, the cells (None = empty), the merged ranges
    (row0, col0, row1, col1, inclusive, 0-based), and per data row the values meant and its Excel row."""
    file_name: str
    grid: list[list]
    merges: list[tuple[int, int, int, int]]
    expected: list[dict]


def data_row(pick: Picks, cols: list[Col], year: int) -> tuple[dict, dict]:
    """(field → cell as written, field → value meant) for one contact."""
    cells, meant = {}, {}
    for col in cols:
        if col is DATE:
            meant[col.field] = dt.date(year, 1, 1) + dt.timedelta(days=pick(range(365), 2))
            cells[col.field] = pick.written(date_forms(meant[col.field]))
        elif col.field in ENUMS:
            meant[col.field], spelling = pick(ENUMS[col.field])
            cells[col.field] = pick.written([spelling])
        elif col.field == "phone":
            meant[col.field], cells[col.field] = phone(pick)
        else:
            names = {"salesperson_name": PEOPLE, "customer_name": CUSTOMERS, "contact": CONTACTS}[col.field]
            meant[col.field] = pick(names)
            cells[col.field] = pick.written([meant[col.field]])
    return cells, meant


@st.composite
def file_name_and_titles(draw, person_from: str, date_from: str, person: str | None, day: dt.date) -> tuple:
    """(the file name, the title rows above the header): what the sheet says once — the salesperson,
    the date, or the year that 9月1日 needs — in a title cell or the file name."""
    year_from = draw(st.sampled_from(("title", "file name")))
    name_parts = ["日志表"]
    if person_from == "file name":
        name_parts.append(person)
    if date_from == "file name":
        name_parts.append(f"{day:%Y%m%d}")
    elif year_from == "file name":
        name_parts.append(draw(st.sampled_from((f"{day.year}年{day.month}月", f"{day.year}年", f"{day.year}"))))
    titles = []
    if person_from == "title":
        titles.append(draw(st.sampled_from(("业务员：{}", "业务员: {}", "销售员：{}"))).format(person))
    if date_from == "title":
        titles.append(draw(st.sampled_from((f"日期：{day:%Y-%m-%d}", f"日期：{day.year}年{day.month}月{day.day}日",
                                            f"日期：{day.year}/{day.month}/{day.day}", f"日期：{day:%Y%m%d}"))))
    elif date_from == "column" and year_from == "title":
        titles.append(draw(st.sampled_from((f"日期：{day.year}年{day.month}月", f"{day.year}年{day.month}月 销售日志表"))))
    rows = [[t] for t in titles]
    if len(titles) == 2 and draw(st.booleans()):  # both in one cell, or in two cells of one row
        rows = [[f"{titles[0]}  {titles[1]}"]] if draw(st.booleans()) else [titles]
    if draw(st.booleans()):
        rows = [["销售日志表"], [], *rows]
    return "_".join(name_parts) + draw(st.sampled_from((".xlsx", ".xls"))), rows


@st.composite
def header_rows(draw, labels: list[str], left: int, top: int) -> tuple[list[list], list[tuple]]:
    """(the header rows, their merges): one row, or two where a group label (客户信息) is merged over a
    run of columns and every other label is merged down over both rows."""
    width = left + len(labels)
    if not draw(st.booleans()) or len(labels) < 3:
        return [[None] * left + labels], []
    start = draw(st.integers(0, len(labels) - 2))
    end = draw(st.integers(start + 1, len(labels) - 1))
    upper, lower, merges = [None] * width, [None] * width, []
    for i, label in enumerate(labels):
        if start <= i <= end:
            lower[left + i] = label
        else:
            upper[left + i] = label
            merges.append((top, left + i, top + 1, left + i))
    upper[left + start] = draw(st.sampled_from(("客户信息", "客户资料", "联系情况")))
    merges.append((top, left + start, top, left + end))
    return [upper, lower], merges


@st.composite
def log_sheets(draw, max_rows: int = 200) -> LogSheet:
    """A 销售日志表 of 1..max_rows contacts: title rows, blank columns to the left, a one- or two-row
    header in a random column order, blank rows in the body, maybe a 合计 row and a note under it."""
    person_from = draw(st.sampled_from(("column", "title", "file name")))
    date_from = draw(st.sampled_from(("column", "title", "file name")))
    person = None if person_from == "column" else draw(st.sampled_from(PEOPLE))
    day = dt.date(draw(st.integers(2020, 2030)), draw(st.integers(1, 12)), draw(st.integers(1, 28)))
    cols = [*([DATE] if date_from == "column" else []), *([PERSON] if person_from == "column" else []),
            *REQUIRED, *(c for c in OPTIONAL if draw(st.booleans()))]
    cols = draw(st.permutations(cols))
    file_name, title_rows = draw(file_name_and_titles(person_from, date_from, person, day))

    left = draw(st.integers(0, 2))
    grid: list[list] = [[None] * left + row for row in title_rows]
    wide_titles = draw(st.booleans())  # a one-cell title merged across the table
    merges = [(r, left, r, left + len(cols) - 1) for r, row in enumerate(title_rows) if len(row) == 1 and wide_titles]
    header, header_merges = draw(header_rows([draw(header_label(c)) for c in cols], left, len(grid)))
    grid += header
    merges += header_merges

    count = draw(st.integers(1, max_rows))
    rows = [data_row(Picks(data), cols, day.year) for data in draw(st.lists(ROW_CHOICES, min_size=count, max_size=count))]
    blanks = draw(st.sets(st.integers(0, count - 1), max_size=3))
    expected = []
    for i, (cells, meant) in enumerate(rows):
        grid.append([None] * left + [cells[c.field] for c in cols])
        meant.setdefault("activity_date", day)  # from the title or the file name
        meant.setdefault("salesperson_name", person)
        expected.append({**dict.fromkeys(COMPARED), **meant, "source_row": len(grid)})
        if i in blanks:
            grid.append([])
    if draw(st.booleans()):
        grid += [[None] * left + ["合计", None, f"{count}条"], [], ["注：本表每日17:30前交客户信息管理员"]]
    return LogSheet(file_name, grid, merges, expected)


# ---------------------------------------------------------------- writing real workbooks


def write_xlsx(sheet: LogSheet, path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r, row in enumerate(sheet.grid, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value)  # text stays text (none of it starts with =)
    for r0, c0, r1, c1 in sheet.merges:
        ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    wb.save(path)


def write_xls(sheet: LogSheet, path: Path) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    merged = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in sheet.merges}
    covered = {(r, c) for r0, c0, r1, c1 in sheet.merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    for r, row in enumerate(sheet.grid):
        for c, value in enumerate(row):
            style = date_style if isinstance(value, dt.date) else xlwt.Style.default_style
            if (r, c) in merged:
                ws.write_merge(r, merged[r, c][0], c, merged[r, c][1], value if value is not None else "", style)
            elif value is not None and (r, c) not in covered:
                ws.write(r, c, value, style)
    book.save(str(path))


def read_back(sheet: LogSheet) -> tuple[list[dict], Batch]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / sheet.file_name
        (write_xls if path.suffix == ".xls" else write_xlsx)(sheet, path)
        batch = read_batch([path], set(), AREA_CODE, 30)
    return batch.records.get("log", []), batch


# ---------------------------------------------------------------- the property


# about 10,000 rows a run (115 workbooks of 1-200 rows); writing and reading them takes a few seconds
@settings(max_examples=115, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log_sheets())
def test_every_tolerated_form_reads_back_as_the_value_meant(sheet):
    records, batch = read_back(sheet)
    assert [r["source_row"] for r in records] == [w["source_row"] for w in sheet.expected], batch.sheet_rejects
    for got, want in zip(records, sheet.expected):
        row = f"row {want['source_row']}: {got['problems']}"
        # one line per field, so that hypothesis reports (and shrinks) each kind of failure apart
        assert got["activity_date"] == want["activity_date"], row
        assert got["salesperson_name"] == want["salesperson_name"], row
        assert got["customer_name"] == want["customer_name"], row
        assert got["contact"] == want["contact"], row
        assert got["phone"] == want["phone"], row
        assert got["customer_class"] == want["customer_class"], row
        assert got["method"] == want["method"], row
        assert got["result"] == want["result"], row
        assert got["industry"] == want["industry"], row
        assert got["source"] == want["source"], row
        assert got["stage"] == want["stage"], row
        assert got["problems"] == [], row
