"""Turning hand-typed cell values into typed values.

Every parser takes what a reader returns (str, int, float, date, datetime, '' for empty) and either
returns a clean value or raises `BadValue` with a reason in Chinese that a salesperson understands.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from salespipe.errors import BadValue

EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True, slots=True)
class CellError:
    """An Excel error value in a cell (#N/A, #VALUE!, #REF! …): a bad value, never a blank one."""

    code: str

    def __str__(self) -> str:
        return self.code

    def reason(self, column: str) -> str:
        cause = ERROR_CAUSES.get(self.code.upper(), "公式算出了错误")
        return (f"{column}是错误值（{self.code}，{cause}）：请在 Excel 或 WPS 里改正这个单元格的公式或换成实际的值，"
                f"保存后重新提交")


# what each Excel error value means, as a salesperson can act on it (a failed VLOOKUP gives #N/A, not #VALUE!)
ERROR_CAUSES = {
    "#N/A": "查找的值不存在，例如 VLOOKUP 找不到",
    "#VALUE!": "公式用了类型不对的值，例如把文字当作日期或数字计算",
    "#REF!": "公式引用的单元格或工作表已被删除",
    "#DIV/0!": "公式除以了 0 或空单元格",
    "#NAME?": "公式里有 Excel 不认识的名称或函数",
    "#NUM!": "公式算出的数字无效",
    "#NULL!": "公式里的区域没有交集",
}


@dataclass(frozen=True, slots=True)
class Uncalculated:
    """A formula whose result the file does not hold (the workbook was written by a program and never
    calculated): what Excel would show cannot be known, so the value is bad, not blank."""

    formula: str

    def __str__(self) -> str:
        return "=" + self.formula

    def reason(self, column: str) -> str:
        return (f"{column}是公式，但文件里没有计算结果（文件由其他程序生成，从未在 Excel/WPS 中计算过）："
                f"请用 Excel 或 WPS 打开这个文件、保存后重新提交")


SPECIAL_CELLS = (CellError, Uncalculated)


def nfkc(text: str) -> str:
    """Full-width → half-width (ＡＢ１２，（） → AB12,()), then trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def cell_text(value) -> str:
    """Any cell as the text a person wrote: numbers without `.0` or exponent, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) or value.time() == dt.time() else value.isoformat(sep=" ")
    return str(value).strip()


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---------------------------------------------------------------- dates

_WEEKDAY = re.compile(r"\s*[(（]?\s*(星期|周|礼拜)[一二三四五六日天]\s*[)）]?\s*$|\s*[(（][一二三四五六日天][)）]\s*$")
_DATE_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DAYTIME = re.compile(r"\s*(上午|下午|中午|晚上|早上|傍晚|am|pm)\s*(\d{1,2}\s*([:：]\s*\d{2}|点|时)(\s*\d{1,2}\s*分?)?)?$", re.I)
_CN_NUMERAL_DATE = re.compile(r"[〇零一二三四五六七八九十两][年月日号]|[年月][〇零一二三四五六七八九十]")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_MD = re.compile(r"^(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
_DATE_IN_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})|(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)(20\d{2})(?:\s*年|(?=\d{4}(?!\d))|(?!\d))")


def _make_date(y: int, m: int, d: int, raw) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise BadValue(f"日期不存在：{cell_text(raw)}") from None


