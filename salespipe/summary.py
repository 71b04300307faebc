"""Printing a run's summary on the terminal (rich)."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

STATUS_LABELS = {"ingested": "已读取 ingested", "skipped": "重复跳过 skipped",
                 "rejected": "无法读取 rejected", "superseded": "已被取代 superseded",
                 "moved": "移走上次运行留下的 moves an earlier run left", "ignored": "未读取 ignored",
                 "taken": "已被另一个运行处理 taken by another run"}


def print_summary(summary, config, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"读取结果 ingest summary  (run {summary.run_id})", show_header=True)
    table.add_column("项目 item")
    table.add_column("数量 count", justify="right")
    for status, n in sorted(summary.files.items()):
        table.add_row(f"文件 files: {STATUS_LABELS.get(status, status)}", str(n))
    table.add_row("接受行 rows accepted", str(summary.rows_accepted))
    table.add_row("退回行 rows rejected", str(summary.rows_rejected))
    table.add_row("被更正取代的行 rows superseded", str(summary.superseded_rows))
    table.add_row("跳过的非数据行 rows skipped (headers, totals, examples …)", str(summary.rows_skipped))
    table.add_row("未读取的工作表 sheets not read", str(len(summary.sheets_not_read)))
    table.add_row("新客户 new customers", str(summary.new_customers))
    if summary.customers_from_leads:
        table.add_row("  其中由审批批准的线索建立 of which from approved leads", str(summary.customers_from_leads))
    table.add_row("客户总数 customers in warehouse", str(summary.customers_total))
    table.add_row("新跟单号 new follow-ups (跟单号)", str(summary.new_followups))
    table.add_row("待确认的客户匹配 new pairs to review", str(summary.new_reviews))
    if summary.settled_reviews:
        table.add_row("  新数据已判定为不同客户、移出待确认 pending pairs settled as two customers", str(summary.settled_reviews))
    console.print(table)
    if summary.decisions:
        console.print(escape(decisions_line(summary.decisions)))
    if summary.reasons:
        reasons = Table(title="退回原因 reasons for rejected rows (problems, a row may have several)")
        reasons.add_column("原因 reason")
        reasons.add_column("次数 count", justify="right")
        for reason, n in summary.reasons.most_common():
            reasons.add_row(reason, str(n))
        console.print(reasons)
    for name, reason, where in summary.unreadable:
        console.print(f"[red]无法读取[/red] {escape(name)}: {escape(reason)}  → {escape(where)}")
    for line in summary.moves_failed:
        console.print(f"[red]未能移动（下次运行会跳过，不会重复计数）[/red] could not move {escape(line)}")
    for name, sheet, reason in summary.sheets_not_read:
        console.print(f"[yellow]未读取的工作表[/yellow] {escape(name)} / {escape(sheet)}: {escape(reason)}")
    console.print(f"数据仓库 warehouse: {config.warehouse}")


def decisions_line(decisions) -> str:
    """分配审批 批准 6 / 改派 1 / 驳回 1 / 未填 44 / 待第二审批人 0 / 退回 0 — every kind, zeros included."""
    from salespipe.approvals import KINDS

    return "分配审批 approval rows: " + " / ".join(f"{kind} {decisions.get(kind, 0)}" for kind in KINDS)
