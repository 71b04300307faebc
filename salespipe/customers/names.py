"""Company names taken apart: region, 字号 (trade name), industry words, legal form, branch.

Chinese company names follow 行政区划 + 字号 + 行业 + 组织形式 (天津市 + 格致 + 企业管理咨询 + 有限公司), with a
region sometimes in brackets after the trade name (格致企业管理咨询（天津）有限公司) and a branch at the end
(…有限公司北京分公司). Matching compares the parts; the branch is never dropped.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东",
    "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏",
    "宁夏", "新疆", "香港", "澳门",
)
CITIES = (
    "石家庄", "唐山", "秦皇岛", "邯郸", "邢台", "保定", "张家口", "承德", "沧州", "廊坊", "衡水", "太原", "大同", "沈阳", "大连",
    "鞍山", "抚顺", "锦州", "营口", "长春", "吉林", "哈尔滨", "齐齐哈尔", "大庆", "南京", "无锡", "徐州", "常州", "苏州", "南通",
    "连云港", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁", "杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "台州",
    "合肥", "芜湖", "蚌埠", "福州", "厦门", "泉州", "南昌", "赣州", "济南", "青岛", "淄博", "枣庄", "东营", "烟台", "潍坊",
    "济宁", "泰安", "威海", "日照", "临沂", "德州", "聊城", "滨州", "菏泽", "郑州", "开封", "洛阳", "新乡", "武汉", "宜昌",
    "襄阳", "长沙", "株洲", "湘潭", "广州", "深圳", "珠海", "汕头", "佛山", "东莞", "中山", "江门", "惠州", "南宁", "桂林",
    "海口", "三亚", "成都", "绵阳", "贵阳", "昆明", "西安", "咸阳", "兰州", "西宁", "银川", "乌鲁木齐", "呼和浩特", "包头",
    "拉萨",
)
DISTRICTS = (
    "滨海新区", "和平区", "河西区", "南开区", "河东区", "河北区", "红桥区", "东丽区", "西青区", "津南区", "北辰区", "武清区",
    "宝坻区", "宁河区", "静海区", "蓟州区", "塘沽", "汉沽", "大港", "朝阳区", "海淀区", "丰台区", "东城区", "西城区",
    "浦东新区", "开发区", "经济技术开发区", "高新区", "保税区", "空港经济区",
)
LEGAL_FORMS = (
    "股份有限公司", "有限责任公司", "集团有限公司", "集团股份有限公司", "有限公司", "集团公司", "总公司", "集团", "公司",
    "总厂", "厂", "合作社", "事务所", "中心", "研究院", "研究所", "学校", "医院", "商行", "工作室",
)
BRANCH_WORDS = ("分公司", "分厂", "分部", "分店", "支行", "分行", "分中心", "分院", "营业部")
INDUSTRY_WORDS = (
    "企业管理咨询", "管理咨询", "企业管理", "咨询服务", "咨询", "信息技术", "信息科技", "信息", "网络科技", "科技发展", "科技", "技术开发",
    "技术", "软件", "电子商务", "电子", "电气", "电器", "机械制造", "机械设备", "机械", "汽车配件", "汽车", "化工", "制药", "医药",
    "生物", "食品", "饮料", "服装", "纺织", "印刷", "包装", "塑料", "橡胶", "钢铁", "金属", "五金", "建材", "建筑工程",
    "建筑", "工程", "装饰", "房地产开发", "房地产", "物业服务", "物业管理", "物业", "物流", "运输", "国际贸易", "进出口", "国际",
    "贸易", "商贸", "营销", "实业", "投资", "餐饮管理", "餐饮", "酒店", "旅游", "文化传媒", "文化", "传媒", "广告", "教育",
    "培训", "人力资源", "酒店管理", "供应链管理", "供应链", "环保", "能源", "新能源", "材料", "新材料", "仪器", "设备",
    "制造", "发展", "工业", "商务", "服务",
)
# landline area codes of the cities above (a landline tells the customer's city; a mobile does not)
AREA_CODES = {
    "010": "北京", "022": "天津", "021": "上海", "023": "重庆", "0311": "石家庄", "0315": "唐山", "0316": "廊坊",
    "0317": "沧州", "0312": "保定", "0310": "邯郸", "0335": "秦皇岛", "0351": "太原", "024": "沈阳", "0411": "大连",
    "0431": "长春", "0451": "哈尔滨", "025": "南京", "0512": "苏州", "0510": "无锡", "0571": "杭州", "0574": "宁波",
    "0551": "合肥", "0591": "福州", "0592": "厦门", "0791": "南昌", "0531": "济南", "0532": "青岛", "0535": "烟台",
    "0371": "郑州", "027": "武汉", "0731": "长沙", "020": "广州", "0755": "深圳", "0757": "佛山", "0769": "东莞",
    "0771": "南宁", "0898": "海口", "028": "成都", "0851": "贵阳", "0871": "昆明", "029": "西安", "0931": "兰州",
    "0971": "西宁", "0951": "银川", "0991": "乌鲁木齐", "0471": "呼和浩特",
}


def city_of_phone(phone: str) -> str:
    """天津 for 022…, '' for a mobile or an area code not listed."""
    if not phone.startswith("0"):
        return ""
    return AREA_CODES.get(phone[:3]) or AREA_CODES.get(phone[:4], "")


_REGIONS = sorted({f"{p}省" for p in PROVINCES} | {f"{p}市" for p in PROVINCES + CITIES} | set(PROVINCES) | set(CITIES)
                  | {f"{p}自治区" for p in ("内蒙古", "广西", "西藏", "宁夏", "新疆")} | set(DISTRICTS), key=len, reverse=True)
_DISTRICT_PREFIXES = sorted(DISTRICTS, key=len, reverse=True)
_LEADING_REGION = re.compile("^(?:" + "|".join(map(re.escape, _REGIONS)) + ")")  # longest first
_TRAILING_REGION = re.compile("(?:" + "|".join(map(re.escape, _REGIONS)) + ")$")
_CITY_OF = {**{f"{c}市": c for c in PROVINCES + CITIES}, **{f"{p}省": p for p in PROVINCES},
            **{c: c for c in PROVINCES + CITIES}}
_TIANJIN_DISTRICTS = set(DISTRICTS[:19])
# a representative office (驻津办事处, 代表处) has no legal personality of its own: the company signs, so it
# is the company — unlike a 分公司, a registered branch (metrics.md: branches are different customers)
_DEPARTMENT = re.compile(r"[\u4e00-\u9fff]{1,5}部|办公室|总经办|总经理办公室|[\u4e00-\u9fff]{0,4}(?:办事处|代表处|联络处)"
                         r"|[\u4e00-\u9fff]{1,4}(?:科|处|中心)")
# a department after a branch (…有限公司廊坊分公司行政部) or after a school, hospital, library (…中心小学办公室): blind
# benchmark, tuning seeds 1 and 5, where each such spelling became a customer of its own. The branch words but 营业部,
# itself a department's name (…部)
_BRANCH_DEPARTMENT = re.compile("(?:" + "|".join(w for w in BRANCH_WORDS if w != "营业部") + ")(" + _DEPARTMENT.pattern + ")$")
_INSTITUTION_DEPARTMENT = re.compile(r"(?:学|校|院|馆|宫|园)(办公室|总经办|[\u4e00-\u9fff]{2,4}部)$")
_ANY_DISTRICT = re.compile(r"[\u4e00-\u9fff]{1,3}?(?:新区|区|县)")
_PUNCT = re.compile(r"[\s·・,，.。、'\"“”‘’:：;；!！?？\-—_/\\]+")
_BRACKETS = re.compile(r"[(（\[【]([^()（）\[\]【】]*)[)）\]】]")


@dataclass(frozen=True)
class NameParts:
    region: str  # city or province ('' when none given): 天津
    trade: str  # 字号: 格致
    industry: str  # industry words: 企业管理咨询
    legal_form: str  # 有限公司
    branch: str  # 北京分公司 ('' for the head office)
    core: str  # trade + industry, what remains for comparison: 格致企业管理咨询
    district: str = ""  # a 区/县 written in the name: 河西区 (天津市河西区育才职业培训学校)

    @property
    def key(self) -> str:
        """Region-free, form-free identity of a head office or branch: core + branch."""
        return self.core + ("|" + self.branch if self.branch else "")


def _norm(text: str) -> str:
    """NFKC, case-folded, traditional characters as simplified (北京振遠閥門 → 北京振远阀门, OpenCC t2s), no
    spaces or punctuation."""
    text = _simplified(unicodedata.normalize("NFKC", text)).casefold()
    return _PUNCT.sub("", text)


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _simplified(text: str) -> str:
    return text if text.isascii() else _t2s().convert(text)


def _region_of(text: str) -> str:
    """The city of a leading region: a city or province as itself, a district as its city when only one city
    has it (南开区 → 天津, 海淀区 → 北京), '' for a district several cities have (朝阳区: 北京 and 长春) or
    none (开发区): an unknown city never makes two names a certain non-match (blind benchmark, tuning seed:
    北京市卓诚机械 / 朝阳区… was split as 城市不同：北京 / 朝阳区)."""
    text = text.strip()
    if text in _TIANJIN_DISTRICTS:
        return "天津"
    if text in DISTRICTS:
        return _CITY_OF_DISTRICT.get(text, "")
    return _CITY_OF.get(text, text.removesuffix("市").removesuffix("省"))


_CITY_OF_DISTRICT = {"海淀区": "北京", "丰台区": "北京", "浦东新区": "上海"}


def normalized_name(name: str) -> str:
    """The name as parse_name reads it (its parts are pieces of this, or of `without_brackets`)."""
    return _norm(name)


def without_brackets(name: str) -> str:
    return _BRACKETS.sub("", _norm(name))


@lru_cache(maxsize=500_000)
def parse_name(name: str) -> NameParts:
    text = _norm(name)
    region, branch = "", ""
    # bracketed parts: a region (格致（天津）有限公司) or a branch (…公司（北京分公司）)
    for inner in _BRACKETS.findall(text):
        if inner.endswith(BRANCH_WORDS):
            branch = inner
        elif _LEADING_REGION.match(inner):
            region = region or _region_of(inner)
    text = _BRACKETS.sub("", text)
    if found := _BRANCH_DEPARTMENT.search(text) or _INSTITUTION_DEPARTMENT.search(text):
        text = text[: found.start(1)]
    # a branch after the legal form (…有限公司北京分公司) or after a short name (天津奥华机械北京分公司)
    if not branch:
        for form in LEGAL_FORMS[:9]:
            at = text.find(form)
            if at > 0 and text[at + len(form):].endswith(BRANCH_WORDS):
                text, branch = text[: at + len(form)], text[at + len(form):]
                break
    # a department after the legal form is not another customer: …有限公司行政部 / 销售部 / 办公室
    for form in LEGAL_FORMS[:9]:
        at = text.find(form)
        if at > 0 and _DEPARTMENT.fullmatch(text[at + len(form):]):
            text = text[: at + len(form)]
            break
    if not branch and text.endswith(BRANCH_WORDS):
        word = next(w for w in BRANCH_WORDS if text.endswith(w))
        head = text[: -len(word)]
        found = _TRAILING_REGION.search(head)
        place = found[0] if found and len(head) > len(found[0]) + 1 else head[-2:]
        text, branch = head[: -len(place)], place + word
    # a leading region, then possibly a district: 天津市滨海新区… (a second city name is a 字号: 天津德州营销)
    found = _LEADING_REGION.match(text)
    district = ""
    if found and _only_industry(text[len(found[0]):]) and not region:
        # 银川材料, 天津机械厂: a city followed only by industry words is the 字号 (a company named after its city,
        # or a 字号 that is a city's name: 天津银川新材料 shortened) — blind set, seed 11
        text, found = _region_of(found[0]) + text[len(found[0]):], None
    if found and len(text) > len(found[0]) + 1:
        region = region or _region_of(found[0])
        text = text[len(found[0]):]
        if found[0] in DISTRICTS:
            district = found[0]
        for d in _DISTRICT_PREFIXES:
            if text.startswith(d) and len(text) > len(d) + 1:
                text, district = text[len(d):], d
                break
        else:
            if not district and (m := _ANY_DISTRICT.match(text)) and len(text) >= len(m[0]) + 4:
                text, district = text[len(m[0]):], m[0]  # a 区/县 not listed: 湛江市赤坎区…
    legal = _LEGAL_SUFFIX.first(text, 1)
    text = text[: len(text) - len(legal)]
    industry_words = []
    trade = text
    while word := _INDUSTRY_SUFFIX.first(trade, 2):
        industry_words.insert(0, word)
        trade = trade[: -len(word)]
    return NameParts(region, trade, "".join(industry_words), legal, _norm(branch), text, district)


def is_region(text: str) -> bool:
    """A city, province or district name as a whole (天津, 西安, 南开区)."""
    return bool(_LEADING_REGION.fullmatch(text))


def _only_industry(text: str) -> bool:
    """Nothing but industry words and a legal form (材料, 机械厂, 科技有限公司): no 字号 of its own."""
    text = text[: len(text) - len(_LEGAL_SUFFIX.first(text, 0))]
    while text:
        word = _INDUSTRY_SUFFIX.first(text, 0)
        if not word:
            return False
        text = text[: -len(word)]
    return True


class _Suffixes:
    """The longest word of a list that a text ends with, leaving at least `rest` characters before it ('' when
    none): 集团股份有限公司 rather than 股份有限公司, 新材料 rather than 材料 (the list's first match took 天津市振诚集团
    股份有限公司 for a company named 振诚集团 and 天津市振诚集团 for a different one: blind benchmark, tuning seed 6).
    A dictionary lookup per word length instead of an endswith per word: parse_name called endswith 5.97 M times on
    bench/scale.py's night of 300 new salespeople (47,190 names): 3.9 s of parse_name under pyinstrument, 2.0 s
    with this."""

    def __init__(self, words: tuple[str, ...]):
        self.words = frozenset(words)
        self.lengths = sorted({len(w) for w in words}, reverse=True)

    def first(self, text: str, rest: int) -> str:
        for length in self.lengths:
            if len(text) >= length + rest and text[len(text) - length:] in self.words:
                return text[len(text) - length:]
        return ""


_LEGAL_SUFFIX = _Suffixes(LEGAL_FORMS)
_INDUSTRY_SUFFIX = _Suffixes(INDUSTRY_WORDS)


GROUP_FORMS = ("集团有限公司", "集团股份有限公司", "集团公司", "集团")
FACTORY_FORMS = frozenset({"总厂", "厂"})
COMPANY_FORMS = frozenset({"股份有限公司", "有限责任公司", "有限公司", "公司"})


def parent_and_member(a: NameParts, b: NameParts) -> bool:
    """A group parent and a company of the group (metrics.md: never the same customer): X集团有限公司 beside
    天津X生物科技有限公司 or X集团生物科技有限公司 — the group's name is its 字号 alone, the member's adds
    words after it (and is not itself a 集团)."""
    for group, member in ((a, b), (b, a)):
        if group.legal_form in GROUP_FORMS and not group.industry and member.legal_form not in GROUP_FORMS \
                and len(group.trade) >= 2 and member.core.startswith(group.trade) \
                and len(member.core) >= len(group.trade) + 2:
            return True
    return False


def factory_and_company(a: NameParts, b: NameParts) -> bool:
    """The 厂 and the 有限公司 of one 字号 (天津市金泰印刷厂 / 天津金泰印刷有限公司)."""
    forms = {a.legal_form, b.legal_form}
    return a.trade == b.trade and bool(forms & FACTORY_FORMS) and bool(forms & COMPANY_FORMS)


def abbreviates(short: NameParts, full: NameParts, strict: bool = False) -> bool:
    """`short` is an abbreviation of `full` (metrics.md: its characters in order within the full name's 字号 and
    industry words — 航瑞通信 for 航瑞5G通信技术（天津）有限公司; one character of a longer short name may be
    the abbreviation's own, as 配 in 富航汽配 for 富航汽车零部件, unless `strict`)."""
    if short.branch != full.branch:
        return False
    return any(_abbreviates(short.core, f, strict) for f in {full.core, with_district(full)})


def with_district(parts: NameParts) -> str:
    """The core with the name's district in front, as people shorten school and hospital names: 天津市河西区育才
    中学 → 河西育才中学."""
    if not parts.district:
        return parts.core
    return parts.district.removesuffix("新区").removesuffix("区").removesuffix("县") + parts.core


def _abbreviates(s: str, f: str, strict: bool = False) -> bool:
    if len(s) < 2 or len(s) >= len(f) or s[:2] != f[:2]:
        return False
    missing, at = 0, 0
    for ch in s:
        found = f.find(ch, at)
        if found < 0:
            missing += 1
            continue
        at = found + 1
    return missing == 0 or (missing == 1 and len(s) >= 4 and not strict)


GENERIC_WORDS = ("服务", "发展", "实业", "工业", "商务", "国际", "技术", "科技", "工程", "设备", "材料", "制造")


_TITLE = re.compile(r"[\u4e00-\u9fff](?:经理|总|总监|老师|主任|先生|女士|小姐|部长|主管|科长|处长|院长|校长|会计|秘书|工)")


def is_title(contact: str) -> bool:
    """A contact written as surname + title (王经理, 李老师), which many companies have, not a person's name."""
    return bool(_TITLE.fullmatch(contact))


_NOT_A_DISTRICT = ("开发区", "高新区", "保税区", "经济区", "园区", "工业区")


def _after_city(address: str) -> tuple[str, str]:
    """(the address without its leading city or province, the district it then starts with or '')."""
    text = _norm(address)
    found = _LEADING_REGION.match(text)
    while found and found[0] not in DISTRICTS and len(text) > len(found[0]):
        text = text[len(found[0]):]
        found = _LEADING_REGION.match(text)
    return text, found[0] if found and found[0] in DISTRICTS else ""


@lru_cache(maxsize=200_000)
def district_of_address(address: str) -> str:
    """The 区/县 an address names after its city (天津市河北区狮子林大街… → 河北区; 河北区… → 河北区), or '' (none, or
    a development zone, which is no district)."""
    text, district = _after_city(address)
    district = district or (m[0] if (m := _ANY_DISTRICT.match(text)) else "")
    return "" if district.endswith(_NOT_A_DISTRICT) else district


@lru_cache(maxsize=200_000)
def address_key(address: str) -> str:
    """The address for comparison: NFKC, no spaces or punctuation, without its leading city or province
    (天津市河北区狮子林大街94号 = 河北区狮子林大街94号); '' when nothing is left beyond a district (河北区 alone
    says too little to count as the same address)."""
    text, district = _after_city(address)
    return text if len(text) - len(district) >= 4 else ""


@lru_cache(maxsize=200_000)
def region_of_address(address: str) -> str:
    """The city an address starts with (天津市南开区… → 天津; 南开区… → 天津), or ''."""
    found = _LEADING_REGION.match(_norm(address))
    return _region_of(found[0]) if found else ""


def industry_conflict(a: NameParts, b: NameParts) -> bool:
    """Both names state a specific line of business and the words share nothing (格致科技 vs 格致咨询);
    generic words (服务, 技术, 国际 …) alone never conflict."""
    return _industries_conflict(a.industry, b.industry)


@lru_cache(maxsize=200_000)
def _industries_conflict(a: str, b: str) -> bool:
    x, y = specific_words(a), specific_words(b)
    if not x or not y:
        return False
    return not (x in y or y in x or _shared_word(x, y))


def same_characters(a: str, b: str) -> bool:
    """The same 字号 start and at least 80 % of the characters in common, in another order (swapped industry
    words: 万瑞海洋工程 / 万瑞工程海洋)."""
    if len(a) < 4 or len(b) < 4 or a[:2] != b[:2] or a == b:
        return False
    x, y = set(a), set(b)
    return len(x & y) / len(x | y) >= 0.8


@lru_cache(maxsize=200_000)
def sound(core: str) -> str:
    """How a name's core is said, without tones (pypinyin): 鼎科电气 and 顶科电气 are both 'ding ke dian qi'."""
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(core))


