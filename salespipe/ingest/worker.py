"""A second process that reads files for the loader (`ChunkReader`), in one of two ways:

- `read`: in a run of several chunks it reads some of the chunks while the loader loads the others;
- `share`: a run of one chunk (a nightly batch) is cut into pieces of a few files; the loader takes
  pieces from the front, the reader from the back, each claiming a piece before reading it, until they
  meet; the loader then joins the pieces in file order into the one Batch it would have read alone.

It is a plain child process (running `serve()`; unlike multiprocessing's spawn it never re-imports the
caller's main script) and imports only the reading modules (≈0.1 s). It writes each Batch it reads as
a pickle into a private folder and prints the file's path. In `read` it runs at most `ahead` chunks
ahead of the loader, which acknowledges each chunk it has taken with a line on the reader's standard
input. A chunk or piece whose reading raised carries the exception, which the loader raises.
"""
from __future__ import annotations

import ctypes
import gc
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from salespipe.ingest.batch import Batch, read_batch


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
               start: int, on_file=lambda path: None) -> Batch:
    """The `size` files from `start` read and staged (the GC paused). A file whose content the warehouse
    (`known`) or an earlier file of the run holds already is skipped."""
    with paused_gc():
        return read_batch(files[start:start + size], known | set(hashes[:start]), area_code, scan_rows, on_file,
                          first=start, hashes=hashes[start:start + size])


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


def claim(folder: Path, start: int) -> bool:
    """Take the piece starting at file `start` unless the other process has taken it."""
    try:
        os.close(os.open(folder / f"{start}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


class ChunkReader:
    """Iterate over the Batches of the given chunks (file index where each starts), in order; or
    `share` the reading of one chunk."""

    def __init__(self):
        """Start the process (its imports overlap whatever the caller does before `read`)."""
        self.count = 0
        self.folder = Path(tempfile.mkdtemp(prefix="salespipe-chunks-"))
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen([sys.executable, "-c", "from salespipe.ingest.worker import serve; serve()"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def read(self, files: list[Path], hashes: list[str], known: set[str], area_code: str, scan_rows: int,
             size: int, starts: list[int], ahead: int = 4) -> "ChunkReader":
        """Hand over the run: the chunks starting at `starts` are read in order, up to `ahead` ahead."""
        self.count = len(starts)
        self._send("read", (files, hashes, known, area_code, scan_rows, size, starts, str(self.folder), ahead))
        return self

    def share(self, files: list[Path], hashes: list[str], known: set[str], area_code: str, scan_rows: int,
              piece: int, on_file=lambda path: None) -> Batch:
        """All the files read and staged by both processes, as one Batch (see the module's doc)."""
        starts = list(range(0, len(files), piece))
        self._send("share", (files, hashes, known, area_code, scan_rows, piece, starts[::-1], str(self.folder)))
        mine = []
        for start in starts:
            if not claim(self.folder, start):
                break  # from here on every piece is the reader's
            mine.append(read_chunk(files, hashes, known, area_code, scan_rows, piece, start, on_file))
        theirs = []
        for line in iter(self.process.stdout.readline, b"end\n"):
            if not line:
                raise RuntimeError(f"the reader process ended unexpectedly (exit code {self.process.wait()})")
            theirs.append(self._take(Path(line.decode().strip())))
        for batch in theirs[::-1]:
            for f in batch.files:
                on_file(f.path)
        return join(mine + theirs[::-1])

    def _send(self, mode: str, job: tuple) -> None:
        pickle.dump((mode, job), self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.flush()

    @staticmethod
    def _take(path: Path) -> Batch:
        with open(path, "rb") as f, paused_gc():
            item = pickle.load(f)
        path.unlink()
        if isinstance(item, BaseException):
            raise item
        return item

    def __iter__(self):
        for _ in range(self.count):
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"the reader process ended unexpectedly (exit code {self.process.wait()})")
            item = self._take(Path(line.decode().strip()))
            try:
                self.process.stdin.write(b"\n")  # taken: the reader may go on
                self.process.stdin.flush()
            except BrokenPipeError:
                pass  # it has read all its chunks and ended
            yield item

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "ChunkReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def serve() -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed must not end up among the answers
    mode, job = pickle.load(stdin)
    if mode == "share":
        files, hashes, known, area_code, scan_rows, piece, starts, folder = job
        for start in starts:  # from the back
            if not claim(Path(folder), start) or not _hand_over(stdout, Path(folder), start, lambda: read_chunk(
                    files, hashes, known, area_code, scan_rows, piece, start)):
                break
        stdout.write(b"end\n")
        stdout.flush()
        return
    files, hashes, known, area_code, scan_rows, size, starts, folder, ahead = job
    taken = 0
    for k, start in enumerate(starts):
        while k - taken > ahead:
            if not stdin.readline():
                return  # the loader has gone
            taken += 1
        if not _hand_over(stdout, Path(folder), k, lambda: read_chunk(
                files, hashes, known, area_code, scan_rows, size, start)):
            return


def _hand_over(stdout, folder: Path, k: int, read) -> bool:
    """Write what `read()` gives (or the exception it raised) to a pickle and print its path; False
    when it raised (the reader stops there)."""
    try:
        item = read()
    except Exception as exc:  # handed to the loader, which raises it
        item = exc
    path = folder / f"{k}.pickle"
    with open(path, "wb") as f:
        pickle.dump(item, f, protocol=pickle.HIGHEST_PROTOCOL)
    failed = isinstance(item, Exception)
    del item
    release_memory()
    stdout.write(f"{path}\n".encode())
    stdout.flush()
    return not failed
