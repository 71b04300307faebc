"""Writing sheet values safely with openpyxl: text that Excel would run as a formula stays text."""
from __future__ import annotations

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
