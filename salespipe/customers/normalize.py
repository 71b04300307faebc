"""Normalising what salespeople type about a customer: company names, phones, addresses."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers

from salespipe.errors import BadValue

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


@lru_cache(maxsize=200_000)
def name_key(name: str) -> str:
    """The exact-match key of a company name: NFKC, case-folded, no spaces, punctuation or brackets."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", name)).casefold()


@lru_cache(maxsize=200_000)
def clean_name(name: str) -> str:
    """The name as stored: NFKC brackets and spaces tidied, otherwise as written."""
    text = unicodedata.normalize("NFKC", name).strip()
    text = re.sub(r"\s+", "", text)
    return text.replace("(", "（").replace(")", "）")


ORG_SUFFIXES = (
    "公司", "厂", "集团", "中心", "院", "所", "学校", "医院", "银行", "协会", "事务所", "合作社",
    "商行", "店", "大学", "学院", "幼儿园", "局", "委员会", "社", "馆", "场", "站", "部", "处", "行",
)


@lru_cache(maxsize=200_000)
def is_full_name(name: str) -> bool:
    """全称: ends with an organisation suffix (a trailing bracketed part such as （北京分公司） allowed)."""
    text = re.sub(r"[（(][^（()）]*[)）]$", "", clean_name(name)) or clean_name(name)
    return clean_name(name).endswith(ORG_SUFFIXES) or text.endswith(ORG_SUFFIXES)


_ROAD = re.compile(r"(路|街|道|巷|胡同|弄|大街|大道|公路|里)")
_NUMBER = re.compile(r"(\d+|[一二三四五六七八九十百]+)\s*号")
_DISTRICT = re.compile(r"(区|县|旗|市)")
UPPER_CLASSES = ("A", "A1", "B", "B1")


@lru_cache(maxsize=200_000)
def address_complete(address: str, customer_class: str | None) -> bool:
    """Class B/B1 and above: road/street and number; others: at least 区/县."""
    text = unicodedata.normalize("NFKC", address or "")
    if customer_class in UPPER_CLASSES:
        return bool(_ROAD.search(text) and _NUMBER.search(text))
    return bool(_DISTRICT.search(text))


_EXTENSION = re.compile(r"(转|分机|ext\.?|x|#)\s*\d{1,6}\s*$", re.I)
_SEPARATORS = re.compile(r"[/;；,，、]|\s{2,}")


@lru_cache(maxsize=200_000)
def normalize_phone(raw: str, default_area_code: str = "022") -> str:
    """Digits only: mobiles as 11 digits (13800138000), landlines with area code (02223456789).

    Drops +86/86 and extensions; a bare 8-digit landline takes `default_area_code`; a landline whose
    leading 0 Excel dropped (2223456789) gets it back when the area code is valid; a 400/800 hotline
    stays as it is dialled (4008108888). Two numbers in one cell keep the first: separated by / ; , 、,
    two spaces, or one space when each side is a whole number on its own ("13800138000 022-23456789";
    "022 2345 6789" stays one landline). Raises BadValue.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    text = _SEPARATORS.split(text)[0].strip() if _SEPARATORS.search(text) else text
    try:
        return _one_phone(text, default_area_code)
    except BadValue:
        first, _, rest = text.partition(" ")
        if not rest:
            raise BadValue(f"联系电话无法识别：{raw}（手机 11 位，座机请带区号）") from None
        try:
            number = _one_phone(first, default_area_code)
            _one_phone(rest.strip(), default_area_code)
        except BadValue:
            raise BadValue(f"联系电话无法识别：{raw}（手机 11 位，座机请带区号）") from None
        return number


def _one_phone(text: str, default_area_code: str) -> str:
    """normalize_phone of a cell holding one number (separators already handled)."""
    text = _EXTENSION.sub("", text)
    tries = [text]
    if re.search(r"\d-\d{1,4}$", text):
        tries.append(text[: text.rfind("-")])  # 022-23456789-801: an extension after a second hyphen
    for attempt in tries:
        for candidate in _candidates(re.sub(r"\D", "", attempt), default_area_code):
            if _valid_cn(candidate):
                return candidate
    raise BadValue(f"联系电话无法识别：{text}（手机 11 位，座机请带区号）")


def _candidates(digits: str, default_area_code: str) -> list[str]:
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) >= 12:
        digits = digits[2:]
    if len(digits) == 8 and digits[0] not in "01":
        digits = default_area_code + digits
    if _SERVICE.fullmatch(digits):
        return [digits]  # a 400 / 800 company hotline is dialled as it is, without a trunk 0
    return [digits] if digits.startswith("0") else [digits, "0" + digits]


_SERVICE = re.compile(r"[48]00\d{7}")


def _patterns() -> tuple:
    """China's number patterns from libphonenumber's metadata: (general pattern, [(type pattern, lengths)])."""
    md = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    types = []
    for desc in (md.fixed_line, md.mobile, md.toll_free, md.premium_rate, md.shared_cost, md.personal_number,
                 md.voip, md.pager, md.uan, md.voicemail):
        if desc is not None and desc.national_number_pattern:
            lengths = set(desc.possible_length or md.general_desc.possible_length)
            types.append((re.compile(desc.national_number_pattern), lengths))
    return re.compile(md.general_desc.national_number_pattern), types


_CN_GENERAL, _CN_TYPES = _patterns()


@lru_cache(maxsize=200_000)
def _valid_cn(digits: str) -> bool:
    """What phonenumbers.is_valid_number says of the number dialled in China, without parsing:
    the trunk 0 dropped, the national number must fit the general pattern and one number type's."""
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return True
    if _SERVICE.fullmatch(digits):
        return _fits(digits)
    if not re.fullmatch(r"0\d{9,11}", digits):
        return False
    if digits.startswith("00"):  # an international call prefix: let phonenumbers read the country
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse(digits, "CN"))
        except phonenumbers.NumberParseException:
            return False
    return _fits(digits[1:])


def _fits(national: str) -> bool:
    """A national number (no trunk 0) fits the general pattern and one number type's pattern and length."""
    return bool(_CN_GENERAL.fullmatch(national)) and any(
        len(national) in lengths and pattern.fullmatch(national) for pattern, lengths in _CN_TYPES)
