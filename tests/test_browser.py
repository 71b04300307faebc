"""The reports as people see them: headless Chromium (Debian's chromium, installed by .ci/run)."""
import email
import email.policy
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from reports import make_report
from reporting import MON, build

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def chromium(tmp_path: Path, *args: str) -> str:
    binary = shutil.which("chromium")
    assert binary, "Debian's chromium is needed (.ci/run installs it: apt-get install chromium fonts-wqy-microhei)"
    done = subprocess.run([binary, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture
def daily(project, tmp_path):
    build(project)
    (html,), _ = make_report(project.config, "daily", MON, ["html"], tmp_path / "out", send=True)
    return html


def test_daily_report_renders_its_charts_in_chromium(daily, tmp_path):
    dom = chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", daily.as_uri())
    for chart in ("chart-methods", "chart-trend", "chart-funnel"):
        start = dom.index(f'id="{chart}"')
        drawn = dom[start:start + 200_000]
        assert 'class="main-svg"' in drawn, chart  # plotly drew an SVG
    methods = dom[dom.index('id="chart-methods"'):dom.index('id="chart-trend"')]
    assert methods.count('class="point"') >= 4  # stacked bars: 张三 phone, e-mail, visit; 李四 phone
    shot = tmp_path / "daily-report.png"
    chromium(tmp_path, "--virtual-time-budget=10000", "--window-size=1100,1900", f"--screenshot={shot}", daily.as_uri())
    assert shot.stat().st_size > 50_000
    if os.environ.get("SALESPIPE_SCREENSHOT_DIR"):  # how the README's screenshot is made
        shutil.copy(shot, Path(os.environ["SALESPIPE_SCREENSHOT_DIR"]) / shot.name)


def test_email_body_shows_the_figures_with_javascript_disabled(daily, tmp_path):
    message = email.message_from_bytes(daily.with_suffix(".eml").read_bytes(), policy=email.policy.default)
    body = message.get_body(("html",)).get_content()
    assert "<script" not in body.lower()
    page = tmp_path / "body.html"
    page.write_text(body, encoding="utf-8")
    dom = chromium(tmp_path, "--disable-javascript", "--dump-dom", page.as_uri())
    team = dom[dom.index("全组合计"):]
    cells = [c.split(">")[-1] for c in team.split("</td>")[:11]]
    # team on 11-23: calls 2, faxes 0, e-mail 1, visits 1, BC 2, closed 1, lost 1, new 2, 50.0%, 50.0%
    assert cells[1:11] == ["2", "0", "1", "1", "2", "1", "1", "2", "50.0%", "50.0%"]
    assert 'title="电话 1"' in dom  # the CSS bars are there without any script


def test_feedback_mail_reads_on_a_phone_with_scripts_off(project, smtp, tmp_path):
    """Issue 20: the salesperson learns what to fix from the mail itself, on a 390 px screen, scripts off."""
    from playwright.sync_api import sync_playwright

    from reports.feedback import make_feedback

    build(project)  # 张三's Monday row for 天津乙有限公司 says 联系方式 飞鸽: rejected
    make_feedback(project.config, MON, tmp_path / "fb", send=True)
    (envelope,) = [e for e in smtp.envelopes if e.rcpt_tos == ["zhangsan@example.com"]]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        try:
            page = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}).new_page()
            page.set_content(html)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            text = page.inner_text("body")
            shot = tmp_path / "feedback-mail-390.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert width <= 390  # nothing wider than the phone: no sideways scrolling
    # Monday 2026-11-23 → the deadline is Tuesday 09:00; the row, its contact, what was written, why and the fix
    assert "请在 11月24日（周二）09:00 前更正" in text
    problem = text[text.index("需要更正的问题"):]
    assert "天津乙有限公司" in problem and "联系人 王经理" in problem and "填写的是「飞鸽」" in problem
    assert "改法：从下拉中选：电话 / 传真 / E-mail / 面访" in problem
    # 电话量 on Monday: 张三 1, 李四 1 → median 1, both first (ties share the best rank)
    assert "电话量\t1\t1\t1/2" in text
    if os.environ.get("SALESPIPE_SCREENSHOT_DIR"):  # how docs/screenshots/feedback-mail-390.png is made
        shutil.copy(shot, Path(os.environ["SALESPIPE_SCREENSHOT_DIR"]) / shot.name)
