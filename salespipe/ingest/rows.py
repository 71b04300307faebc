"""From a sheet's body rows to staged records: every value parsed, every problem listed.

A staged record is a dict of the kind's fields plus meta fields; `problems` lists every reason the
row cannot be used (all of them, not only the first) and `flags` the accepted-but-substandard marks
(非全称, 地址不完整, 状态与结果不一致). Salesperson look-up against the roster happens later, in the
loader, once every roster of the run is known.
"""
from __future__ import annotations

import itertools
import json
import re
import sys
from dataclasses import dataclass
from operator import itemgetter

from salespipe.customers.normalize import address_complete, clean_name, is_full_name, normalize_phone
from salespipe.errors import BadValue
from salespipe.ingest import values as V
from salespipe.ingest.header import Context, Layout, context_from_rows
from salespipe.ingest.kinds import Column
from salespipe.ingest.reader import Sheet

_SUMMARY = re.compile(r"^(合计|小计|总计|总合计|本页合计|共计)")
_NOTE = re.compile(r"^(注|备注|说明|制表|审核|填表|提示|填写说明|制表人|审核人)\s*[:：0-9一、.]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

ENUMS = {
    "INDUSTRY": V.INDUSTRY, "CUSTOMER_CLASS": V.CUSTOMER_CLASS, "SOURCE": V.SOURCE,
    "LEAD_SOURCE": V.LEAD_SOURCE, "METHOD": V.METHOD, "RESULT": V.RESULT, "ROLE": V.ROLE,
    "STATUS": V.STATUS, "DECISION": V.DECISION, "SAME": V.SAME,
}


@dataclass
class SheetSource:
    file_id: int
    file_order: int
    file_name: str
    sheet: str
    default_area_code: str = "022"


def parse_value(column: Column, raw, ctx: Context, area_code: str):
    """One cell → typed value (None when blank). Raises BadValue with the Chinese reason."""
    if V.is_blank(raw):
        return None
    if raw.__class__ in V.SPECIAL_CELLS:
        raise BadValue(raw.reason(column.name))
    p = column.parser
    if p == "text":
        return V.cell_text(raw)
    if p == "staff_no":
        return V.nfkc(V.cell_text(raw)).upper()
    if p == "date":
        return V.parse_date(raw, ctx.year)
    if p == "month":
        return V.parse_month(raw)
    if p == "phone":
        return normalize_phone(V.expand_scientific(V.nfkc(V.cell_text(raw)), column.name), area_code)
    if p == "money":
        return int(V.parse_money(raw) * 100)  # cents, stored as DECIMAL(18,2) by the loader
    if p == "int":
        return V.parse_int(raw, column.name)
    if p == "score":
        return V.parse_score(raw, column.name)
    if p == "rating":
        return V.parse_score(raw, column.name, 1, 5)
    if p == "stage":
        return V.parse_stage(raw)
    if p == "business":
        return V.parse_business(raw)
    if p == "specialties":
        return sorted({V.parse_business(part)[0] for part in V.split_list(raw)})
    if p == "email":
        text = V.nfkc(V.cell_text(raw))
        if not _EMAIL.match(text):
            raise BadValue(f"邮箱格式不正确：{text}")
        return text
    if p.startswith("enum:"):
        return ENUMS[p[5:]].parse(raw)
    raise AssertionError(f"unknown parser {p}")


SKIP_TOTAL = "合计行，不是记录"
SKIP_NOTE = "说明、备注或标题行，不是记录"
SKIP_HEADER = "表头"
SKIP_TITLE = "表头上方的标题行"
SKIP_REPEATED_HEADER = "重复的表头"
SKIP_BLOCK_TITLE = "分段标题（业务员、日期等），已用于下面的行"
SKIP_EMPTY_TEMPLATE = "空模板行：只填了序号、日期或业务员，没有记录内容"
SKIP_EXAMPLE = "模板的填写示例行（示例、样例或 XX 占位名称），不是实际记录"
SKIP_HINT = "模板的填写提示行（必填、下拉选择、格式…），不是实际记录"

_HINT = re.compile(r"^(必填|选填|非必填|可选|可不填|不必填|下拉|从下拉|请填写|请选择|请输入|请按|格式|填写|填[0-9一-七]|如[:：]|例如|手机或|可多选)")
_EXAMPLE = re.compile(r"^(示例|样例|范例|举例|例子|例[:：]?$|例[:：]|填写示例|参考示例|填表示例)")
_PLACEHOLDER = re.compile(r"[Xx×＊*]{2}|某某|○○|〇〇")  # with 示例/样例 beside it: an example row
_PLACEHOLDER_NAME = re.compile(r"[Xx×＊*]{2}|某某")  # 天津XX科技有限公司, 天津某某机械有限公司: a template's name on its own
_TEMPLATE_START = frozenset("必选非可下从请格填如例示样范举参不手")  # the first characters of _HINT and _EXAMPLE


def skip_reason(filled: list[str], index: int, wide_rows: set[int], after_total: bool) -> str | None:
    """Why a row is not data, or None when it may be: blank rows (''), 合计/小计/总计 rows, notes under or
    inside the table, and a template's example and hint rows (input-sheets.md). `filled` is the row's
    non-empty cell texts, in order."""
    if not filled:
        return ""
    if is_summary(filled):
        return SKIP_TOTAL
    first = filled[0]
    if len(set(filled)) == 1 and (index in wide_rows or _NOTE.match(first) or (after_total and len(filled) == 1)):
        return SKIP_NOTE
    return template_reason(filled)


def template_reason(filled: list[str]) -> str | None:
    """SKIP_EXAMPLE for a template's example row (示例 / 样例 in its first cells, or 示例 said in a note beside
    a placeholder name), SKIP_HINT for a row of fill-in hints (most cells 必填 / 下拉选择 / 格式：…)."""
    starts = [t for t in filled if t[:1] in _TEMPLATE_START]  # (most rows: none, and nothing more is read)
    if starts:
        if any(_EXAMPLE.match(t) for t in filled[:2]):
            return SKIP_EXAMPLE
        hints = sum(1 for t in starts if _HINT.match(t))
        if hints >= 2 and hints * 2 > len(filled):
            return SKIP_HINT
    if any("示例" in t or "样例" in t for t in filled) and any(_PLACEHOLDER.search(t) for t in filled):
        return SKIP_EXAMPLE
    return None


_SUMMARY_START = frozenset("合小总本共")


def is_summary(filled: list[str]) -> bool:
    return any(t[:1] in _SUMMARY_START and len(t) <= 6 and _SUMMARY.match(t.replace(" ", "").replace("\u3000", ""))
               for t in filled[:3])


def stage_sheet(sheet: Sheet, layout: Layout, source: SheetSource, file_ctx: Context,
                meta: dict | None = None, skipped: list | None = None) -> list[dict]:
    """Every data row of the sheet as a staged record, in sheet order. `meta` is copied into each record;
    every other non-blank row is appended to `skipped` as (Excel row number, reason).

    Column-wise: the data rows are picked first, then each column is parsed as one list through a
    cache of the values already seen (the same cell text recurs thousands of times a night)."""
    kind = layout.kind
    ctx = context_from_rows(sheet.grid[: layout.top], file_ctx)
    if skipped is not None:
        for r in range(layout.bottom + 1):
            if any(not V.is_blank(v) for v in sheet.grid[r]):
                skipped.append((r + 1, SKIP_HEADER if r >= layout.top else SKIP_TITLE))
    numbers, picked, contexts = _data_rows(sheet, layout, ctx, skipped if skipped is not None else [])
    if not picked:
        return []
    one_context = all(c is contexts[0] for c in contexts)
    problems: list[tuple[int, tuple]] = []
    values = []
    for column in kind.columns:
        index = layout.columns.get(column.field)
        raws = list(map(itemgetter(index), picked)) if index is not None else [""] * len(picked)
        values.append(_parse_column(column, raws, contexts, one_context, layout, source.default_area_code, problems))
    n = len(picked)
    base = {"file_id": source.file_id, "file_order": source.file_order, "source_file": source.file_name,
            "source_sheet": source.sheet, **(meta or {})}
    fields = [column.field for column in kind.columns] + list(base) + ["source_row", "problems", "flags", "extra"]
    values += [itertools.repeat(v, n) for v in base.values()]
    values += [numbers, [[] for _ in range(n)], [[] for _ in range(n)], _extras(picked, layout)]
    records = [dict(zip(fields, row_values)) for row_values in zip(*values)]
    for i, problem in problems:
        records[i]["problems"].append(problem)
    check = CHECKS[kind.key]
    for rec in records:
        check(rec)
    _keep_written(records, picked, numbers, layout, sheet.written)
    return records


WRITTEN_FIELDS = ("customer_name", "contact", "phone")


def _keep_written(records: list[dict], picked: list[list], numbers: list[int], layout: Layout,
                  written: dict[tuple[int, int], str]) -> None:
    """`<field>_written`: the cell's text exactly as the salesperson typed it (before invisible characters,
    NFKC and bracket tidying), for the customer name, contact and phone; None where it is the stored value
    itself (most names and contacts), so that `coalesce(contact_written, contact)` is always the text as typed.
    (Storing every text twice made the year's rebuild warehouse 50 % bigger.) Called after the kind's checks,
    which store the cleaned value."""
    for name in WRITTEN_FIELDS:
        index = layout.columns.get(name)
        if index is None:
            continue
        key = name + "_written"
        for rec, row, number in zip(records, picked, numbers):
            raw = written.get((number - 1, index)) if written else None
            if raw is None:
                value = row[index]
                raw = value if value.__class__ is str else V.cell_text(value)
            rec[key] = raw if raw != "" and raw != rec.get(name) else None


def _extras(picked: list[list], layout: Layout) -> list:
    """The columns no kind knows, as JSON per row ({header: text}), or None."""
    if not layout.extras:
        return [None] * len(picked)
    out = []
    for row in picked:
        found = {h: t for c, h in layout.extras.items() if (t := V.cell_text(row[c]))}
        out.append(json.dumps(found, ensure_ascii=False) if found else "{}")
    return out


def _data_rows(sheet: Sheet, layout: Layout, ctx: Context,
               skipped: list) -> tuple[list[int], list[list], list[Context]]:
    """(Excel row numbers, rows padded to the table's width, the title context of each row); the rows
    that are not data go to `skipped` as (Excel row number, reason)."""
    grid = sheet.grid
    wide_rows = sheet.wide_merge_rows()
    header_labels = {V.cell_text(grid[layout.bottom][c]) for c in layout.columns.values()}
    repeat_threshold = max(2, len(header_labels) // 2)
    width = max([*layout.columns.values(), *layout.extras, 0]) + 1
    # a row is data only if a column other than date / salesperson (given once for many rows) is filled:
    # templates often come with 序号 or dates pre-filled down empty rows
    substantive = [layout.columns[c.field] for c in layout.kind.columns
                   if c.field in layout.columns and not c.from_title]
    header_cells = {grid[layout.bottom][c] for c in layout.columns.values()} | header_labels
    name_index = layout.columns.get("customer_name")
    numbers, picked, contexts, after_total = [], [], [], False
    for r in range(layout.bottom + 1, len(grid)):
        row = grid[r]
        cells, lead = set(row), row[:3]
        # the common case is decided without reading every cell: several different values, none a header
        # label, the first three cells filled and none starting like 合计 (or with a space) — so not blank,
        # a note, a title, a total or a repeated header
        plain = (len(cells) >= 6 and not after_total and r not in wide_rows and len(lead) == 3
                 and "" not in lead and None not in lead and not cells & header_cells
                 and not any(v.__class__ is str and (v[:1] in _SUMMARY_START or v[:1].isspace()) for v in lead)
                 and not (lead[0].__class__ is str and lead[0][:1] in _TEMPLATE_START)
                 and not _placeholder_name(row, name_index))
        if not plain:
            filled = [v.strip() if v.__class__ is str else V.cell_text(v) for v in row if v != "" and v is not None]
            if "" in filled:
                filled = [t for t in filled if t]
            reason = skip_reason(filled, r, wide_rows, after_total)
            if reason is None and _placeholder_name(row, name_index):
                reason = SKIP_EXAMPLE  # 天津XX科技有限公司: a template's placeholder, not a customer
            if reason is not None:
                after_total = after_total or reason == SKIP_TOTAL
                if reason:
                    skipped.append((r + 1, reason))
                continue
            texts = set(filled)
            if len(texts & header_labels) >= repeat_threshold:
                skipped.append((r + 1, SKIP_REPEATED_HEADER))
                continue  # the header repeated for another block
            if len(texts) <= 2 and ctx.says_something(" ".join(texts)) and not _looks_like_data(row, layout):
                ctx = ctx.updated("  ".join(texts))  # a block title: 业务员：李四  日期：2026-11-27
                skipped.append((r + 1, SKIP_BLOCK_TITLE))
                continue
        if len(row) < width:
            row = row + [""] * (width - len(row))
        if substantive and all(V.is_blank(row[i]) for i in substantive):
            if any(not V.is_blank(v) for v in row):
                skipped.append((r + 1, SKIP_EMPTY_TEMPLATE))
            continue  # an empty template row (only 序号, date or salesperson filled)
        numbers.append(r + 1)
        picked.append(row)
        contexts.append(ctx)
    return numbers, picked, contexts


def _placeholder_name(row: list, name_index: int | None) -> bool:
    """The row's customer name is a template's placeholder (天津XX科技有限公司, 天津某某机械有限公司)."""
    if name_index is None or name_index >= len(row):
        return False
    value = row[name_index]
    return value.__class__ is str and bool(_PLACEHOLDER_NAME.search(value))


def _looks_like_data(row: list, layout: Layout) -> bool:
    cols = [layout.columns.get(f) for f in ("customer_name", "contact", "amount", "total_score")]
    return sum(1 for c in cols if c is not None and c < len(row) and V.cell_text(row[c])) >= 2


class _Marker:
    pass


_MISSING = object()
_BLANK = _Marker()
_SPECIAL = frozenset({_Marker, BadValue, list})
_CACHES: dict[tuple, dict] = {}  # (parser, column, year, area code) -> {cell value: parsed value or BadValue}


def _cache_for(column: Column, year: int | None, area_code: str) -> dict:
    key = (column.parser, column.name, year if column.parser == "date" else None, area_code)
    cache = _CACHES.get(key)
    if cache is None or len(cache) > 200_000:
        cache = _CACHES[key] = {"": _BLANK}
    return cache


def _cache_key(value):
    # 1, 1.0 and True are equal as dict keys; only text goes in under itself
    return value if value.__class__ is str else (value.__class__, value)


def _parse_one(column: Column, raw, ctx: Context, area_code: str):
    """The parsed value, _BLANK, or the BadValue raised."""
    if V.is_blank(raw):
        return _BLANK
    try:
        return parse_value(column, raw, ctx, area_code)
    except BadValue as exc:
        return exc


def _parse_column(column: Column, raws: list, contexts: list[Context], one_context: bool, layout: Layout,
                  area_code: str, problems: list) -> list:
    """One column's parsed values (None when blank or bad); problems appended as (row index, problem)."""
    if column.parser == "text":
        parsed = [v.strip() if v.__class__ is str else V.cell_text(v) for v in raws]
        special = [i for i, v in enumerate(parsed) if not v or raws[i].__class__ in V.SPECIAL_CELLS]
        for i in special:
            parsed[i] = _BLANK if not parsed[i] else BadValue(raws[i].reason(column.name))
    else:
        if one_context:
            cache = _cache_for(column, contexts[0].year, area_code)
            get = cache.get
            # 1, 1.0 and True are equal as dict keys: only text goes in under itself (as in _cache_key)
            parsed = [get(v, _MISSING) if v.__class__ is str else get((v.__class__, v), _MISSING) for v in raws]
            for i in [i for i, v in enumerate(parsed) if v is _MISSING]:
                parsed[i] = cache[_cache_key(raws[i])] = _parse_one(column, raws[i], contexts[0], area_code)
        else:
            parsed = [_parse_one(column, raw, ctx, area_code) for raw, ctx in zip(raws, contexts)]
        if column.field in layout.scales:
            special = range(len(parsed))
        else:  # only blanks, bad values and lists need a second look
            special = [i for i, v in enumerate(parsed) if v.__class__ in _SPECIAL]
    scale = layout.scales.get(column.field)
    for i in special:
        value, raw = parsed[i], raws[i]
        if value is _BLANK:
            value = None
            if column.from_title:
                raw = _from_context(column, contexts[i])
                value = None if raw in ("", None) else _parse_one(column, raw, contexts[i], area_code)
            if value is None and column.required:
                problems.append((i, (column.name, "", f"{column.name}没有填写（必填）")))
        if isinstance(value, BadValue):
            problems.append((i, (column.name, V.cell_text(raw), str(value))))
            value = None
        elif value.__class__ is list:
            value = list(value)
        elif scale and value is not None and not V.states_unit(raw):
            value *= scale  # the header says 合同金额（万元） and the cell no unit of its own (12800元 wins)
        parsed[i] = value
    return parsed


def reset_caches() -> None:
    """Forget every remembered parse and name comparison (benchmarks measure a cold run): the column
    caches here and every functools cache of salespipe's loaded modules (enumerations share one)."""
    _CACHES.clear()
    for name, module in list(sys.modules.items()):
        if name == "salespipe" or name.startswith("salespipe."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
    V.Enum.parse.cache_clear()


def _from_context(column: Column, ctx: Context):
    if column.parser == "date":
        return ctx.date if ctx.date is not None else ""
    if column.parser == "month":
        return ctx.month or (ctx.date.replace(day=1) if ctx.date else "")
    if column.parser == "staff_no":
        return ctx.staff_no or ""
    return ctx.salesperson or ""


# ---------------------------------------------------------------- per-kind rules


def _split_business(rec: dict, field_name: str, type_field: str, detail_field: str) -> None:
    value = rec.pop(field_name, None)
    rec[type_field], rec[detail_field] = value if value else (None, None)


def _customer_checks(rec: dict) -> None:
    name = rec.get("customer_name")
    if name:
        rec["customer_name"] = clean_name(name)
        if not is_full_name(name):
            rec["flags"].append("非全称")
    if not address_complete(rec.get("address") or "", rec.get("customer_class")):
        rec["flags"].append("地址不完整")


def check_log(rec: dict) -> None:
    _split_business(rec, "business", "business_type", "business_detail")
    _split_business(rec, "need", "need_type", "need_detail")
    _customer_checks(rec)
    stage, result = rec.get("stage"), rec.get("result")
    if (result == "签单" and stage is not None and stage < 7) or (stage == 7 and result not in (None, "签单")) \
            or (stage == 7 and result is None):
        rec["flags"].append("状态与结果不一致")
    rec["row_date"] = rec.get("activity_date")


def check_bc(rec: dict) -> None:
    _split_business(rec, "need", "need_type", "need_detail")
    _customer_checks(rec)
    if rec.get("customer_class") and rec["customer_class"] not in V.BC_CLASSES:
        rec["problems"].append(("客户类别", rec["customer_class"], "BC类客户登记表只登记 B、B1、C 类客户"))
    rec["row_date"] = rec.get("register_date")


def check_orders(rec: dict) -> None:
    _split_business(rec, "business_type", "business_type", "business_detail")
    amount, cost = rec.get("amount"), rec.get("cost")
    if amount is not None and amount <= 0:
        rec["problems"].append(("合同金额", f"{amount / 100:.2f}", "合同金额应大于 0"))
    if rec.get("gross_profit") is None and amount is not None and cost is not None:
        rec["gross_profit"] = amount - cost
    if rec.get("paid") is None:
        rec["paid"] = 0
    if rec.get("customer_name"):
        rec["customer_name"] = clean_name(rec["customer_name"])
    rec["row_date"] = rec.get("order_date")


def check_roster(rec: dict) -> None:
    if rec.get("status") is None:
        rec["status"] = "离职" if rec.get("left_on") else "在职"
    if rec.get("hired_on") and rec.get("left_on") and rec["left_on"] < rec["hired_on"]:
        rec["problems"].append(("离职日期", rec["left_on"].isoformat(), "离职日期早于入职日期"))
    rec["row_date"] = None


def check_targets(rec: dict) -> None:
    if rec.get("revenue_target") is not None and rec["revenue_target"] <= 0:
        rec["problems"].append(("销售收入目标", f"{rec['revenue_target'] / 100:.2f}", "销售收入目标应大于 0"))
    rec["row_date"] = rec.get("month")


def check_month(rec: dict) -> None:
    rec["row_date"] = rec.get("month")


def check_inspections(rec: dict) -> None:
    rec["row_date"] = rec.get("inspect_date")


def check_leads(rec: dict) -> None:
    _split_business(rec, "need", "need_type", "need_detail")
    if rec.get("customer_name"):
        rec["customer_name"] = clean_name(rec["customer_name"])
    rec["row_date"] = rec.get("acquired_on")


def check_approvals(rec: dict) -> None:
    if rec.get("decision") == "改派" and not rec.get("reassign_to"):
        rec["problems"].append(("改派业务员", "", "审批结果为改派时必须填写改派业务员"))
    if not rec.get("customer_code") and not rec.get("customer_name"):
        rec["problems"].append(("客户编码", "", "缺少客户编码或客户名称"))
    rec["row_date"] = rec.get("approved_on")


def check_match_review(rec: dict) -> None:
    rec["row_date"] = None


CHECKS = {
    "log": check_log, "bc": check_bc, "orders": check_orders, "roster": check_roster,
    "targets": check_targets, "quality": check_month, "inspections": check_inspections,
    "leads": check_leads, "approvals": check_approvals, "match_review": check_match_review,
}
