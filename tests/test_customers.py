"""One customer, one code: name parts, variants that merge, hard negatives that do not, the review
loop through a real workbook, stable codes, and the 跟单号 ledger."""
import datetime as dt

import openpyxl
import pytest

from salespipe.cli import main
from salespipe.customers.match import Record, match
from salespipe.customers.names import parse_name
from conftest import LOG_HEADER, log_row

D1, D2, D3 = dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25)
FULL = "天津市格致企业管理咨询有限公司"
OTHER_ROAD = "天津市南开区鞍山西道100号"  # log_row's default is 天津市南开区复康路12号: one address would be evidence


@pytest.mark.parametrize("name, region, trade, industry, form, branch", [
    (FULL, "天津", "格致", "企业管理咨询", "有限公司", ""),
    ("格致企业管理咨询（天津）有限公司", "天津", "格致", "企业管理咨询", "有限公司", ""),
    ("天津 格致企业管理咨询 有限公司", "天津", "格致", "企业管理咨询", "有限公司", ""),
    ("天津格致咨询", "天津", "格致", "咨询", "", ""),
    ("格致企业管理咨询有限责任公司", "", "格致", "企业管理咨询", "有限责任公司", ""),
    ("天津市格致企业管理咨询有限公司北京分公司", "天津", "格致", "企业管理咨询", "有限公司", "北京分公司"),
    ("格致企业管理咨询有限公司（北京分公司）", "", "格致", "企业管理咨询", "有限公司", "北京分公司"),
    ("天津市滨海新区泰达机械制造有限公司", "天津", "泰达", "机械制造", "有限公司", ""),
    ("北京市德州营销有限公司", "北京", "德州", "营销", "有限公司", ""),     # a city name as 字号 after the region
    ("ＡＢＣ科技（天津）有限公司", "天津", "abc", "科技", "有限公司", ""),
    ("银川材料", "", "银川", "材料", "", ""),              # a city followed only by industry words: the 字号
    ("天津市机械厂", "", "天津", "机械", "厂", ""),
    ("天津银川新材料有限责任公司", "天津", "银川", "新材料", "有限责任公司", ""),  # the longest industry word
])
def test_name_parts(name, region, trade, industry, form, branch):
    parts = parse_name(name)
    assert (parts.region, parts.trade, parts.industry, parts.legal_form, parts.branch) == (
        region, trade, industry, form, branch)


def _records(*specs):
    return [Record(i, {name}, {phone} if phone else set(), {contact} if contact else set(), order=(i,))
            for i, (name, phone, contact) in enumerate(specs)]


@pytest.mark.parametrize("variant, phone, contact", [
    ("格致企业管理咨询（天津）有限公司", "", "刘总"),                 # bracketed region, another contact, no phone
    ("天津 格致企业管理咨询 有限公司", "13900000000", ""),            # spaces, another phone
    ("天津格致企业管理咨询有限责任公司", "", ""),                      # another legal form, nothing else
    ("天津格致咨询", "02223456789", ""),                            # short name + the same phone
    ("天津格致咨询", "", "王经理"),                                  # short name + the same contact
    ("天津市格至企业管理咨询有限公司", "02223456789", ""),             # one-character typo + the same phone
])
def test_variants_of_one_company_merge(variant, phone, contact):
    result = match(_records((FULL, "02223456789", "王经理"), (variant, phone, contact)))
    assert result.cluster_of[0] == result.cluster_of[1]


@pytest.mark.parametrize("other, phone, contact", [
    ("北京格致企业管理咨询有限公司", "01062345678", "赵总"),           # same 字号, another city
    ("格致企业管理咨询（北京）有限公司", "", ""),                      # same name, bracketed other city
    ("天津市格致企业管理咨询有限公司北京分公司", "02223456789", "王经理"),  # a branch, even with the same phone
    ("天津格致科技有限公司", "02287654321", "李工"),                   # same 字号 and city, another industry
    ("天津市格智企业管理咨询有限公司", "02287654321", "李工"),           # one character different
    ("天津华泰机械有限公司", "02223456789", "王经理"),                 # same phone and contact, unrelated name
])
def test_hard_negatives_are_never_merged(other, phone, contact):
    result = match(_records((FULL, "02223456789", "王经理"), (other, phone, contact)))
    assert result.cluster_of[0] != result.cluster_of[1]


