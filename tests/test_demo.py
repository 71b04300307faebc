"""The demo month: realistic messiness, and what ingest makes of it."""
from salespipe.demo import generate
from salespipe.ingest import ingest


def test_demo_month_has_every_messiness_and_ingests(project, tmp_path):
    paths = generate(tmp_path / "demo", seed=7, month="2026-02", salespeople=4)
    names = [p.name for p in paths]
    assert any(n.endswith(".xls") for n in names)
    assert any("_更正" in n for n in names) and "客户名单.xlsx" in names
    summary = ingest([tmp_path / "demo"], project.config)
    assert summary.files["rejected"] == 3            # empty, not Excel, corrupt
    assert summary.superseded_rows > 0               # the corrected resubmission replaced a day
    assert summary.rows_rejected > 0
    reasons = " ".join(summary.reasons)
    assert "不是在职状态" in reasons                    # the one who left still handed in a sheet
    kinds = {k for r in project.query("select kinds from ingested_files") for k in r[0]}
    assert kinds == {"roster", "log", "orders", "targets", "quality", "inspections", "bc", "leads"}
    # the two salespeople who share a name are told apart by 工号
    assert project.scalar("select count(distinct salesperson_id) from activities") == 4


def test_demo_is_reproducible_for_a_seed(tmp_path):
    a = generate(tmp_path / "a", seed=3, month="2026-11", salespeople=3)
    b = generate(tmp_path / "b", seed=3, month="2026-11", salespeople=3)
    assert [p.name for p in a] == [p.name for p in b]
