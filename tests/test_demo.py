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


def test_each_demo_mail_with_its_attachments_is_at_most_1_5_mb(demo_reports):
    """Issue 15: with plotly.js inline in the attached HTML each mail was 6.6 MB; now the charts are PNG in the
    body and SVG in the report. 1.5 MB = 1,500,000 bytes of the whole message as sent."""
    import email
    import email.policy

    for kind, made in demo_reports.items():
        message = email.message_from_bytes(made["eml"].read_bytes(), policy=email.policy.default)
        size = len(message.as_bytes())
        assert size <= 1_500_000, (kind, size)
        names = [part.get_filename() for part in message.iter_attachments()]
        assert names == [made["html"].name, made["html"].with_suffix(".xlsx").name], kind  # the attachments are in it


def test_the_demo_reads_its_files_on_the_months_last_workday_evening(project, capsys):
    """`./run demo` ingests as the nightly flow of 2026-11-30 would (18:00 Asia/Shanghai), whatever the machine's
    clock: the daily names the three unreadable files it read that evening and says 数据截至 2026-11-30 18:00.
    (Read at the machine's time, a UTC evening dated them the next day in Shanghai: the daily said none.)"""
    from salespipe.demo import run_demo

    assert run_demo(project.config, seed=2026, month="2026-11", salespeople=12,
                    warehouse=project.root / "demo.duckdb") == 0
    html = (project.root / "out" / "demo" / "销售日报_2026-11-30.html").read_text(encoding="utf-8")
    assert "数据截至 2026-11-30 18:00" in html
    unreadable = html[html.index("无法读取的文件："):].split("</p>")[0]
    for name in ("客户名单.xlsx", "新建 Microsoft Excel 工作表.xlsx", "损坏.xlsx"):  # not Excel, empty, corrupt
        assert name in unreadable