def parse_date(value, year_hint: int | None = None) -> dt.date:
    """Real Excel dates, serial numbers, 2026-11-26, 2026/11/26, 2026.11.26, 2026年11月26日 (or 号),
    20261126, and 11月26日 (year from `year_hint`, taken from the title or the file name); a time after
    the date (2026-11-26 14:30, 2026-11-26T14:30:00) is ignored."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _date_from_number(value)
    text = nfkc(str(value))
    if not text:
        raise BadValue("日期为空")
    text = _WEEKDAY.sub("", text).strip()  # 2026-11-26（周四） / 2026年11月26日 星期四
    text = _DAYTIME.sub("", text).strip()  # 2026-9-1 上午 / 2026-9-1 下午3点
    if _CN_NUMERAL_DATE.search(text):  # 二〇二六年九月一日 / 十一月二十六日
        text = _cn_digits(text)
    if m := _DATE_YMD.match(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), value)
    if m := _DATE_COMPACT.match(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), value)
    if m := _DATE_MD.match(text):
        if year_hint is None:
            raise BadValue(f"日期缺少年份，请写成 2026-11-26 的格式：{text}")
        return _make_date(year_hint, int(m[1]), int(m[2]), value)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _date_from_number(float(text))
    raise BadValue(f"日期格式无法识别：{text}（请写成 2026-11-26）")


def _cn_digits(text: str) -> str:
    """二〇二六年九月一日 → 2026年9月1日 (cn2an; a year is read digit by digit)."""
    import cn2an

    try:
        return cn2an.transform(text, "cn2an")
    except (ValueError, KeyError):
        raise BadValue(f"日期格式无法识别：{text}（请写成 2026-11-26）") from None


def _date_from_number(number: float) -> dt.date:
    if float(number).is_integer() and 19000101 <= number <= 21001231:
        s = str(int(number))
        return _make_date(int(s[:4]), int(s[4:6]), int(s[6:]), s)
    if 20000 <= number <= 80000:  # Excel serial: 1954-10-03 .. 2119-01-10
        return EXCEL_EPOCH + dt.timedelta(days=int(number))
    raise BadValue(f"日期格式无法识别：{cell_text(number)}（请写成 2026-11-26）")


def date_in_text(text: str) -> dt.date | None:
    """The first full date inside free text such as a title `日期：2026年11月26日` or a file name."""
    for m in _DATE_IN_TEXT.finditer(nfkc(text)):
        parts = m.groups()
        y, mo, d = (parts[0], parts[1], parts[2]) if parts[0] else (parts[3], parts[4], parts[5])
        try:
            return dt.date(int(y), int(mo), int(d))
        except ValueError:
            continue
    return None


def year_in_text(text: str) -> int | None:
    m = _YEAR_IN_TEXT.search(nfkc(text))
    return int(m[1]) if m else None


_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:\s*[-/.]\s*\d{1,2}\s*日?)?$")


def parse_month(value) -> dt.date:
    """`2026-11`, `2026年11月`, `202611`, or any date → the first day of that month."""
    if isinstance(value, (dt.date, dt.datetime)):
        d = value.date() if isinstance(value, dt.datetime) else value
        return d.replace(day=1)
    text = nfkc(cell_text(value))
    if m := _MONTH.match(text):
        return _make_date(int(m[1]), int(m[2]), 1, value)
    if re.fullmatch(r"20\d{2}(0[1-9]|1[0-2])", text):
        return dt.date(int(text[:4]), int(text[4:]), 1)
    try:
        return parse_date(value).replace(day=1)
    except BadValue:
        raise BadValue(f"月份格式无法识别：{text}（请写成 2026-11）") from None


# ---------------------------------------------------------------- numbers

CENT = Decimal("0.01")


def parse_money(value) -> Decimal:
    """Yuan with 2 decimals from 12800, '12,800', '12,800.00', '1.28万元', '１２８００元', '¥12,800', '12800元整' and
    capital amounts '壹万贰仟捌佰元整' (cn2an). input-sheets.md: numbers with `,` `，` `元` `万元` (×10,000).
    Separators that can be read two ways ('12.800,00', '1,2800') raise BadValue rather than guess."""
    if isinstance(value, bool):
        raise BadValue(f"金额格式无法识别：{value}")
    if isinstance(value, (int, float)):
        return Decimal(repr(value)).quantize(CENT)
    text = _CURRENCY.sub("", _money_text(value)).removesuffix("整").removesuffix("正")
    factor = Decimal(1)
    if text.endswith(("万元", "万")):
        factor, text = Decimal(10000), text.removesuffix("元").removesuffix("万")
    text = text.removesuffix("元").removesuffix("圆")
    if _CAPITAL.search(text):
        return (_capital_amount(text, value) * factor).quantize(CENT)
    text = _thousands(text, value)
    try:
        return (Decimal(text) * factor).quantize(CENT)
    except InvalidOperation:
        raise BadValue(f"金额格式无法识别：{cell_text(value)}") from None


_CURRENCY = re.compile(r"^(¥|￥|RMB|CNY|人民币)", re.I)  # the yuan named before the number (12800元 names it after)
_CAPITAL = re.compile(r"[零壹贰叁肆伍陆柒捌玖拾佰仟萬億一二三四五六七八九十百千亿两]")


def _money_text(value) -> str:
    """A money cell's text as it is read: NFKC (full-width digits and ￥ as ASCII and ¥), no whitespace."""
    return re.sub(r"\s+", "", nfkc(str(value)))
