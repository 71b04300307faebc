"""Exactly-once delivery (issue 18): the `deliveries` ledger, refusals, retries and re-runs, against a real SMTP
server on 127.0.0.1 that misbehaves on purpose. Copies are counted from what this server accepted."""
from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import math
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import LOG_HEADER, ROSTER_HEADER, edit_config, local_smtp, log_row

THU = dt.date(2026, 11, 26)
TEAM = {  # salesperson_id: (name, address) — four people with sheets on THU, so a feedback batch has four messages
    "S001": ("张三", "zhangsan@example.com"),
    "S002": ("李四", "lisi@example.com"),
    "S004": ("赵六", "zhaoliu@example.com"),
    "S005": ("钱七", "qianqi@example.com"),
}
TEAM_BY_ADDRESS = {address: sid for sid, (name, address) in TEAM.items()}
ADMIN, GENERAL = "admin-manager@example.com", "general-manager@example.com"  # config order: 行政经理, 总经理
SALESPIPE = Path(sys.executable).with_name("salespipe")

REFUSED = "550 5.1.1 No such user here"
DEFERRED = "451 4.2.1 Mailbox busy, try again later"
REFUSED_DATA = "554 5.6.0 Message refused by the test server"


class MisbehavingServer:
    """aiosmtpd handler. It keeps every envelope it accepted (`accepted`), every RCPT TO it was offered (`rcpts`) and the
    accepted recipients of every DATA it was sent (`datas`), and on purpose:
    - `refuse_nth = (n, times)`: the n-th distinct recipient ever offered is refused with 550 at RCPT `times` times;
    - `refuse[address] = times`: that address is refused with 550 at RCPT `times` times (math.inf: always);
    - `defer[address] = times`: that address gets 451 at RCPT `times` times, then is accepted;
    - `refuse_at_data[address] = times`: a message to that address gets 554 after its DATA;
    - `drop_at = {k, …}`: at the k-th DATA the server receives (1-based), it closes the connection without replying."""

    def __init__(self):
        self.accepted = []
        self.rcpts: list[str] = []
        self.datas: list[tuple[str, ...]] = []
        self.refuse_nth: tuple[int, float] | None = None
        self.refuse: dict[str, float] = {}
        self.defer: dict[str, float] = {}
        self.refuse_at_data: dict[str, float] = {}
        self.drop_at: set[int] = set()

    @staticmethod
    def _take(budget: dict[str, float], address: str) -> bool:
        if budget.get(address, 0) > 0:
            budget[address] -= 1
            return True
        return False

    def distinct(self) -> list[str]:
        return list(dict.fromkeys(self.rcpts))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        first_time = address not in self.rcpts
        self.rcpts.append(address)
        if first_time and self.refuse_nth and len(self.distinct()) == self.refuse_nth[0]:
            self.refuse.setdefault(address, self.refuse_nth[1])
        if self._take(self.refuse, address):
            return REFUSED
        if self._take(self.defer, address):
            return DEFERRED
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.datas.append(tuple(envelope.rcpt_tos))
        if len(self.datas) in self.drop_at:
            server.transport.close()  # connection_lost cancels this coroutine: the client never hears a reply
            await asyncio.sleep(30)
            return "421 4.4.2 never sent"
        if any(self._take(self.refuse_at_data, a) for a in envelope.rcpt_tos):
            return REFUSED_DATA
        self.accepted.append(envelope)
        return "250 OK"

    # ---- what the test asks
    def copies(self, address: str) -> int:
        return sum(address in e.rcpt_tos for e in self.accepted)

    def offered(self, address: str) -> int:
        return self.rcpts.count(address)

    def subjects(self, address: str) -> list[str]:
        return [email.message_from_bytes(e.content, policy=email.policy.default)["Subject"]
                for e in self.accepted if address in e.rcpt_tos]


@pytest.fixture
def server(project):
    """A MisbehavingServer on a free local port; the project's config points at it (plain SMTP, no wait between
    attempts, the shipped `retries = 3`)."""
    with local_smtp(project, MisbehavingServer()) as handler:
        yield handler


def config_file(project) -> Path:
    return project.root / "config" / "salespipe.toml"


def set_retries(project, retries: int) -> None:
    edit_config(project, ("retries = 3 ", f"retries = {retries} "))


def fill_inbox(project):
    """A roster of four 在职 salespeople with e-mail, and one day-sheet of THU from each."""
    project.add_roster([[sid, name, "CC", "在职", dt.date(2025, 1, 1), None, "管理咨询", address]
                        for sid, (name, address) in TEAM.items()])
    for i, (sid, (name, address)) in enumerate(TEAM.items()):
        project.add(f"日志表_{name}_20261126.xlsx",
                    [LOG_HEADER, log_row(THU, name, f"天津{'甲乙丙丁'[i]}有限公司", contact=f"联系人{i}",
                                         phone=f"1370000000{i + 1}")])