def test_uncertain_pair_goes_to_review():
    # the short name with another phone but the same contact: 字号 2.5 + contact 1.5 − phone 0.5 = 3.5
    result = match(_records((FULL, "02223456789", "王经理"), ("天津格致咨询", "13900000000", "王经理")))
    assert result.cluster_of[0] != result.cluster_of[1]
    (pair,) = result.reviews
    assert pair.score == 3.5 and "字号相同：格致" in pair.reasons


def test_a_chain_through_two_clearly_different_names_goes_to_review():
    # B matches A by name and C by phone; A and C are unrelated names: never one cluster
    records = _records((FULL, "02223456789", "王经理"), ("天津格致咨询", "13900000000", "王经理"),
                       ("天津华泰机械有限公司", "13900000000", "王经理"))
    result = match(records)
    assert result.cluster_of[0] != result.cluster_of[2]


# ---------------------------------------------------------------- through ingest


def _log(project, name, rows):
    project.add(name, [LOG_HEADER, *rows])
    return project.ingest()


def test_variants_in_sheets_share_one_code_and_keep_their_spellings(project):
    project.add_roster()
    _log(project, "a.xlsx", [log_row(D1, customer=FULL, phone="022-23456789"),
                             log_row(D1, customer="格致企业管理咨询（天津）有限公司", phone="(022)23456789"),
                             log_row(D2, customer="天津格致咨询", phone="+86 22 2345 6789")])
    assert project.query("select distinct customer_code from activities") == [("KH000001",)]
    spellings = project.query("select alias_name from customer_aliases where customer_code = 'KH000001' order by 1")
    assert len(spellings) == 3


def test_uncertain_match_gets_its_own_code_and_a_review_pair(project):
    project.add_roster()
    _log(project, "a.xlsx", [log_row(D1, customer=FULL, phone="022-23456789")])
    summary = _log(project, "b.xlsx", [log_row(D2, customer="天津格致咨询", phone="13900000000", address=OTHER_ROAD)])
    assert summary.new_reviews == 1
    assert project.query("select left_code, right_code, left_name, right_name from customer_match_review") == [
        ("KH000001", "KH000002", FULL, "天津格致咨询")]


