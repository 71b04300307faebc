"""What python-calamine cannot tell a reader about an .xlsx, taken from the sheet XML itself.

calamine 0.9.1 returns '' for an empty cell, for an error value (#N/A) and for a formula with no stored
result alike, and gives no number formats. A value is what Excel shows (input-sheets.md), so these cells
are found here and put into calamine's grid:

- an error value (`t="e"`) → `CellError('#N/A')`;
- a formula with no stored result (written by a program, never calculated) → `Uncalculated(formula)`;
- a number whose number format states a unit: `0.00"万元"` → the text '1.28万元' (the value is in 万);
  `0!.0000"万"` or `#,##0"元"` → '12800元' (the value is in yuan whatever the display). The money parser
  then reads the unit in the cell, which wins over the header's.

Only sheets whose XML holds an error, a formula or such a style are parsed: most hold none, and the check
is a byte search of the worksheet parts.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

from salespipe.ingest.values import CellError, Uncalculated, cell_text

_ROOT = re.compile(rb"<(\w+:)?worksheet[\s>]")
_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml", re.I)
_UNIT_WORDS = ("万".encode(), "元".encode())
_SCALED = re.compile(r'!\.|\\\.|"\."|0,+\s*["\\万]')  # the display divides a value in yuan (0!.0000"万")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(elem, name: str) -> str | None:
    """An attribute by its local name, whatever its namespace (transitional or Strict OOXML)."""
    for key, value in elem.attrib.items():
        if _local(key) == name:
            return value
    return None


def special_cells(path: Path, names: list[str]) -> dict[str, dict[tuple[int, int], object]]:
    """{sheet name: {(row, col): CellError | Uncalculated | unit text}} for the named worksheets.
    A file that is not an OOXML workbook (an .ods) gives {}; so does any XML this cannot parse (calamine
    has read the values already)."""
    try:
        with zipfile.ZipFile(path) as z:
            units = _unit_styles(z)
            if not units:  # the common case: look at the worksheet parts' bytes before resolving any names
                marked = [n for n in z.namelist() if _SHEET_PART.fullmatch(n) and _marked(z.read(n))]
                if not marked:
                    return {}
            parts = _sheet_parts(z)
            found = {}
            for name in names:
                part = parts.get(name)
                if part is None or part not in z.NameToInfo:
                    continue
                data = z.read(part)
                if units or _marked(data):
                    found[name] = _scan_sheet(data, units)
            return found
    except (zipfile.BadZipFile, ET.ParseError, KeyError, ValueError):
        return {}


def _marked(data: bytes) -> bool:
    """Does the sheet XML hold an error value or a formula? Byte searches with the sheet's own namespace
    prefix (`<f>` from Excel, `<x:f>` from some .NET exporters)."""
    if b't="e"' in data:
        return True
    root = _ROOT.search(data, 0, 4096)
    tag = b"<" + (root[1] or b"" if root else b"") + b"f"
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
    if not any(w in data for w in _UNIT_WORDS):
        return {}
    root = ET.fromstring(data)
    formats = {}
    for elem in root.iter():
        if _local(elem.tag) == "numFmt":
            code = elem.get("formatCode") or ""
            if "万" in code:
                formats[elem.get("numFmtId")] = "元" if _SCALED.search(code) else "万元"
            elif "元" in code:
                formats[elem.get("numFmtId")] = "元"
    units = {}
    for section in root:
        if _local(section.tag) == "cellXfs":
            for index, xf in enumerate(section):
                if (unit := formats.get(xf.get("numFmtId"))) is not None:
                    units[index] = unit
    return units


def _scan_sheet(data: bytes, units: dict[int, str]) -> dict[tuple[int, int], object]:
    from salespipe.ingest.reader import cell_position

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
            return cell_text(float(text)) + unit
    return None