_GROUPED = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def _thousands(text: str, raw) -> str:
    """'12,800.50' → '12800.50'; commas only as thousands separators before one decimal point."""
    if "," not in text:
        return text
    if _GROUPED.match(text):
        return text.replace(",", "")
    raise BadValue(f"金额的分隔符无法确定：{cell_text(raw)}（请写成 12800 或 12,800.00）")


def _capital_amount(text: str, raw) -> Decimal:
    """壹万贰仟捌佰 / 壹万贰仟捌佰元伍角 → Decimal (cn2an for the yuan part; 角 and 分 added)."""
    import cn2an

    jiao = fen = Decimal(0)
    if m := re.search(r"(?:(.)角)?(?:(.)分)?$", text):
        if m[0]:
            try:
                jiao = Decimal(cn2an.cn2an(m[1], "smart")) / 10 if m[1] else Decimal(0)
                fen = Decimal(cn2an.cn2an(m[2], "smart")) / 100 if m[2] else Decimal(0)
            except ValueError:
                raise BadValue(f"金额格式无法识别：{cell_text(raw)}") from None
            text = re.split(r"[元圆]", text[: m.start()])[0] if m.start() else ""
    text = re.split(r"[元圆]", text)[0]
    try:
        yuan = Decimal(str(cn2an.cn2an(text, "smart"))) if text else Decimal(0)
    except ValueError:
        raise BadValue(f"金额格式无法识别：{cell_text(raw)}") from None
    return yuan + jiao + fen


def states_unit(raw) -> bool:
    """Does the cell say its own unit (12800元, 1.28万, 壹万贰仟捌佰元整, ￥12800, 人民币12800)? Then the header's 万元
    does not apply."""
    return isinstance(raw, str) and bool(re.search(r"[元万圆]|" + _CAPITAL.pattern, raw)
                                         or _CURRENCY.match(_money_text(raw)))


_SCIENTIFIC = re.compile(r"^([+-]?)(\d)(?:\.(\d+))?[eE]([+]?)(\d{1,3})$")


def expand_scientific(text: str, what: str = "联系电话") -> str:
    """A number written as text in scientific notation → its digits, when they are all there.

    `1.7743856575E10` → '17743856575' (a program's shortest exact form: no '+', so nothing was rounded);
    `2.2234578E+09` with as many digits as the number has → exact too. Excel's display form with digits lost
    (`2.22346E+09`, `1.38001E+10`) raises BadValue: the lost digits cannot be known."""
    m = _SCIENTIFIC.match(text.strip())
    if not m:
        return text
    sign, first, rest, plus, exponent = m[1], m[2], m[3] or "", m[4], int(m[5])
    if len(rest) > exponent:
        raise BadValue(f"{what}格式无法识别：{text}")
    if plus and len(rest) < exponent:
        raise BadValue(f"{what}被显示成了科学计数法（{text}），后几位数字已经丢失：请把单元格设为文本格式，"
                       f"重新输入完整号码后再提交")
    return sign + first + rest + "0" * (exponent - len(rest))


def parse_number(value, what: str = "数字") -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = nfkc(str(value)).replace(",", "").replace(" ", "")
    text = re.sub(r"(分|人|个|次|户|%)$", "", text)  # 95% is 95 (a score shown with a percentage format)
    try:
        return float(text)
    except ValueError:
        raise BadValue(f"{what}格式无法识别：{cell_text(value)}") from None


def parse_int(value, what: str = "数字") -> int:
    number = parse_number(value, what)
    if not number.is_integer():
        raise BadValue(f"{what}应为整数：{cell_text(value)}")
    return int(number)


def parse_score(value, what: str, low: float = 0, high: float = 100) -> float:
    number = parse_number(value, what)
    if not low <= number <= high:
        raise BadValue(f"{what}应在 {low:g} 到 {high:g} 之间：{cell_text(value)}")
    return number


# ---------------------------------------------------------------- enumerations


