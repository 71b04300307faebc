"""Reading a workbook into plain grids: a value is what Excel or WPS shows a person in that cell.

A grid is a list of rows in Excel coordinates (grid[0] is Excel row 1); merged cells carry their
value in every cell of the merge. input-sheets.md, "What the reader must tolerate":

- files are recognised by their content, not their name: a zip is read as .xlsx (python-calamine, plus
  `ooxml.special_cells` for what calamine reads as empty: error values and formulas never calculated),
  a compound file as legacy .xls / WPS .et (xlrd: error cells, the workbook's date system, codepages);
- hidden and very hidden worksheets are read like visible ones;
- error values become `CellError`, formulas without a stored result `Uncalculated` (bad values, not blanks);
- invisible format characters (Unicode category Cf: U+200B, U+FEFF, U+2060 …) are removed from every text
  cell, header labels included; the text as the cell held it stays in `Sheet.written`.

Files that cannot be read raise `UnreadableFile` with a reason a salesperson understands.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine as pc

from salespipe.errors import UnreadableFile

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
ENCRYPTED = ("文件设置了打开密码，请去掉密码后重新提交", "workbook is password-protected")


@dataclass
class Sheet:
    name: str
    index: int
    grid: list[list]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 inclusive
    written: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> text before cleaning
    hidden: bool = False

    def wide_merge_rows(self, min_width: int = 3) -> set[int]:
        """Rows covered by a horizontal merge at least `min_width` columns wide (titles, notes)."""
        rows: set[int] = set()
        for r0, c0, r1, c1 in self.merges:
            if c1 - c0 + 1 >= min_width:
                rows.update(range(r0, r1 + 1))
        return rows


def file_sha256(path: Path) -> str:
    """The content hash; of a symbolic link, the hash of where it points (its target is never opened)."""
    if path.is_symlink():
        return hashlib.sha256(b"symlink:" + str(path.readlink()).encode("utf-8", "surrogateescape")).hexdigest()
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sniff(path: Path) -> str:
    """'zip' or 'cfb' from the file's first bytes, whatever its extension. Raises UnreadableFile with what
    the file is instead (empty, encrypted, a web page, text)."""
    if path.stat().st_size == 0:
        raise UnreadableFile("文件是空的（0 字节）", "empty file")
    with open(path, "rb") as f:
        head = f.read(8)
        if head[:4] == ZIP_MAGIC:
            return "zip"
        if head == CFB_MAGIC:
            if ENCRYPTION_STREAM in f.read(1 << 16):
                raise UnreadableFile(*ENCRYPTED)
            return "cfb"
        f.seek(0)
        start = f.read(2048).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    ext = path.suffix.lower() or "（无扩展名）"
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<meta")) or b"<html" in start:
        what = "网页（HTML）"
    elif b"\x00" not in start:
        what = "文本（如 CSV）"
    else:
        return "unknown"
    said = f"文件名是 {ext}，但内容是{what}" if ext in WORKBOOK_SUFFIXES else f"这是{what}文件"  # .html, .txt: no mismatch
    raise UnreadableFile(f"{said}，不是 Excel 文件：请在 Excel 或 WPS 中打开，另存为 .xlsx 后重新提交",
                         f"not an Excel workbook: {what} named {ext}")


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".ett", ".xltx", ".xlt")


def read_workbook(path: Path) -> list[Sheet]:
    """All worksheets (hidden ones too), merges filled in, invisible characters removed.
    Raises UnreadableFile."""
    kind = sniff(path)
    if kind == "cfb":
        from salespipe.ingest.legacy import read_xls

        sheets = read_xls(path)
    elif kind == "zip":
        sheets = _read_zip(path)
    else:
        raise UnreadableFile("不是 Excel 文件（请用 .xlsx 或 .xls 格式保存）", "not an Excel file")
    for sheet in sheets:
        sheet.written = clean_invisible(sheet.grid)
    if not any(any(v not in ("", None) for v in row) for s in sheets for row in s.grid):
        raise UnreadableFile("工作簿里没有任何内容", "workbook has no content")
    return sheets


def _read_zip(path: Path) -> list[Sheet]:
    """An .xlsx/.xlsm (or .ods) by content: calamine's values, then the cells calamine cannot tell from
    empty (errors, formulas never calculated) and 万 display formats put in from the sheet XML."""
    from salespipe.ingest.ooxml import special_cells

    overlays = special_cells(path)  # first: it refuses files that would exhaust memory in calamine
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm") and _utf8(path):  # calamine opens it by name (faster)
            workbook = pc.CalamineWorkbook.from_path(str(path))
        else:  # .xls, .et or no extension on a zip, or a name calamine cannot take: it looks at the content
            with open(path, "rb") as f:
                workbook = pc.CalamineWorkbook.from_filelike(f)
    except pc.PasswordError:
        raise UnreadableFile(*ENCRYPTED) from None
    except Exception as exc:  # calamine raises several error types for damaged files
        raise UnreadableFile(f"文件已损坏，无法打开（{type(exc).__name__}）", f"corrupt workbook: {exc}") from None
    sheets = []
    try:
        for index, meta in enumerate(workbook.sheets_metadata):
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            sheet = workbook.get_sheet_by_index(index)
            grid = sheet.to_python(skip_empty_area=False)
            merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
            sheets.append(Sheet(meta.name, index, grid, merges, hidden=meta.visible != pc.SheetVisibleEnum.Visible))
    except Exception as exc:
        raise UnreadableFile(f"文件已损坏，无法读取（{type(exc).__name__}）", f"corrupt workbook: {exc}") from None
    finally:
        workbook.close()
    for sheet in sheets:
        put_cells(sheet.grid, overlays.get(sheet.name, {}))
        fill_merges(sheet.grid, sheet.merges)
    return sheets


def _utf8(path: Path) -> bool:
    """Is the path valid UTF-8? (A name made on another system may not be; calamine takes only UTF-8 paths.)"""
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def put_cells(grid: list[list], cells: dict[tuple[int, int], object]) -> None:
    """Set (row, col) → value in the grid, growing it where a value lies beyond calamine's range."""
    for (r, c), value in cells.items():
        while r >= len(grid):
            grid.append([""] * (len(grid[0]) if grid else c + 1))
        row = grid[r]
        if len(row) <= c:
            row.extend([""] * (c + 1 - len(row)))
        row[c] = value


