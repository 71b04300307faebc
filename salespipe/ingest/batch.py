"""Reading a run's files into a Batch of staged records, before anything touches the warehouse."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from salespipe.errors import UnreadableFile
from salespipe.ingest.header import Context, context_from_file_name, find_layout
from salespipe.ingest.reader import file_sha256, read_workbook
from salespipe.ingest.rows import SheetSource, stage_sheet
from salespipe.ingest.values import cell_text

IGNORED_SHEETS = ("填写说明", "说明", "instructions")
IGNORED_FILES = {  # name prefix -> why a file so named is not read (it stays where it is, and the summary says so)
    ".": "文件名以「.」开头（隐藏文件），未读取：如果这是要提交的工作簿，请去掉文件名开头的「.」后重新放入",
    "~$": "这是 Excel 打开工作簿时生成的临时锁文件（~$ 开头），不是工作簿，未读取",
}
IGNORED_FILE_PREFIXES = tuple(IGNORED_FILES)


def shown(text: str) -> str:
    """A file name or path as text that can be stored and printed: bytes that are not UTF-8 (a name made on
    another system, which Python keeps as surrogates) are written as escapes: b'\\xff\\xfe.xlsx' → '\\xff\\xfe.xlsx'."""
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def shown_name(path: Path) -> str:
    """The file's name as `shown` writes it."""
    return shown(path.name)


@dataclass
class FileEntry:
    file_id: int
    path: Path
    sha256: str
    order: int  # position in the run's file order: (modification time, name)
    status: str = "pending"  # ingested / skipped / rejected (superseded is decided by the loader)
    reason: str | None = None
    kinds: list[str] = field(default_factory=list)
    target: Path | None = None  # where the file is moved after the run commits
    received_at: dt.datetime | None = None  # its modification time: when it was last saved, i.e. handed in


@dataclass
class Batch:
    files: list[FileEntry] = field(default_factory=list)
    records: dict[str, list[dict]] = field(default_factory=dict)  # kind -> staged records
    sheet_rejects: list[dict] = field(default_factory=list)  # whole sheets or files
    skipped: list[dict] = field(default_factory=list)  # rows (and sheets) that are not data, with the reason

    def add(self, kind: str, records: list[dict]) -> None:
        self.records.setdefault(kind, []).extend(records)


ROSTER_WORDS = ("名册", "roster")