def _decide(project, tmp_path, decision):
    assert main(["review", "--out", str(tmp_path / "review"), "--config", str(project.root / "config" / "salespipe.toml")]) == 0
    (path,) = (tmp_path / "review").glob("客户匹配待确认_*.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[2]]
    assert ws.cell(3, header.index("客户名称A") + 1).value == FULL
    assert ws.cell(3, header.index("客户名称B") + 1).value == "天津格致咨询"
    assert "字号相同：格致" in ws.cell(3, header.index("理由") + 1).value
    # by hand: 022-23456789 vs 13900000000, 王经理 both, 复康路12号 vs 鞍山西道100号
    assert [ws.cell(3, header.index(h) + 1).value for h in ("电话", "联系人", "地址")] == ["不同", "相同", "不同"]
    assert ws.cell(3, header.index("电话") + 1).fill.fgColor.rgb.endswith("FFC7CE")
    assert any(header.index("是否同一客户") + 1 == openpyxl.utils.column_index_from_string(str(rng).split(":")[0][:1])
               for dv in ws.data_validations.dataValidation for rng in dv.sqref.ranges)
    ws.cell(3, header.index("是否同一客户") + 1, decision)
    ws.cell(3, header.index("审核人") + 1, "吴经理")
    wb.save(project.inbox / path.name)
    return project.ingest(now=dt.datetime(2026, 11, 26, 18, 30))


def test_review_round_trip_merge_keeps_the_older_code(project, tmp_path):
    project.add_roster()
    _log(project, "a.xlsx", [log_row(D1, customer=FULL, phone="022-23456789")])
    _log(project, "b.xlsx", [log_row(D2, customer="天津格致咨询", phone="13900000000", address=OTHER_ROAD)])
    _decide(project, tmp_path, "是")
    assert project.query("select customer_code from customers") == [("KH000001",)]
    assert project.query("select alias_code, customer_code from customer_aliases where alias_code is not null") == [
        ("KH000002", "KH000001")]
    assert project.query("select count(*) from customer_match_review") == [(0,)]
    # history is kept as written, counts resolve to the survivor
    assert sorted(project.query("select customer_code from activities")) == [("KH000001",), ("KH000002",)]
    assert project.query("select active_customers from mart_activity_monthly where salesperson_id = 'S001'") == [(1,)]
    # a new customer after the merge gets a new number: KH000002 is never reused
    _log(project, "c.xlsx", [log_row(D3, customer="天津华泰机械有限公司", phone="13700000000", contact="周工")])
    assert project.query("select customer_code from customers order by 1") == [("KH000001",), ("KH000003",)]
    # the spelling of the merged code now resolves to the survivor
    _log(project, "d.xlsx", [log_row(D3, customer="天津格致咨询", phone="13900000000")])
    assert project.query("select customer_code from activities where source_file = 'd.xlsx'") == [("KH000001",)]


def test_review_round_trip_not_the_same_is_never_proposed_again(project, tmp_path):
    project.add_roster()
    _log(project, "a.xlsx", [log_row(D1, customer=FULL, phone="022-23456789")])
    _log(project, "b.xlsx", [log_row(D2, customer="天津格致咨询", phone="13900000000", address=OTHER_ROAD)])
    _decide(project, tmp_path, "否")
    assert project.query("select left_code, right_code, same, reviewer from customer_match_decisions") == [
        ("KH000001", "KH000002", False, "吴经理")]
    assert project.query("select count(*) from customer_match_review") == [(0,)]
    summary = _log(project, "c.xlsx", [log_row(D3, customer="天津 格致咨询", phone="13800000000")])
    assert summary.new_reviews == 0
    assert project.query("select count(*) from customers") == [(2,)]


def test_codes_are_the_same_when_the_same_inputs_are_ingested_again(tmp_path):
    from conftest import Project

    codes = []
    for name in ("one", "two"):
        project = Project(tmp_path / name)
        project.add_roster()
        project.add("b.xlsx", [LOG_HEADER, log_row(D2, customer="天津乙有限公司", phone="13700000001", contact="甲"),
                               log_row(D1, customer="天津丙机械有限公司", phone="13700000002", contact="乙")])
        project.add("a.xlsx", [LOG_HEADER, log_row(D1, "李四", customer=FULL, phone="13700000003", contact="丙")])
        project.ingest()
        codes.append(project.query("select customer_code, name from customers order by 1"))
    assert codes[0] == codes[1]
    # first appearance: 11-23 rows (b.xlsx is older than a.xlsx, row order within it) before 11-24
    assert codes[0] == [("KH000001", "天津丙机械有限公司"), ("KH000002", FULL), ("KH000003", "天津乙有限公司")]


def test_orders_find_their_customer_under_another_spelling(project):
    project.add_roster()
    project.add("log.xlsx", [LOG_HEADER, log_row(D1, customer=FULL)])
    project.add("orders.xlsx", [["签单日期", "业务员", "客户名称", "业务类型", "合同金额"],
                                [D2, "张三", "格致企业管理咨询（天津）有限公司", "咨询", 9000]])
    project.ingest()
    assert project.query("select customer_code from orders") == [("KH000001",)]


# ---------------------------------------------------------------- 跟单号


def test_followups_get_sequential_numbers_and_current_fields(project):
    project.add_roster()
    header = LOG_HEADER + ["推介业务"]
    project.add("a.xlsx", [header,
        log_row(D1, customer=FULL, cls="B", stage="1") + ["企业内训+中层管理"],
        log_row(D1, customer="天津华泰机械有限公司", phone="13700000000", contact="周工", cls="C") + ["咨询"],
        log_row(D2, customer=FULL, cls="B", stage="3") + ["管理咨询"],
        log_row(D3, customer=FULL, cls="B1", stage="5", result="继续跟进") + ["企业内训"]])
    summary = project.ingest()
    assert summary.new_followups == 2
    assert project.query("select followup_no, customer_code, business_type, developed_on, last_followup_on, last_stage, "
                         "customer_class from followups order by 1") == [
        ("GD000001", "KH000001", "企业内训", D1, D3, 5, "B1"),
        ("GD000002", "KH000001", "管理咨询", D2, D2, 3, "B")]
    # class C customers get no 跟单号; log rows are linked to theirs
    assert project.query("select followup_no from activities order by activity_date, source_row") == [
        ("GD000001",), (None,), ("GD000002",), ("GD000001",)]


# ---------------------------------------------------------------- metrics.md's certain rules, through ingest


def _codes(project, rows):
    project.add_roster()
    summary = _log(project, "日志表_张三_20261123.xlsx", rows)
    codes = dict(project.query("select customer_name, customer_code from activities"))
    return codes, summary


def test_an_abbreviation_with_the_same_phone_and_contact_is_the_same_customer(project):
    codes, summary = _codes(project, [
        log_row(D1, customer="航瑞5G通信技术（天津）有限公司", contact="刘明", phone="13812345678"),
        log_row(D1, customer="航瑞通信", contact="刘明", phone="138-1234-5678"),
        log_row(D1, customer="天津市富航汽车零部件股份有限公司", contact="赵刚", phone="022-58761234"),
        log_row(D1, customer="富航汽配", contact="赵刚", phone="02258761234")])
    # by hand: 航瑞 first (KH000001) with its abbreviation; 富航 second (KH000002) with 汽配
    assert codes == {"航瑞5G通信技术（天津）有限公司": "KH000001", "航瑞通信": "KH000001",
                     "天津市富航汽车零部件股份有限公司": "KH000002", "富航汽配": "KH000002"}
    assert summary.new_reviews == 0


def test_a_short_form_written_at_the_full_names_road_and_number_is_the_same_customer(project):
    codes, summary = _codes(project, [
        log_row(D1, customer="天津鼎业电力设备股份有限公司", contact="郑伟", phone="022-27351234",
                address="天津市南开区黄河道135号创业中心14层"),
        log_row(D1, customer="鼎业电力", contact="孙经理", phone="13612345678", address="南开区黄河道135号创业中心14层"),
        # two full names of one group at one address, the second with a character of its own (置): two customers
        log_row(D1, customer="天津嘉宇物业管理有限公司", contact="钱敏", phone="022-26661111",
                address="天津市北辰区宜兴埠大道40号"),
        log_row(D1, customer="天津嘉宇置业有限公司", contact="吴刚", phone="022-26662222",
                address="天津市北辰区宜兴埠大道40号")])
    # by hand: 鼎业电力 has every character of 鼎业电力设备 in order, no legal form, and the same 黄河道135号 (no
    # phone or contact in common): KH000001 for both; 嘉宇置业有限公司 is a full name, not a short form: KH000003
    assert codes == {"天津鼎业电力设备股份有限公司": "KH000001", "鼎业电力": "KH000001",
                     "天津嘉宇物业管理有限公司": "KH000002", "天津嘉宇置业有限公司": "KH000003"}


@pytest.mark.parametrize("first, second, phones", [
    ("天津市河西区育才职业培训学校", "天津市和平区育才职业培训学校", ("022-23456789", "022-27654321")),  # another 区
    ("天津市金泰印刷厂", "天津金泰印刷有限公司", ("022-23456789", "022-27654321")),  # 厂 / 有限公司, no phone in common
    ("天津东铭集团有限公司", "天津东铭生物科技有限公司", ("022-23456789", "022-23456789")),  # group and member
    ("佰光同集团有限公司", "天津佰光同金属制品有限公司", ("022-23456789", "022-23456789")),
    ("天津发佳力餐饮管理有限公司", "天津发佳力石油设备有限公司", ("022-23456789", "022-23456789")),  # sisters, one desk
    # names that differ only in a number, one switchboard (realworld/06)
    ("天津市测试4号机械有限公司", "天津市测试5号机械有限公司", ("022-23457890", "022-23457890")),
    ("天津市第一中学", "天津市第二中学", ("022-23457890", "022-23457890")),
    # two companies of one group at one desk: full names of one 字号, other lines of business
    ("天津昌瑞实业有限公司", "天津昌瑞新材料科技有限公司", ("022-23457890", "022-23457890")),
    ("天津振诚酒店管理股份有限公司", "天津振诚物业管理有限公司", ("022-23457890", "022-23457890")),
])
def test_certain_non_matches_get_two_codes_and_are_never_asked(project, first, second, phones):
    codes, summary = _codes(project, [log_row(D1, customer=first, contact="王经理", phone=phones[0]),
                                      log_row(D1, customer=second, contact="王经理", phone=phones[1])])
    assert codes == {first: "KH000001", second: "KH000002"}
    assert summary.new_reviews == 0


def test_the_factory_and_the_company_with_a_phone_in_common_are_not_kept_apart_by_the_rule(project):
    codes, _ = _codes(project, [log_row(D1, customer="天津市金泰印刷厂", contact="王经理", phone="022-23456789"),
                                log_row(D1, customer="天津金泰印刷有限公司", contact="王经理", phone="022-23456789")])
    assert codes == {"天津市金泰印刷厂": "KH000001", "天津金泰印刷有限公司": "KH000001"}


@pytest.mark.parametrize("full, other", [
    ("天津市河西区实验中学", "河西实验中学"),  # the district written into the short name
    ("北京振远阀门有限公司", "北京振遠閥門有限公司"),  # traditional characters (OpenCC t2s)
    ("天津鼎科电气有限责任公司", "天津顶科电气有限责任公司"),  # a homophone typo, the same phone and contact
    ("天津市汇成船舶工程有限责任公司", "天津市汇成船舶工程有限责任公司行政部"),  # a department
    ("天津市河西区图书馆", "河西图书馆"),  # the district written into a short name, a core of three characters
    ("天津市南开区人民医院", "南开人民医院"),  # … of two before 医院
    ("天津市振诚集团股份有限公司", "天津市振诚集团"),  # a group's name with and without its legal form
    ("天津市金瑞集团有限公司", "天津市金睿集团有限公司"),  # a homophone typo in a group's two-character 字号
])
def test_spellings_people_write_with_the_same_phone_and_contact_get_one_code(project, full, other):
    codes, summary = _codes(project, [log_row(D1, customer=full, contact="常宏", phone="022-53491740"),
                                      log_row(D1, customer=other, contact="常宏", phone="022-53491740")])
    assert codes == {full: "KH000001", other: "KH000001"} and summary.new_reviews == 0


@pytest.mark.parametrize("full, other", [
    ("天津市河西区中心小学", "天津市河西区中心小学办公室"),  # a school's department
    ("石家庄诚宇工程技术有限公司廊坊分公司", "石家庄诚宇工程技术有限公司廊坊分公司行政部"),  # a branch's department
    ("天津华锐人力资源有限公司", "天津华锐资源人力有限公司"),  # the industry words swapped
    ("天津市和平区人民医院", "和平人民医院"),  # the district's short form (a certain match), not one desk of two
])
def test_spellings_at_the_same_road_and_number_with_other_phones_and_contacts_get_one_code(project, full, other):
    # by hand: a department is not part of the name (名称相同 5.0, a certain match); the swapped words are the same
    # characters in another order (3.0) + 地址相同 2.0 − other phones 0.5 − other contacts 0.5 = 4.0 ≥ auto_merge 4.0;
    # 和平人民医院 is 天津市和平区人民医院's short form (certain), though the names score nothing and the two share a
    # phone and an address with other contacts (what two companies at one front desk share)
    codes, summary = _codes(project, [
        log_row(D1, customer=full, contact="常宏", phone="022-53491740", address="天津市河西区黑牛城道16号科技园21层"),
        log_row(D1, customer=other, contact="林峰", phone="022-53491740" if "医院" in full else "13512345678",
                address="河西区黑牛城道16号科技园21层")])
    assert codes == {full: "KH000001", other: "KH000001"} and summary.new_reviews == 0


def test_a_pending_pair_later_rows_show_to_be_two_companies_leaves_the_review_list(project):
    project.add_roster()
    address = "天津市津南区海河教育园区同砚路311号"
    first = _log(project, "日志表_张三_20261123.xlsx", [
        log_row(D1, customer="天津盛杰国际", contact="刘明", phone="13812345678", address=address),
        log_row(D1, customer="天津盛杰能源科技有限公司", contact="马丽", phone="022-23456789", address=address)])
    # by hand: 字号相同 2.5 + 地址相同 2.0 − other phones 0.5 − other contacts 0.5 = 3.5, between review (2.5) and
    # auto_merge (4.0); 盛杰国际 alone says no line of business: asked
    assert first.new_reviews == 1 and project.query("select left_code, right_code from customer_match_review") == [
        ("KH000001", "KH000002")]
    second = _log(project, "日志表_张三_20261124.xlsx", [
        log_row(D2, customer="天津盛杰国际贸易有限公司", contact="刘明", phone="138-1234-5678", address=address)])
    # the full name comes with 盛杰国际's phone and contact (a certain match: KH000001), and says 国际贸易 beside
    # 能源科技: two companies of one group, a certain non-match — no longer a question for a person
    assert dict(project.query("select customer_name, customer_code from activities")) == {
        "天津盛杰国际": "KH000001", "天津盛杰能源科技有限公司": "KH000002", "天津盛杰国际贸易有限公司": "KH000001"}
    assert second.settled_reviews == 1 and second.new_reviews == 0
    assert project.query("select count(*) from customer_match_review") == [(0,)]
    assert project.query("select count(*) from customer_match_decisions") == [(0,)]


def test_a_homophone_typo_beside_the_name_and_its_abbreviation_is_one_customer(project):
    # the full name, its abbreviation and a homophone typo, all with the same phone and contact
    codes, _ = _codes(project, [
        log_row(D1, customer="天津鼎科电气有限责任公司", contact="邹梅", phone="15261166618"),
        log_row(D1, customer="天津鼎科电气", contact="邹梅", phone="15261166618"),
        log_row(D1, customer="天津顶科电气有限责任公司", contact="邹梅", phone="15261166618")])
    assert set(codes.values()) == {"KH000001"}


def test_a_typo_in_the_first_character_of_the_trade_name_is_found_through_the_person_and_the_address(project):
    # 远盛 / 元盛 (same sound): no name blocking key in common (head 远盛 / 元盛, contact key 赵军+远 / 赵军+元), another
    # phone (the switchboard beside a mobile). By hand: 名称同音 3.0 + 联系人相同 1.5 + 地址相同 2.0 + the other phone 0
    # (beside the same person, a full name) = 6.5 ≥ 4.0 with name evidence: one customer once they are compared at
    # all — the same full-name person and the same road and number now bring them together (blind set, seed 11)
    address = "天津市东丽区西站前街277号"
    codes, _ = _codes(project, [
        log_row(D1, customer="远盛环保科技（天津）有限公司", contact="赵军", phone="15755142125", address=address),
        log_row(D1, customer="元盛环保科技（天津）有限公司", contact="赵军", phone="022-21452914", address=address)])
    assert set(codes.values()) == {"KH000001"}


def test_a_representative_office_is_its_company_and_a_renamed_company_keeps_its_code(project):
    # 驻津办事处 has no legal personality of its own (the company signs); （原…） names the company's old name
    codes, summary = _codes(project, [
        log_row(D1, customer="廊坊天恒自动化设备有限公司", contact="刘明", phone="0316-2345678"),
        log_row(D1, customer="廊坊天恒自动化设备有限公司驻津办事处", contact="赵刚", phone="022-58761234"),
        log_row(D1, customer="天津华泰人力资源股份有限公司", contact="乔总", phone="022-63145853"),
        log_row(D2, customer="天津越瑞人力资源股份有限公司（原天津华泰人力资源股份有限公司）", contact="黎颖",
                phone="13647066039")])
    assert codes == {"廊坊天恒自动化设备有限公司": "KH000001", "廊坊天恒自动化设备有限公司驻津办事处": "KH000001",
                     "天津华泰人力资源股份有限公司": "KH000002",
                     "天津越瑞人力资源股份有限公司（原天津华泰人力资源股份有限公司）": "KH000002"}


# ---------------------------------------------------------------- evidence that comes on a later evening


def test_an_abbreviation_seen_first_alone_joins_its_company_when_it_comes_with_its_phone_and_contact(project):
    project.add_roster()
    _log(project, "日志表_张三_20261123.xlsx", [
        log_row(D1, customer="航瑞5G通信技术（天津）有限公司", contact="刘明", phone="13812345678"),
        log_row(D1, customer="航瑞通信", contact="马丽", phone="13900000001", address=OTHER_ROAD)])
    # by hand: the abbreviation alone shares neither phone, contact nor address (at the full name's road and number
    # it would be a certain match): its own code
    assert project.query("select customer_code from customers order by 1") == [("KH000001",), ("KH000002",)]
    _log(project, "日志表_张三_20261124.xlsx", [log_row(D2, customer="航瑞通信", contact="刘明", phone="138-1234-5678")])
    # the next evening the same spelling comes with the full name's phone and contact: metrics.md's certain
    # match, so the two codes are one customer — the older survives, the newer is its alias, nothing to review
    assert project.query("select customer_code from customers") == [("KH000001",)]
    assert project.query("select alias_code, customer_code from customer_aliases where alias_code is not null") == [
        ("KH000002", "KH000001")]
    assert project.query("select left_code, right_code, same, survivor_code, reviewer from customer_match_decisions") == [
        ("KH000001", "KH000002", True, "KH000001", "系统自动合并（同一客户的确定证据）")]
    assert project.query("select count(*) from customer_match_review") == [(0,)]
    assert project.query("select customer_code from activities where activity_date = ?", [D2]) == [("KH000001",)]
    assert project.query("select active_customers from mart_activity_monthly where salesperson_id = 'S001'") == [(1,)]


def test_codes_a_person_said_are_different_are_not_joined_by_later_evidence(project, tmp_path):
    project.add_roster()
    _log(project, "a.xlsx", [log_row(D1, customer=FULL, phone="022-23456789")])
    _log(project, "b.xlsx", [log_row(D2, customer="天津格致咨询", phone="13900000000", address=OTHER_ROAD)])
    _decide(project, tmp_path, "否")
    # 天津格致咨询 with FULL's phone and contact (王经理) would be a certain match — but a person decided
    _log(project, "c.xlsx", [log_row(D3, customer="天津格致咨询", phone="022-23456789")])
    assert project.query("select customer_code from customers order by 1") == [("KH000001",), ("KH000002",)]
    assert project.query("select customer_code from activities where source_file = 'c.xlsx'") == [("KH000002",)]
    assert project.query("select count(*) from customer_match_review") == [(0,)]


def test_the_factory_rule_asks_whether_the_whole_company_shares_a_phone(project):
    # the company is written with two phones; the 厂 form comes with the second one: a phone in common with the
    # company (not with each of its rows), so one customer
    codes, summary = _codes(project, [
        log_row(D1, customer="天津金泰印刷有限公司", contact="王经理", phone="022-23456789"),
        log_row(D1, customer="天津金泰印刷厂", contact="李明", phone="022-27654321"),
        log_row(D1, customer="天津市金泰印刷有限公司", contact="王经理", phone="022-27654321")])
    assert set(codes.values()) == {"KH000001"} and summary.new_reviews == 0


def test_a_district_several_cities_have_makes_no_city(project):
    # 朝阳区 is in 北京 and in 长春: an address starting with it says nothing against 北京
    codes, summary = _codes(project, [
        log_row(D1, customer="北京市卓诚机械股份有限公司", contact="叶霞雪", phone="18036107346",
                address="北京市朝阳区荣华南路119号"),
        log_row(D1, customer="卓诚", contact="叶霞雪", phone="180-3610-7346", address="朝阳区荣华南路119号")])
    assert codes == {"北京市卓诚机械股份有限公司": "KH000001", "卓诚": "KH000001"} and summary.new_reviews == 0


def test_sister_companies_of_one_group_sharing_a_desk_and_a_contact_get_two_codes_and_are_not_asked(project):
    codes, summary = _codes(project, [
        log_row(D1, customer="天津鸿越国际贸易有限公司", contact="孔部长", phone="022-68395651"),
        log_row(D1, customer="天津鸿越新材料科技有限责任公司", contact="孔部长", phone="022-68395651")])
    assert codes == {"天津鸿越国际贸易有限公司": "KH000001", "天津鸿越新材料科技有限责任公司": "KH000002"}
    assert summary.new_reviews == 0


def test_unrelated_names_of_other_lines_or_at_one_front_desk_with_other_contacts_are_not_asked(project):
    # metrics.md: sister companies sharing an address or a contact are not merged on that alone. By hand, each pair
    # has no name evidence (0): 润兴钢铁 / 鸿恒环保科技 share phone (+3.0), contact (+1.5) and address (+2.0) = 6.5 but
    # name other lines of business; 源安实业 / 万明轴承 share phone (+3.0) and address (+2.0) with other contacts
    # (−0.5) = 4.5 — one front desk. Both were asked; a rename keeps its line of business and its contact
    desk, other_desk = "天津市滨海新区新港二号路6号", "天津市南开区卫津路294号"
    codes, summary = _codes(project, [
        log_row(D1, customer="天津润兴钢铁股份有限公司", contact="金经理", phone="19340743154", address=desk),
        log_row(D1, customer="天津鸿恒环保科技有限责任公司", contact="金经理", phone="193-4074-3154", address=desk),
        log_row(D1, customer="源安实业（天津）有限公司", contact="刘明", phone="022-63343643", address=other_desk),
        log_row(D1, customer="万明轴承（天津）有限公司", contact="马丽", phone="02263343643", address=other_desk)])
    assert codes == {"天津润兴钢铁股份有限公司": "KH000001", "天津鸿恒环保科技有限责任公司": "KH000002",
                     "源安实业（天津）有限公司": "KH000003", "万明轴承（天津）有限公司": "KH000004"}
    assert summary.new_reviews == 0


def test_a_typo_that_makes_one_industry_word_another_is_asked_not_ruled_out(project):
    # by hand: 润环物流 / 润环物业 one character apart (75 %, 0.5) with industry words that clash (−2.0), the same
    # phone (+3.0) and contact (+1.5) = 3.0, between review (2.5) and auto_merge (4.0): a typo or a sister company —
    # a person decides (two full names of one 字号 whose industry words are more than one character apart are not asked)
    codes, summary = _codes(project, [
        log_row(D1, customer="润环物流有限公司", contact="何桂", phone="022-52722482"),
        log_row(D1, customer="天津市润环物业有限公司", contact="何桂", phone="02252722482")])
    assert codes == {"润环物流有限公司": "KH000001", "天津市润环物业有限公司": "KH000002"}
    assert summary.new_reviews == 1


def test_look_alike_names_in_other_districts_are_asked_not_merged(project):
    # by hand: 海泽 / 海择 sound alike (3.0), 石经理 on both (+1.5), other phones (−0.5), addresses in 河北区 and
    # 津南区 (−1.0): 3.0, between review (2.5) and auto_merge (4.0) — a person decides
    codes, summary = _codes(project, [
        log_row(D1, customer="海泽网络科技（天津）有限公司", contact="石经理", phone="022-29208430",
                address="天津市河北区狮子林大街94号"),
        log_row(D1, customer="天津市海择网络科技有限公司", contact="石经理", phone="022-51247557",
                address="天津市津南区津沽路355号")])
    assert codes == {"海泽网络科技（天津）有限公司": "KH000001", "天津市海择网络科技有限公司": "KH000002"}
    assert summary.new_reviews == 1
    assert "地址区县不同：河北区 / 津南区" in project.scalar("select reasons from customer_match_review")


def test_companies_with_unrelated_names_sharing_only_an_address_are_not_asked_but_a_rename_is(project):
    # metrics.md: sisters sharing only an address (or only a desk, or only a contact) — never merged, never asked;
    # the same phone and the same contact under an unrelated name (a rename without its （原…） row) is asked
    codes, summary = _codes(project, [
        # by hand: no name evidence (0), one front desk (+3.0), other contacts (−0.5): 2.5 would be asked
        log_row(D1, customer="天津卓通科技有限公司", contact="徐明", phone="022-28775860", address="天津市河西区友谊路35号"),
        log_row(D1, customer="天津市顺川科技有限公司", contact="赵刚", phone="022-28775860",
                address="天津市河西区围堤道100号"),
        log_row(D1, customer="天津海捷数据科技有限公司", contact="方建国", phone="19713367318"),
        log_row(D1, customer="天津通航数据科技有限公司", contact="方建国", phone="197-1336-7318"),
        # a contact and an address without a phone (sisters in one office, the same 联系人): no name evidence (0),
        # 联系人相同 +1.5, 地址相同 +2.0, other phones beside the same person 0 = 3.5 would be asked; never asked
        log_row(D1, customer="天津汇银新材料有限公司", contact="刘刚", phone="13512345678", address="天津市和平区中山路248号"),
        log_row(D1, customer="北银服装（天津）有限公司", contact="刘刚", phone="022-27123456", address="天津市和平区中山路248号")])
    assert len(set(codes.values())) == 6
    assert summary.new_reviews == 1
    assert project.query("select left_name, right_name from customer_match_review") == [
        ("天津海捷数据科技有限公司", "天津通航数据科技有限公司")]


def test_a_later_chunk_compares_with_the_earlier_chunks_customers_in_the_order_they_were_made(project):
    """[ingest] chunk_files = 1, one run of two workbooks. The first makes 70 customers whose names begin 华锐 — a
    block too common to compare whole (max_block 60): a new record is compared with its 5 neighbours in it, and the
    run's existing customers come in the order they were made — the last, 华锐鼎科电气 at 友谊路10号. The second names
    华锐鼎科电气 again by its spelling, then writes 华锐顶科电气 (the same sound, metrics.md) at that address with
    another phone: the same customer, KH000070, as on two evenings. (A version that listed a customer named by its
    spelling first compared the new spelling with five 华锐…贸易 and gave it a new code.)"""
    project.add_roster()
    project.config.raw["ingest"]["chunk_files"] = 1
    stems = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
    traders = [log_row(D1, customer=f"华锐{stems[i // 22]}{stems[i % 22]}贸易有限公司", contact=f"刘{stems[i % 22]}{stems[i // 22]}",
                       phone=f"1380000{i:04d}", address=f"天津市河东区{i + 1}号路{i + 1}号") for i in range(69)]
    place = "天津市河西区友谊路10号"
    project.add("a.xlsx", [LOG_HEADER, *traders, log_row(D1, customer="华锐鼎科电气有限公司", contact="赵敏",
                                                         phone="13700000000", address=place)])
    project.add("b.xlsx", [LOG_HEADER, log_row(D2, customer="华锐鼎科电气有限公司", contact="赵敏", phone="13700000000",
                                               address=place),
                           log_row(D2, customer="华锐顶科电气有限公司", contact="钱伟", phone="13911112222", address=place)])
    summary = project.ingest()
    assert summary.rows_rejected == 0 and summary.new_customers == 70
    assert project.query("select customer_name, customer_code from activities where customer_name like '华锐%科电气%' "
                         "order by activity_date, source_row") == [
        ("华锐鼎科电气有限公司", "KH000070"), ("华锐鼎科电气有限公司", "KH000070"), ("华锐顶科电气有限公司", "KH000070")]