def may_sound_alike(x: str, y: str) -> bool:
    """Whether `sound` could say the two names alike: at every position the same character or two characters that
    share a reading (pypinyin's readings of each character alone, without tones). Most names compared share only
    their first two characters; this spares pypinyin for them: on bench/scale.py's night of 300 new salespeople
    `sound` was called for 31,317 names, and the match took 4.6 s; with this check first (and `_Suffixes`) 2.85 s."""
    return len(x) == len(y) and all(a == b or _readings(a) & _readings(b) for a, b in zip(x, y))


@lru_cache(maxsize=20_000)
def _readings(character: str) -> frozenset[str]:
    from pypinyin import Style, pinyin

    return frozenset(pinyin(character, style=Style.NORMAL, heteronym=True)[0])


def businesses_differ(a: NameParts, b: NameParts) -> bool:
    """Two lines of business under one 字号 (sister companies: 发佳力餐饮管理 / 发佳力石油设备): what follows the
    names' common start (at least two characters) is, in both, at least two characters of specific words (not
    服务, 发展 …; words the industry list does not know, such as 石油, count) and shares no character. An
    abbreviation shares some (格致咨询 / 格致企业管理咨询, 富航汽配 / 富航汽车零部件), and a one-character typo
    leaves one character on each side (润环物流 / 润环物业: left to the score)."""
    k = common_start(a.core, b.core)
    x, y = specific_words(a.core[k:]), specific_words(b.core[k:])
    return k >= 2 and len(x) >= 2 and len(y) >= 2 and not set(x) & set(y)


