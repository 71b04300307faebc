"""One ingest run: read the files (in chunks, in reader processes with memory and time limits: see
`worker`), load them into a private copy of the warehouse, publish it all at once, then archive the files.
Read files of the inbox go to archive/<date>/, unreadable ones to rejected/ with a reason file, only after
the commit; files given as a PATH outside the inbox are read where they are and stay there."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import threading
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from salespipe.config import Config
from salespipe.customers.master import Profiles, match_settings
from salespipe.errors import SalespipeError
from salespipe.ingest.batch import Batch, FileEntry, collect_files, shown, shown_name
from salespipe.ingest.reader import file_sha256
from salespipe.ingest.worker import ChunkReader, paused_gc, release_memory
from salespipe.ingest.load import LoadResult, finish_load, load_batch
from salespipe.transforms import build_marts
from salespipe.warehouse import append_rows, connect, publishing, rows, run, scalar


@dataclass
class IngestSummary:
    run_id: str
    files: Counter = field(default_factory=Counter)  # status -> number of files
    rows_accepted: int = 0
    rows_rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    new_customers: int = 0
    new_reviews: int = 0
    settled_reviews: int = 0  # pending review pairs the run's rows showed to be two customers (left the list)
    new_followups: int = 0
    superseded_rows: int = 0
    customers_total: int = 0
    decisions: Counter = field(default_factory=Counter)  # approval rows by kind: 批准 改派 驳回 未填 待第二审批人 退回
    customers_from_leads: int = 0  # of new_customers: created by approved leads
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)  # (file name, reason, where it went)
    rows_skipped: int = 0  # non-blank rows that are not data (headers, titles, totals, notes, examples, hints)
    sheets_not_read: list[tuple[str, str, str]] = field(default_factory=list)  # (file name, sheet, reason)
    moves_failed: list[str] = field(default_factory=list)  # files the run could not move after publishing
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason): hidden, ~$ files; left in place


def ingest(paths: list[Path] | None, config: Config, now: dt.datetime | None = None,
           progress: bool = False) -> IngestSummary:
    now = now or dt.datetime.now(ZoneInfo(config.timezone))
    with paused_gc(), _stopped_like_a_failure():  # a run makes no garbage cycles worth a full collection (≈0.08 s)
        return _ingest(paths, config, now, progress)


@contextmanager
def _stopped_like_a_failure():
    """SIGTERM (a scheduler or `kill` stopping the run) ends the run like an error: the private copy is
    discarded, the reader processes are stopped and the temporary folder removed, then the process exits
    with 143. Only in the main thread and where SIGTERM has no handler yet (one someone installed is left
    alone); elsewhere SIGTERM kills as before: the reader processes die with the run (PR_SET_PDEATHSIG) and
    the next run removes the folder."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _ingest(paths: list[Path] | None, config: Config, now: dt.datetime, progress: bool) -> IngestSummary:
    run_id = now.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    ignored: list[tuple[Path, str]] = []
    files = collect_files(paths or [config.path("inbox")], ignored)
    with _readers(len(files), config) as reader, \
            publishing(config.warehouse, **config.writing) as target:
        con = connect(target, storage_version=config.writing["storage_version"])
        taken = [p for p in files if not os.path.lexists(p)]  # moved by the run this one waited for
        if taken:
            files = [p for p in files if os.path.lexists(p)]
            ignored += [(p, TAKEN) for p in taken]
        try:
            with _progress(len(files), config, progress) as on_file:
                entries, result = _load_in_chunks(con, files, run_id, now, config, on_file, reader)
            summary = _summarise(con, entries, result, run_id)
            run(con, "checkpoint")
        finally:
            con.close()
    summary.moves_failed = _move_files(entries)
    summary.ignored = [(shown_name(path), reason) for path, reason in ignored]
    for status, n in Counter("taken" if reason == TAKEN else "ignored" for _, reason in ignored).items():
        summary.files[status] = n
    return summary


@contextmanager
def _progress(total: int, config: Config, progress: bool):
    """A callback to call after each file: a rich progress bar for big runs, else nothing."""
    if not (progress and total >= int(config.ingest.get("progress_min_files", 20))):
        yield lambda path: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("读取工作簿 reading workbooks", total=total)
        yield lambda path: bar.advance(task)