def fill_merges(grid: list[list], merges: list[tuple[int, int, int, int]]) -> None:
    """Copy each merge's top-left value into every cell of the merge (growing the grid if needed)."""
    for r0, c0, r1, c1 in merges:
        if r0 >= len(grid) or c0 >= len(grid[r0]):
            continue
        value = grid[r0][c0]
        for r in range(r0, r1 + 1):
            while r >= len(grid):
                grid.append([""] * len(grid[0]))
            row = grid[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value


# ---------------------------------------------------------------- invisible characters


# Every format character (Unicode category Cf) of the Basic Multilingual Plane, as of Python 3.11's Unicode 14
# (tests/test_reader.py checks this against unicodedata): U+00AD soft hyphen, U+200B-U+200F zero-width and
# direction marks, U+2060 word joiner, U+FEFF BOM … Written out because deriving it costs 70 ms a process.
INVISIBLE = ("\u00AD\u0600-\u0605\u061C\u06DD\u070F\u0890-\u0891\u08E2\u180E\u200B-\u200F\u202A-\u202E"
             "\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB")
_INVISIBLE = re.compile(f"[{INVISIBLE}]")


def clean_invisible(grid: list[list]) -> dict[tuple[int, int], str]:
    """Remove invisible format characters from every text cell, in place; returns the cells it changed
    with their text as written. (One search over the sheet's joined text first: almost no sheet has any.)"""
    if not _INVISIBLE.search("\x00".join([v for row in grid for v in row if v.__class__ is str])):
        return {}
    written = {}
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if v.__class__ is str and _INVISIBLE.search(v):
                written[(r, c)] = v
                row[c] = _INVISIBLE.sub("", v)
    return written

