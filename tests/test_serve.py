"""`salespipe serve` for real (issue 18): the command runs as its own process against the session's Prefect
server, the nightly deployment is triggered through the API, and the run completes with its artifacts."""
from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL

from conftest import LOG_HEADER, log_row

SALESPIPE = Path(sys.executable).with_name("salespipe")
REPO = Path(__file__).resolve().parents[1]
THU = log_row()[0]  # 2026-11-26, the day of the sheets and of the report
WAIT_SECONDS = 120  # how long to wait for the deployment and for the run: a deadline, not a speed target


def _log_tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _stop(process: subprocess.Popen) -> None:
    """End the serve process and everything it started (the flow-run subprocesses): its whole group."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is still there
    except ProcessLookupError:
        pass
    process.wait()


@pytest.fixture
def served(prefect_server, tmp_path):
    """`salespipe serve` in its own process group, pointed at the harness's server; always stopped."""
    api_url = PREFECT_API_URL.value()  # the harness sets it in this process's settings only
    assert api_url, "prefect_test_harness did not set PREFECT_API_URL"
    env = {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("SALESPIPE_WAREHOUSE", None)  # the run's warehouse comes from the project's config alone
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(SALESPIPE), "serve"], cwd=REPO, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield process, log
    finally:
        _stop(process)


def wait_for_deployment(client, process: subprocess.Popen, log: Path, name: str = "nightly/nightly"):
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        assert process.poll() is None, f"salespipe serve exited with {process.returncode}:\n{_log_tail(log)}"
        try:
            return client.read_deployment_by_name(name)
        except ObjectNotFound:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"no deployment {name} after {WAIT_SECONDS} s; salespipe serve said:\n{_log_tail(log)}")
        time.sleep(0.5)


def wait_for_final_state(client, flow_run_id, process: subprocess.Popen, log: Path):
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        flow_run = client.read_flow_run(flow_run_id)
        if flow_run.state is not None and flow_run.state.is_final():
            return flow_run
        assert process.poll() is None, f"salespipe serve exited with {process.returncode}:\n{_log_tail(log)}"
        if time.monotonic() > deadline:
            pytest.fail(f"flow run still {flow_run.state_name} after {WAIT_SECONDS} s; salespipe serve said:\n"
                        f"{_log_tail(log)}")
        time.sleep(0.5)


def _children(pid: int) -> list[int]:
    """The processes whose parent is pid, from Linux's /proc (no psutil in the venv)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, …
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def wait_for_run_process_to_exit(process: subprocess.Popen, log: Path) -> None:
    """The runner cancels every run whose process it still tracks when it shuts down, forcing Cancelled even over
    Completed (prefect 3.9 runner/_cancellation_manager.cancel_all): wait until the run's process has gone."""
    deadline = time.monotonic() + WAIT_SECONDS
    while _children(process.pid):
        if time.monotonic() > deadline:
            pytest.fail(f"the flow run's process is still there after {WAIT_SECONDS} s; salespipe serve said:\n"
                        f"{_log_tail(log)}")
        time.sleep(0.2)


def subjects(inbox) -> list[str]:
    return sorted(email.message_from_bytes(e.content, policy=email.policy.default)["Subject"] for e in inbox.envelopes)


def test_served_nightly_deployment_runs_when_triggered_through_the_api(served, project, smtp):
    process, log = served
    # the inbox of one evening: the roster (3 people), 张三's sheet with one good row and one whose
    # 联系方式 飞鸽 is not an allowed value, 李四's sheet with one good row
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row(THU), log_row(THU, method="飞鸽")])
    project.add("日志表_李四_20261126.xlsx", [LOG_HEADER, log_row(THU, "李四", "天津乙有限公司", phone="13700000001")])
    config_file = str(project.root / "config" / "salespipe.toml")

    with get_client(sync_client=True) as client:
        deployment = wait_for_deployment(client, process, log)
        created = client.create_flow_run_from_deployment(
            deployment.id, parameters={"report_date": THU.isoformat(), "config_file": config_file})
        wait_for_final_state(client, created.id, process, log)
        wait_for_run_process_to_exit(process, log)
        flow_run = client.read_flow_run(created.id)
        assert flow_run.state.is_completed(), (f"{flow_run.state_name}: {flow_run.state.message}\n"
                                               f"salespipe serve said:\n{_log_tail(log)}")
        assert flow_run.deployment_id == deployment.id
        artifacts = {a.key: a for a in client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id])))}
        _stop(process)  # as Ctrl-C would: the runner shuts down and leaves the finished run as it was
        assert client.read_flow_run(flow_run.id).state.is_completed()

    # the warehouse: the two good log rows, each with its salesperson's 工号; the 飞鸽 row rejected once
    assert project.query("select activity_date, salesperson_id, customer_name, method, stage, result "
                         "from activities order by salesperson_id") == [
        (THU, "S001", "天津市格致企业管理咨询有限公司", "电话", 1, "继续跟进"),
        (THU, "S002", "天津乙有限公司", "电话", 1, "继续跟进"),
    ]
    assert project.query("select salesperson_id, column_name, value from rejects") == [("S001", "联系方式", "飞鸽")]
    assert project.scalar("select count(*) from salespeople") == 3
    # the inbox was emptied into the archive
    assert list(project.inbox.iterdir()) == []
    assert sorted(p.name for p in (project.root / "archive").rglob("*.xlsx")) == [
        "业务员名册.xlsx", "日志表_张三_20261126.xlsx", "日志表_李四_20261126.xlsx"]
    # the managers' daily report and each salesperson's feedback went through the SMTP server
    assert subjects(smtp) == [
        "日志核对反馈 2026-11-26 张三：退回 1 行，请在 11月27日（周五）09:00 前更正",  # the 飞鸽 row; Thursday → Friday
        "日志核对反馈 2026-11-26 李四", "销售日报（2026-11-26）"]
    # the run's artifacts (all it made): the day's counts per salesperson and the link to the HTML report
    assert set(artifacts) == {"counts-daily-2026-11-26", "report-daily-2026-11-26"}
    counts = artifacts["counts-daily-2026-11-26"]
    table = {row["业务员"]: row for row in json.loads(counts.data)}
    assert counts.type == "table" and table["张三"]["电话量"] == 1 and table["李四"]["电话量"] == 1
    assert table["全组合计"]["电话量"] == 2
    link = artifacts["report-daily-2026-11-26"]
    assert link.type == "markdown" and "销售日报_2026-11-26.html" in urllib.parse.unquote(link.data)