SHARED_PIECE = 10  # files a reader process takes at a time in a run of one chunk (a file to blame is found in it)


def _chunking(config: Config) -> tuple[int, int]:
    """[ingest] chunk_files and loader_reads_every (see config/salespipe.toml)."""
    return max(1, int(config.ingest.get("chunk_files", 1000))), int(config.ingest.get("loader_reads_every", 5))


@contextmanager
def _readers(count: int, config: Config):
    """The reader processes of a run of `count` files (None when there is no file): two for several chunks
    (one when `loader_reads_every` is 0), one for a run of one chunk (a night) of fewer than `two_readers_from`
    files; with `[ingest] reader_memory_mb` and `reader_timeout_seconds`. Started before the warehouse is opened:
    their imports overlap that.
    From `two_readers_from` files (20: two pieces of SHARED_PIECE) a night is read by two. Measured alternated on 2
    cores, bench/scale.py's nights onto a copy of the three-year warehouse, its own process, 5 rounds: 60 workbooks
    1.79-1.83 s with one, 1.66-1.69 s with two; 20 workbooks 1.48-1.64 against 1.50-1.62 s (no loss); 300 onto a year
    11.2-12.3 against 9.6-10.1 s. (When a night took 4 s, two bought nothing at 60 workbooks: the loader, not the
    reading, kept both cores busy then.)"""
    if not count:
        yield None
        return
    size, every = _chunking(config)
    two = bool(every) and (count > size or count >= int(config.ingest.get("two_readers_from", 20)))
    with ChunkReader(2 if two else 1, memory_mb=int(config.ingest.get("reader_memory_mb", 2048)),
                     timeout=float(config.ingest.get("reader_timeout_seconds", 120))) as reader:
        yield reader


def _load_in_chunks(con, files: list[Path], run_id: str, now: dt.datetime, config: Config,
                     on_file, reader: ChunkReader | None) -> tuple[list[FileEntry], LoadResult]:
    """Read and load the files chunk by chunk (`[ingest] chunk_files`, in file order), so that memory
    stays bounded however many files a run has. Each chunk is committed to the run's private copy of
    the warehouse (see `publishing`): a failure anywhere discards the copy, so the published warehouse
    changes all at once or not at all."""
    area = str(config.ingest.get("default_area_code", "022"))
    scan = int(config.ingest.get("header_scan_rows", 30))
    size, every = _chunking(config)
    settings = match_settings(config.raw)
    roles = tuple(config.raw.get("scores", {}).get("selling_roles", []))
    capacity = int(config.ingest.get("default_capacity", 60))
    known = {r[0] for r in con.execute(
        "select sha256 from ingested_files where status in ('ingested', 'superseded')").fetchall()}
    rejected_before = dict(con.execute(
        "select sha256, any_value(reason) from ingested_files where status = 'rejected' group by sha256").fetchall())
    entries: list[FileEntry] = []
    total = LoadResult()
    taken: set[Path] = set()
    profiles = Profiles()
    try:
        for batch in _batches(files, known, area, scan, size, every, reader, on_file):
            _rejected_again(batch, rejected_before)
            _unfinished_moves(con, batch)
            _plan_moves(batch, config, now, taken)
            run(con, "begin transaction")
            with paused_gc():
                result = load_batch(con, batch, run_id, now, capacity, settings, roles, profiles,
                                    config.raw.get("assignment", {}))
            _record_files(con, batch, result, run_id, now)
            total.absorb(result)
            entries.extend(batch.files)
            _withdraw(con, total, result.withdrawn, entries, run_id)
            run(con, "commit")
            del batch  # the chunk's staged rows are in the warehouse now
            release_memory()
        run(con, "begin transaction")
        finish_load(con, run_id, now)
        _mark_superseded_files(con)
        build_marts(con, config)
        run(con, "commit")
    except Exception as exc:
        try:
            run(con, "rollback")
        except duckdb.TransactionException:
            pass  # it failed between two chunks: nothing to roll back (the private copy is discarded)
        if isinstance(exc, SalespipeError):
            raise
        raise SalespipeError("本次读取失败，数据仓库保持不变", f"ingest failed, warehouse unchanged: {exc!r}") from exc
    return entries, total


