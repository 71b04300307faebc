"""Building the SQL models of transforms/ (staging → core → marts) inside the warehouse.

A model file is either a plain `select` (it becomes a view named after the file) or a file of
`create macro …` statements (table macros take the period grain: activity_counts('week')). The
first `--` line of a view's file is the view's Chinese COMMENT; its column comments come from
VIEW_COLUMNS (what a column holds in that view), else from the table named in COLUMNS_FROM_TABLE,
else from GLOSSARY (names that mean the same in every view). The `--` lines directly above a
`create macro` are the macro's COMMENT (COMMENT ON MACRO / COMMENT ON MACRO TABLE; read them in
duckdb_functions()), a line `参数名：说明` describing one parameter. The settings table is rewritten
from config/salespipe.toml first, so weights live in one place.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from salespipe.config import PROJECT_ROOT, Config
from salespipe.errors import SalespipeError
from salespipe.warehouse import rows, run

TRANSFORMS = PROJECT_ROOT / "transforms"
LAYERS = ("staging", "core", "marts")

GLOSSARY = {
    "activity_date": "日期", "week_start": "周一日期（ISO 周）", "month": "月份（该月第一天）", "quarter": "季度第一天",
    "half_year": "半年第一天", "year": "年度第一天", "period": "期间第一天",
    "salesperson_id": "业务员工号", "customer_code": "客户编码（存续编码：合并掉的旧编码已解析）",
    "calls": "电话量：联系方式为电话的日志行数", "faxes": "传真量", "emails": "e-mail量", "visits": "面访量（实际拜访数）",
    "bc_customers": "BC类客户量：期间内被记为 B/B1/C 类的不同客户数", "closed_customers": "成单客户量：有签单（订单或日志签单）的不同客户数",
    "lost_customers": "丢单客户量：有丢单日志且同期无签单的不同客户数", "followed_customers": "跟进客户量：有任何接受行或订单的不同客户数",
    "active_customers": "活跃客户数：有日志行的不同客户数", "new_customers": "新增客户量：由该业务员的行创建编码的客户数",
    "rejected_rows": "不合格行数", "win_rate": "成单率 = 成单客户量 / 跟进客户量（0..1）",
    "loss_rate": "丢单率 = 丢单客户量 / 跟进客户量（0..1）",
    "revenue_score": "销售收入得分 = 100 × 销售收入 / 销售收入目标", "profit_score": "销售利润得分 = 100 + 毛利增长率(%)",
    "visits_score": "实际拜访数得分 = 100 + 面访量增长率(%)", "active_rank_score": "活跃客户数得分 = 100 + 20 × 名次上升数",
    "service_rank_score": "销售执行（客户服务）得分：日常业务检查平均分的名次规则", "per_customer_score": "单户销量得分 = 100 × 单户销量 / 单户销量目标",
    "ability_score": "能力得分：六项加权平均（缺项时权重重新归一；全组合计行为空）", "quality_score": "素质得分：工作职责、工作态度、业务基本技能的平均（全组合计行为空）",
    "composite_score": "综合得分 = 0.3 × 素质 + 0.7 × 能力（全组合计行为空）", "composite_rank": "综合排名（并列取最好名次；全组合计行和缺综合得分者为空）",
    "missing": "缺少或按默认值计入的项目，各附原因（如「活跃客户数：首月无上期排名，按 100 计」「素质：本月没有评分」）", "as_of": "截至日期", "amount_due": "应收未收金额（元）", "days_overdue": "逾期天数",
    "order_date": "签单日期", "due_date": "约定回款日期", "amount": "合同金额（元）", "business_type": "业务类型",
    "source_file": "来源文件", "source_sheet": "来源工作表", "source_row": "来源行号", "customer_name": "客户名称", "event_date": "日期",
    "issue": "核对结果", "file": "来源文件", "sheet": "来源工作表", "row_number": "Excel 行号", "kind": "表格种类",
    "row_date": "该行日期（无日期时为收到日期）", "source": "来源：log 日志 / bc 登记 / order 订单", "method": "联系方式",
    "customer_class": "客户类别", "result": "结果", "stage": "跟进状态（1-7）", "gross_profit": "毛利（元）",
    "is_signed": "是否签单事件：订单，或结果为签单的日志行",
    "followup_frequency": "跟进频率 = 日志行数 / 活跃客户数",
    "need_type": "客户需求类型", "owner_id": "负责业务员工号（现在的负责人：创建时为首次录入的业务员，分配审批批准或改派后为新业务员）",
    "owner_name": "负责业务员姓名", "first_contact_date": "首次联系日期：日志或BC类登记中最早的日期",
    "last_contact_date": "最近联系日期：日志或BC类登记中最晚的日期（订单不算联系）",
    "furthest_stage": "达到的最远跟进状态（1-7）：日志中填写的最大跟进状态；没有填写时为空",
    "open_followup_nos": "未结束的跟单号：重点客户跟进表中结果既不是签单也不是丢单的有效跟单号（按号排序）",
    "revenue": "销售收入（元）：该客户全部订单的合同金额之和",
    "followup_no": "跟单号：日志行的跟单号，或订单关联的跟单号（orders.followup_no）；BC类登记与没有跟进的行为空",
}

# Names whose meaning depends on the view: said per view (a view's entry wins over the others).
TEAM_TOTAL_VIEWS = ("mart_activity_daily", "mart_activity_weekly", "mart_activity_monthly", "mart_scores_monthly",
                    "mart_scores_quarterly", "mart_scores_half_yearly", "mart_scores_yearly")
_STAGED_CODE = {"customer_code": "客户编码（行中记录的编码；被合并掉的旧编码在 core_events 中才解析为存续编码）"}
VIEW_COLUMNS: dict[str, dict[str, str]] = {
    **{view: {"salesperson_id": "业务员工号（全组合计行为空）", "name": "业务员姓名（全组合计行为“全组合计”）"}
       for view in TEAM_TOTAL_VIEWS},
    "stg_log_events": {**_STAGED_CODE, "event_date": "联系日期", "business_type": "推介业务类型"},
    "stg_bc_events": {**_STAGED_CODE, "event_date": "登记日期", "business_type": "业务类型（登记表没有推介业务，为空）"},
    "stg_order_events": {**_STAGED_CODE, "event_date": "签单日期", "result": "结果（订单恒为签单）"},
    "stg_rejected_rows": {"salesperson_id": "业务员工号（无法识别业务员的行为空，只计入全组）"},
    "core_events": {
        "event_date": "日期：联系日期 / 登记日期 / 签单日期",
        "method": "联系方式（仅日志事件）", "customer_class": "该行填写的客户类别（订单为空）",
        "result": "结果（订单事件为签单）", "stage": "跟进状态（1-7，仅日志事件）",
        "amount": "合同金额（元，仅订单事件）", "gross_profit": "毛利（元，仅订单事件）",
        "business_type": "业务类型：订单的业务类型；日志的推介业务，未填时取客户需求；BC类登记的客户需求；都没有时为空",
    },
    "core_salespeople": {"name": "业务员姓名", "is_selling": "是否销售岗位：岗位为空或属于设置 selling_roles（参与统计、排名、评分与分配）"},
    "mart_order_reconciliation": {"name": "业务员姓名", "month": "事件日期所在月份（该月第一天）",
                                  "event_date": "日志签单日期或订单签单日期",
                                  "customer_name": "客户名称（客户库中的写法）"},
    "mart_receivables_overdue": {"name": "客户名称（客户库中的写法）", "salesperson_id": "签单业务员工号",
                                 "amount_due": "应收未收金额（元）= 合同金额 − 已回款",
                                 "days_overdue": "逾期天数 = 截至日期 − 约定回款日期"},
    "mart_lead_outcomes": {
        "lead_id": "线索编号", "customer_name": "客户名称（线索表中的写法）",
        "source": "线索来源：网络打入 / 购买数据库 / 关系介绍 / 电话开发", "need_type": "客户需求类型",
        "acquired_on": "获取日期", "outcome": "去向：已分配 / 已驳回 / 已是客户（读入时或之后发现已在客户库中）/ 待审批",
        "decision": "审批结果（两位审批人一致后执行的决定）：批准 / 改派 / 驳回；未决定为空",
        "decided_on": "决定日期（两位审批人中较晚的审批日期）",
        "assigned_salesperson_id": "分到的业务员工号（批准或改派）", "assigned_name": "分到的业务员姓名",
        "customer_code": "对应的客户编码（存续编码）：由线索建立的客户，或它原来就是的客户",
        "contacts_since": "此后的联系次数：决定日期（无决定时为获取日期）起该客户的日志行与BC类登记数",
        "furthest_stage": "此后达到的最远跟进状态（1-7）；没有日志时为空",
        "revenue": "此后的销售收入（元）：决定日期（无决定时为获取日期）起该客户的订单合同金额之和",
    },
    "mart_customers": {"name": "公司名称（首次出现时的写法）",
                       "customer_class": "客户类别：日志或BC类登记中最近一次填写的（同一天取行号大者）"},
}
# Views that pass a table's columns through: those columns keep the table's comments.
COLUMNS_FROM_TABLE = {"core_salespeople": "salespeople"}


REQUIRED_SETTINGS = {
    "scores": ("weight_revenue", "weight_profit", "weight_visits", "weight_active_rank", "weight_service_rank",
               "weight_per_customer", "rank_step", "quality_share", "comparison", "cap", "selling_roles"),
    "rates": ("smoothing_k", "trailing_days"),
    "reconciliation": ("window_days",),
}


def write_settings(con, config: Config) -> None:
    """The settings table, from [scores], [rates] and [reconciliation] of the configuration."""
    values: dict[str, float | str] = {}
    for section, keys in REQUIRED_SETTINGS.items():
        given = config.raw.get(section, {})
        missing = [k for k in keys if k not in given]
        if missing:
            raise SalespipeError(f"配置文件缺少 [{section}] 中的设置：{'、'.join(missing)}",
                                 f"configuration lacks [{section}] {', '.join(missing)}")
        for key, value in given.items():
            values[key] = ",".join(value) if isinstance(value, list) else value
    if values["comparison"] not in ("环比", "同比"):
        raise SalespipeError("comparison 只能是 环比 或 同比", f"comparison must be 环比 or 同比, not {values['comparison']}")
    run(con, "delete from settings")
    for key, value in values.items():
        number = float(value) if isinstance(value, (int, float)) else None
        run(con, "insert into settings values (?, ?, ?)", [key, number, None if number is not None else str(value)])


def model_files(layer: str) -> list[Path]:
    """Helper macros (_*.sql) first, then views, then the other macro files."""
    files = sorted((TRANSFORMS / layer).glob("*.sql"))
    macros = [f for f in files if _is_macro_file(f)]
    return [f for f in macros if f.name.startswith("_")] + [f for f in files if f not in macros] + \
        [f for f in macros if not f.name.startswith("_")]


def _is_macro_file(path: Path) -> bool:
    body = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("--"))
    return body.lstrip().lower().startswith("create")


def models_fingerprint(con) -> str:
    """What the models depend on: their SQL text, their column comments and the settings."""
    digest = hashlib.sha256()
    for layer in LAYERS:
        for path in model_files(layer):
            digest.update(path.name.encode() + path.read_bytes())
    digest.update(repr((GLOSSARY, VIEW_COLUMNS, COLUMNS_FROM_TABLE)).encode())
    digest.update(repr(rows(con, "select key, number, text from settings order by key")).encode())
    return digest.hexdigest()


def build_marts(con, config: Config, force: bool = False) -> list[str]:
    """(Re)create every model unless nothing they depend on changed; returns the views made."""
    write_settings(con, config)
    fingerprint = models_fingerprint(con)
    built = rows(con, "select fingerprint from model_builds")
    views_exist = rows(con, "select count(*) from duckdb_views() where view_name = 'mart_activity_daily'")[0][0]
    if not force and views_exist and built and built[0][0] == fingerprint:
        return []
    views = []
    for layer in LAYERS:
        for path in model_files(layer):
            sql = path.read_text(encoding="utf-8")
            if _is_macro_file(path):
                for statement in con.extract_statements(sql):
                    con.execute(statement).complete()
                _comment_macros(con, sql)
                continue
            name = path.stem
            run(con, f"create or replace view {name} as {sql}")
            _comment(con, name, sql)
            views.append(name)
    run(con, "delete from model_builds")
    run(con, "insert into model_builds values (?, now())", [fingerprint])
    return views


def _comment(con, view: str, sql: str) -> None:
    first = sql.splitlines()[0]
    comment = first.lstrip("-").strip() if first.startswith("--") else view
    run(con, f"comment on view {view} is {_quote(comment)}")
    inherited = dict(rows(con, "select column_name, comment from duckdb_columns() where table_name = ? "
                               "and comment is not null", [COLUMNS_FROM_TABLE.get(view, "")]))
    texts = {**GLOSSARY, **inherited, **VIEW_COLUMNS.get(view, {})}
    for (column,) in rows(con, "select column_name from duckdb_columns() where table_name = ?", [view]):
        if column in texts:
            run(con, f"comment on column {view}.{column} is {_quote(texts[column])}")


_CREATE_MACRO = re.compile(r"create\s+(?:or\s+replace\s+)?macro\s+(\w+)", re.IGNORECASE)


def macro_comments(sql: str) -> dict[str, str]:
    """Each macro's comment: the `--` lines directly above its `create … macro` (no blank line between)."""
    found, block = {}, []
    for line in sql.splitlines():
        text = line.strip()
        if text.startswith("--"):
            block.append(text.lstrip("-").strip())
            continue
        created = _CREATE_MACRO.match(text)
        if created and block:
            found[created[1]] = "\n".join(block)
        block = []
    return found


def _comment_macros(con, sql: str) -> None:
    for name, comment in macro_comments(sql).items():
        kind = rows(con, "select function_type from duckdb_functions() where function_name = ? and not internal", [name])
        target = "macro table" if kind and kind[0][0] == "table_macro" else "macro"
        run(con, f"comment on {target} {name} is {_quote(comment)}")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
