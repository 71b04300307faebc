"""The reports as people see them: Debian's chromium driven by Playwright with page scripts really off
(`java_script_enabled=False`; Chromium ignores --disable-javascript), at a phone's 390 px and at 1280 px.
With SALESPIPE_SCREENSHOT_DIR set, the screenshots of the demo's mails and reports are saved there
(<kind>-mail-390.png, <kind>-mail-1280.png, <kind>-report-390.png, <kind>-report-1280.png)."""
import email
import email.policy
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from reports import make_report
from reporting import MON, build

KINDS = ("daily", "weekly", "monthly")
WIDTHS = (390, 1280)
CHARTS = {"daily": 3, "weekly": 3, "monthly": 5}  # methods, trend, funnel; the monthly adds scores and gantt


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    binary = shutil.which("chromium")
    assert binary, "Debian's chromium is needed (.ci/run installs it: apt-get install chromium fonts-wqy-microhei)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary)
        try:
            yield browser
        finally:
            browser.close()


def scripts_off(browser, width: int):
    return browser.new_context(java_script_enabled=False, viewport={"width": width, "height": 900}).new_page()


def mail_page(eml: Path, folder: Path) -> Path:
    """The mail's HTML body as a file, each cid: image written beside it and referenced by its file name — what
    a mail client does with the related parts."""
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    assert "<script" not in html.lower()
    folder.mkdir(parents=True, exist_ok=True)
    for n, part in enumerate(p for p in message.walk() if p["Content-ID"]):
        name = f"image{n}.{part.get_content_subtype()}"
        (folder / name).write_bytes(part.get_payload(decode=True))
        html = html.replace(f'src="cid:{part["Content-ID"].strip().strip("<>")}"', f'src="{name}"')
    assert "cid:" not in html  # every image the body shows is in the message
    page = folder / "body.html"
    page.write_text(html, encoding="utf-8")
    return page


def keep(shot: Path) -> None:
    """How docs/screenshots/ are made: with SALESPIPE_SCREENSHOT_DIR set, a 64-colour copy of the screenshot
    (text stays sharp; the thirteen full pages take 2.7 MB instead of 9.9 MB)."""
    if os.environ.get("SALESPIPE_SCREENSHOT_DIR"):
        from PIL import Image

        image = Image.open(shot).convert("RGB").quantize(colors=64, method=Image.Quantize.FASTOCTREE)
        image.save(Path(os.environ["SALESPIPE_SCREENSHOT_DIR"]) / shot.name, optimize=True)


IMAGES = "[...document.images].map(i => [i.complete && i.naturalWidth > 0, i.getBoundingClientRect().right])"
CHART_BOXES = "[...document.querySelectorAll('figure.chart svg')].map(s => [s.getBoundingClientRect().width, s.getBoundingClientRect().right])"


@pytest.mark.parametrize("kind", KINDS)
def test_the_demo_mail_reads_on_a_phone_with_its_chart_images_and_scripts_off(demo_reports, tmp_path, kind):
    page_file = mail_page(demo_reports[kind]["eml"], tmp_path / "mail")
    with chromium() as browser:
        for width in WIDTHS:
            page = scripts_off(browser, width)
            page.goto(page_file.as_uri())
            scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
            images = page.evaluate(IMAGES)
            shot = tmp_path / f"{kind}-mail-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            keep(shot)
            assert len(images) == CHARTS[kind] and all(loaded for loaded, _ in images), (width, images)
            assert all(right <= width for _, right in images), (width, images)  # the images scale down to the screen
            if width == 390:
                assert scroll_width <= 390, scroll_width  # nothing wider than the phone: no sideways scrolling


@pytest.mark.parametrize("kind", KINDS)
def test_the_demo_report_draws_its_charts_and_opens_its_counts_without_script(demo_reports, tmp_path, kind):
    with chromium() as browser:
        for width in WIDTHS:
            page = scripts_off(browser, width)
            page.goto(demo_reports[kind]["html"].as_uri())
            charts = page.evaluate(CHART_BOXES)
            shot = tmp_path / f"{kind}-report-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            keep(shot)
            assert len(charts) == CHARTS[kind] and all(0 < w and right <= width for w, right in charts), (width, charts)
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        # the first salesperson's 电话量 opens to its customers by a click on the figure: <details>, no script
        cell = page.locator('#activity tr[data-salesperson] td[data-col="calls"] details').first
        assert not cell.locator("ul.behind").is_visible()
        cell.locator("summary").click()
        assert cell.locator("ul.behind li").first.is_visible()


def test_email_body_shows_the_figures_with_scripts_really_off(project, tmp_path):
    build(project)
    make_report(project.config, "daily", MON, ["html"], tmp_path / "out", send=True)
    page_file = mail_page(tmp_path / "out" / "销售日报_2026-11-23.eml", tmp_path / "mail")
    with chromium() as browser:
        page = scripts_off(browser, 390)
        page.goto(page_file.as_uri())
        first = page.locator("tr", has_text="全组合计").first  # two rows a person: the counts, then customers and rates
        team = first.locator("td").all_inner_texts() + first.locator("xpath=following-sibling::tr[1]/td").all_inner_texts()
        images = page.evaluate(IMAGES)
    # team on 11-23: calls 2, faxes 0, e-mail 1, visits 1, BC 2, closed 1, lost 1, new 2, 50.0%, 50.0%
    assert team[1:11] == ["2", "0", "1", "1", "2", "1", "1", "2", "50.0%", "50.0%"]
    assert len(images) == 3 and all(loaded for loaded, _ in images)  # the three charts, as PNG parts


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
    keep(shot)  # docs/screenshots/feedback-mail-390.png
