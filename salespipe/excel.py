"""Writing outputs safely from what sheets say: text that Excel would run as a formula stays text, and a
name (a salesperson's, a customer's) becomes a file name that the file system accepts."""
from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@")


def looks_like_formula(value) -> bool:
    """Text Excel would run as a formula (= + - @): from an input sheet it must be stored as text."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def append_row(ws, values: list) -> tuple:
    """ws.append, but a string starting with = + - @ (from an input sheet) is stored as text, never a formula.
    Returns the row's cells (found without scanning the sheet, so long sheets stay linear)."""
    ws.append(values)
    if not values:
        return ()
    row = ws._current_row  # the row append just wrote (ws.max_row would scan every cell: quadratic)
    cells = tuple(ws.cell(row, column) for column in range(1, len(values) + 1))
    for cell in cells:
        if looks_like_formula(cell.value):
            cell.data_type = "s"
    return cells


def set_cell(ws, row: int, column: int, value):
    """ws.cell(row, column, value) under the same rule as append_row (hidden sheets too: a roster name
    '=1+1' in a drop-down's option list would otherwise be a live formula)."""
    cell = ws.cell(row, column, value)
    if looks_like_formula(value):
        cell.data_type = "s"
    return cell


UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def file_part(text: str, max_bytes: int = 60) -> str:
    """A piece of a file name made from a name people typed: / \\ : * ? " < > | and control characters become
    _, leading dots and spaces are dropped (no hidden files, no '..'), and the result is cut to max_bytes of
    UTF-8 on a character boundary. Never empty ('_' instead)."""
    cleaned = UNSAFE_IN_NAMES.sub("_", str(text)).lstrip(". ").rstrip()
    cut = cleaned.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
    return cut or "_"