def other_lines(a: NameParts, b: NameParts) -> bool:
    """Two full company names (有限公司, 股份有限公司 …) of one 字号 whose industry words, as parse_name reads them, name
    other lines of business: both specific and sharing no word (昌瑞电子科技 / 昌瑞新材料科技, 振诚酒店管理 / 振诚物业
    管理), or one only generic and no word in common (昌瑞实业 / 昌瑞新材料科技, 振诚实业 / 振诚物业管理). Two companies
    of one group at one address were asked (blind benchmark, tuning seeds 5 and 6); a full name that drops its
    specific words keeps a generic one (鸿越科技 / 鸿越新材料科技), a typo leaves a word unread (金瑞能元科技) or makes
    it another (物流 / 物业): none is caught."""
    if a.legal_form not in COMPANY_FORMS or b.legal_form not in COMPANY_FORMS or a.trade != b.trade \
            or len(a.trade) < 2 or not a.industry or not b.industry or _one_apart(a.industry, b.industry):
        return False
    if _industries_conflict(a.industry, b.industry):
        return True
    x, y = a.industry, b.industry
    return bool(specific_words(x) or specific_words(y)) and not (x in y or y in x or _shared_word(x, y))


def _one_apart(x: str, y: str) -> bool:
    """One character changed, added or dropped: a typo that makes one industry word another (润环物流 / 润环物业,
    bench/customers_bench.py) is left to the score."""
    return Levenshtein.distance(x, y) <= 1


def common_start(x: str, y: str) -> int:
    """How many leading characters the two strings share."""
    k = 0
    while k < min(len(x), len(y)) and x[k] == y[k]:
        k += 1
    return k


def specific_words(industry: str) -> str:
    for word in GENERIC_WORDS:
        industry = industry.replace(word, "")
    return industry


def _shared_word(x: str, y: str) -> bool:
    return any(w in x and w in y for w in INDUSTRY_WORDS if len(w) >= 2)