@pytest.fixture
def team(project):
    fill_inbox(project)
    project.ingest()
    return project


def salespipe(project, tmp_path, *args) -> subprocess.CompletedProcess:
    """The command as a user types it; `.out` is stdout and stderr together."""
    done = subprocess.run([str(SALESPIPE), *args, "--date", THU.isoformat(), "--out", str(tmp_path / "out"), "--send",
                           "--config", str(config_file(project)), "--warehouse", str(project.config.warehouse)],
                          cwd=project.root, capture_output=True, text=True, timeout=600)
    done.out = done.stdout + done.stderr
    return done


def feedback(project, tmp_path):
    return salespipe(project, tmp_path, "feedback")


def daily(project, tmp_path):
    return salespipe(project, tmp_path, "report", "daily", "--format", "html")


def ledger(project) -> dict[tuple[str, str, str], dict]:
    """The `deliveries` rows by (kind, item, recipient)."""
    rows = project.query("select kind, period, item, recipient, status, reply, attempts, sent_at, subject "
                         "from deliveries order by all")
    names = ["kind", "period", "item", "recipient", "status", "reply", "attempts", "sent_at", "subject"]
    result = {}
    for row in rows:
        row = dict(zip(names, row))
        key = (row["kind"], row["item"], row["recipient"])
        assert key not in result, f"two ledger rows for {key}"
        result[key] = row
    return result


def feedback_rows(project) -> dict[str, dict]:
    """The feedback rows of THU by recipient, checked against who the item says they are."""
    rows = {r["recipient"]: r for (kind, item, recipient), r in ledger(project).items()
            if kind == "feedback" and r["period"] == THU}
    for address, row in rows.items():
        assert row["item"] == TEAM_BY_ADDRESS[address]  # feedback: item is the salesperson_id
    return rows


def lines_naming(output: str, address: str) -> list[str]:
    return [line for line in output.splitlines() if address in line]


def assert_named_with_reply(done, address: str, code: str):
    """Exit 1 (not a crash), and a line of the output names the address together with the server's reply code."""
    assert done.returncode == 1, done.out
    assert "Traceback" not in done.out, done.out
    assert any(code in line for line in lines_naming(done.out, address)), done.out


# ---------------------------------------------------------------- the ledger


@pytest.mark.parametrize("kind, period", [
    ("daily", THU),
    ("weekly", dt.date(2026, 11, 23)),   # the Monday of THU's week
    ("monthly", dt.date(2026, 11, 1)),   # the 1st of THU's month
])
def test_a_sent_report_is_in_the_ledger_once_per_manager_under_its_period_start(team, server, tmp_path, kind, period):
    from reports import make_report

    make_report(team.config, kind, THU, ["html"], tmp_path, send=True)
    assert server.copies(ADMIN) == 1 and server.copies(GENERAL) == 1
    (subject,) = set(server.subjects(ADMIN))
    rows = ledger(team)
    assert set(rows) == {(kind, "", ADMIN), (kind, "", GENERAL)}
    for row in rows.values():
        assert row["period"] == period and row["status"] == "sent" and row["attempts"] == 1
        assert row["subject"] == subject and row["sent_at"] is not None and "250" in row["reply"]
    columns = dict(team.query("select column_name, data_type from information_schema.columns "
                              "where table_name = 'deliveries'"))
    assert columns == {"kind": "VARCHAR", "period": "DATE", "item": "VARCHAR", "recipient": "VARCHAR",
                       "status": "VARCHAR", "reply": "VARCHAR", "attempts": "INTEGER",
                       "sent_at": "TIMESTAMP WITH TIME ZONE", "subject": "VARCHAR"}


# ---------------------------------------------------------------- 1) a refused recipient, then a re-run


def test_feedback_refused_for_the_third_recipient_reaches_everyone_exactly_once_after_a_rerun(team, server, tmp_path):
    server.refuse_nth = (3, 1)  # the 3rd distinct recipient: 550 once
    first = feedback(team, tmp_path)
    assert len(server.distinct()) == 4
    refused = server.distinct()[2]
    others = [a for a in server.distinct() if a != refused]
    assert_named_with_reply(first, refused, "550")
    assert server.offered(refused) == 1  # a 5xx is not retried in the run
    assert [server.copies(a) for a in others] == [1, 1, 1]  # the batch went on past the refusal
    assert server.copies(refused) == 0
    rows = feedback_rows(team)
    assert {a: r["status"] for a, r in rows.items()} == {**{a: "sent" for a in others}, refused: "refused"}
    assert "550" in rows[refused]["reply"] and "No such user here" in rows[refused]["reply"]
    assert rows[refused]["attempts"] == 1

    second = feedback(team, tmp_path)
    assert second.returncode == 0, second.out
    for address in others:
        assert any("已发送过" in line for line in lines_naming(second.out, address)), second.out
        assert server.offered(address) == 1  # nothing sent to those already served
    assert {a: server.copies(a) for a in TEAM_BY_ADDRESS} == {a: 1 for a in TEAM_BY_ADDRESS}
    rows = feedback_rows(team)
    assert set(rows) == set(TEAM_BY_ADDRESS) and all(r["status"] == "sent" for r in rows.values())
    assert len(ledger(team)) == 4  # one row per (kind, period, item, recipient): the refused row became sent
    subjects = {a: server.subjects(a)[0] for a in TEAM_BY_ADDRESS}
    assert {a: r["subject"] for a, r in rows.items()} == subjects


