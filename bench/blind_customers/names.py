"""Word lists for the blind customer benchmark: places, 字号 characters, industries, people, and the
spelling tables (homophones, look-alike characters, traditional characters).

Written from general knowledge of how Tianjin companies are named, not from the matcher."""
from __future__ import annotations

import re
import unicodedata

# --------------------------------------------------------------------------------------------- places
TIANJIN_DISTRICTS = ["和平区", "河西区", "南开区", "河东区", "河北区", "红桥区", "东丽区", "西青区", "津南区",
                     "北辰区", "武清区", "宝坻区", "滨海新区", "宁河区", "静海区", "蓟州区"]
ROADS = {
    "和平区": ["南京路", "营口道", "成都道", "贵州路", "西康路", "南马路", "重庆道"],
    "河西区": ["友谊路", "黑牛城道", "紫金山路", "解放南路", "宾水道", "围堤道", "洞庭路"],
    "南开区": ["复康路", "卫津路", "白堤路", "鞍山西道", "红旗路", "黄河道", "长江道"],
    "河东区": ["津塘路", "十一经路", "六纬路", "卫国道", "华昌道", "东兴路"],
    "河北区": ["中山路", "金纬路", "狮子林大街", "昆纬路", "建昌道", "增产道"],
    "红桥区": ["西青道", "湘潭道", "丁字沽一号路", "芥园道", "咸阳北路"],
    "东丽区": ["先锋路", "津汉公路", "东丽大道", "外环东路", "詹滨西路"],
    "西青区": ["中北大道", "学府大道", "赛达大道", "李七庄街", "杨柳青大道"],
    "津南区": ["津沽路", "海河教育园区同砚路", "咸水沽大道", "双港路"],
    "北辰区": ["京津公路", "北辰道", "引河里大街", "双街路", "宜兴埠大道"],
    "武清区": ["泉兴路", "京滨工业园京滨睿城", "雍阳西道", "福源道"],
    "宝坻区": ["南三路", "宝平路", "开元路", "建设路"],
    "滨海新区": ["第三大街", "黄海路", "海泰发展六道", "洞庭路", "新港二号路", "响螺湾迎宾大道", "中新生态城和畅路"],
    "宁河区": ["芦台光明路", "潘庄镇正源路"],
    "静海区": ["静海经济开发区北区", "胜利南路", "团泊大道"],
    "蓟州区": ["人民西大街", "渔阳北路"],
}
BUILDINGS = ["国际大厦", "金融中心", "科技园", "创业中心", "写字楼", "商务大厦", "工业园", "大厦", "广场"]

# other cities: districts, roads, area code and number of digits of a landline after the area code
OTHER_CITIES = {
    "北京": (["朝阳区", "海淀区", "丰台区", "东城区", "大兴区"], ["建国路", "中关村大街", "丰台北路", "东长安街", "亦庄经济技术开发区荣华南路"], "010", 8),
    "上海": (["浦东新区", "徐汇区", "闵行区", "静安区"], ["张江路", "漕溪北路", "虹梅路", "南京西路"], "021", 8),
    "廊坊": (["广阳区", "安次区"], ["新华路", "银河南路"], "0316", 7),
    "唐山": (["路北区", "路南区"], ["建设北路", "新华东道"], "0315", 7),
    "沧州": (["运河区", "新华区"], ["解放西路", "永济路"], "0317", 7),
    "石家庄": (["长安区", "桥西区"], ["中山东路", "裕华路"], "0311", 8),
    "济南": (["历下区", "市中区"], ["泉城路", "经十路"], "0531", 8),
}
CITIES = ["天津", "北京", "上海", "廊坊", "唐山", "沧州", "石家庄", "济南"]
ALL_DISTRICTS = TIANJIN_DISTRICTS + [d for v in OTHER_CITIES.values() for d in v[0]]
PLACE_WORDS = {d.removesuffix("新区").removesuffix("区") for d in ALL_DISTRICTS} | set(CITIES) | {"津", "中国", "国际"}

