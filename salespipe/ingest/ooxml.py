"""What python-calamine cannot tell a reader about an .xlsx, taken from the sheet XML itself.

calamine 0.9.1 returns '' for an empty cell, for an error value (#N/A) and for a formula with no stored
result alike, and gives no number formats. A value is what Excel shows (input-sheets.md), so these cells
are found here and put into calamine's grid:

- an error value (`t="e"`) → `CellError('#N/A')`;
- a formula with no stored result (written by a program, never calculated) → `Uncalculated(formula)`;
- a number whose number format states a unit: `0.00"万元"` → the text '1.28万元' (the value is in 万);
  `0!.0000"万"` or `#,##0"元"` → '12800元' (the value is in yuan whatever the display); a percentage
  format → '95%' for 0.95. The parsers then read the unit in the cell, which wins over the header's.

Only sheets whose XML holds an error, a formula or such a style are parsed: most hold none, and the check
is a byte search of the worksheet parts.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from decimal import Decimal
import xml.etree.ElementTree as ET
from pathlib import Path

from salespipe.errors import UnreadableFile
from salespipe.ingest.values import CellError, Uncalculated, cell_text

_ROOT = re.compile(rb"<(\w+:)?worksheet[\s>]")
_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml", re.I)
_UNIT_WORDS = ("万".encode(), "元".encode())
_PERCENT_IDS = re.compile(rb'numFmtId="(?:9|10)"')
_SCALED = re.compile(r'!\.|\\\.|"\."|0,+\s*["\\万]')  # the display divides a value in yuan (0!.0000"万")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(elem, name: str) -> str | None:
    """An attribute by its local name, whatever its namespace (transitional or Strict OOXML)."""
    for key, value in elem.attrib.items():
        if _local(key) == name:
            return value
    return None


MAX_INFLATED = 512 << 20  # bytes a workbook's parts may unpack to (the largest real log workbooks: a few MB)
MAX_PART = 256 << 20  # bytes one part may unpack to
MAX_CELLS = 5_000_000  # rows × columns of a sheet's used range: calamine allocates the whole rectangle
MAX_STRINGS = 5_000_000  # shared strings a workbook declares
_THREE_LETTER_REF = re.compile(rb' r="([A-Z]{3})\d')
_UNIQUE_COUNT = re.compile(rb'uniqueCount="(\d+)"')


def special_cells(path: Path) -> dict[str, dict[tuple[int, int], object]]:
    """{sheet name: {(row, col): CellError | Uncalculated | unit text}}, read before calamine opens the file.

    Also the cheap checks that keep one file from ending the night (calamine aborts the whole process when it
    cannot allocate a sheet's rectangle): parts that unpack to more than MAX_PART / MAX_INFLATED bytes, more
    than MAX_STRINGS shared strings, or a used range of more than MAX_CELLS cells (a stray cell at XFD1048576)
    raise UnreadableFile with a reason. A zip that is not an OOXML workbook (an .ods) gives {}; so does XML
    this cannot parse (calamine reads the values)."""
    try:
        with zipfile.ZipFile(path) as z:
            _check_sizes(z)
            units = _unit_styles(z)
            found: dict[str, bytes] = {}
            for part in z.namelist():
                if _SHEET_PART.fullmatch(part):
                    data = z.read(part)
                    prefix = _prefix(data)
                    _check_range(data, prefix)
                    if units or _marked(data, prefix):
                        found[part] = data
            if not found:
                return {}
            names = {part: name for name, part in _sheet_parts(z).items()}
            return {names[part]: _scan_sheet(data, units) for part, data in found.items() if part in names}
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, ET.ParseError, KeyError, ValueError, EOFError, OSError, NotImplementedError):
        return {}


def _too_big(what_zh: str, what_en: str) -> UnreadableFile:
    return UnreadableFile(f"文件{what_zh}，无法读取：请在 Excel 或 WPS 中删除多余的行列（按 Ctrl+End 看最后一个单元格），"
                          f"另存后重新提交", f"workbook too large: {what_en}")


def _check_sizes(z: zipfile.ZipFile) -> None:
    infos = z.infolist()
    if sum(i.file_size for i in infos) > MAX_INFLATED or any(i.file_size > MAX_PART for i in infos):
        raise _too_big("解压后过大（超过 512 MB）", "parts unpack to more than the limit")
    strings = next((i for i in infos if i.filename.lower() == "xl/sharedstrings.xml"), None)
    if strings is not None:
        with z.open(strings) as f:
            head = f.read(4096)
        m = _UNIQUE_COUNT.search(head)
        if m and int(m[1]) > MAX_STRINGS:
            raise _too_big(f"声明了 {int(m[1]):,} 个文字", f"{m[1]} shared strings")


def _prefix(data: bytes) -> bytes:
    """The namespace prefix the sheet XML writes its tags with: b'' (Excel) or b'x:' (some .NET exporters)."""
    root = _ROOT.search(data, 0, 4096)
    return (root[1] or b"") if root else b""


def _check_range(data: bytes, prefix: bytes) -> None:
    """The sheet's used rectangle from its first and last <row r="…"> and its widest cell reference."""
    tag = b"<" + prefix + b'row r="'
    first, last = data.find(tag), data.rfind(tag)
    if first < 0:
        return
    number = lambda at: int(data[at + len(tag):data.index(b'"', at + len(tag))] or 0)
    rows = number(last) - number(first) + 1
    wide = _THREE_LETTER_REF.findall(data) if _THREE_LETTER_REF.search(data) else []
    columns = cell_position(max(wide).decode() + "1")[1] + 1 if wide else 702  # 702 = ZZ: one or two letters
    if rows * columns > MAX_CELLS:
        raise _too_big(f"的表格范围过大（约 {rows:,} 行 × {columns:,} 列）", f"a used range of {rows} x {columns} cells")


def _marked(data: bytes, prefix: bytes) -> bool:
    """Does the sheet XML hold an error value or a formula? Byte searches with the sheet's own namespace
    prefix (`<f>` from Excel, `<x:f>` from some .NET exporters)."""
    if b't="e"' in data:
        return True
    tag = b"<" + prefix + b"f"
    at = data.find(tag)
    while at >= 0:  # one search for "<f", then the character after it (not <filterColumn …)
        if data[at + len(tag):at + len(tag) + 1] in (b">", b" ", b"/"):
            return True
        at = data.find(tag, at + 1)
    return False


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the zip member of its XML, from xl/workbook.xml and its relationships."""
    book = next((n for n in z.namelist() if n.lower() == "xl/workbook.xml"), None)
    if book is None:
        return {}
    rels_name = posixpath.join(posixpath.dirname(book), "_rels", posixpath.basename(book) + ".rels")
    if rels_name not in z.NameToInfo:
        return {}
    targets = {}
    for rel in ET.fromstring(z.read(rels_name)):
        target = rel.get("Target") or ""
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(posixpath.dirname(book), target))
        targets[rel.get("Id")] = target
    parts = {}
    for elem in ET.fromstring(z.read(book)).iter():
        if _local(elem.tag) == "sheet":
            parts[elem.get("name")] = targets.get(_attr(elem, "id"))
    return parts


def _unit_styles(z: zipfile.ZipFile) -> dict[int, str]:
    """Cell style index → '万元' (the value is in 万) or '元' (the value is in yuan) for number formats
    that state a unit; {} when no format mentions 万 or 元 (nearly always)."""
    styles = next((n for n in z.namelist() if n.lower() == "xl/styles.xml"), None)
    if styles is None:
        return {}
    data = z.read(styles)
    if not any(w in data for w in _UNIT_WORDS) and b"%" not in data and not _PERCENT_IDS.search(data):
        return {}
    root = ET.fromstring(data)
    formats = {}
    for elem in root.iter():
        if _local(elem.tag) == "numFmt" and (unit := format_unit(elem.get("formatCode") or "")) is not None:
            formats[elem.get("numFmtId")] = unit
    units = {}
    for section in root:
        if _local(section.tag) == "cellXfs":
            for index, xf in enumerate(section):
                number_format = xf.get("numFmtId")
                unit = formats.get(number_format) or ("%" if number_format in ("9", "10") else None)  # 0% / 0.00%
                if unit is not None:
                    units[index] = unit
    return units


def format_unit(code: str) -> str | None:
    """What a number format says about its number: '万元' (`0.00"万元"`: the value is in 万), '元' (`#,##0"元"`, or
    `0!.0000"万"`, which shows a value in yuan divided), '%' (a percentage), else None. For .xlsx and .xls alike."""
    if "万" in code:
        return "元" if _SCALED.search(code) else "万元"
    if "元" in code:
        return "元"
    if "%" in code.replace('"%"', "").replace("\\%", ""):
        return "%"
    return None


def shown(value: float | str, unit: str) -> str:
    """A number as its format shows it with its unit: 1.28 + 万元 → '1.28万元'; 0.95 + % → '95%'."""
    if unit == "%":
        return format((Decimal(str(value)) * 100).normalize(), "f") + "%"
    return cell_text(float(value)) + unit


def cell_position(ref: str) -> tuple[int, int]:
    """'D3' → (2, 3): 0-based row and column of an A1 reference. (openpyxl.utils.cell does this too, but
    importing openpyxl costs the reader process 0.25 s — more than its whole start.)"""
    m = re.match(r"([A-Za-z]+)(\d+)", ref)
    if not m:
        raise ValueError(ref)
    col = 0
    for ch in m[1].upper():
        col = col * 26 + ord(ch) - 64
    return int(m[2]) - 1, col - 1


def _scan_sheet(data: bytes, units: dict[int, str]) -> dict[tuple[int, int], object]:
    cells: dict[tuple[int, int], object] = {}
    row_index, col_index = -1, -1
    for event, elem in ET.iterparse(io.BytesIO(data), events=("start", "end")):
        tag = _local(elem.tag)
        if event == "start":
            if tag == "row":
                r = elem.get("r")
                row_index, col_index = (int(r) - 1 if r else row_index + 1), -1
            continue
        if tag == "c":
            ref = elem.get("r")
            position = cell_position(ref) if ref else (row_index, col_index + 1)
            col_index = position[1]
            value = _special(elem, units)
            if value is not None:
                cells[position] = value
            elem.clear()
        elif tag == "row":
            elem.clear()
    return cells


def _special(cell, units: dict[int, str]):
    """The value a cell needs in place of calamine's, or None when calamine's is right."""
    formula = v = None
    for child in cell:
        tag = _local(child.tag)
        if tag == "f":
            formula = child
        elif tag == "v":
            v = child
    kind = cell.get("t")
    text = (v.text or "") if v is not None else ""
    if kind == "e":
        return CellError(text.strip() or "#错误")
    if formula is not None and (v is None or (not text and kind not in ("str", "inlineStr"))):
        return Uncalculated((formula.text or "").strip())
    style = cell.get("s")
    if units and style is not None and kind in (None, "n") and text:
        unit = units.get(int(style))
        if unit is not None:
            return shown(text, unit)
    return None