def enum_key(text: str) -> str:
    """The form in which enumeration spellings are compared: NFKC, no spaces, case-folded."""
    return re.sub(r"\s+", "", nfkc(text)).casefold()


_NUMBERED = re.compile(r"^\s*\d[.、．)]\s*")  # a choice written with its number: 3.丢单, 2.内训


class Enum:
    """A canonical value list with accepted spellings: Enum('行业', {'生产制造': ['制造', ...]})."""

    def __init__(self, label: str, spellings: dict[str, list[str]], strip_suffixes: tuple[str, ...] = ()):
        self.label = label
        self.values = list(spellings)
        self.strip_suffixes = strip_suffixes
        self.lookup: dict[str, str] = {}
        for canonical, aliases in spellings.items():
            for spelling in [canonical, *aliases]:
                self.lookup[enum_key(spelling)] = canonical

    @lru_cache(maxsize=4096)
    def parse(self, value) -> str:
        key = enum_key(cell_text(value))
        for suffix in self.strip_suffixes:
            if key.endswith(suffix) and key[: -len(suffix)] in self.lookup:
                key = key[: -len(suffix)]
        if key not in self.lookup:  # 3.丢单 / Tel. / 电话。
            key = _NUMBERED.sub("", key).rstrip(".。")
        if key in self.lookup:
            return self.lookup[key]
        raise BadValue(f"{self.label}填写不规范：{cell_text(value)}（可填：{'、'.join(self.values)}）")

    def __hash__(self):
        return id(self)


INDUSTRY = Enum("行业", {
    "生产制造": ["制造", "生产", "制造业", "生产制造业", "生产型"],
    "销售": ["销售业", "销售型"],
    "贸易": ["贸易业", "进出口", "商贸"],
    "服务": ["服务业", "服务型"],
    "其他": ["其它"],
})
CUSTOMER_CLASS = Enum("客户类别", {c: [] for c in ("A", "A1", "B", "B1", "C")}, strip_suffixes=("类", "级", "类客户"))
BC_CLASSES = ("B", "B1", "C")
SOURCE = Enum("客户来源", {
    "网络打入": ["网络", "网上", "400来电", "400", "网络客户", "网络来电"],
    "关系客户": ["关系", "转介绍", "关系介绍", "老客户介绍"],
    "电话开发": ["陌拜", "电话陌生开发", "电话开发客户", "陌生开发", "电话陌拜"],
})
LEAD_SOURCE = Enum("客户来源", {
    "网络打入": ["网络", "网上", "400来电", "400", "网络客户"],
    "购买数据库": ["数据库", "购买", "购买数据", "外购数据库"],
    "关系介绍": ["关系", "转介绍", "关系客户", "老客户介绍"],
    "电话开发": ["陌拜", "电话陌生开发", "陌生开发"],
})
METHOD = Enum("联系方式", {
    "电话": ["电访", "打电话", "tel", "phone", "电话沟通", "致电"],
    "传真": ["fax", "发传真"],
    "E-mail": ["email", "e-mail", "邮件", "电邮", "发邮件", "mail", "电子邮件"],
    "面访": ["拜访", "面谈", "上门", "上门拜访", "面见"],
})
RESULT = Enum("结果", {
    "签单": ["1", "成交", "已签", "已签单", "签约", "签单成功", "成功签单", "已成交", "已签约"],
    "继续跟进": ["2", "跟进中", "跟进", "继续"],
    "丢单": ["3", "失败", "放弃", "丢失"],
    "未跟进": ["4", "未跟", "没跟进"],
})
ROLE = Enum("岗位", {"CC": [], "KAE": [], "内勤": [], "经理": ["销售经理", "主管"],
                    "行政经理": [], "总经理": []})  # the two approvers of assignment.md
STATUS = Enum("状态", {"在职": ["在岗", "正常", "试用", "试用期"], "离职": ["已离职"]})
SAME = Enum("是否同一客户", {"是": ["同一", "同一客户", "是的", "y", "yes", "相同"], "否": ["不是", "不同", "n", "no", "不是同一客户"]})
DECISION = Enum("审批结果", {"批准": ["同意", "通过"], "驳回": ["不同意", "拒绝"], "改派": ["转派", "重新分配"]})