# ------------------------------------------------------------------------------------------- 字号
ZIHAO_FIRST = "航华金宏鑫恒盛海嘉博天联新长永德凯普万信众英泰明锦瑞丰安利康荣祥源佳润通益昌盈振兆腾飞宇诚正广裕汇鼎鸿亿隆富顺力远卓越晟"
ZIHAO_SECOND = "瑞兴泰达源通盛禾远正创锐信润华合杰明川科辉峰业成宇泽升航捷诚丰宝汇鑫越鼎美嘉康安顺昌恒威"
# characters a 字号 is made of (a look-alike sibling's 字号 uses only these)
NAME_CHARS = set(ZIHAO_FIRST + ZIHAO_SECOND + "晖锋浚晟莹汪桓锐睿星馨新欣芯太弘洪元园同彤胜衡亨佳家柏添连勇得楷恺浦颖铭"
                 "鸣晋枫岸立丽容融蓉翔常畅赢震照菲雨忠钟成城承政铮光玉育惠慧定龙福舜跃悦禾创捷洁传可叶保葆梅生择杭艺益苑维伟")

# industries: tuples of parts (the 行业词); 2-part Chinese ones can be swapped
INDUSTRIES = [
    ("5G", "通信技术"), ("通信", "技术"), ("电子", "科技"), ("信息", "技术"), ("生物", "科技"), ("生物", "医药"),
    ("医药",), ("机械",), ("机械", "制造"), ("精密", "机械"), ("化工",), ("新材料", "科技"), ("环保", "科技"),
    ("物流",), ("国际", "物流"), ("国际", "贸易"), ("商贸",), ("建筑", "工程"), ("建材",), ("食品",),
    ("食品", "科技"), ("汽车", "零部件"), ("电气",), ("自动化", "设备"), ("电力", "设备"), ("软件", "技术"),
    ("网络", "科技"), ("实业",), ("纺织",), ("服装",), ("印刷",), ("包装", "材料"), ("塑料", "制品"),
    ("金属", "制品"), ("石油", "设备"), ("仪器", "仪表"), ("医疗", "器械"), ("文化", "传媒"), ("广告",),
    ("教育", "科技"), ("餐饮", "管理"), ("酒店", "管理"), ("物业", "管理"), ("人力", "资源"), ("装饰", "工程"),
    ("照明", "科技"), ("能源", "科技"), ("新能源", "科技"), ("海洋", "工程"), ("船舶", "工程"), ("橡胶", "制品"),
    ("涂料",), ("五金",), ("模具",), ("家具",), ("电缆",), ("阀门",), ("轴承",), ("供应链", "管理"),
    ("智能", "装备"), ("机电", "设备"), ("钢铁",), ("电器",), ("工程", "技术"), ("检测", "技术"), ("数据", "科技"),
]
# industries that a 厂 (factory) is named with
FACTORY_INDUSTRIES = [("机械",), ("电缆",), ("阀门",), ("轴承",), ("塑料", "制品"), ("纺织",), ("服装",), ("印刷",),
                      ("五金",), ("模具",), ("家具",), ("涂料",), ("橡胶", "制品"), ("金属", "制品"), ("电器",), ("食品",)]
# a near industry for look-alike siblings (same 字号, one word different)
NEAR_INDUSTRY = {"科技": "技术", "技术": "科技", "制品": "材料", "材料": "制品", "设备": "装备", "装备": "设备",
                 "工程": "技术", "管理": "服务", "医药": "医疗", "物流": "运输", "贸易": "商贸"}
GROUP_SUB_INDUSTRIES = [("生物", "科技"), ("物流",), ("国际", "贸易"), ("置业",), ("建筑", "工程"), ("物业", "管理"),
                        ("新材料", "科技"), ("医药",), ("实业",), ("能源", "科技"), ("电子", "科技"), ("酒店", "管理")]
SCHOOLS = ["实验小学", "第一中学", "第二中学", "育才中学", "实验中学", "第二十一中学", "中心小学", "师范附属小学",
           "职业中等专业学校", "第一幼儿园", "中医医院", "人民医院", "妇幼保健院", "图书馆", "少年宫"]

# --------------------------------------------------------------------------------------------- people
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建国志宏海波宁欣颖琳晨雪梅婷浩宇斌峰辉凯东亮晓燕丹蕾倩鑫佳慧俊"
TITLES = ["经理", "经理", "经理", "总", "主任", "部长", "老师", "女士", "先生", "主管", "总监"]

