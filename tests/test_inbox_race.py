"""Issue 17: two runs on one inbox — the second waits for the run lock; files the first moved away meanwhile are
reported as taken by another run, not an unnamed FileNotFoundError."""
import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from conftest import LOG_HEADER, log_row

SALESPIPE = Path(sys.executable).with_name("salespipe")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def test_files_another_run_took_while_this_one_waited_are_reported(project, tmp_path):
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row()])
    project.ingest()  # the warehouse exists; the inbox is empty again
    late = project.add("日志表_李四_20261126.xlsx", [LOG_HEADER, log_row(person="李四", customer="天津乙有限公司")])
    warehouse = project.config.warehouse
    with open(warehouse.with_name(warehouse.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # "the other run" holds the warehouse
        second = subprocess.Popen([str(SALESPIPE), "ingest", "--config", str(project.root / "config" / "salespipe.toml")],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(600):  # it has collected the inbox once its reader process is up
            if children(second.pid):
                break
            time.sleep(0.1)
        assert children(second.pid), "the second run never started its reader"
        shutil.move(late, tmp_path / late.name)  # the other run archives the file
    output, _ = second.communicate(timeout=300)
    assert second.returncode == 0, output
    assert "已被另一个运行处理 taken by another run" in output and "Traceback" not in output
    # nothing read, nothing recorded for it
    assert project.scalar("select count(*) from ingested_files where file_name = ?", [late.name]) == 0
    assert project.scalar("select count(*) from activities") == 1
    assert not os.path.exists(late)