def collect_files(paths: list[Path], ignored: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Every regular file under the given files/folders (not hidden, not Excel's ~$ lock files: those are
    added to `ignored` with the reason), in the run's file order: files named as a roster (名册) first, then
    oldest modification first, then name. (A run loads its rosters before anything else; naming them first
    lets a run that is loaded in chunks know its salespeople from the first chunk on.)"""
    found: set[Path] = set()
    for path in paths:
        candidates = [path] if path.is_file() or path.is_symlink() else \
            [p for p in path.rglob("*") if p.is_symlink() or p.is_file()]
        for p in candidates:
            if p.name.endswith(".reason.txt"):  # ours, beside a rejected file
                continue
            if p.name.startswith(IGNORED_FILE_PREFIXES):
                if ignored is not None:
                    ignored.append((p, next(why for start, why in IGNORED_FILES.items() if p.name.startswith(start))))
                continue
            # a symbolic link stays a link (never its target): it is rejected unread and only the link moves
            found.add(p.absolute() if p.is_symlink() else p.resolve())
    return sorted(found, key=lambda p: (not any(w in p.name.casefold() for w in ROSTER_WORDS),
                                        os.lstat(p).st_mtime_ns, p.name, str(p)))


def read_batch(files: list[Path], known_hashes: set[str], area_code: str, scan_rows: int,
               on_file=lambda path: None, first: int = 0, hashes: list[str] | None = None,
               on_start=lambda order: None) -> Batch:
    """Hash, read, recognise and stage every file; duplicates of known content are skipped, and the
    hashes read are added to `known_hashes`. `first` numbers the files of a run's later chunks;
    `hashes` are the files' SHA-256 when the caller has them already. `on_start(order)` is called
    before each file is looked at, `on_file(path)` after."""
    batch = Batch()
    for order, path in enumerate(files, start=first):
        on_start(order)
        entry = FileEntry(order, path, hashes[order - first] if hashes else file_sha256(path), order,
                          received_at=_received(path))
        batch.files.append(entry)
        if entry.sha256 in known_hashes:
            entry.status, entry.reason = "skipped", "内容与已读取的文件相同，已跳过"
        else:
            _read_file(batch, entry, area_code, scan_rows)
            if entry.status == "ingested":  # only a file that was read makes its twins "already read"
                known_hashes.add(entry.sha256)
        on_file(path)
    return batch


def _received(path: Path) -> dt.datetime:
    """The file's modification time: when it was last saved, i.e. handed in."""
    return dt.datetime.fromtimestamp(os.lstat(path).st_mtime, dt.timezone.utc)


def unread(path: Path, order: int, sha256: str, reason: str) -> Batch:
    """The Batch of one file rejected without being read (its reader process died on it), as `read_batch`
    would give it for a file it could not read."""
    entry = FileEntry(order, path, sha256, order, received_at=_received(path))
    batch = Batch(files=[entry])
    _reject(batch, entry, reason, context_from_file_name(Path(shown_name(path)).stem))
    return batch


def _reject(batch: Batch, entry: FileEntry, reason: str, file_ctx: Context) -> None:
    entry.status, entry.reason = "rejected", reason
    batch.sheet_rejects.append(_whole(entry, None, "(文件)", reason, file_ctx))


SYMLINK = ("这是一个链接（快捷方式），不是工作簿本身：请把工作簿文件本身放进收件箱", "a symbolic link: not followed")


def _read_file(batch: Batch, entry: FileEntry, area_code: str, scan_rows: int) -> None:
    name = shown_name(entry.path)
    stem = Path(name).stem
    file_ctx = context_from_file_name(stem)
    try:
        if entry.path.is_symlink():  # never followed: the file it points to is not ours to read or move
            raise UnreadableFile(*SYMLINK)
        sheets = read_workbook(entry.path)
    except UnreadableFile as exc:
        _reject(batch, entry, exc.zh, file_ctx)
        return
    entry.status = "ingested"
    for sheet in sheets:
        if sheet.name.strip().casefold() in IGNORED_SHEETS:
            if _has_data(sheet.grid, 1):
                batch.skipped.append(_skipped(entry, sheet.name, None, "填写说明工作表，不是数据"))
            continue
        layout = find_layout(sheet.grid, f"{sheet.name} {stem}", scan_rows)
        if layout is None:
            if _has_data(sheet.grid):
                hidden = "（隐藏的工作表）" if sheet.hidden else ""
                batch.sheet_rejects.append(_whole(entry, sheet.name, "(表头)", (
                    f"工作表「{sheet.name}」{hidden}未读取：无法识别表头，找不到任何一种表格的列名，不是销售日志表、"
                    f"业绩登记表等可识别的表格（请使用 salespipe template 生成的模板）"), file_ctx))
            elif _has_data(sheet.grid, 1):
                batch.skipped.append(_skipped(entry, sheet.name, None, "工作表只有一个单元格有内容，不是表格"))
            continue
        source = SheetSource(entry.file_id, entry.order, name, sheet.name, area_code)
        skipped: list[tuple[int, str]] = []
        records = stage_sheet(sheet, layout, source, file_ctx,
                              {"sheet_index": sheet.index, "file_sha256": entry.sha256}, skipped)
        batch.skipped.extend(_skipped(entry, sheet.name, row, reason, layout.kind.key) for row, reason in skipped)
        batch.add(layout.kind.key, records)
        if layout.kind.key not in entry.kinds:
            entry.kinds.append(layout.kind.key)


def _has_data(grid: list[list], cells: int = 2) -> bool:
    return sum(1 for row in grid for v in row if cell_text(v)) >= cells


def _whole(entry: FileEntry, sheet: str | None, column: str, reason: str, file_ctx: Context) -> dict:
    """A reject of a whole file or sheet; its owner and day, where the file name says them (日志表_张三_20261126),
    let the salesperson's feedback list it."""
    return {"file": shown_name(entry.path), "sheet": sheet, "row_number": None, "column_name": column, "value": None,
            "reason": reason, "salesperson_id": None, "salesperson_name": file_ctx.salesperson, "kind": None,
            "row_date": file_ctx.date, "file_sha256": entry.sha256, "superseded_by": None}


def _skipped(entry: FileEntry, sheet: str, row: int | None, reason: str, kind: str | None = None) -> dict:
    return {"file": shown_name(entry.path), "sheet": sheet, "row_number": row, "reason": reason, "kind": kind,
            "file_sha256": entry.sha256}
