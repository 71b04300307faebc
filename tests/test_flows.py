"""Flows under one session-scoped prefect_test_harness (a temporary local Prefect server)."""
import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.nightly import nightly
from conftest import LOG_HEADER, log_row


@pytest.fixture(scope="session")
def prefect_server():
    with prefect_test_harness(server_startup_timeout=60):
        yield


def test_nightly_ingests_the_inbox_and_a_second_run_changes_nothing(prefect_server, project):
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row(), log_row(method="飞鸽")])
    config_file = str(project.root / "config" / "salespipe.toml")
    summary = nightly(config_file=config_file)
    assert (summary.rows_accepted, summary.rows_rejected, summary.new_customers) == (4, 1, 1)
    assert project.scalar("select count(*) from activities") == 1
    assert list(project.inbox.iterdir()) == []
    again = nightly(config_file=config_file)
    assert sum(again.files.values()) == 0 and project.scalar("select count(*) from activities") == 1
