"""The reader processes (`ChunkReader`): every workbook of a run is read in a child process with a memory
limit (RLIMIT_AS, `[ingest] reader_memory_mb`) and a time limit per file (`[ingest] reader_timeout_seconds`),
so that a file that would exhaust memory or abort the reader costs that file, not the run. (calamine aborts
the whole process when it cannot allocate a sheet's rectangle; a Python MemoryError ends the process too.)

The run's own process only loads. A child reads jobs — a range of consecutive files — in order: before each
file it prints `f <index> <time>`, after the job it writes the Batch (or the exception a reading bug raised,
which the loader raises) to a pickle in the run's private folder and prints `p <job> <path>`. When a child
dies (a signal, a MemoryError) or a file takes longer than the limit (the child is killed), the file it was
reading is rejected (`OUT_OF_MEMORY`, `CRASHED`, `TIMED_OUT`) and a new child reads the rest of the job. A
file is blamed only when it was the first its process read (or timed out): otherwise it is first read again
alone in a new process, so that a file does not pay for the memory its predecessors left behind.

Two ways of reading:

- `share`: a run of one chunk (a nightly batch) is cut into pieces of a few files, read in turn by the
  children given (the pipeline gives two from `[ingest] two_readers_from` files on, see its `_readers`); the
  pieces are joined in file order into the one Batch one process would have read alone;
- `read`: a run of several chunks; a chunk is read by one of two children (the second takes every
  `[ingest] loader_reads_every`-th chunk, the share the loader used to read itself), at most `ahead` chunks
  ahead of the loader, which takes them in order.

A child is a plain process (`serve()`; unlike multiprocessing's spawn it never re-imports the caller's main
script) that imports only the reading modules (≈0.1 s) and dies with the run's process (PR_SET_PDEATHSIG).
Its private folder is `salespipe-chunks-<pid>-*` in the temporary directory, removed when the reader closes;
one left by a killed run (whose process is gone) is removed by the next run.

Gain and cost (issue 17). Gain: a workbook that aborts calamine (a file of a few KB whose sheet claims a cell at
XFD1048576, or 4e9 shared strings, written past the cheap checks of `ooxml`), runs out of memory or hangs
is rejected with its reason, where before it ended the run — and every run after it, since it stayed in the
inbox. Cost on a normal night, the one price of every file in a process: a Python start (≈0.1 s CPU, the
imports above) per reader process and the pickling of what the loader used to read itself. Measured with a
throwaway script on 2 cores (load average ≈3 from other work): `ingest([inbox], config)` of 60 workbooks of
~40 rows (2,346 rows, bench.ingest_bench.make_batch) onto a warehouse of 200 earlier ones, each in a fresh
interpreter, the code before and after alternated in the same hour: median 1.081 s before, 1.192 s after
(+0.11 s, +10 %; 15 runs each; +0.06 s and +0.24 s in two other series of 11), CPU of all processes +0.11 s;
20 workbooks 0.91 → 1.09 s; one workbook 0.51 → 0.60 s. A large warehouse hides more of the start: the
processes start before the warehouse is copied and opened.
"""
from __future__ import annotations

import ctypes
import gc
import os
import pickle
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from salespipe.errors import SalespipeError
from salespipe.ingest.batch import Batch, read_batch, shown_name, unread


MEMORY_EXIT = 3  # a reader process's exit code after a MemoryError
ADVICE = "请在 Excel 或 WPS 中打开，删除多余的行列和内容，另存为 .xlsx 后重新提交"
OUT_OF_MEMORY = f"文件过大或损坏，读取时耗尽内存，未读取：{ADVICE}"
CRASHED = f"文件已损坏，读取时使读取程序中止，未读取：{ADVICE}"
TIMED_OUT = "文件过大或损坏，读取超时（超过 {seconds:g} 秒），未读取：" + ADVICE
PREFIX = "salespipe-chunks-"


def release_memory() -> None:
    """Give memory freed by a finished chunk back to the system (glibc keeps it otherwise)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


@contextmanager
def paused_gc():
    """The cyclic garbage collector off while a chunk is read or loaded: it has nothing to find in
    the chunk's hundreds of thousands of new records (freed by reference counting), yet scanning
    them costs a tenth of the time. The young generations are collected when it ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect(1)


