"""Phones, company names and addresses (metrics.md: Customer identity; input-sheets.md rules)."""
import pytest

from salespipe.customers.normalize import address_complete, is_full_name, name_key, normalize_phone
from salespipe.errors import BadValue


@pytest.mark.parametrize("raw, expected", [
    ("022-2345 6789", "02223456789"),
    ("(022)23456789", "02223456789"),
    ("+86 22 2345 6789", "02223456789"),
    ("23456789", "02223456789"),              # bare 8-digit landline takes the default area code
    ("2223456789", "02223456789"),            # Excel dropped the leading 0
    ("138 0013 8000", "13800138000"),
    ("13800138000", "13800138000"),
    ("+86 138-0013-8000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("022-23456789转801", "02223456789"),      # extension stripped
    ("022-23456789-801", "02223456789"),
    ("010-62345678", "01062345678"),
    ("1062345678", "01062345678"),
    ("１３８００１３８０００", "13800138000"),     # full-width
    ("13800138000 / 022-23456789", "13800138000"),
    ("13800138000 022-23456789", "13800138000"),  # two whole numbers, one space: the first
    ("022-23456789 13800138000", "02223456789"),
    ("022 23456789", "02223456789"),              # one landline written with a space: not two numbers
    ("400-810-8888", "4008108888"),            # a company hotline keeps its form: no trunk 0
    ("800 820 8820", "8008208820"),
])
def test_phones_normalise_to_digits(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["123", "12345678901234", "电话未知", "11000000000", "13800138000 123"])
def test_unusable_phones_are_refused(raw):
    with pytest.raises(BadValue, match="联系电话"):
        normalize_phone(raw)


def test_bare_landline_takes_the_configured_area_code():
    assert normalize_phone("62345678", "010") == "01062345678"


@pytest.mark.parametrize("name, full", [
    ("天津市格致企业管理咨询有限公司", True), ("格致企业管理咨询（天津）有限公司", True), ("天津第一机床厂", True),
    ("天津医科大学总医院", True), ("某某有限公司（北京分公司）", True), ("天津格致咨询", False), ("格致", False),
])
def test_full_name_means_an_organisation_suffix(name, full):
    assert is_full_name(name) is full


@pytest.mark.parametrize("address, cls, complete", [
    ("天津市南开区复康路12号", "B", True), ("天津市南开区复康路", "B", False), ("天津市南开区", "B1", False),
    ("天津市南开区", "C", True), ("南开", "C", False), ("", "A", False), ("天津市和平区南京路 ２８ 号", "A1", True),
])
def test_address_completeness_depends_on_class(address, cls, complete):
    assert address_complete(address, cls) is complete


def test_name_key_ignores_spaces_brackets_and_width():
    assert name_key("格致企业管理咨询（天津） 有限公司") == name_key("格致企业管理咨询(天津)有限公司")
    assert name_key("ＡＢＣ科技有限公司") == name_key("abc科技有限公司")


def test_phone_validity_agrees_with_phonenumbers():
    """_valid_cn reads libphonenumber's patterns itself; it must say what phonenumbers says."""
    import random

    import phonenumbers

    from salespipe.customers.normalize import _valid_cn

    rng = random.Random(7)
    areas = ["10", "20", "21", "22", "23", "24", "311", "351", "431", "512", "571", "755", "769", "898", "991"]
    for i in range(3000):
        if i % 2:
            digits = "0" + rng.choice(areas) + "".join(rng.choice("0123456789") for _ in range(rng.choice([7, 8, 8])))
        else:
            digits = "0" + "".join(rng.choice("0123456789") for _ in range(rng.choice([9, 10, 11])))
        try:
            expected = phonenumbers.is_valid_number(phonenumbers.parse(digits, "CN"))
        except phonenumbers.NumberParseException:
            expected = False
        assert _valid_cn(digits) == expected, digits
    for _ in range(1000):  # 400 / 800 hotlines, dialled without a trunk 0
        digits = rng.choice(["400", "800"]) + "".join(rng.choice("0123456789") for _ in range(7))
        assert _valid_cn(digits) == phonenumbers.is_valid_number(phonenumbers.parse(digits, "CN")), digits
    # Tianjin (022) and Beijing (010) take 8-digit local numbers; there is no area code 011
    assert _valid_cn("02223456789") and _valid_cn("01012345678")
    assert not _valid_cn("0221234567") and not _valid_cn("01112345678")
