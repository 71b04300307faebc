"""Reading a workbook into plain grids with python-calamine (.xlsx, .xlsm, .xls).

A grid is a list of rows in Excel coordinates (grid[0] is Excel row 1); merged cells carry their
value in every cell of the merge. Files that cannot be read raise `UnreadableFile` with a reason.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine as pc

from salespipe.errors import UnreadableFile

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


@dataclass
class Sheet:
    name: str
    index: int
    grid: list[list]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 inclusive

    def wide_merge_rows(self, min_width: int = 3) -> set[int]:
        """Rows covered by a horizontal merge at least `min_width` columns wide (titles, notes)."""
        rows: set[int] = set()
        for r0, c0, r1, c1 in self.merges:
            if c1 - c0 + 1 >= min_width:
                rows.update(range(r0, r1 + 1))
        return rows


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_container(path: Path) -> None:
    """Give the precise reason before calamine gives a generic one."""
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFile("文件是空的（0 字节）", "empty file")
    with open(path, "rb") as f:
        head = f.read(8)
        if head[:4] == ZIP_MAGIC:
            return
        if head == CFB_MAGIC:
            if ENCRYPTION_STREAM in f.read(1 << 16):
                raise UnreadableFile("文件设置了打开密码，请去掉密码后重新提交", "workbook is password-protected")
            return
    raise UnreadableFile("不是 Excel 文件（请用 .xlsx 或 .xls 格式保存）", "not an Excel file")


def read_workbook(path: Path) -> list[Sheet]:
    """All visible worksheets with merges filled in. Raises UnreadableFile."""
    _check_container(path)
    try:
        workbook = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError:
        raise UnreadableFile("文件设置了打开密码，请去掉密码后重新提交", "workbook is password-protected") from None
    except Exception as exc:  # calamine raises several error types for damaged files
        raise UnreadableFile(f"文件已损坏，无法打开（{type(exc).__name__}）", f"corrupt workbook: {exc}") from None
    sheets = []
    try:
        for index, meta in enumerate(workbook.sheets_metadata):
            if meta.typ != pc.SheetTypeEnum.WorkSheet or meta.visible != pc.SheetVisibleEnum.Visible:
                continue
            sheet = workbook.get_sheet_by_index(index)
            grid = sheet.to_python(skip_empty_area=False)
            merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
            fill_merges(grid, merges)
            sheets.append(Sheet(meta.name, index, grid, merges))
    except UnreadableFile:
        raise
    except Exception as exc:
        raise UnreadableFile(f"文件已损坏，无法读取（{type(exc).__name__}）", f"corrupt workbook: {exc}") from None
    finally:
        workbook.close()
    if not any(any(v not in ("", None) for v in row) for s in sheets for row in s.grid):
        raise UnreadableFile("工作簿里没有任何内容", "workbook has no content")
    return sheets


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
