"""A second process that reads some of a big run's chunks while the first one loads (`ChunkReader`).

It is a plain child process (running `serve()`; unlike multiprocessing's spawn it never re-imports the
caller's main script). It gets the run's files, their hashes and the chunks it is to read, reads them
in order, writes each chunk's Batch as a pickle into a private folder and prints the file's path. It
runs at most `ahead` chunks ahead of the loader, which acknowledges each chunk it has taken with a
line on the reader's standard input. A chunk whose reading raised carries the exception, which the
loader raises.
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


class ChunkReader:
    """Iterate over the Batches of the given chunks (file index where each starts), in order."""

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
        pickle.dump((files, hashes, known, area_code, scan_rows, size, starts, str(self.folder), ahead),
                    self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.flush()
        return self

    def __iter__(self):
        for _ in range(self.count):
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"the reader process ended unexpectedly (exit code {self.process.wait()})")
            path = Path(line.decode().strip())
            with open(path, "rb") as f, paused_gc():
                item = pickle.load(f)
            path.unlink()
            if isinstance(item, BaseException):
                raise item
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
    files, hashes, known, area_code, scan_rows, size, starts, folder, ahead = pickle.load(stdin)
    taken = 0
    for k, start in enumerate(starts):
        while k - taken > ahead:
            if not stdin.readline():
                return  # the loader has gone
            taken += 1
        try:
            item = read_chunk(files, hashes, known, area_code, scan_rows, size, start)
        except Exception as exc:  # handed to the loader, which raises it
            item = exc
        path = Path(folder) / f"{k}.pickle"
        with open(path, "wb") as f:
            pickle.dump(item, f, protocol=pickle.HIGHEST_PROTOCOL)
        failed = isinstance(item, Exception)
        del item
        release_memory()
        stdout.write(f"{path}\n".encode())
        stdout.flush()
        if failed:
            return
