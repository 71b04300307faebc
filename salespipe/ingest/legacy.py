"""Legacy .xls (and WPS .et) workbooks — any compound file — read with xlrd.

xlrd, not calamine, for these: it reports error cells as errors (calamine: empty), honours the workbook's
codepage (Excel 95 files in GBK come back as garbage from calamine) and its date system, and gives each
cell's number format. It is slower than calamine: on the bench year's 80-row .xls files 3 ms a file against
0.3 ms, and .xls files are about a tenth of the files there.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlrd
from xlrd.biffh import (XL_CELL_BLANK, XL_CELL_BOOLEAN, XL_CELL_DATE, XL_CELL_EMPTY, XL_CELL_ERROR, XL_CELL_NUMBER,
                        XL_CELL_TEXT, XLRDError)

from salespipe.errors import UnreadableFile
from salespipe.ingest.ooxml import format_unit, shown
from salespipe.ingest.reader import ENCRYPTED, Sheet
from salespipe.ingest.values import CellError


def read_xls(path: Path) -> list[Sheet]:
    """Every worksheet (hidden ones too) as a grid with merges filled in. Raises UnreadableFile."""
    from salespipe.ingest.reader import fill_merges

    try:
        try:
            book = xlrd.open_workbook(str(path), formatting_info=True)
        except NotImplementedError:  # formatting information of the oldest BIFF versions
            book = xlrd.open_workbook(str(path))
    except XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise UnreadableFile(*ENCRYPTED) from None
        raise _corrupt(exc) from None
    except Exception as exc:  # xlrd raises several error types for damaged files
        raise _corrupt(exc) from None
    sheets = []
    try:
        units = _unit_formats(book)
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            grid = [_row(sheet, r, book.datemode, units) for r in range(sheet.nrows)]
            merges = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sheet.merged_cells]
            fill_merges(grid, merges)
            sheets.append(Sheet(sheet.name, index, grid, merges, hidden=sheet.visibility != 0))
    except Exception as exc:
        raise _corrupt(exc) from None
    finally:
        book.release_resources()
    return sheets


def _corrupt(exc: Exception) -> UnreadableFile:
    return UnreadableFile(f"文件已损坏，无法打开（{type(exc).__name__}）：请在 Excel 或 WPS 中打开并另存为 .xlsx 后重新提交",
                          f"corrupt .xls: {exc}")


def _unit_formats(book) -> dict[int, str]:
    """XF index → the unit its number format states (ooxml.format_unit)."""
    if not book.formatting_info:
        return {}
    units = {}
    for index, xf in enumerate(book.xf_list):
        fmt = book.format_map.get(xf.format_key)
        if fmt is not None and (unit := format_unit(fmt.format_str)) is not None:
            units[index] = unit
    return units


_PLAIN = frozenset({XL_CELL_TEXT, XL_CELL_EMPTY, XL_CELL_BLANK})


def _row(sheet, r: int, datemode: int, units: dict[int, str]) -> list:
    """One row as calamine would give it: text, floats, dates, '' for empty; error cells as CellError."""
    values, types = sheet.row_values(r), sheet.row_types(r)
    if units:
        xfs = [sheet.cell_xf_index(r, c) for c in range(len(values))]
    for c, ctype in enumerate(types):
        if ctype not in _PLAIN or (units and ctype == XL_CELL_NUMBER):
            values[c] = _value(ctype, values[c], datemode, units.get(xfs[c]) if units else None)
    return values


def _value(ctype: int, value, datemode: int, unit: str | None):
    if ctype == XL_CELL_BLANK:  # formatted but empty
        return ""
    if ctype == XL_CELL_ERROR:
        return CellError(xlrd.error_text_from_code.get(value, "#错误"))
    if ctype == XL_CELL_DATE:
        try:
            moment = xlrd.xldate.xldate_as_datetime(value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return value
        return moment.date() if moment.time() == dt.time() else moment
    if ctype == XL_CELL_BOOLEAN:
        return bool(value)
    if ctype == XL_CELL_NUMBER and unit is not None:
        return shown(value, unit)
    return value
