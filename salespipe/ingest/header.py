"""Finding the header row of a sheet and deciding which kind of sheet it is.

The header may sit below title rows and may span two rows through merged cells (客户信息 over
客户名称 / 联系人 / 电话). Names of sheets and files are hints only, used to break ties.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from salespipe.ingest.kinds import KINDS, Kind, header_key, header_key_loose
from salespipe.ingest.values import cell_text, date_in_text, nfkc, parse_date, year_in_text
from salespipe.errors import BadValue


def _alias_maps(kind: Kind) -> tuple[dict[str, str], dict[str, str]]:
    """(exact, loose) header keys → field. A label that is some column's own name or alias keeps that
    column in the loose map too: 联系方式(Method) is 联系方式 (the method), not 联系方式(电话) loosened."""
    exact: dict[str, str] = {}
    for column in kind.columns:
        for label in (column.name, *column.aliases):
            exact.setdefault(header_key(label), column.field)
    loose = dict(exact)
    for column in kind.columns:
        for label in (column.name, *column.aliases):
            loose.setdefault(header_key_loose(label), column.field)
    return exact, loose


ALIASES = {kind.key: _alias_maps(kind) for kind in KINDS}
ANY_HEADER = {key for exact, loose in ALIASES.values() for key in (*exact, *loose)}


@dataclass
class Layout:
    kind: Kind
    top: int  # first header row (0-based grid index)
    bottom: int  # last header row
    columns: dict[str, int]  # field -> column index
    extras: dict[int, str] = field(default_factory=dict)  # unknown columns: index -> header text
    scales: dict[str, int] = field(default_factory=dict)  # money fields whose header says 万元: field -> 10000

    @property
    def score(self) -> int:
        return len(self.columns)


def match_labels(kind: Kind, labels: list[list[str]]) -> tuple[dict[str, int], dict[int, str]]:
    """Map each column (its candidate labels, best first) to a field of `kind`."""
    exact, loose = ALIASES[kind.key]
    columns: dict[str, int] = {}
    extras: dict[int, str] = {}
    for index, candidates in enumerate(labels):
        found = None
        for text in candidates:
            found = exact.get(header_key(text))
            if found is None:
                found = loose.get(header_key_loose(text))
            if found is not None:
                break
        if found is not None and found not in columns:
            columns[found] = index
        elif candidates:
            extras[index] = candidates[-1] if len(candidates) == 1 else "/".join(dict.fromkeys(candidates[1:]))
    _contact_details_column(kind, labels, columns, extras)
    return columns, extras


def _contact_details_column(kind: Kind, labels: list[list[str]], columns: dict, extras: dict) -> None:
    """联系方式 is the method column (电话/传真/E-mail/面访) — unless the sheet also has 沟通方式 or 跟进方式 and no
    phone column: then 联系方式 holds the phone numbers, as it often does in Chinese sheets."""
    if kind.key != "log" or "phone" in columns or "method" not in columns:
        return
    method_index = columns["method"]
    if header_key(labels[method_index][-1] if labels[method_index] else "") != header_key("联系方式"):
        return
    exact, _ = ALIASES[kind.key]
    other = next((i for i, text in extras.items() if exact.get(header_key(text)) == "method"), None)
    if other is not None:
        columns["phone"], columns["method"] = method_index, other
        del extras[other]


def _row_labels(grid: list[list], top: int, two_rows: bool) -> list[list[str]]:
    upper = [cell_text(v) for v in grid[top]]
    if not two_rows:
        return [[u] if u else [] for u in upper]
    lower = [cell_text(v) for v in grid[top + 1]] if top + 1 < len(grid) else []
    labels = []
    for c, u in enumerate(upper):
        lo = lower[c] if c < len(lower) else ""
        if u and lo and u != lo:
            labels.append([u + lo, lo, u])
        else:
            labels.append([t for t in (lo or u,) if t])
    labels.extend([[t] for t in lower[len(upper):] if t] if len(lower) > len(upper) else [])
    return labels


def _could_be_header(labels: list[list[str]]) -> bool:
    """At least two cells that are some kind's header name (a cheap filter before matching)."""
    return header_hits(labels) >= 2


def header_hits(labels: list[list[str]]) -> int:
    """How many cells are some kind's header name: no kind can match more columns than this."""
    return sum(1 for candidates in labels
               if any(header_key(t) in ANY_HEADER or header_key_loose(t) in ANY_HEADER for t in candidates))


@lru_cache(maxsize=4096)
def kinds_fitting(labels: tuple[tuple[str, ...], ...]) -> tuple:
    """(order, kind, columns, extras) of every kind these header labels could be; the same template's
    header recurs in every file of a night, so the answer is remembered (callers copy the dicts)."""
    candidates = [list(c) for c in labels]
    if not _could_be_header(candidates):
        return ()
    found = []
    for order, kind in enumerate(KINDS):
        columns, extras = match_labels(kind, candidates)
        if len(columns) >= 2 and all(f in columns for f in kind.signature):
            found.append((order, kind, columns, extras))
    return tuple(found)


