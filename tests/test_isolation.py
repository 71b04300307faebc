"""Issue 17: one file, name or run cannot end the night. Every workbook is read in a reader process with a
memory and a time limit; names that are not UTF-8, hidden files, PATHs outside the inbox and temporary
folders, on real files. The runs that could abort are started as `salespipe ingest` processes, so that an
abort shows as an exit code instead of taking pytest with it."""
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from salespipe.config import load_config
from salespipe.errors import SalespipeError
from salespipe.ingest import load as load_module
from salespipe.ingest.reader import file_sha256
from salespipe.ingest.worker import ChunkReader
from conftest import LOG_HEADER, log_row, workbook

ROOT = Path(__file__).resolve().parents[1]
PK = b"PK\x03\x04" + b"\x00" * 200  # a zip that is no workbook: rejected as damaged


# ---------------------------------------------------------------- hand-edited workbooks


def edit_parts(path: Path, change) -> Path:
    """Rewrite the parts of a real .xlsx: change({name: bytes}) edits the dict in place."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    change(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def edit_sheets(path: Path, change) -> Path:
    """change(sheet XML text) → new text, for every worksheet part."""
    def on_parts(parts):
        for name in parts:
            if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
                parts[name] = change(parts[name].decode()).encode()
    return edit_parts(path, on_parts)


def stray_cell(path: Path, ref: str, guard_sees_it: bool = True) -> Path:
    """A cell at `ref` besides the data at A1, the <dimension> saying so. calamine allocates the whole rectangle.
    With guard_sees_it=False the rows are written `<row spans="…" r="…">` (attributes in another order, which
    the cheap check before reading does not parse): only the reader process's limits stand in the way."""
    row = re.match(r"[A-Z]+(\d+)", ref)[1]

    def change(xml):
        xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{ref}"/>', xml)
        xml = xml.replace("</sheetData>", f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
        return xml if guard_sees_it else re.sub(r'<row r="(\d+)">', r'<row spans="1:10" r="\1">', xml)
    return edit_sheets(path, change)


def string_count(path: Path, count: int, guard_sees_it: bool = True) -> Path:
    """A shared-strings part declaring `count` strings (calamine reserves room for all of them). With
    guard_sees_it=False a 5,000-byte comment comes first, beyond the 4,096 bytes the cheap check looks at."""
    def change(parts):
        padding = b"" if guard_sees_it else b"<!--" + b" " * 5000 + b"-->"
        parts["xl/sharedStrings.xml"] = (b'<?xml version="1.0" encoding="UTF-8"?>' + padding + b'<sst xmlns="http://'
                                         b'schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
                                         b'<si><t>x</t></si></sst>' % (count, count))
        types = parts["[Content_Types].xml"].decode()
        if "sharedStrings" not in types:
            parts["[Content_Types].xml"] = types.replace("</Types>", (
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                'spreadsheetml.sharedStrings+xml"/></Types>')).encode()
        rels = parts["xl/_rels/workbook.xml.rels"].decode()
        if "sharedStrings" not in rels:
            parts["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", (
                '<Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                'sharedStrings" Target="sharedStrings.xml"/></Relationships>')).encode()
    return edit_parts(path, change)


def large_range(path: Path) -> Path:
    """A used range of 7,000 rows × 702 columns (ZZ7000): 4.9 million cells, under the cheap check's 5 million,
    so it is read; calamine and the grid need about 220 MB for it."""
    return stray_cell(path, "ZZ7000")


def person(name: str) -> list[list]:
    return [LOG_HEADER, log_row(person=name, customer=f"天津{name}测试有限公司")]


def cli(project, *args: str, env: dict | None = None, **popen) -> subprocess.Popen:
    """`salespipe ingest` of the project as a process of its own."""
    return subprocess.Popen([sys.executable, "-m", "salespipe", "ingest", *args,
                             "--config", str(project.root / "config" / "salespipe.toml")],
                            cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            **popen)


def set_config(project, **values) -> None:
    """Put `key = value` lines into the project's [ingest] section (the file is checked when it is read)."""
    path = project.root / "config" / "salespipe.toml"
    text = path.read_text(encoding="utf-8")
    lines = "".join(f"{key} = {value}\n" for key, value in values.items())
    text = re.sub(r"^(reader_memory_mb|reader_timeout_seconds|chunk_files|two_readers_from) = .*\n", "", text, flags=re.M)
    path.write_text(text.replace("[ingest]\n", "[ingest]\n" + lines, 1), encoding="utf-8")
    project.config = load_config(path)


def file_reasons(project) -> dict[str, str]:
    return dict(project.query("select file, reason from rejects where sheet is null"))


# ---------------------------------------------------------------- each workbook read in isolation


@pytest.mark.parametrize("guard_sees_it", [True, False], ids=["as-excel-writes-it", "past-the-cheap-checks"])
def test_files_that_would_abort_the_reader_are_rejected_and_the_good_rows_load(project, guard_sees_it):
    """A1 + XFD1048576 (512 GB for calamine) and a shared-string count of 4e9 (96 GB), between good workbooks.
    As Excel writes them the checks before reading catch them (that already held); written past those checks,
    the reader process aborts on them and only they are lost."""
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", person("张三"))
    stray_cell(project.add("日志表_李四_20261126.xlsx", person("李四")), "XFD1048576", guard_sees_it)
    project.add("日志表_王五_20261112.xlsx", [LOG_HEADER, log_row(day=dt.date(2026, 11, 12), person="王五")])
    string_count(project.add("日志表_李四_20261125.xlsx", person("李四")), 4_000_000_000, guard_sees_it)
    project.add("日志表_李四_20261124.xlsx", [LOG_HEADER, log_row(day=dt.date(2026, 11, 24), person="李四")])
    run = cli(project)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err.decode(errors="replace")[-3000:]
    assert project.query("select salesperson_id, activity_date from activities order by all") == [
        ("S001", dt.date(2026, 11, 26)), ("S002", dt.date(2026, 11, 24)), ("S003", dt.date(2026, 11, 12))]
    reasons = file_reasons(project)
    assert set(reasons) == {"日志表_李四_20261126.xlsx", "日志表_李四_20261125.xlsx"}
    if guard_sees_it:
        assert "1,048,576 行 × 16,384 列" in reasons["日志表_李四_20261126.xlsx"]
        assert "4,000,000,000 个文字" in reasons["日志表_李四_20261125.xlsx"]
    else:
        assert all(r.startswith("文件过大或损坏，读取时耗尽内存，未读取") for r in reasons.values())
        # each was read a second time, alone in a new process, before it was blamed
        assert err.count(b"memory allocation of") == 4
    for name in reasons:  # each in rejected/ with its reason beside it, the good ones archived
        assert reasons[name] in (project.root / "rejected" / f"{name}.reason.txt").read_text(encoding="utf-8")
    assert len(list((project.root / "archive").glob("*/*"))) == 4 and not any(project.inbox.iterdir())
    assert "无法读取" in out.decode()


def test_the_reader_memory_limit_is_enforced(project):
    """A 4.9-million-cell range passes the checks before reading and needs ~220 MB: read under the default
    limit, rejected under `reader_memory_mb = 128`, while the small workbooks around it load either way."""
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", person("张三"))
    big = large_range(project.add("日志表_李四_20261126.xlsx", person("李四")))
    project.add("日志表_王五_20261112.xlsx", [LOG_HEADER, log_row(day=dt.date(2026, 11, 12), person="王五")])
    set_config(project, reader_memory_mb=128)
    summary = project.ingest()
    assert summary.files == {"ingested": 3, "rejected": 1} and summary.rows_accepted == 3 + 2
    assert file_reasons(project)["日志表_李四_20261126.xlsx"].startswith("文件过大或损坏，读取时耗尽内存")
    # the same bytes under the default limit: read (so it was the limit, not the file)
    big_again = project.inbox / "日志表_李四_20261126_重交.xlsx"
    big_again.write_bytes((project.root / "rejected" / big.name).read_bytes())
    set_config(project, reader_memory_mb=2048)
    again = project.ingest(now=dt.datetime(2026, 11, 26, 19, 0))
    assert again.files == {"ingested": 1} and again.rows_accepted == 1


def test_the_limit_is_the_reader_process_address_space(tmp_path):
    """RLIMIT_AS of every reader process is the configured limit, however the process was started."""
    with ChunkReader(2, memory_mb=300) as reader:
        for lane in reader.lanes:
            for _ in range(200):  # each process sets it as it starts
                limits = Path(f"/proc/{lane.process.pid}/limits").read_text()
                if re.search(r"Max address space\s+314572800\s", limits):
                    break
                time.sleep(0.05)
            else:
                raise AssertionError(limits)


def test_a_file_that_takes_too_long_is_rejected_and_the_run_goes_on(project):
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", person("张三"))
    slow = project.add("日志表_李四_20261126.xlsx", person("李四"), extra_sheets={f"S{i}": [["x"]] for i in range(6)})
    large_range(slow)  # seven sheets of 4.9 million cells: several seconds
    project.add("日志表_王五_20261112.xlsx", [LOG_HEADER, log_row(day=dt.date(2026, 11, 12), person="王五")])
    set_config(project, reader_timeout_seconds=1)
    start = time.monotonic()
    summary = project.ingest()
    assert summary.files == {"ingested": 3, "rejected": 1} and summary.rows_accepted == 3 + 2
    assert file_reasons(project)["日志表_李四_20261126.xlsx"].startswith("文件过大或损坏，读取超时（超过 1 秒），未读取")
    assert time.monotonic() - start < 30


def _kill_at(reader: ChunkReader, path: Path):
    """An on_file callback that kills the reader process as it begins `path` (as the kernel's OOM killer may)."""
    def on_file(begun):
        if begun == path:
            lane = next(lane for lane in reader.lanes if lane.current is not None and reader.files[lane.current] == path)
            lane.process.kill()
    return on_file


@pytest.mark.parametrize("first", [False, True], ids=["after-other-files", "first-of-its-process"])
def test_a_file_is_rejected_only_when_its_reader_dies_on_it_alone(tmp_path, first):
    """A process killed while reading a file that was not its first: the file is read again by a new process
    on its own (the memory may have been its predecessors'), then the rest; one that was its first: rejected."""
    files = [workbook(tmp_path / f"{n}.xlsx", [LOG_HEADER, log_row(customer=f"天津{n}有限公司")]) for n in "甲乙丙"]
    files.insert(0 if first else 1, large_range(workbook(tmp_path / "大.xlsx", [LOG_HEADER, log_row()])))
    with ChunkReader(1) as reader:
        batch = reader.share(files, [file_sha256(p) for p in files], set(), "022", 30, 10, _kill_at(reader, files[0 if first else 1]))
    assert reader.restarts == 1 and [f.path for f in batch.files] == files
    statuses = [f.status for f in batch.files]
    if first:
        assert statuses == ["rejected", "ingested", "ingested", "ingested"]
        assert batch.files[0].reason.startswith("文件过大或损坏，读取时耗尽内存")
        assert [r["file"] for r in batch.sheet_rejects] == ["大.xlsx"]
    else:
        assert statuses == ["ingested"] * 4 and batch.sheet_rejects == []
    assert len(batch.records["log"]) == 4 - first


# ---------------------------------------------------------------- names


def test_a_name_that_is_not_utf8_is_read_on_its_own_and_shown_escaped(project, tmp_path):
    project.add_roster()
    good = workbook(tmp_path / "good.xlsx", [LOG_HEADER, log_row()])
    inbox = os.fsencode(project.inbox)
    for name, data in ((b"\xff\xfe.xlsx", good.read_bytes()), (b"\xb2\xe2\xca\xd4_\xff.xlsx", PK)):  # GBK 测试
        fd = os.open(inbox + b"/" + name, os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, data)
        os.close(fd)
    summary = project.ingest()
    assert summary.files == {"ingested": 2, "rejected": 1} and summary.rows_accepted == 3 + 1
    assert project.query("select source_file from activities") == [("\\xff\\xfe.xlsx",)]
    assert project.query("select file_name, status from ingested_files order by file_name") == [
        ("\\xb2\\xe2\\xca\\xd4_\\xff.xlsx", "rejected"), ("\\xff\\xfe.xlsx", "ingested"), ("业务员名册.xlsx", "ingested")]
    assert summary.unreadable[0][0] == "\\xb2\\xe2\\xca\\xd4_\\xff.xlsx"
    archived = project.root / "archive" / "2026-11-26" / "\\xff\\xfe.xlsx"  # a name that is text now
    assert archived.read_bytes() == good.read_bytes()
    assert project.scalar("select archived_to from ingested_files where status = 'rejected'") == str(
        project.root / "rejected" / "\\xb2\\xe2\\xca\\xd4_\\xff.xlsx")
    assert not os.listdir(inbox)


def test_hidden_files_are_not_read_left_in_place_and_listed_in_the_summary(project):
    project.add_roster()
    hidden = project.add(".日志表_张三_20261126.xlsx", person("张三"))
    lock = project.inbox / "~$日志表_张三_20261126.xlsx"
    lock.write_bytes(b"\x05zhangsan" + b"\x00" * 150)
    summary = project.ingest()
    assert summary.files == {"ingested": 1, "ignored": 2} and summary.rows_accepted == 3
    ignored = dict(summary.ignored)
    assert "隐藏文件" in ignored[".日志表_张三_20261126.xlsx"] and "锁文件" in ignored["~$日志表_张三_20261126.xlsx"]
    assert hidden.exists() and lock.exists()
    assert project.scalar("select count(*) from ingested_files") == 1


# ---------------------------------------------------------------- an explicit PATH outside the inbox


def test_an_explicit_path_outside_the_inbox_is_read_in_place_and_left_there(project, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    roster = project.add_roster().rename(elsewhere.mkdir() or elsewhere / "业务员名册.xlsx")
    log = workbook(elsewhere / "sub" / "日志表_张三_20261126.xlsx", [LOG_HEADER, log_row()])
    bad = elsewhere / "坏文件.xlsx"
    bad.write_bytes(PK)
    inbox_file = project.add("日志表_李四_20261126.xlsx", person("李四"))
    before = {p: p.read_bytes() for p in (roster, log, bad)}
    run = cli(project, str(roster), str(elsewhere / "sub"), str(bad), str(project.inbox))
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err.decode(errors="replace")[-3000:]
    assert {p: p.read_bytes() for p in before} == before  # read where they are, left there
    assert project.scalar("select count(*) from activities") == 2
    assert set(file_reasons(project)) == {"坏文件.xlsx"}
    assert not (project.root / "rejected").exists()
    assert [p.name for p in (project.root / "archive").glob("*/*")] == [inbox_file.name]  # the inbox as before
    assert project.query("select file_name, archived_to = path from ingested_files order by file_name") == [
        ("业务员名册.xlsx", True), ("坏文件.xlsx", True), ("日志表_张三_20261126.xlsx", True),
        ("日志表_李四_20261126.xlsx", False)]


# ---------------------------------------------------------------- temporary folders


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """The temporary directory of this test alone (for the run and for the processes it starts)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    yield folder


def readers_of(folder: Path) -> list[int]:
    """Processes still running whose environment names this temporary directory (the run's reader processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and f"TMPDIR={folder}".encode() in (entry / "environ").read_bytes().split(b"\0") \
                    and (entry / "stat").read_text().split(") ")[1][0] != "Z":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def slow_night(project) -> None:
    """A run that reads for several seconds in a reader process (chunks of one file: a reader process in
    every version of salespipe)."""
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", person("张三"))
    slow = project.add("日志表_李四_20261126.xlsx", person("李四"), extra_sheets={f"S{i}": [["x"]] for i in range(8)})
    large_range(slow)
    set_config(project, chunk_files=1)


def started(run: subprocess.Popen, tmp: Path) -> Path:
    for _ in range(600):
        found = list(tmp.glob("salespipe-chunks-*"))
        if found and readers_of(tmp):
            time.sleep(1.5)  # well into the reading
            return found[0]
        assert run.poll() is None, run.communicate()
        time.sleep(0.05)
    raise AssertionError("the run started no reader process in 30 s")


def test_no_temporary_folder_is_left_after_a_failed_run(project, private_tmp, monkeypatch):
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", person("张三"))
    project.add("日志表_李四_20261126.xlsx", person("李四"))
    set_config(project, chunk_files=1)

    def fail(con):
        raise RuntimeError("disk full")
    monkeypatch.setattr(load_module, "refresh_followups", fail)
    with pytest.raises(SalespipeError):
        project.ingest()
    assert list(private_tmp.iterdir()) == [] and readers_of(private_tmp) == []


def test_a_run_stopped_with_sigterm_removes_its_temporary_folder_and_reader_processes(project, private_tmp):
    slow_night(project)
    run = cli(project, env={"TMPDIR": str(private_tmp)})
    started(run, private_tmp)
    run.send_signal(signal.SIGTERM)
    run.communicate(timeout=60)
    assert run.returncode == 128 + signal.SIGTERM  # it ended as a failed run does
    time.sleep(0.2)
    assert list(private_tmp.iterdir()) == [] and readers_of(private_tmp) == []
    assert sorted(p.name for p in project.inbox.iterdir()) == [  # nothing was published or moved
        "业务员名册.xlsx", "日志表_张三_20261126.xlsx", "日志表_李四_20261126.xlsx"]
    assert not project.config.warehouse.exists()


def test_a_killed_run_takes_its_reader_processes_along_and_the_next_run_removes_its_folder(project, private_tmp):
    slow_night(project)
    run = cli(project, env={"TMPDIR": str(private_tmp)})
    folder = started(run, private_tmp)
    run.kill()
    run.communicate(timeout=60)
    for _ in range(100):
        if not readers_of(private_tmp):
            break
        time.sleep(0.05)
    assert readers_of(private_tmp) == []  # they died with it
    assert folder.exists()  # nothing could remove it then
    (project.inbox / "日志表_李四_20261126.xlsx").unlink()
    project.ingest()
    assert list(private_tmp.iterdir()) == []


def test_what_the_reader_processes_are_given_stays_in_a_private_folder_that_goes_with_them(project, private_tmp):
    """The run's file list and hashes are handed over in the run's own folder (mode 0700), removed at the end."""
    project.add_roster()
    with ChunkReader(1) as reader:
        assert oct(reader.folder.stat().st_mode & 0o777) == "0o700"
        batch = reader.share([project.inbox / "业务员名册.xlsx"], [file_sha256(project.inbox / "业务员名册.xlsx")],
                             set(), "022", 30, 10)
    assert batch.files[0].status == "ingested" and not reader.folder.exists()


def test_a_night_of_many_files_read_by_two_processes_loads_what_one_process_loads(tmp_path):
    """[ingest] two_readers_from: a night (one chunk) of that many files is read by two processes sharing the pieces;
    the warehouse gets every row of every file once, in file order, as when one process reads them all."""
    from conftest import Project

    loaded = {}
    for readers, threshold in (("one", 1000), ("two", 2)):
        project = Project(tmp_path / readers)
        set_config(project, two_readers_from=threshold)
        project.add_roster()
        for day in range(2, 8):  # 2026-11-02 … 11-07: six files of two rows each, 张三 and 李四 alternating
            person = "张三" if day % 2 else "李四"
            on = dt.date(2026, 11, day)
            project.add(f"日志表_{person}_202611{day:02d}.xlsx",
                        [LOG_HEADER, log_row(day=on, person=person, customer=f"天津{day}号测试有限公司"),
                         log_row(day=on, person=person, customer=f"天津市第{day}测试厂", phone=f"022-2345{day:04d}")])
        summary = project.ingest()
        assert summary.files == {"ingested": 7}
        loaded[readers] = project.query("select activity_date, salesperson_id, customer_name, source_row from activities "
                                        "order by activity_date, source_row")
    assert len(loaded["one"]) == 12
    assert loaded["two"] == loaded["one"]
