"""The nine kinds of input sheet (input-sheets.md): their columns, header aliases and rules.

To add a kind of sheet: add a `Kind` to `KINDS` (its columns with aliases and parsers), a table in
`salespipe/schema.py`, and a branch in `salespipe/ingest/load.py` that says where its rows go.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    field: str  # English field name, as stored
    name: str  # canonical Chinese header
    aliases: tuple[str, ...] = ()
    required: bool = False
    parser: str = "text"  # see rows.py: text, date, month, phone, money, int, score, enum:<NAME>, ...
    from_title: bool = False  # may be given once in a title cell (or the file name) instead


@dataclass(frozen=True)
class Kind:
    key: str  # table-ish key: log, bc, orders, roster, targets, quality, inspections, leads, approvals
    name: str  # Chinese name of the sheet
    columns: tuple[Column, ...]
    hints: tuple[str, ...] = ()  # words in a sheet/file name that point to this kind (hints only)
    signature: tuple[str, ...] = field(default=())  # fields that must be columns to recognise it

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)


_BRACKETS = str.maketrans("[【〔〖<《]】〕〗>》", "(((((())))))")  # every bracket as ( ) (NFKC has made （） and ［］ ASCII)


@lru_cache(maxsize=65536)
def header_key(text: str) -> str:
    """Compare headers after NFKC, trimming, no spaces, case-folding and without decorations."""
    key = unicodedata.normalize("NFKC", str(text)).casefold()
    key = re.sub(r"\s+", "", key).translate(_BRACKETS)
    key = re.sub(r"[*＊※★☆]+", "", key)
    key = re.sub(r"\((必填|必须|选填|可选|必填项|required|optional)\)", "", key)
    return key.strip(":：")


@lru_cache(maxsize=65536)
def header_key_loose(text: str) -> str:
    """Second try: without any bracketed part (合同金额(元) → 合同金额, 日期(Date) → 日期), a trailing
    /English or a leading number (1.日期 → 日期)."""
    key = re.sub(r"\([^()]*\)", "", header_key(text))
    key = re.sub(r"^\d{1,2}[.、)](?=\D)", "", key)
    return re.sub(r"/[a-z ._-]+$", "", key)


SALESPERSON = Column("salesperson_name", "业务员", ("销售员", "销售人员", "业务代表", "姓名"), True, "text", True)
STAFF_NO = Column("staff_no", "工号", ("员工编号", "员工号", "编号(业务员)", "业务员工号"), False, "staff_no", True)
CUSTOMER_NAME = Column("customer_name", "客户名称", ("公司名称", "客户全称", "单位名称", "客户", "名称", "客户单位",
                                                     "客户信息名称", "企业名称"), True)
CONTACT = Column("contact", "联系人", ("联系人姓名", "客户联系人", "客户联系人姓名", "联系人名称", "对接人"), True)
PHONE = Column("phone", "联系电话", ("电话", "手机", "联系方式(电话)", "固话", "电话号码", "手机号", "联系人电话",
                                    "客户联系人电话", "联系人手机", "客户电话", "联系人联系电话"), True, "phone")
ADDRESS = Column("address", "地址", ("公司地址", "详细地址", "客户地址"))
INDUSTRY = Column("industry", "行业", ("客户行业", "所属行业"), parser="enum:INDUSTRY")
CLASS = Column("customer_class", "客户类别", ("客户类型", "客户等级", "类别"), parser="enum:CUSTOMER_CLASS")
SOURCE = Column("source", "客户来源", ("来源",), parser="enum:SOURCE")
NEED = Column("need", "客户需求", ("需求", "客户需求或其他需求"), parser="business")
FOLLOWUP_NO = Column("followup_no", "跟单号", ("订单号",))

LOG = Kind("log", "销售日志表", (
    Column("activity_date", "日期", ("联系日期", "跟进日期", "日期/date", "拜访日期"), True, "date", True),
    SALESPERSON, STAFF_NO, CUSTOMER_NAME, CONTACT, PHONE, ADDRESS, INDUSTRY, CLASS, SOURCE,
    Column("method", "联系方式", ("沟通方式", "跟进方式", "方式"), True, "enum:METHOD"),
    Column("business", "推介业务", ("推介业务类型", "主要洽谈内容"), parser="business"),
    NEED,
    Column("stage", "跟进状态", ("跟进情况", "进度", "阶段", "客户跟进情况"), parser="stage"),
    Column("result", "结果", ("跟进结果",), parser="enum:RESULT"),
    FOLLOWUP_NO,
    Column("maintenance", "维护记录", ("客户维护", "客户维护记录")),
    Column("note", "备注", ("说明",)),
), hints=("日志", "log"), signature=("customer_name", "method"))

BC = Kind("bc", "BC类客户登记表", (
    Column("register_date", "登记日期", ("日期",), True, "date", True),
    SALESPERSON, STAFF_NO, CUSTOMER_NAME, CONTACT, PHONE, ADDRESS, INDUSTRY,
    Column("customer_class", "客户类别", ("客户类型", "客户等级", "类别"), True, "enum:CUSTOMER_CLASS"),
    SOURCE, NEED, Column("note", "备注", ("说明",)),
), hints=("bc类", "bc", "登记"), signature=("customer_name", "customer_class"))

ORDERS = Kind("orders", "销售业绩登记表", (
    Column("order_date", "签单日期", ("签约日期", "日期"), True, "date", True),
    Column("salesperson_name", "业务员", ("销售员", "销售人员", "姓名"), True, "text", True),
    STAFF_NO,
    Column("customer_name", "客户名称", ("公司名称", "客户全称", "单位名称", "客户"), True),
    Column("business_type", "业务类型", ("推介业务", "产品类型"), True, "business"),
    Column("amount", "合同金额", ("金额", "销售金额", "销售收入"), True, "money"),
    Column("cost", "成本", ("其他成本",), parser="money"),
    Column("gross_profit", "毛利", ("销售毛利", "利润"), parser="money"),
    Column("paid", "已回款", ("回款金额",), parser="money"),
    Column("due_date", "约定回款日期", ("回款日期", "付款日期"), parser="date"),
    Column("headcount", "人数", ("培训人数",), parser="int"),
    FOLLOWUP_NO,
    Column("note", "备注", ("说明",)),
), hints=("业绩", "订单", "签单"), signature=("customer_name", "amount"))

ROSTER = Kind("roster", "业务员名册", (
    Column("salesperson_id", "工号", ("员工编号", "员工号"), True, "staff_no"),
    Column("name", "姓名", ("业务员", "销售员"), True),
    Column("role", "岗位", ("职位",), parser="enum:ROLE"),
    Column("team", "小组", ("组别", "部门")),
    Column("status", "状态", ("在职状态",), parser="enum:STATUS"),
    Column("hired_on", "入职日期", (), parser="date"),
    Column("left_on", "离职日期", (), parser="date"),
    Column("specialties", "特长", ("业务特长",), parser="specialties"),
    Column("followup_ability", "跟单能力", (), parser="rating"),
    Column("communication", "沟通技巧", (), parser="rating"),
    Column("capacity", "客户容量", ("最大客户数",), parser="int"),
    Column("email", "邮箱", ("电子邮箱", "email", "e-mail"), parser="email"),
), hints=("名册", "花名册", "roster"), signature=("salesperson_id", "name"))

TARGETS = Kind("targets", "月度目标", (
    Column("month", "月份", ("目标月份",), True, "month", True),
    SALESPERSON, STAFF_NO,
    Column("revenue_target", "销售收入目标", ("收入目标", "销售目标"), True, "money"),
    Column("per_customer_target", "单户销量目标", ("单户目标",), parser="money"),
    Column("profit_target", "利润目标", (), parser="money"),
    Column("visit_target", "拜访目标", (), parser="int"),
), hints=("目标",), signature=("revenue_target",))

QUALITY = Kind("quality", "业务素质评分", (
    Column("month", "月份", ("评分月份",), True, "month", True),
    SALESPERSON, STAFF_NO,
    Column("duty_score", "工作职责", (), parser="score"),
    Column("attitude_score", "工作态度", (), parser="score"),
    Column("skill_score", "业务基本技能", ("基本技能",), parser="score"),
    Column("rater", "评分人", ()),
), hints=("素质", "评分"), signature=("duty_score", "attitude_score"))

INSPECTIONS = Kind("inspections", "日常业务检查记录", (
    Column("inspect_date", "检查日期", ("日期",), True, "date", True),
    Column("salesperson_name", "业务员", ("销售员", "业务单元", "姓名"), True, "text", True),
    STAFF_NO,
    Column("total_score", "总得分", ("得分", "总分"), True, "score"),
    Column("inspector", "检查人", ()),
    Column("issues", "存在的问题", ("问题",)),
), hints=("检查",), signature=("total_score",))

LEADS = Kind("leads", "待分配客户", (
    CUSTOMER_NAME,
    Column("contact", "联系人", CONTACT.aliases),
    Column("phone", "联系电话", PHONE.aliases, parser="phone"),
    ADDRESS, INDUSTRY, NEED,
    Column("source", "客户来源", ("来源",), parser="enum:LEAD_SOURCE"),
    Column("acquired_on", "获取日期", ("日期", "获得日期"), parser="date"),
), hints=("待分配", "线索", "lead"), signature=("customer_name",))

APPROVALS = Kind("approvals", "分配审批", (
    Column("decision", "审批结果", (), False, "enum:DECISION"),  # left empty: not decided yet
    Column("reassign_to", "改派业务员", ()),
    Column("approver", "审批人", ()),
    Column("approved_on", "审批日期", (), parser="date"),
    Column("customer_code", "客户编码", ()),
    Column("customer_name", "客户名称", ()),
    Column("recommended_id", "建议业务员工号", (), parser="staff_no"),
    Column("action", "建议类型", ()),
    Column("reason", "理由", ()),
    Column("lead_id", "线索编号", ()),
    Column("recommended_on", "建议日期", (), parser="date"),  # the workbook's day: an earlier 审批日期 is refused
), hints=("分配建议", "审批"), signature=("decision",))

MATCH_REVIEW = Kind("match_review", "客户匹配确认", (
    Column("left_code", "客户编码A", ("编码A", "客户编码1"), True, "staff_no"),
    Column("right_code", "客户编码B", ("编码B", "客户编码2"), True, "staff_no"),
    Column("same", "是否同一客户", ("同一客户", "是否相同"), False, "enum:SAME"),
    Column("reviewer", "审核人", ("确认人",)),
), hints=("客户匹配", "确认"), signature=("left_code", "right_code", "same"))

KINDS: tuple[Kind, ...] = (LOG, BC, ORDERS, ROSTER, TARGETS, QUALITY, INSPECTIONS, LEADS, APPROVALS, MATCH_REVIEW)

# Kinds whose rows name a salesperson, checked against the roster after all rosters are loaded.
SALESPERSON_KINDS = ("log", "bc", "orders", "targets", "quality", "inspections")
