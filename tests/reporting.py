"""A small hand-built month for the report tests (every expected figure is worked out in test_reports.py)."""
import datetime as dt
from html.parser import HTMLParser

from conftest import LOG_HEADER, log_row

SUN, MON = dt.date(2026, 11, 22), dt.date(2026, 11, 23)
EARLIER = dt.date(2026, 11, 20)
A, B, C = "天津甲有限公司", "天津乙有限公司", "天津丙有限公司"
SCRIPT = "<script>alert(1)</script>科技有限公司"
FORMULA = "=cmd|' /C calc'!A0有限公司"


def build(project):
    project.add_roster()
    project.add("张三_1120.xlsx", [LOG_HEADER, log_row(EARLIER, "张三", SCRIPT, phone="13700000001", contact="赵"),
                                  log_row(EARLIER, "张三", FORMULA, phone="13700000002", contact="钱")])
    project.add("张三_1122.xlsx", [LOG_HEADER, log_row(SUN, "张三", C, method="电话")])
    project.add("张三_1123.xlsx", [LOG_HEADER,
        log_row(MON, "张三", A, cls="B", method="电话"), log_row(MON, "张三", A, cls="B", method="面访"),
        log_row(MON, "张三", B, cls="C", method="E-mail", result="丢单"), log_row(MON, "张三", B, method="飞鸽")])
    project.add("李四_1123.xlsx", [LOG_HEADER, log_row(MON, "李四", A, cls="B", method="电话", stage="7", result="签单")])
    project.add("orders.xlsx", [["签单日期", "业务员", "客户名称", "业务类型", "合同金额", "已回款", "约定回款日期"],
                                [EARLIER, "张三", SCRIPT, "咨询", 8000, 3000, "2026-11-21"]])
    project.ingest(now=dt.datetime(2026, 11, 23, 18, 0))
    return project


class Tables(HTMLParser):
    """The text of every cell of every <table id=…>, row by row; a cell that opens (<details>) reads as its
    <summary>, the figure the table shows."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current = None
        self.cell = None
        self.hidden = 0  # inside a <details> but not in its <summary>
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "details":
            self.hidden += 1
        elif tag == "summary":
            self.hidden -= 1
        elif tag == "table":
            self.current = dict(attrs).get("id")
            self.tables[self.current] = []
        elif tag == "tr" and self.current:
            self.tables[self.current].append([])
        elif tag in ("td", "th") and self.current:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "details":
            self.hidden -= 1
        elif tag == "summary":
            self.hidden += 1
        elif tag in ("td", "th") and self.cell is not None and self.current:
            self.tables[self.current][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None and not self.hidden:
            self.cell.append(data)