def read_chunk(files: list[Path], hashes: list[str], known: set[str], area_code: str, scan_rows: int, size: int,
               start: int, on_file=lambda path: None, on_start=lambda order: None) -> Batch:
    """The `size` files from `start` read and staged (the GC paused). A file whose content the warehouse
    (`known`) or an earlier file of the run holds already is skipped."""
    with paused_gc():
        return read_batch(files[start:start + size], known | set(hashes[:start]), area_code, scan_rows, on_file,
                          first=start, hashes=hashes[start:start + size], on_start=on_start)


def join(pieces: list[Batch]) -> Batch:
    """Batches of consecutive files (in file order) as the one Batch of all their files."""
    whole = Batch()
    for piece in pieces:
        whole.files.extend(piece.files)
        for kind, records in piece.records.items():
            whole.add(kind, records)
        whole.sheet_rejects.extend(piece.sheet_rejects)
        whole.skipped.extend(piece.skipped)
    return whole


# ---------------------------------------------------------------- the loader's side


@dataclass
class _Job:
    slot: int  # the chunk or piece it is (part of)
    start: int  # files[start:stop]
    stop: int
    lane: int | None = None  # the child that must read it (`read`), or whichever is free (`share`)
    number: int = 0


@dataclass
class _Slot:
    missing: int  # files not yet read
    parts: dict[int, Batch | Path] = field(default_factory=dict)  # first file -> Batch, or the pickle holding it