BUSINESS_TYPES = ("管理咨询", "企业内训", "拓展培训", "认证", "公开课")
_BUSINESS_SPELLINGS = {
    "管理咨询": ["管理咨询", "咨询"],
    "企业内训": ["企业内训", "内训"],
    "拓展培训": ["拓展培训", "拓展"],
    "认证": ["培训认证", "认证"],
    "公开课": ["公开课", "公开"],
}
_BUSINESS_PREFIXES = sorted(
    ((enum_key(s), t) for t, spellings in _BUSINESS_SPELLINGS.items() for s in spellings),
    key=lambda p: -len(p[0]),
)


@lru_cache(maxsize=8192)
def parse_business(value) -> tuple[str, str]:
    """`类型` or `类型+类别` (企业内训+中层管理) → (canonical type, the rest as detail)."""
    raw = nfkc(cell_text(value))
    text = _NUMBERED.sub("", raw)
    key = enum_key(text)
    for prefix, canonical in _BUSINESS_PREFIXES:
        if key.startswith(prefix):
            return canonical, _after(text, len(prefix)).lstrip("+-—:：/、,， ").strip()
    found = {t for prefix, t in _BUSINESS_PREFIXES if prefix in key}
    if len(found) == 1:
        return found.pop(), raw
    raise BadValue(f"业务类型填写不规范：{raw}（可填：{'、'.join(BUSINESS_TYPES)}，可加 +类别）")


def _after(text: str, count: int) -> str:
    """The text after its first `count` characters that are not spaces: the detail as it was written
    (case and inner spaces kept) once the type's spelling is matched."""
    seen = 0
    for i, ch in enumerate(text):
        if seen == count:
            return text[i:]
        seen += not ch.isspace()
    return ""


STAGE_NAMES = {
    1: "初次沟通/介绍情况/发资料/已报价",
    2: "详细沟通/面谈/制作方案或提纲",
    3: "已发方案或提纲",
    4: "方案或提纲修改",
    5: "方案敲定/后期细节协调",
    6: "最后价格确定/促成订单",
    7: "签订订单",
}
_STAGE_KEYWORDS = {
    1: ["初次沟通", "介绍情况", "发资料", "发介绍资料", "已报价", "报价", "初次"],
    2: ["详细沟通", "面谈沟通", "面谈", "制作方案", "写提纲", "制作提纲"],
    3: ["已发方案", "发方案", "已发提纲", "发提纲", "方案已发"],
    4: ["方案修改", "提纲修改", "修改方案", "修改提纲", "修改"],
    5: ["方案敲定", "提纲敲定", "敲定", "细节协调"],
    6: ["最后价格确定", "价格确定", "确定价格", "促成订单", "促成定单"],
    7: ["签订订单", "签订定单", "签订合同", "签约", "已签约"],
}
_STAGE_BY_KEYWORD = sorted(((k, s) for s, ks in _STAGE_KEYWORDS.items() for k in ks), key=lambda p: -len(p[0]))
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}


@lru_cache(maxsize=4096)
def parse_stage(value) -> int:
    """1-7 from `3`, `3.已发方案`, `三、…`, or the stage's words (已发方案 → 3)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= value <= 7:
            return int(value)
        raise BadValue(f"跟进状态应为 1-7：{cell_text(value)}")
    text = enum_key(str(value))
    text = re.sub(r"^第\s*(?=[1-7一二三四五六七])", "", text)  # 第3阶段 / 第三步
    text = re.sub(r"^(阶段|stage)[:：]?(?=[1-7](?!\d))", "", text)  # 阶段3 / Stage 3
    if m := re.match(r"^([1-7])(?:$|[.、．)\s:：-]|[^\d])", text):
        return int(m[1])
    if text[:1] in _CN_DIGITS and (len(text) == 1 or not text[1:2].isdigit()):
        return _CN_DIGITS[text[0]]
    for keyword, stage in _STAGE_BY_KEYWORD:
        if keyword in text:
            return stage
    raise BadValue(f"跟进状态填写不规范：{cell_text(value)}（可填 1-7）")


def split_list(value) -> list[str]:
    """`管理咨询、企业内训/拓展` → ['管理咨询', '企业内训', '拓展']."""
    return [p for p in re.split(r"[、,，/;；\s]+", nfkc(cell_text(value))) if p]