def test_a_recipient_refused_every_time_is_named_on_every_run_and_the_others_get_nothing_more(team, server, tmp_path):
    server.refuse_nth = (3, math.inf)
    first = feedback(team, tmp_path)
    refused = server.distinct()[2]
    assert_named_with_reply(first, refused, "550")
    second = feedback(team, tmp_path)
    assert_named_with_reply(second, refused, "550")
    assert server.offered(refused) == 2  # once per run
    assert {a: server.copies(a) for a in TEAM_BY_ADDRESS} == {a: 0 if a == refused else 1 for a in TEAM_BY_ADDRESS}
    assert feedback_rows(team)[refused]["status"] == "refused"


def test_a_5xx_after_data_is_refused_not_retried_and_named(team, server, tmp_path):
    target = "zhaoliu@example.com"
    server.refuse_at_data[target] = math.inf
    done = feedback(team, tmp_path)
    assert_named_with_reply(done, target, "554")
    assert sum(target in rcpts for rcpts in server.datas) == 1
    assert {a: server.copies(a) for a in TEAM_BY_ADDRESS} == {a: 0 if a == target else 1 for a in TEAM_BY_ADDRESS}
    row = feedback_rows(team)[target]
    assert row["status"] == "refused" and "554" in row["reply"] and row["attempts"] == 1


def test_the_python_functions_raise_naming_the_undelivered_address_after_trying_everyone(team, server, tmp_path):
    from reports import make_report
    from reports.feedback import make_feedback
    from salespipe.errors import SalespipeError

    server.refuse_nth = (3, 1)
    with pytest.raises(SalespipeError) as failed:
        make_feedback(team.config, THU, tmp_path / "feedback", send=True)
    refused = server.distinct()[2]
    assert refused in str(failed.value)
    assert {a: server.copies(a) for a in TEAM_BY_ADDRESS} == {a: 0 if a == refused else 1 for a in TEAM_BY_ADDRESS}

    server.refuse[GENERAL] = 1
    with pytest.raises(SalespipeError) as failed:
        make_report(team.config, "daily", THU, ["html"], tmp_path / "report", send=True)
    assert GENERAL in str(failed.value)
    assert server.copies(ADMIN) == 1 and server.copies(GENERAL) == 0


# ---------------------------------------------------------------- 2) a dropped connection


@pytest.mark.parametrize("command, drop_at", [("feedback", 2), ("daily", 1)])
def test_a_connection_dropped_during_a_message_is_retried_and_each_recipient_gets_one_copy(
        team, server, tmp_path, command, drop_at):
    server.drop_at = {drop_at}
    done = feedback(team, tmp_path) if command == "feedback" else daily(team, tmp_path)
    assert done.returncode == 0, done.out
    assert len(server.datas) > drop_at  # the dropped message was sent again
    dropped = set(server.datas[drop_at - 1])
    expected = set(TEAM_BY_ADDRESS) if command == "feedback" else {ADMIN, GENERAL}
    assert dropped and dropped <= expected
    assert {a: server.copies(a) for a in expected} == {a: 1 for a in expected}
    rows = {r["recipient"]: r for r in ledger(team).values()}
    assert set(rows) == expected
    assert {a: (r["status"], r["attempts"]) for a, r in rows.items()} == {
        a: ("sent", 2 if a in dropped else 1) for a in expected}


# ---------------------------------------------------------------- 3) 451 at RCPT