# ------------------------------------------------------------------------------------------ spellings
_HOMOPHONE_GROUPS = [
    "瑞锐睿", "华化桦", "兴星馨", "鑫新欣芯", "泰太", "达大", "宏弘鸿", "源元园圆", "通同彤", "盛胜晟", "恒衡亨",
    "嘉佳家", "博搏柏", "天添", "联连", "永勇涌", "德得", "凯楷恺", "普浦谱", "英鹰颖", "明铭鸣", "金锦晋",
    "丰峰锋枫", "安岸", "利力立丽", "康慷", "荣容融蓉", "祥翔", "润闰", "昌常畅", "盈赢莹", "振震镇", "兆照",
    "腾藤", "飞菲", "宇雨语", "中忠钟", "诚成城承", "正政铮", "广光", "裕玉育", "汇惠慧辉", "鼎顶定", "隆龙",
    "富福复", "顺舜", "卓桌", "越跃悦", "合禾", "创窗", "杰捷洁", "川船传", "科可", "业叶", "宝保葆", "美梅",
    "升生声", "泽择", "航杭", "亿艺益", "远苑", "威维伟",
    # industry words
    "信讯", "技际", "电店", "机基", "制治质", "程成", "材才财", "器气", "设社", "备被", "贸茂", "易益", "流留",
    "物务", "商尚", "医依", "药要", "环还", "装庄", "饰式", "建健", "零灵", "件建", "网往", "络落", "洋阳", "纺访",
    "服福", "仪义", "传船", "媒梅", "餐参", "酒久", "理里", "资姿", "照召", "胶交", "涂图", "链连", "智志",
]
_LOOKALIKE_PAIRS = ["己已", "未末", "准淮", "侯候", "祥详", "锦绵", "辉晖", "杨扬", "俊浚", "峰锋", "润涧", "明朋",
                    "永水", "荣莹", "金全", "泽择", "茂贸", "博傅", "贝见", "晶品", "拓柘", "旺汪", "盈盆", "泰秦",
                    "天夫", "技枝", "械诫", "设没", "材村", "讯汛", "电由", "科料", "宏宠", "航舫",
                    "恒桓", "瑞端", "源塬", "盛晟", "通逋", "嘉喜", "凯剀", "昌冒", "腾滕", "宇字", "诚城",
                    "裕峪", "汇汀", "鼎鼐", "隆陵", "富副", "顺须", "创仓", "川州", "业亚", "宝室",
                    "升开", "捷婕", "威葳", "康庚", "安妄", "力办", "远运", "卓桌", "正止", "兴舆"]


def _pairs(groups):
    out: dict[str, list[str]] = {}
    for g in groups:
        for ch in g:
            for other in g:
                if other != ch and other not in out.setdefault(ch, []):
                    out[ch].append(other)
    return out


HOMOPHONES = _pairs(_HOMOPHONE_GROUPS)
LOOKALIKES = _pairs([p for p in _LOOKALIKE_PAIRS if len(set(p)) == 2 and "厂" not in p])

