"""`salespipe demo`: a realistic, seeded month of a sales team's workbooks, then ingested.

The files are made the way people make them: title rows, two-row merged headers, merged date
cells, header aliases, 合计 rows and notes, .xls from old offices, names typed in several ways, a
few faulty rows and files, and one corrected resubmission.
"""
from __future__ import annotations

import calendar
import datetime as dt
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
from faker import Faker

from salespipe.config import Config

DISTRICTS = ["和平区", "河西区", "南开区", "河东区", "河北区", "红桥区", "东丽区", "西青区", "津南区", "北辰区", "滨海新区"]
INDUSTRY_WORDS = {"生产制造": ["机械", "电子", "化工", "制药", "汽车配件", "食品"], "销售": ["商贸", "营销"],
                  "贸易": ["进出口", "国际贸易"], "服务": ["物流", "信息技术", "物业服务", "餐饮管理"], "其他": ["科技"]}
FORMS = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司", "厂"]
BUSINESS = ["管理咨询", "企业内训", "拓展培训", "认证", "公开课"]
DETAILS = {"管理咨询": ["绩效体系", "组织架构", "薪酬设计"], "企业内训": ["中层管理", "销售技巧", "时间管理"],
           "拓展培训": ["团队建设"], "认证": ["ISO9001", "ISO14001"], "公开课": ["执行力", "卓越班组长"]}
METHOD_SPELLINGS = {"电话": ["电话", "电话", "电话", "电访", "打电话"], "传真": ["传真", "fax"],
                    "E-mail": ["E-mail", "邮件", "email", "发邮件"], "面访": ["面访", "拜访", "上门"]}
LOG_HEADERS = [
    ["日期", "业务员", "客户名称", "联系人", "联系电话", "地址", "行业", "客户类别", "客户来源", "联系方式", "推介业务",
     "客户需求", "跟进状态", "结果", "维护记录", "备注"],
    ["联系日期", "销售员", "公司名称", "联系人姓名", "电话", "公司地址", "所属行业", "客户等级", "来源", "沟通方式",
     "主要洽谈内容", "需求", "跟进情况", "跟进结果", "客户维护", "说明"],
    ["日期（必填）", "业务员*", "客户全称", "客户联系人", "手机", "详细地址", "客户行业", "类别", "客户来源", "跟进方式",
     "推介业务类型", "客户需求", "进度", "结果", "维护记录", "备注"],
]


@dataclass
class Person:
    staff_no: str
    name: str
    role: str
    hired: dt.date
    left: dt.date | None = None
    specialties: list[str] = field(default_factory=list)
    customers: list[dict] = field(default_factory=list)
    email: str = ""