def _batches(files: list[Path], known: set[str], area: str, scan: int, size: int, every: int,
             reader: ChunkReader | None, on_file):
    """Each chunk's Batch, in file order, read by the `reader` processes (this one only loads). When a run
    has several chunks, they read a few chunks ahead while this one loads the earlier ones; a run of one
    chunk is read in pieces by one process, or two sharing them (see `_readers` and `worker`)."""
    if reader is None:  # no file
        return
    starts = list(range(0, len(files), size))
    hashes = [file_sha256(p) for p in files]
    if len(starts) == 1:
        yield reader.share(files, hashes, known, area, scan, SHARED_PIECE, on_file)
        return
    for batch in reader.read(files, hashes, known, area, scan, size, starts, every=every):
        for f in batch.files:
            on_file(f.path)
        yield batch
        batch = None  # loaded: let it go before the next chunk is read


REJECTED_BEFORE = "与之前退回的文件内容相同，已跳过"
TAKEN = "另一个运行已处理这个文件（本次运行等待期间它已从收件箱移走），本次未读取"


def _rejected_again(batch: Batch, rejected_before: dict[str, str]) -> None:
    """A file rejected by an earlier run, read again (it was left in the inbox by a run killed before its
    moves, or dropped in twice) and rejected for the same reason, is skipped: not a second reject in the
    reports. The same bytes now readable (the reader learned a format) are ingested as usual."""
    again = {f.sha256 for f in batch.files if f.status == "rejected" and rejected_before.get(f.sha256) == f.reason}
    if not again:
        return
    for f in batch.files:
        if f.sha256 in again:
            f.status, f.reason = "skipped", f"{REJECTED_BEFORE}（原因：{f.reason}）"
    batch.sheet_rejects = [r for r in batch.sheet_rejects if not (r["sheet"] is None and r["file_sha256"] in again)]


def _unfinished_moves(con, batch: Batch) -> None:
    """A file an earlier run recorded at this very path and meant to move, whose target does not exist: that
    run published and was stopped before its moves (a kill, a full archive disk). Its move is finished now —
    to the earlier target, with the reason file of a rejected file — and the file is not recorded or counted
    again (status `moved`): a run killed after its publish, then run again, equals one run (issue 17).
    Only this batch's skipped files are looked up (all history's rows as Paths cost 0.5 s on three years)."""
    skipped = [f.sha256 for f in batch.files if f.status == "skipped"]
    if not skipped:
        return
    planned = {(sha, path): (Path(target), status, reason) for sha, path, target, status, reason in rows(con, """
        select sha256, path, archived_to, status, reason from ingested_files
        where sha256 in (select unnest(?)) and status in ('ingested', 'superseded', 'rejected')
          and archived_to <> path""", [skipped])}
    for f in batch.files:
        if f.status != "skipped":
            continue
        earlier = planned.get((f.sha256, shown(str(f.path))))
        if earlier and not os.path.lexists(earlier[0]):
            f.target, f.status = earlier[0], "moved"
            f.reason = earlier[2] if earlier[1] == "rejected" else None  # the reason file goes beside it


def _record_files(con, batch: Batch, result: LoadResult, run_id: str, now: dt.datetime) -> None:
    rows = []
    for f in batch.files:
        if f.status == "moved":  # recorded by the run that read it
            continue
        accepted, rejected = result.per_file.get(f.file_id, [0, 0])
        rows.append({"sha256": f.sha256, "path": shown(str(f.path)), "file_name": shown_name(f.path),
                     "status": f.status, "kinds": f.kinds, "rows_accepted": accepted, "rows_rejected": rejected,
                     "reason": f.reason, "archived_to": shown(str(f.target)), "run_id": run_id, "ingested_at": now,
                     "received_at": f.received_at})
    append_rows(con, "ingested_files", rows)


def _withdraw(con, total: LoadResult, withdrawn, entries: list[FileEntry], run_id: str) -> None:
    """Rows an earlier chunk accepted that a newer file of this run replaced are no longer accepted:
    the same counts as if the run had been read in one piece."""
    if not withdrawn:
        return
    file_ids = {f.sha256: f.file_id for f in entries if f.status == "ingested"}
    for sha, n in withdrawn.items():
        total.per_file[file_ids[sha]][0] -= n
        total.rows_accepted -= n
        run(con, "update ingested_files set rows_accepted = rows_accepted - ? where sha256 = ? and run_id = ?",
            [n, sha, run_id])


