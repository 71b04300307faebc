"""Writing sheet values safely with openpyxl: text that Excel would run as a formula stays text."""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@")


def append_row(ws, values: list) -> None:
    """ws.append, but a string starting with = + - @ (from an input sheet) is stored as text, never a formula."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