class DemoMonth:
    """Generates the workbooks of one month; every choice comes from one seeded Random."""

    def __init__(self, seed: int, month: dt.date, salespeople: int, rows_per_day: tuple[int, int] = (6, 14)):
        self.rows_per_day = rows_per_day
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.month = month
        self.days = [month.replace(day=d) for d in range(1, calendar.monthrange(month.year, month.month)[1] + 1)
                     if month.replace(day=d).weekday() < 5]
        self.trades: set[str] = set()
        self.people = self._people(salespeople)
        self.orders: list[list] = []
        self.stage: dict[str, int] = {}

    # ------------------------------------------------------------ the team and its customers

    def _people(self, n: int) -> list[Person]:
        people = []
        names = set()
        for i in range(n):
            name = self.fake.name()
            while name in names:
                name = self.fake.name()
            names.add(name)
            people.append(Person(f"S{101 + i:03d}", name, self.rng.choice(["CC", "CC", "KAE"]),
                                 self.month - dt.timedelta(days=self.rng.randint(60, 900)),
                                 specialties=self.rng.sample(BUSINESS, self.rng.randint(1, 2)),
                                 email=f"s{101 + i}@example.com"))
        people[-1].name = people[-2].name  # two people share a name: told apart by 工号
        people[-3].left = self.days[len(self.days) // 2]  # one leaves in the middle of the month
        for person in people:
            person.customers = [self._customer() for _ in range(self.rng.randint(18, 30))]
        return people

    def _customer(self) -> dict:
        industry = self.rng.choice(list(INDUSTRY_WORDS))
        word = self.rng.choice(INDUSTRY_WORDS[industry])
        trade = self.fake.company_prefix()
        while trade in self.trades:  # a registered 字号 is unique in its city
            trade = self.fake.company_prefix()[:1] + self.fake.first_name()[-1:] + self.fake.company_prefix()[-1:]
        self.trades.add(trade)
        region = self.rng.choice(["天津市", "天津市", "天津", ""])
        name = f"{region}{trade}{word}{self.rng.choice(FORMS)}"
        mobile = self.rng.random() < 0.6
        phone = f"1{self.rng.choice('3578')}{self.rng.randint(0, 999999999):09d}" if mobile else \
            f"{self.rng.randint(2, 8)}{self.rng.randint(0, 9999999):07d}"
        street = self.fake.street_name()
        return {"name": name, "trade": trade, "word": word, "contact": self.fake.name(), "phone": phone, "mobile": mobile,
                "address": f"天津市{self.rng.choice(DISTRICTS)}{street}{self.rng.randint(1, 300)}号",
                "industry": industry, "class": self.rng.choice(["A", "A1", "B", "B", "B1", "B1", "C", "C", "C"]),
                "source": self.rng.choice(["网络打入", "关系客户", "电话开发", "网上", "转介绍", "陌拜"]),
                "business": self.rng.choice(BUSINESS)}

    def spelling(self, c: dict) -> str:
        """How a salesperson happens to type the name today."""
        roll = self.rng.random()
        if roll < 0.80:
            return c["name"]
        if roll < 0.88:
            return c["name"].replace("有限公司", " 有限公司")
        if roll < 0.94:
            return c["name"].replace("天津市", "天津").replace("（", "(")
        return f"天津{c['trade']}{c['word'][:2]}"  # a short, 非全称 name: 天津格致咨询

    def phone_text(self, c: dict):
        p = c["phone"]
        if c["mobile"]:
            return self.rng.choice([p, p, int(p), f"{p[:3]} {p[3:7]} {p[7:]}", f"+86 {p}"])
        return self.rng.choice([f"022-{p}", f"(022){p}", p, f"022-{p[:4]} {p[4:]}", int("22" + p), f"+86 22 {p}"])

    # ------------------------------------------------------------ one salesperson's day

    def day_rows(self, person: Person, day: dt.date) -> list[dict]:
        rows = []
        count = self.rng.randint(*self.rows_per_day)
        picks = self.rng.sample(person.customers, count) if count <= len(person.customers) else \
            self.rng.choices(person.customers, k=count)
        for c in picks:
            key = c["name"]
            stage = min(7, self.stage.get(key, 0) + (1 if self.rng.random() < 0.35 else 0)) or 1
            self.stage[key] = stage
            result = "签单" if stage == 7 else ("丢单" if self.rng.random() < 0.04 else "继续跟进")
            if result == "丢单":
                self.stage[key] = 0
            method = self.rng.choices(list(METHOD_SPELLINGS), weights=[60, 5, 15, 20])[0]
            business = c["business"]
            rows.append({"day": day, "person": person.name, "staff_no": person.staff_no, "customer": self.spelling(c),
                         "contact": c["contact"], "phone": self.phone_text(c), "address": c["address"],
                         "industry": c["industry"], "class": c["class"], "source": c["source"],
                         "method": self.rng.choice(METHOD_SPELLINGS[method]),
                         "business": f"{business}+{self.rng.choice(DETAILS[business])}",
                         "need": business, "stage": self.rng.choice([stage, str(stage), f"{stage}.{STAGE_WORD[stage]}"]),
                         "result": result, "maintenance": self.rng.choice(["", "", "", "赠书《执行力》", "节日礼品"]),
                         "note": ""})
            if result == "签单":
                self.stage[key] = 2
                amount = self.rng.choice([8000, 12800, 26000, 45000, 68000, 120000])
                self.orders.append([day, person.name, person.staff_no, c["name"], business, amount,
                                    round(amount * self.rng.uniform(0.3, 0.6), 2),
                                    self.rng.choice([0, amount // 2, amount]),
                                    day + dt.timedelta(days=self.rng.choice([15, 30, 45])),
                                    self.rng.randint(10, 60)])
        self._spoil(rows)
        return rows

    def _spoil(self, rows: list[dict]) -> None:
        """A few rows with the mistakes people make."""
        for row in rows:
            roll = self.rng.random()
            if roll < 0.012:
                row["phone"] = ""
            elif roll < 0.020:
                row["method"] = "微信"
            elif roll < 0.026:
                row["contact"] = ""
            elif roll < 0.030:
                row["stage"] = "9"
            elif roll < 0.034:
                row["result"], row["stage"] = "签单", 3


STAGE_WORD = {1: "初次沟通", 2: "详细沟通", 3: "已发方案", 4: "方案修改", 5: "方案敲定", 6: "价格确定", 7: "签订订单"}
FIELDS = ["day", "person", "customer", "contact", "phone", "address", "industry", "class", "source", "method",
          "business", "need", "stage", "result", "maintenance", "note"]


def _date_text(rng: random.Random, day: dt.date):
    return rng.choice([day, day, day, day.isoformat(), day.strftime("%Y/%m/%d"), f"{day.year}年{day.month}月{day.day}日",
                       f"{day.month}月{day.day}日", day.strftime("%Y%m%d")])


def write_log(gen: DemoMonth, person: Person, day: dt.date, rows: list[dict], folder: Path, suffix: str = "") -> Path:
    """One salesperson's day, in one of several hand-made layouts."""
    rng = gen.rng
    layout = rng.choice(["plain", "title", "two_rows", "merged_date", "plain", "title"])
    header = rng.choice(LOG_HEADERS)
    with_staff_no = person.name == gen.people[-1].name  # the two who share a name write their 工号
    who = f"{person.name}_{person.staff_no}" if with_staff_no else person.name
    stem = f"日志表_{who}_{day.strftime('%Y%m%d')}{suffix}"
    if rng.random() < 0.1 and layout != "two_rows":
        return _write_xls(folder / f"{stem}.xls", header, rows, person, with_staff_no)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"{day.month}月{day.day}日"
    keep = list(range(len(FIELDS)))
    if layout == "title":
        ws.append(["销售日志表"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=8)
        ws.append([f"业务员：{person.name}    日期：{day.year}年{day.month}月{day.day}日"])
        ws.append([])
        keep = keep[2:]
    names = [header[i] for i in keep] + (["工号"] if with_staff_no else [])
    if layout == "two_rows":
        upper = [names[0], names[1], "客户信息", "", "", "", "", "", ""] + names[9:]
        ws.append(upper)
        ws.append(["", ""] + names[2:9] + [""] * (len(names) - 9))
        ws.merge_cells("C1:I1")
        for col in [1, 2] + list(range(10, len(names) + 1)):
            ws.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
    else:
        ws.append(names)
    first = ws.max_row + 1
    for row in rows:
        values = [row[FIELDS[i]] for i in keep]
        if keep[0] == 0:
            values[0] = _date_text(rng, row["day"])
        ws.append(values + ([person.staff_no] if with_staff_no else []))
    if layout == "merged_date" and len(rows) > 1:
        for r in range(first + 1, ws.max_row + 1):
            ws.cell(r, 1).value = None
            ws.cell(r, 2).value = None
        ws.merge_cells(start_row=first, start_column=1, end_row=ws.max_row, end_column=1)
        ws.merge_cells(start_row=first, start_column=2, end_row=ws.max_row, end_column=2)
    if rng.random() < 0.3:
        ws.append(["合计", f"{len(rows)} 条"])
        ws.append(["注：请于每日17:30前交客户信息管理员"])
    path = folder / f"{stem}.xlsx"
    wb.save(path)
    return path


def _write_xls(path: Path, header: list[str], rows: list[dict], person: Person, with_staff_no: bool) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("日志")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    names = header + (["工号"] if with_staff_no else [])
    for c, name in enumerate(names):
        sheet.write(0, c, name)
    for r, row in enumerate(rows, start=1):
        values = [row[f] for f in FIELDS] + ([person.staff_no] if with_staff_no else [])
        for c, value in enumerate(values):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value not in ("", None):
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def _sheet(path: Path, title: str, header: list, rows: list[list], sheet: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet or title
    ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def generate(folder: Path, seed: int = 2026, month: str = "2026-11", salespeople: int = 12) -> list[Path]:
    """Write the month's workbooks into `folder` (emptied first); returns the paths."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    gen = DemoMonth(seed, dt.date.fromisoformat(month + "-01"), salespeople)
    paths = [_roster(gen, folder)]
    for day in gen.days:
        for person in gen.people:
            if person.left and day > person.left:
                continue
            rows = gen.day_rows(person, day)
            paths.append(write_log(gen, person, day, rows, folder))
    paths += _monthly_sheets(gen, folder)
    paths += _faulty_files(gen, folder)
    return paths


def _roster(gen: DemoMonth, folder: Path) -> Path:
    header = ["工号", "姓名", "岗位", "小组", "状态", "入职日期", "离职日期", "特长", "跟单能力", "沟通技巧", "客户容量", "邮箱"]
    rows = [[p.staff_no, p.name, p.role, f"{int(p.staff_no[1:]) % 3 + 1}组", "离职" if p.left else "在职", p.hired,
             p.left, "、".join(p.specialties), gen.rng.randint(2, 5), gen.rng.randint(2, 5), gen.rng.choice([40, 60, 80]),
             p.email] for p in gen.people]
    rows.append(["S090", "周敏", "内勤", "行政", "在职", dt.date(2024, 3, 1), None, "", None, None, None, "s90@example.com"])
    rows.append(["S091", "吴经理", "行政经理", "行政", "在职", dt.date(2023, 1, 1), None, "", None, None, None, "boss@example.com"])
    rows.append(["S092", "郑总", "总经理", "行政", "在职", dt.date(2022, 1, 1), None, "", None, None, None, "gm@example.com"])
    return _sheet(folder / "业务员名册.xlsx", "业务员名册", header, rows)


def _monthly_sheets(gen: DemoMonth, folder: Path) -> list[Path]:
    rng, m = gen.rng, gen.month
    paths = []
    header = ["签单日期", "业务员", "工号", "客户名称", "业务类型", "合同金额", "成本", "已回款", "约定回款日期", "人数"]
    paths.append(_sheet(folder / f"销售业绩登记表_{m:%Y%m}.xlsx", "销售业绩登记表", header, gen.orders))
    selling = [p for p in gen.people]
    paths.append(_sheet(folder / f"月度目标_{m:%Y%m}.xlsx", f"{m.year}年{m.month}月 月度目标",
                        ["月份", "业务员", "工号", "销售收入目标", "单户销量目标", "利润目标", "拜访目标"],
                        [[f"{m.year}年{m.month}月", p.name, p.staff_no, f"{rng.choice([8, 10, 12, 15])}万元",
                          rng.choice([20000, 30000]), rng.choice([40000, 50000]), rng.choice([15, 20, 25])]
                         for p in selling]))
    paths.append(_sheet(folder / f"业务素质评分_{m:%Y%m}.xlsx", "业务素质评分",
                        ["月份", "业务员", "工号", "工作职责", "工作态度", "业务基本技能", "评分人"],
                        [[f"{m:%Y-%m}", p.name, p.staff_no, rng.randint(70, 98), rng.randint(70, 98), rng.randint(65, 95),
                          "吴经理"] for p in selling if not p.left]))
    inspections = [[day, p.name, p.staff_no, rng.randint(70, 100), "周敏", rng.choice(["", "日志填写不全", "地址不完整"])]
                   for day in gen.days[::5] for p in selling if not (p.left and day > p.left)]
    paths.append(_sheet(folder / f"日常业务检查记录_{m:%Y%m}.xlsx", "日常业务检查记录",
                        ["检查日期", "业务员", "工号", "总得分", "检查人", "存在的问题"], inspections))
    bc = []
    for p in selling:
        for c in p.customers:
            if c["class"] in ("B", "B1", "C") and rng.random() < 0.3:
                bc.append([gen.days[rng.randrange(len(gen.days) // 2)], p.name, p.staff_no, c["name"], c["contact"],
                           c["phone"], c["address"], c["industry"], c["class"], c["source"], c["business"]])
    paths.append(_sheet(folder / f"BC类客户登记表_{m:%Y%m}.xlsx", "BC类客户登记表",
                        ["登记日期", "业务员", "工号", "客户名称", "联系人", "联系电话", "地址", "行业", "客户类别", "客户来源",
                         "客户需求"], bc))
    leads = [[c["name"], c["contact"], c["phone"], c["address"], c["industry"], c["business"],
              rng.choice(["网络打入", "购买数据库", "关系介绍"]), gen.days[-1]] for c in (gen._customer() for _ in range(30))]
    paths.append(_sheet(folder / f"待分配客户_{m:%Y%m}.xlsx", "待分配客户",
                        ["客户名称", "联系人", "联系电话", "地址", "行业", "客户需求", "客户来源", "获取日期"], leads))
    return paths


def _faulty_files(gen: DemoMonth, folder: Path) -> list[Path]:
    """A corrected resubmission, and files that cannot be read at all."""
    person, day = gen.people[0], gen.days[3]
    fixed = write_log(gen, person, day, gen.day_rows(person, day), folder, suffix="_更正")
    gone = gen.people[-3]  # left mid-month, still hands in a sheet: rejected, not counted
    late = write_log(gen, gone, gen.days[-1], gen.day_rows(gone, gen.days[-1])[:3], folder, suffix="_补交")
    empty = folder / "新建 Microsoft Excel 工作表.xlsx"
    empty.write_bytes(b"")
    text = folder / "客户名单.xlsx"
    text.write_text("客户名称,联系人\n天津某某有限公司,张先生\n", encoding="utf-8")
    broken = folder / f"日志表_{gen.people[1].name}_损坏.xlsx"
    broken.write_bytes(b"PK\x03\x04" + bytes(gen.rng.randrange(256) for _ in range(300)))
    return [fixed, late, empty, text, broken]


def run_demo(config: Config, seed: int, month: str, salespeople: int, warehouse: Path | None = None) -> int:
    """Generate into data/raw/demo/source, copy into a demo inbox, ingest into a fresh demo warehouse
    (data/warehouse/demo.duckdb unless --warehouse is given), print the summary."""
    from salespipe.ingest import ingest
    from salespipe.summary import print_summary

    demo_root = config.path("demo")
    paths = generate(demo_root / "source", seed, month, salespeople)
    for sub in ("inbox", "archive", "rejected"):
        shutil.rmtree(demo_root / sub, ignore_errors=True)
    inbox = demo_root / "inbox"
    inbox.mkdir(parents=True)
    for path in paths:
        shutil.copy2(path, inbox / path.name)
    warehouse = Path(warehouse) if warehouse else config.warehouse.with_name("demo.duckdb")
    warehouse.unlink(missing_ok=True)
    paths_config = {**config.raw["paths"], "inbox": str(inbox), "archive": str(demo_root / "archive"),
                    "rejected": str(demo_root / "rejected")}
    demo_config = Config(root=config.root, raw={**config.raw, "paths": paths_config}, warehouse=warehouse.resolve())
    print(f"演示数据 demo workbooks: {len(paths)} files in {demo_root / 'source'}")
    first = dt.date.fromisoformat(month + "-01")
    days = [first + dt.timedelta(days=n) for n in range(31)]
    last_day = max(d for d in days if d.month == first.month and d.weekday() < 5)
    # read as the nightly flow would read them: on the month's last workday at 18:00 local time (the machine's
    # clock would date the run and its unreadable files on another day — in UTC evenings, tomorrow in Shanghai)
    evening = dt.datetime.combine(last_day, dt.time(18, 0), ZoneInfo(config.timezone))
    summary = ingest([inbox], demo_config, now=evening, progress=True)
    print_summary(summary, demo_config)
    from reports import make_report

    out = config.root / "out" / "demo"
    print(f"报告 reports ({last_day.isoformat()}):")
    for kind in ("daily", "weekly", "monthly"):
        paths, notes = make_report(demo_config, kind, last_day, ["html", "xlsx"], out, send=True)
        for line in [*map(str, paths), *notes]:
            print(f"  {line}")
    from salespipe.assign import make_assignment

    path, recs = make_assignment(demo_config, last_day, out)
    print(f"  {path}（新客户分配 {len(recs.new)}，冲突客户转移 {len(recs.conflicts)}，客户回收 {len(recs.recycle)}）")
    return 0
