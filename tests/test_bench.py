"""The benchmark's year generator and the chunked run it exists for (speed is measured in bench/, not here)."""
import time

import duckdb
import pytest
import python_calamine as pc

from bench.year import make_year, workdays
from salespipe.config import Config, load_config
from salespipe.ingest import ingest


def _cells(path):
    wb = pc.CalamineWorkbook.from_path(str(path))
    return [wb.get_sheet_by_index(i).to_python() for i in range(len(wb.sheet_names))]


def test_a_small_year_is_one_workbook_per_person_and_day_the_same_for_a_seed(tmp_path):
    first = make_year(salespeople=4, days=3, rows=5, folder=tmp_path / "a")
    again = make_year(salespeople=4, days=3, rows=5, folder=tmp_path / "b")
    assert len(first) == 1 + 4 * 3  # the roster and 12 day-workbooks
    assert first[0].name == "业务员名册.xlsx"  # the oldest file
    assert [p.name for p in first] == [p.name for p in again]
    assert all(_cells(a) == _cells(b) for a, b in zip(first, again))
    assert workdays(6)[-1].isoformat() == "2026-01-12"  # Mon 5 Jan … Fri 9 Jan, then Mon 12 Jan


def test_a_year_loaded_in_chunks_equals_the_same_files_loaded_at_once(tmp_path):
    """chunk_files = 3 (five chunks, two reader processes, the second reading every 2nd chunk) against one
    chunk read by one process."""
    figures = []
    for name, chunk in (("whole", 1000), ("chunked", 3)):
        paths = make_year(salespeople=4, days=3, rows=5, folder=tmp_path / name)
        base = load_config()
        raw = {**base.raw, "ingest": {**base.raw["ingest"], "chunk_files": chunk, "loader_reads_every": 2},
               "paths": {**base.raw["paths"], "archive": str(tmp_path / name / "archive"),
                         "rejected": str(tmp_path / name / "rejected")}}
        config = Config(root=base.root, raw=raw, warehouse=tmp_path / f"{name}.duckdb")
        summary = ingest(paths, config)
        con = duckdb.connect(str(config.warehouse), read_only=True)
        try:
            figures.append((summary.rows_accepted, summary.rows_rejected, con.execute(
                "select count(*), count(distinct customer_code), sum(stage) from activities").fetchall()))
        finally:
            con.close()
    assert figures[0] == figures[1] and figures[0][2][0][0] > 0


def _wait_for_the_reader(reader):
    """An on_file callback that holds the loader after its first file until the reader process has read a
    piece: both processes certainly read some of the files."""
    calls = []

    def on_file(path):
        calls.append(path)
        for _ in range(600 if len(calls) == 1 else 0):
            if any(reader.folder.glob("*.pickle")):
                return
            time.sleep(0.1)
        assert len(calls) > 1, "the reader process read nothing in 60 s"
    return on_file


def test_two_processes_sharing_one_chunk_read_what_one_process_reads(tmp_path):
    from salespipe.ingest.reader import file_sha256
    from salespipe.ingest.worker import ChunkReader, read_chunk

    paths = make_year(salespeople=4, days=3, rows=5, folder=tmp_path / "year")
    paths.append(paths[5])  # read twice: the second is skipped, also when the other process has the first
    hashes = [file_sha256(p) for p in paths]
    alone = read_chunk(paths, hashes, set(), "022", 30, len(paths), 0)
    with ChunkReader() as reader:
        shared = reader.share(paths, hashes, set(), "022", 30, 2, _wait_for_the_reader(reader))
    claims = sorted(int(p.stem) for p in reader.folder.glob("*.claim")) if reader.folder.exists() else None
    assert claims is None  # its folder is gone
    assert [(f.file_id, f.path, f.status, f.kinds) for f in shared.files] == \
        [(f.file_id, f.path, f.status, f.kinds) for f in alone.files]
    assert shared.files[-1].status == "skipped" and len(shared.files) == 14
    assert list(shared.records) == list(alone.records) and shared.records == alone.records
    assert shared.sheet_rejects == alone.sheet_rejects
    assert sum(len(v) for v in shared.records.values()) > 50


def test_a_reading_error_in_a_shared_piece_reaches_the_loader(tmp_path):
    from salespipe.ingest.worker import ChunkReader

    paths = make_year(salespeople=4, days=1, rows=5, folder=tmp_path / "year")[:1] + [tmp_path / "gone.xlsx"]
    with ChunkReader() as reader:  # the loader reads the roster; the reader takes the missing file
        with pytest.raises(FileNotFoundError):
            reader.share(paths, ["0" * 64, "1" * 64], set(), "022", 30, 1, _wait_for_the_reader(reader))


def test_a_reading_error_in_the_reader_process_reaches_the_loader(tmp_path):
    from salespipe.ingest.worker import ChunkReader

    with ChunkReader() as reader:
        chunks = iter(reader.read([tmp_path / "gone.xlsx"], ["0" * 64], set(), "022", 30, 1, [0]))
        with pytest.raises(FileNotFoundError):
            next(chunks)
    assert not reader.folder.exists()  # its chunk files are cleaned up


def test_a_new_benchmark_table_replaces_the_earlier_one_of_the_same_benchmark_only():
    from bench.ingest_bench import replace_section

    doc = "# Benchmarks\n\nintro\n\n### 2026-11-27 — full rebuild: 15,001 workbooks\n\nold\n\n### 2026-11-27 — marts on a year: x\n\nm\n"
    new = replace_section(doc, "### 2026-11-30 — full rebuild: 15,001 workbooks\n\nnew\n")
    assert new == ("# Benchmarks\n\nintro\n\n### 2026-11-27 — marts on a year: x\n\nm\n\n"
                   "### 2026-11-30 — full rebuild: 15,001 workbooks\n\nnew\n")
