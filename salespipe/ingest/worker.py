"""A second process that reads chunks of a big run while the first one loads (`ChunkReader`).

It is a plain child process (running `serve()`) speaking pickle over its standard
input and output: requests are read_batch's arguments, answers the Batch (or the exception raised).
Unlike multiprocessing's spawn, it never re-imports the caller's main script.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path


class ChunkReader:
    """One long-lived reader process; one request at a time."""

    def __init__(self):
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen([sys.executable, "-c", "from salespipe.ingest.worker import serve; serve()"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env)

    def submit(self, *args, **kwargs) -> None:
        pickle.dump((args, kwargs), self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.flush()

    def result(self):
        try:
            answer = pickle.load(self.process.stdout)
        except EOFError:
            raise RuntimeError(f"the reader process ended unexpectedly (exit code {self.process.wait()})") from None
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def close(self) -> None:
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "ChunkReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def serve() -> None:
    from salespipe.ingest.batch import read_batch

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed must not end up in the answers
    while True:
        try:
            args, kwargs = pickle.load(stdin)
        except EOFError:
            return
        try:
            answer = read_batch(*args, **kwargs)
        except Exception as exc:  # handed to the caller, which raises it
            answer = exc
        pickle.dump(answer, stdout, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()