def find_layout(grid: list[list], hint_text: str, scan_rows: int = 30) -> Layout | None:
    """The best (kind, header rows) in the first `scan_rows` rows, or None when nothing fits.
    Scanning stops two rows below a clear match (four or more columns)."""
    hint = nfkc(hint_text).casefold()
    best: tuple[tuple, Layout] | None = None
    for top in range(min(scan_rows, len(grid))):
        if best and best[1].score >= 4 and top > best[1].bottom + 2:
            break
        if len({v for v in grid[top] if v != "" and v is not None}) < 2:
            continue  # a header has two different labels at least (a merged title repeats one text)
        for two_rows in (False, True):
            labels = _row_labels(grid, top, two_rows)
            if best and top > best[1].bottom and header_hits(labels) <= best[1].score:
                continue  # a row under the header (data, mostly) cannot make a better one
            for order, kind, columns, extras in kinds_fitting(tuple(map(tuple, labels))):
                exclusive = kind.key in ("approvals", "match_review")
                hinted = any(h in hint for h in kind.hints)
                rank = (exclusive, len(columns), hinted, -two_rows, -order)
                if best is None or rank > best[0]:
                    best = (rank, Layout(kind, top, top + two_rows, dict(columns), dict(extras)))
    if best is None:
        return None
    layout = best[1]
    for column in layout.kind.columns:
        index = layout.columns.get(column.field)
        if column.parser == "money" and index is not None:
            header = "".join(cell_text(grid[r][index]) for r in range(layout.top, layout.bottom + 1)
                             if index < len(grid[r]))
            if "万" in nfkc(header):
                layout.scales[column.field] = 10000
    return layout


# ---------------------------------------------------------------- title cells and file names

_TITLE_PERSON = re.compile(r"(?<![人户])(?:业务员|销售员|销售人员|业务代表|姓名)\s*(?:[:：]\s*|\s+)([\u4e00-\u9fffA-Za-z·]{2,12})")
_TITLE_STAFF = re.compile(r"(?:工号|员工编号|员工号)\s*[:：]\s*([A-Za-z0-9_-]+)")
_TITLE_DATE = re.compile(r"(?:日期|联系日期|登记日期|签单日期|检查日期)\s*[:：]\s*([0-9年月日./\- ]+)")
_TITLE_MONTH = re.compile(r"(?:月份)\s*[:：]\s*(\d{4}\s*[-/.年]\s*\d{1,2})")
_YEAR_MONTH = re.compile(r"(20\d{2}\s*年\s*\d{1,2})\s*月")
_NAME_TOKEN = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")
_NOT_A_NAME = ("表", "日志", "登记", "业绩", "目标", "评分", "检查", "名册", "客户", "分配", "销售", "审批", "汇总",
               "月报", "月度", "本月", "上月", "下月", "月份", "周报", "本周", "上周", "下周", "周表")


@dataclass
class Context:
    """What a title cell or the file name says once for the whole sheet (or block)."""
    salesperson: str | None = None
    staff_no: str | None = None
    date: object = None
    month: object = None
    year: int | None = None

    def updated(self, text: str) -> "Context":
        """A copy with whatever `text` (a title row) states."""
        new = Context(**self.__dict__)
        text = nfkc(text)
        if m := _TITLE_PERSON.search(text):
            new.salesperson = m[1]
        if m := _TITLE_STAFF.search(text):
            new.staff_no = m[1]
        if m := _TITLE_DATE.search(text):
            try:
                new.date = parse_date(m[1].strip(), new.year or year_in_text(text))
            except BadValue:
                pass
        if m := _TITLE_MONTH.search(text) or _YEAR_MONTH.search(text):
            new.month = m[1]
        new.year = year_in_text(text) or new.year
        if new.date is None and (d := date_in_text(text)):
            new.date = d
        return new

    def says_something(self, text: str) -> bool:
        text = nfkc(text)
        return bool(_TITLE_PERSON.search(text) or _TITLE_STAFF.search(text) or _TITLE_DATE.search(text))


def context_from_file_name(stem: str) -> Context:
    """Last resort: `日志表_张三_20261126` → salesperson 张三, date 2026-11-26."""
    ctx = Context(date=date_in_text(stem), year=year_in_text(stem))
    for token in re.split(r"[_\-\s.()（）【】\[\]+]+", nfkc(stem)):
        if _NAME_TOKEN.match(token) and not any(w in token for w in _NOT_A_NAME):
            ctx.salesperson = token
            break
    return ctx


def context_from_rows(rows: list[list], base: Context) -> Context:
    """What the title rows above the header say; a row of column names (the upper row of a header the
    layout took as one row) says nothing: 联系人姓名 is not 姓名：…"""
    ctx = base
    for row in rows:
        texts = list(dict.fromkeys(cell_text(v) for v in row if cell_text(v)))
        hits = header_hits([[t] for t in texts]) if len(texts) > 1 else 0
        if texts and not (hits >= 2 and hits * 2 > len(texts)):  # (日期 | 2026-11-26 | 业务员 | 张三 is a title)
            ctx = ctx.updated("  ".join(texts))
    return ctx