def _mark_superseded_files(con) -> None:
    """A file none of whose 日志表 rows are still live has been superseded as a whole."""
    run(con, """
        update ingested_files f set status = 'superseded'
        where f.status = 'ingested' and f.kinds = ['log']
          and exists (select 1 from activities_superseded s where s.file_sha256 = f.sha256)
          and not exists (select 1 from activities a where a.file_sha256 = f.sha256)
          and not exists (select 1 from rejects r where r.file_sha256 = f.sha256 and r.superseded_by is null)""")


def _summarise(con, entries: list[FileEntry], result: LoadResult, run_id: str) -> IngestSummary:
    summary = IngestSummary(run_id=run_id, rows_accepted=result.rows_accepted, rows_rejected=result.rows_rejected,
                            reasons=result.reasons, new_customers=result.new_customers,
                            new_reviews=result.new_reviews, settled_reviews=result.settled_reviews,
                            new_followups=result.new_followups,
                            superseded_rows=result.superseded_rows, rows_skipped=result.rows_skipped,
                            sheets_not_read=list(result.sheets_not_read), decisions=result.decisions,
                            customers_from_leads=result.customers_from_leads)
    for f in entries:
        summary.files[f.status] += 1
        if f.status == "rejected":
            summary.unreadable.append((shown_name(f.path), f.reason or "",
                                       "留在原处 left where it is" if f.target == f.path else shown(str(f.target.parent))))
    summary.customers_total = scalar(con, "select count(*) from customers")
    return summary


def _plan_moves(batch: Batch, config: Config, now: dt.datetime, taken: set[Path]) -> None:
    """Where each file of the inbox goes after the commit: archive/<date>/ or rejected/ (never overwriting),
    under its name as `shown` writes it (a name that is not UTF-8 is archived with its bytes escaped). A file
    outside the inbox (a PATH given to `salespipe ingest`, archive/ or rejected/ among them) stays where it is."""
    rejected, inbox = config.path("rejected"), config.path("inbox")
    filed = (config.path("archive"), rejected)
    archive = filed[0] / now.date().isoformat()
    for f in batch.files:
        if f.status == "moved":  # an earlier run's move, to its own target
            taken.add(f.target)
            continue
        folder = f.path.parent.resolve()
        if not folder.is_relative_to(inbox) or any(folder.is_relative_to(root) for root in filed):
            f.target = f.path  # read in place: not ours to move
            continue
        target_dir = rejected if f.status == "rejected" or (f.reason or "").startswith(REJECTED_BEFORE) else archive
        target = target_dir / _short(shown_name(f.path))
        if os.path.lexists(target) or target in taken:
            target = target_dir / _short(shown_name(f.path), f".{f.sha256[:8]}.{f.file_id}")
        taken.add(target)
        f.target = target


NAME_BYTES = 255 - len(".reason.txt")  # a file name and its reason file must fit the file system's 255 bytes


def _short(name: str, tag: str = "") -> str:
    """`name` with `tag` before its extension, its stem cut to fit NAME_BYTES (UTF-8, whole characters)."""
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    suffix = tag + dot + ext
    budget = NAME_BYTES - len(suffix.encode("utf-8", "surrogateescape"))
    encoded = stem.encode("utf-8", "surrogateescape")
    if len(encoded) > budget:
        stem = encoded[:budget].decode("utf-8", "ignore")
    return stem + suffix


def _move_files(entries: list[FileEntry]) -> list[str]:
    """Move each file to its target after the publish. A move that fails (a full disk, a file another run
    took) cannot undo the published run: it is reported, and the file left where it is is skipped or
    rejected again next time without being counted twice."""
    failed = []
    for f in entries:
        if not os.path.lexists(f.path) or f.path == f.target:  # (lexists: a link is moved as the link itself)
            continue
        try:
            f.target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(f.path), f.target)
            if f.status == "rejected" or (f.status == "moved" and f.reason):
                f.target.with_name(f.target.name + ".reason.txt").write_text(
                    f"{f.reason}\n文件 file: {shown_name(f.path)}\nsha256: {f.sha256}\n", encoding="utf-8")
        except OSError as exc:
            failed.append(f"{shown_name(f.path)}: {exc.strerror or exc}")
    return failed


__all__ = ["ingest", "IngestSummary"]