class _Lane:
    """One child process, replaced by a new one when it dies."""

    def __init__(self, reader: "ChunkReader", number: int):
        self.reader, self.number = reader, number
        self.deaths_unexplained = 0
        self.spawn()

    def spawn(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from salespipe.ingest.worker import serve; serve()", str(self.reader.memory_mb),
             str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.fd = self.process.stdout.fileno()
        _widen_pipe(self.fd)
        self.buffer = b""
        self.sent: deque[_Job] = deque()  # jobs this process has been given and not finished, in order
        self.current: int | None = None  # the file it is reading (its last `f` line)
        self.since = 0.0  # when it began that file
        self.started = 0  # files this process has begun
        self.setup_sent = False

    def send(self, job: _Job) -> None:
        self.sent.append(job)
        lines = b"" if self.setup_sent else f"s {self.reader.setup_path}\n".encode()
        self.setup_sent = True
        try:
            self.process.stdin.write(lines + f"j {job.number} {job.start} {job.stop}\n".encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it has died: the loader sees its output end and gives the job to the next process

    def deadline(self, listening_since: float) -> float:
        if self.current is None:
            return float("inf")
        return max(self.since, listening_since) + self.reader.timeout

    def receive(self) -> list[bytes] | None:
        """The complete lines it has printed since the last call; None when its output has ended (it died)."""
        data = os.read(self.fd, 1 << 16)
        if not data:
            return None
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        return lines

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class ChunkReader:
    """Batches read by child processes with memory and time limits: `share` the reading of one chunk, or
    iterate over the Batches of several chunks (`read`), in order (see the module's doc)."""

    def __init__(self, processes: int = 2, memory_mb: int = 2048, timeout: float = 120.0):
        """Start the processes (their imports overlap whatever the caller does before `read` or `share`)."""
        self.memory_mb, self.timeout = memory_mb, timeout
        sweep_leftovers()
        self.folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
        self.setup_path = self.folder / "run.setup"
        self.lanes: list[_Lane] = []
        try:
            for n in range(max(1, processes)):
                self.lanes.append(_Lane(self, n))
        except BaseException:
            self.close()
            raise
        self.slots: dict[int, _Slot] = {}
        self.pending: deque[_Job] = deque()  # jobs no process has been given yet, in file order
        self.jobs = 0
        self.taken = 0  # chunks the loader has taken (`read`)
        self.ahead: int | None = None
        self.seen: set[int] = set()
        self.on_file = lambda path: None
        self.restarts = 0  # processes that died and were replaced

    # -- the two ways of reading

    def read(self, files: list[Path], hashes: list[str], known: set[str], area_code: str, scan_rows: int,
             size: int, starts: list[int], ahead: int = 4, every: int = 0) -> "ChunkReader":
        """Hand over the run: the chunks starting at `starts` are read in order, up to `ahead` ahead of the
        loader; with two processes the second reads every `every`-th chunk (the first and the 1+every-th …)."""
        self._setup(files, hashes, known, area_code, scan_rows)
        self.ahead, self.taken = ahead, 0
        second = len(self.lanes) > 1 and every
        for k, start in enumerate(starts):
            stop = min(start + size, len(files))
            self.slots[k] = _Slot(stop - start)
            self._queue(_Job(k, start, stop, lane=1 if second and k % every == 0 else 0))
        return self

    def share(self, files: list[Path], hashes: list[str], known: set[str], area_code: str, scan_rows: int,
              piece: int, on_file=lambda path: None) -> Batch:
        """All the files read and staged in pieces of `piece` files by the processes, as one Batch; `on_file`
        is called as each file is begun."""
        self._setup(files, hashes, known, area_code, scan_rows)
        self.on_file = on_file
        for k, start in enumerate(range(0, len(files), piece)):
            stop = min(start + piece, len(files))
            self.slots[k] = _Slot(stop - start)
            self._queue(_Job(k, start, stop))
        self._pump(lambda: all(slot.missing == 0 for slot in self.slots.values()))
        return join([self._collect(k) for k in sorted(self.slots)])

    def __iter__(self):
        for k in sorted(self.slots):
            self._pump(lambda: self.slots[k].missing == 0)
            batch = self._collect(k)
            self.taken = k + 1
            self._dispatch()  # the next chunk may be read now
            yield batch
            batch = None

    # -- the machinery

    def _setup(self, files, hashes, known, area_code, scan_rows) -> None:
        self.files, self.hashes = files, hashes
        for lane in self.lanes:
            lane.setup_sent = False
        with open(self.setup_path, "wb") as f:
            pickle.dump((files, hashes, known, area_code, scan_rows), f, protocol=pickle.HIGHEST_PROTOCOL)

    def _queue(self, job: _Job, front: bool = False) -> None:
        self.jobs += 1
        job.number = self.jobs
        self.pending.appendleft(job) if front else self.pending.append(job)

    def _dispatch(self) -> None:
        """Give out pending jobs: in `read`, each to its process within the window; in `share`, the next to
        each free process."""
        while self.pending:
            job = self.pending[0]
            if job.lane is not None:
                if job.slot > self.taken + self.ahead:
                    return
                self.lanes[job.lane].send(self.pending.popleft())
                continue
            free = next((lane for lane in self.lanes if not lane.sent), None)
            if free is None:
                return
            free.send(self.pending.popleft())

    def _pump(self, done) -> None:
        """Hand out jobs and take the processes' reports until `done()`."""
        listening_since = time.monotonic()
        while not done():
            self._dispatch()
            busy = [lane for lane in self.lanes if lane.sent]
            if not busy:
                raise RuntimeError("the reader processes have nothing to read, yet the reading is not done")
            wait = min(lane.deadline(listening_since) for lane in busy) - time.monotonic()
            ready, _, _ = select.select([lane.fd for lane in busy], [], [], min(max(wait, 0), 5.0))
            for lane in busy:
                if lane.fd in ready:
                    lines = lane.receive()
                    if lines is None:
                        self._died(lane, timed_out=False)
                        continue
                    for line in lines:
                        self._report(lane, line)
                elif time.monotonic() > lane.deadline(listening_since) and not select.select([lane.fd], [], [], 0)[0]:
                    self._died(lane, timed_out=True)

    def _report(self, lane: _Lane, line: bytes) -> None:
        kind, *args = line.split()
        if kind == b"f":  # it begins a file
            lane.current, lane.since = int(args[0]), float(args[1])
            lane.started += 1
            if lane.current not in self.seen:
                self.seen.add(lane.current)
                self.on_file(self.files[lane.current])
        elif kind == b"p":  # it has finished its first job
            job = lane.sent.popleft()
            assert job.number == int(args[0]), (job, line)
            lane.current = None
            path = Path(args[1].decode())
            self._arrived(job, self._take(path) if job.lane is None else path)  # `share`: the loader is idle

    def _arrived(self, job: _Job, part: Batch | Path) -> None:
        slot = self.slots[job.slot]
        slot.parts[job.start] = part
        slot.missing -= job.stop - job.start

    def _collect(self, k: int) -> Batch:
        slot = self.slots.pop(k)
        parts = [slot.parts[start] for start in sorted(slot.parts)]
        parts = [self._take(p) if isinstance(p, Path) else p for p in parts]
        return parts[0] if len(parts) == 1 else join(parts)

    @staticmethod
    def _take(path: Path) -> Batch:
        with open(path, "rb") as f, paused_gc():
            item = pickle.load(f)
        path.unlink()
        if isinstance(item, BaseException):
            raise item
        return item

    def _died(self, lane: _Lane, timed_out: bool) -> None:
        """The process of `lane` ended (or is ended: `timed_out`) before finishing its jobs: reject the file it
        was reading, or first read that file again alone; a new process reads the rest of the jobs."""
        if timed_out:
            lane.process.kill()
        code = lane.process.wait()
        jobs, at, first = list(lane.sent), lane.current, lane.started == 1
        lane.stop()
        lane.spawn()
        self.restarts += 1
        head = jobs[0] if jobs else None
        if head is None or at is None or not head.start <= at < head.stop:
            lane.deaths_unexplained += 1
            if lane.deaths_unexplained > 2:
                raise SalespipeError("读取进程无法运行（请检查 [ingest] reader_memory_mb 是否过小）",
                                     f"the reader process keeps dying before it reads a file (exit code {code}, "
                                     f"memory limit {self.memory_mb} MB)")
            for job in jobs:
                lane.send(job)
            return
        again = []
        if timed_out or first:
            import logging

            reason = TIMED_OUT.format(seconds=self.timeout) if timed_out else \
                OUT_OF_MEMORY if code in (MEMORY_EXIT, -signal.SIGABRT, -signal.SIGKILL) else CRASHED
            logging.getLogger(__name__).warning(
                "rejected %s: the reader process %s (exit code %s, memory limit %s MB, time limit %s s)",
                shown_name(self.files[at]), "timed out" if timed_out else "died", code, self.memory_mb, self.timeout)
            self._arrived(_Job(head.slot, at, at + 1), unread(self.files[at], at, self.hashes[at], reason))
        else:  # it had read other files before: this one gets a process of its own before it is blamed
            again.append(_Job(head.slot, at, at + 1, head.lane))
        again += [_Job(head.slot, a, b, head.lane) for a, b in ((head.start, at), (at + 1, head.stop)) if a < b]
        for job in again + jobs[1:]:
            self.jobs += 1
            job.number = self.jobs
            lane.send(job)

    def close(self) -> None:
        for lane in self.lanes:
            lane.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "ChunkReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _widen_pipe(fd: int) -> None:
    """Room for a chunk's `f` lines while the loader is busy loading (64 KiB by default on Linux)."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (OSError, AttributeError, ImportError):
        pass


def sweep_leftovers() -> None:
    """Remove the private folders of runs that were killed (their process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        owner = folder.name[len(PREFIX):].split("-", 1)[0]
        if owner.isdigit() and int(owner) != os.getpid() and not _alive(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's
    return True


# ---------------------------------------------------------------- the child's side


def serve() -> None:
    """A reader process: `s <setup pickle>` then `j <job> <start> <stop>` lines on standard input."""
    limit_mb, parent = (int(a) for a in (sys.argv[1:] + ["0", "0"])[:2])
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the run's process, which ends this one
    if limit_mb:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = limit_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed must not end up among the answers
    try:
        _serve(stdin, stdout)
    except MemoryError:
        os._exit(MEMORY_EXIT)


def _serve(stdin, stdout) -> None:
    setup = folder = None

    def begin(order: int) -> None:
        stdout.write(f"f {order} {time.monotonic()}\n".encode())
        stdout.flush()

    for line in stdin:
        kind, *args = line.split()
        if kind == b"s":
            folder = Path(args[0].decode()).parent
            with open(args[0], "rb") as f:
                setup = pickle.load(f)
            continue
        number, start, stop = map(int, args)
        files, hashes, known, area_code, scan_rows = setup
        try:
            item = read_chunk(files, hashes, known, area_code, scan_rows, stop - start, start, on_start=begin)
        except MemoryError:
            raise
        except Exception as exc:  # a reading bug: handed to the loader, which raises it
            item = exc
        path = folder / f"{number}.pickle"
        with open(path, "wb") as f:
            try:
                pickle.dump(item, f, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError):
                f.seek(0)
                f.truncate()
                pickle.dump(RuntimeError(repr(item)), f, protocol=pickle.HIGHEST_PROTOCOL)
        del item
        release_memory()
        stdout.write(f"p {number} {path}\n".encode())
        stdout.flush()


def _die_with_parent(parent: int) -> None:
    """Be killed when the run's process ends, however it ends (Linux; elsewhere the closed pipe ends it);
    end now if it has ended already."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if parent and os.getppid() != parent:
        os._exit(1)