_T = ("华華 兴興 电電 机機 达達 业業 贸貿 东東 广廣 国國 际際 发發 实實 团團 环環 医醫 药藥 设設 备備 筑築 "
      "云雲 龙龍 丰豐 汇匯 鸿鴻 润潤 泽澤 荣榮 锦錦 辉輝 运運 输輸 务務 资資 询詢 讯訊 网網 络絡 软軟 农農 产產 "
      "气氣 仪儀 疗療 纺紡 织織 装裝 饰飾 钢鋼 铁鐵 属屬 制製 质質 胶膠 阀閥 门門 轴軸 缆纜 线線 灯燈 济濟 术術 "
      "学學 区區 县縣 厂廠 责責 销銷 处處 办辦 驻駐 锐銳 庆慶 乐樂 义義 飞飛 马馬 长長 书書 车車 动動 数數 应應 "
      "链鏈 计計 划劃 进進 优優 贝貝 宝寶 亿億 万萬 众眾 联聯 创創 纳納 维維 远遠 丽麗 凤鳳 盛盛 恒恆 宏宏 顺順 "
      "鑫鑫 凯凱 佳佳 昌昌 诚誠 鼎鼎 隆隆 卓卓 越越 杰傑 宇宇 峰峰 宁寧 静靜 蓟薊 宝寶 坻坻 滨濱 红紅 桥橋 丽麗 "
      "关關 条條 电電 脑腦 开開 园園 师師 范範 属屬 院院 馆館 妇婦 儿兒 职職 专專 业業 图圖 检檢 测測 据據 "
      "韩韓 刘劉 陈陳 杨楊 赵趙 黄黃 吴吳 孙孫 郑鄭 谢謝 冯馮 邓鄧 许許 沈沈 苏蘇 卢盧 蒋蔣 贾賈 阎閻 钟鍾 汪汪 "
      "启啟 兰蘭 凤鳳 涛濤 伟偉 娟娟 艳艷 军軍 华華 刚剛 鹏鵬 杂雜 购購 采採 部部 总總 经經 级級 类類 务務 "
      "节節 热熱 风風 险險 车車 轮輪 机機 筑築 设設 厦廈 层層 号號 际際 飞飛 腾騰 鸣鳴 铭銘 锋鋒 枫楓 亚亞 "
      "岁歲 宽寬 广廣 汉漢 游遊 览覽 传傳 体體 码碼 智智 装裝 涂塗 胜勝 晋晉 兰蘭 复復 龚龔 罗羅 梁梁 宋宋")
TRADITIONAL = {p[0]: p[1] for p in _T.split() if len(p) == 2 and p[0] != p[1]}

EXTRA_WORDS = ["销售部", "采购部", "人力资源部", "行政部", "（老客户）", "(老客户)", "培训部", "办公室", "总经办", "（新客户）"]


# --------------------------------------------------------------------------------- spec normalisation
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\u00a0\u3000]")
_PUNCT = re.compile(r"[()\[\]【】<>《》\-—_·•,，.。、:：;；/\\\"'“”‘’!！?？#&＆+*]")
_BRACKET_REGION = re.compile(r"\((?:%s)(?:市|省)?\)" % "|".join(CITIES))
_LEGAL = ["股份有限公司", "有限责任公司", "有限公司", "集团", "分公司", "厂"]  # 厂 too: read conservatively


def name_key(name: str) -> str:
    """The contract's normalised name (metrics.md), read conservatively: NFKC, no spaces or
    punctuation, （）=(), a leading or bracketed region dropped (any city, not only 天津), legal-form
    suffixes dropped. Two names of different companies must never share this key unless they name
    different cities or districts (the contract's certain non-match)."""
    s = _INVISIBLE.sub("", unicodedata.normalize("NFKC", name))
    s = _BRACKET_REGION.sub("", s)
    s = _PUNCT.sub("", s)
    for city in CITIES:
        for form in (city + "市", city + "省", city):
            if s.startswith(form):
                s = s[len(form):]
                break
        else:
            continue
        break
    changed = True
    while changed:
        changed = False
        for suffix in _LEGAL:
            if s.endswith(suffix) and len(s) > len(suffix):
                s = s[: -len(suffix)]
                changed = True
    return s


def places_in(name: str) -> tuple[frozenset, frozenset]:
    """The cities and the districts (区/县) written inside a name."""
    s = unicodedata.normalize("NFKC", name)
    cities = frozenset(c for c in CITIES if c in s)
    districts = frozenset(d for d in ALL_DISTRICTS if d in s)
    return cities, districts


def phone_key(phone: str) -> str:
    """The contract's normalised phone: digits only, no +86/86, a bare 8-digit landline gets 022."""
    d = re.sub(r"\D", "", unicodedata.normalize("NFKC", str(phone)))
    if d.startswith("0086"):
        d = d[4:]
    elif d.startswith("86") and len(d) in (13, 12, 11) and not re.fullmatch(r"1[3-9]\d{9}", d):
        d = d[2:]
    if len(d) == 8:
        d = "022" + d
    return d


def legal_form(name: str) -> str:
    """'厂' or 'ltd' when the name ends with that legal form, else ''."""
    s = _PUNCT.sub("", _INVISIBLE.sub("", unicodedata.normalize("NFKC", name)))
    if s.endswith("厂"):
        return "厂"
    if s.endswith(("有限公司", "有限责任公司")):
        return "ltd"
    return ""
