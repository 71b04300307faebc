"""The benchmark's year generator and the chunked run it exists for (speed is measured in bench/, not here)."""
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
    """chunk_files = 3 (five chunks, a reader process, the loader reading every 2nd) against one piece."""
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


def test_a_reading_error_in_the_reader_process_reaches_the_loader(tmp_path):
    from salespipe.ingest.worker import ChunkReader

    with ChunkReader() as reader:
        chunks = iter(reader.read([tmp_path / "gone.xlsx"], ["0" * 64], set(), "022", 30, 1, [0]))
        with pytest.raises(FileNotFoundError):
            next(chunks)
    assert not reader.folder.exists()  # its chunk files are cleaned up