@pytest.mark.parametrize("deferrals, retries, attempts, status", [
    (2, 3, 3, "sent"),            # two 451s, the third attempt is accepted
    (1, 0, 1, "failed"),          # retries = 0: exactly one attempt, never zero
    (math.inf, 2, 3, "failed"),   # 1 + 2 retries, all deferred
])
def test_a_451_at_rcpt_is_retried_up_to_the_configured_retries(team, server, tmp_path, deferrals, retries, attempts,
                                                                status):
    set_retries(team, retries)
    target = "lisi@example.com"
    server.defer[target] = deferrals
    done = feedback(team, tmp_path)
    if status == "sent":
        assert done.returncode == 0, done.out
    else:
        assert_named_with_reply(done, target, "451")
    assert server.offered(target) == attempts
    assert server.copies(target) == (1 if status == "sent" else 0)
    assert all(server.copies(a) == 1 for a in TEAM_BY_ADDRESS if a != target)
    rows = feedback_rows(team)
    assert (rows[target]["status"], rows[target]["attempts"]) == (status, attempts)
    if status == "failed":
        assert "451" in rows[target]["reply"]
    assert all((r["status"], r["attempts"]) == ("sent", 1) for a, r in rows.items() if a != target)
    if status == "failed":  # the next run, the server healthy again, sends to the failed recipient only
        server.defer.clear()
        again = feedback(team, tmp_path)
        assert again.returncode == 0, again.out
        assert {a: server.copies(a) for a in TEAM_BY_ADDRESS} == {a: 1 for a in TEAM_BY_ADDRESS}
        assert all(server.offered(a) == 1 for a in TEAM_BY_ADDRESS if a != target)
        assert feedback_rows(team)[target]["status"] == "sent"


def test_a_deferred_manager_gets_the_report_once_without_a_second_copy_to_the_other(team, server, tmp_path):
    server.defer[GENERAL] = 2
    done = daily(team, tmp_path)
    assert done.returncode == 0, done.out
    assert server.copies(ADMIN) == 1 and server.copies(GENERAL) == 1
    assert server.offered(ADMIN) == 1 and server.offered(GENERAL) == 3
    rows = ledger(team)
    assert {k: (r["status"], r["attempts"]) for k, r in rows.items()} == {
        ("daily", "", ADMIN): ("sent", 1), ("daily", "", GENERAL): ("sent", 3)}


# ---------------------------------------------------------------- 4) a refused manager, then re-runs


def test_a_report_refused_for_the_second_manager_is_sent_only_to_him_on_the_rerun(team, server, tmp_path):
    server.refuse[GENERAL] = 1
    first = daily(team, tmp_path)
    assert_named_with_reply(first, GENERAL, "550")
    assert server.copies(ADMIN) == 1 and server.copies(GENERAL) == 0
    assert {k: r["status"] for k, r in ledger(team).items()} == {
        ("daily", "", ADMIN): "sent", ("daily", "", GENERAL): "refused"}

    second = daily(team, tmp_path)
    assert second.returncode == 0, second.out
    assert any("已发送过" in line for line in lines_naming(second.out, ADMIN)), second.out
    assert server.offered(ADMIN) == 1  # nothing for the manager already served
    assert server.copies(ADMIN) == 1 and server.copies(GENERAL) == 1
    assert {k: r["status"] for k, r in ledger(team).items()} == {
        ("daily", "", ADMIN): "sent", ("daily", "", GENERAL): "sent"}

    messages = len(server.datas)
    third = daily(team, tmp_path)
    assert third.returncode == 0, third.out
    for address in (ADMIN, GENERAL):
        assert any("已发送过" in line for line in lines_naming(third.out, address)), third.out
    assert len(server.datas) == messages and len(server.rcpts) == 3  # the third run sent nothing


# ---------------------------------------------------------------- 5) the nightly flow


def test_nightly_with_a_refused_feedback_recipient_fails_naming_it_and_the_rerun_completes_it(
        prefect_server, project, server):
    from flows.nightly import nightly

    fill_inbox(project)
    refused = "qianqi@example.com"
    server.refuse[refused] = 1

    def run():
        return nightly(report_date=THU.isoformat(), config_file=str(config_file(project)))

    with pytest.raises(Exception) as failed:
        run()
    assert refused in str(failed.value)
    # the run's other steps were done: the sheets loaded, the daily report and the other feedback sent
    assert project.scalar("select count(*) from activities") == 4
    assert server.copies(ADMIN) == 1 and server.copies(GENERAL) == 1
    assert {a: server.copies(a) for a in TEAM_BY_ADDRESS} == {a: 0 if a == refused else 1 for a in TEAM_BY_ADDRESS}
    assert server.offered(refused) == 1

    run()
    everyone = [ADMIN, GENERAL, *TEAM_BY_ADDRESS]
    assert {a: server.copies(a) for a in everyone} == {a: 1 for a in everyone}
    assert {a: server.offered(a) for a in everyone} == {a: 2 if a == refused else 1 for a in everyone}
    rows = ledger(project)
    assert set(rows) == {("daily", "", ADMIN), ("daily", "", GENERAL),
                         *{("feedback", sid, address) for address, sid in TEAM_BY_ADDRESS.items()}}
    assert all(r["status"] == "sent" and r["period"] == THU for r in rows.values())
