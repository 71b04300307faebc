"""The warehouse tables: names, types and the Chinese COMMENT of every table and column.

This is the one place the tables are declared; `create_tables` builds them and
`docs/data-dictionary.md` is generated from the comments the warehouse then carries.
"""
from __future__ import annotations

SOURCE_COLUMNS = [
    ("source_file", "VARCHAR", "来源文件名"),
    ("source_sheet", "VARCHAR", "来源工作表"),
    ("source_row", "INTEGER", "来源 Excel 行号"),
    ("file_sha256", "VARCHAR", "来源文件内容哈希（SHA-256）"),
]

# What a log or registration row says about its salesperson and customer.
ROW_CUSTOMER_COLUMNS = [
    ("salesperson_id", "VARCHAR", "业务员工号"),
    ("customer_code", "VARCHAR", "客户编码"),
    ("customer_name", "VARCHAR", "表中填写的客户名称"),
    ("contact", "VARCHAR", "联系人"),
    ("phone", "VARCHAR", "联系电话（规范化）"),
    ("address", "VARCHAR", "地址"),
    ("industry", "VARCHAR", "行业"),
    ("customer_name_written", "VARCHAR", "客户名称：单元格里原样的文字（清理前）；与 customer_name 相同时为空，coalesce(customer_name_written, customer_name) 即原文"),
    ("contact_written", "VARCHAR", "联系人：单元格里原样的文字（清理前）；与 contact 相同时为空"),
    ("phone_written", "VARCHAR", "联系电话：单元格里原样的文字（规范化前）；与 phone 相同时为空"),
]

# The marker that says a DuckDB file is a salespipe warehouse (see warehouse.py): one row, written when
# salespipe creates the file. Raise SCHEMA_VERSION when a change to the tables would mislead an older salespipe
# writing into the file (it then refuses to write); adding a table or a column needs no raise.
MARKER = "salespipe_meta"
PRODUCT = "salespipe"
SCHEMA_VERSION = 1

TABLES: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    MARKER: ("数据仓库标记：本文件是 salespipe 的数据仓库（一行）；没有它而有其他表的 DuckDB 文件不会被写入", [
        ("product", "VARCHAR", "产品名称：salespipe"),
        ("schema_version", "INTEGER", "表结构版本：写入本仓库的 salespipe 中最新的一个；比程序自己的版本新时，程序拒绝写入"),
        ("created_at", "TIMESTAMPTZ", "仓库创建时间（加标记之前就有的仓库：最早一次读取文件的时间）"),
    ]),
    "ingested_files": ("已读取文件：每次运行见到的每个文件一行", [
        ("sha256", "VARCHAR", "文件内容哈希（SHA-256），相同内容只读取一次"),
        ("path", "VARCHAR", "读取时的文件路径"),
        ("file_name", "VARCHAR", "文件名"),
        ("status", "VARCHAR", "状态：ingested 已读取 / skipped 重复跳过 / superseded 已被更正文件取代 / rejected 无法读取"),
        ("kinds", "VARCHAR[]", "文件中识别出的表格种类"),
        ("rows_accepted", "INTEGER", "接受的行数"),
        ("rows_rejected", "INTEGER", "退回的行数"),
        ("reason", "VARCHAR", "无法读取或跳过的原因"),
        ("archived_to", "VARCHAR", "处理后移动到的位置"),
        ("run_id", "VARCHAR", "运行编号"),
        ("ingested_at", "TIMESTAMPTZ", "读取时间"),
        ("received_at", "TIMESTAMPTZ", "交来的时间：文件的修改时间（最后保存的时间）；是否在截止时间前更正以它为准"),
    ]),
    "rejects": ("退回记录：无法使用的行或文件，每个问题一行", [
        ("file", "VARCHAR", "来源文件名"),
        ("sheet", "VARCHAR", "来源工作表（文件无法读取时为空）"),
        ("row_number", "INTEGER", "Excel 行号（整个文件或工作表有问题时为空）"),
        ("column_name", "VARCHAR", "有问题的列（中文列名）"),
        ("value", "VARCHAR", "填写的原值"),
        ("reason", "VARCHAR", "退回原因（给业务员看的中文说明）"),
        ("salesperson_id", "VARCHAR", "业务员工号（能识别时）"),
        ("salesperson_name", "VARCHAR", "表中填写的业务员姓名"),
        ("kind", "VARCHAR", "表格种类"),
        ("row_date", "DATE", "该行的日期（用于按期间统计不合格行数）"),
        ("received_on", "DATE", "收到日期（运行当天，行内没有可用日期时用它归入期间）"),
        ("file_sha256", "VARCHAR", "来源文件内容哈希"),
        ("superseded_by", "VARCHAR", "被哪个更正文件（哈希）取代；为空表示仍有效"),
        ("run_id", "VARCHAR", "运行编号"),
        ("customer_name", "VARCHAR", "该行填写的客户名称，原样（业务员据此找到这一行；没有填写时为空）"),
        ("contact", "VARCHAR", "该行填写的联系人，原样"),
        ("superseded_on", "DATE", "被更正文件取代的日期（读取更正文件的运行当天）"),
    ]),
    "skipped_rows": ("跳过的行：工作表里不是记录的非空行（表头、标题、合计、说明、模板示例和提示行）及跳过的工作表，各附原因", [
        ("file", "VARCHAR", "来源文件名"),
        ("sheet", "VARCHAR", "来源工作表"),
        ("row_number", "INTEGER", "Excel 行号（整个工作表跳过时为空）"),
        ("reason", "VARCHAR", "跳过原因"),
        ("kind", "VARCHAR", "表格种类（能识别时）"),
        ("file_sha256", "VARCHAR", "来源文件内容哈希"),
        ("run_id", "VARCHAR", "运行编号"),
    ]),
    "salespeople": ("业务员名册：每人一行，以工号区分", [
        ("salesperson_id", "VARCHAR", "工号"),
        ("name", "VARCHAR", "姓名"),
        ("role", "VARCHAR", "岗位：CC / KAE / 内勤 / 经理 / 行政经理 / 总经理（行政经理与总经理审批分配建议）"),
        ("team", "VARCHAR", "小组"),
        ("status", "VARCHAR", "状态：在职 / 离职"),
        ("hired_on", "DATE", "入职日期"),
        ("left_on", "DATE", "离职日期"),
        ("specialties", "VARCHAR[]", "特长（业务类型）"),
        ("followup_ability", "DOUBLE", "跟单能力（1-5）"),
        ("communication", "DOUBLE", "沟通技巧（1-5）"),
        ("capacity", "INTEGER", "客户容量（最多拥有的活跃客户数）"),
        ("email", "VARCHAR", "邮箱"),
        *SOURCE_COLUMNS,
    ]),
    "customers": ("客户基本信息表：每个客户只出现一次（仅保留存续编码）", [
        ("customer_code", "VARCHAR", "客户编码（KH+6位流水号，永不重复使用）"),
        ("name", "VARCHAR", "公司名称（首次出现时的写法）"),
        ("name_key", "VARCHAR", "名称比对键（规范化后）"),
        ("contact", "VARCHAR", "联系人（最近一次记录）"),
        ("phone", "VARCHAR", "联系电话（规范化：手机11位，座机带区号）"),
        ("address", "VARCHAR", "地址（最近一次填写）"),
        ("industry", "VARCHAR", "行业"),
        ("customer_class", "VARCHAR", "客户类别：A / A1 / B / B1 / C（最近一次填写）"),
        ("source", "VARCHAR", "客户来源"),
        ("owner_id", "VARCHAR", "负责业务员工号"),
        ("first_seen", "DATE", "首次出现日期"),
        ("last_contact", "DATE", "最近联系日期"),
        ("created_from_file", "VARCHAR", "首次出现的文件"),
        ("created_by", "VARCHAR", "首次录入该客户的业务员工号"),
        ("created_run_id", "VARCHAR", "创建该编码的运行编号"),
    ]),
    "customer_aliases": ("客户别名：名称的其他写法或被合并的旧编码", [
        ("alias_code", "VARCHAR", "被合并掉的旧编码（否则为空）"),
        ("alias_name", "VARCHAR", "名称的一种写法（否则为空）"),
        ("alias_key", "VARCHAR", "该写法的比对键"),
        ("customer_code", "VARCHAR", "存续客户编码"),
        ("created_at", "TIMESTAMPTZ", "记录时间"),
    ]),
    "customer_evidence": ("客户匹配用的证据：每个客户在日志和BC登记中出现过的（电话、联系人、行业、地址）组合，每种一行；每晚只追加当晚的新组合，匹配时不必汇总全部历史", [
        ("customer_code", "VARCHAR", "记录时的客户编码（已被合并的编码经客户别名解析为存续编码）"),
        ("phone", "VARCHAR", "联系电话（规范化）"),
        ("contact", "VARCHAR", "联系人"),
        ("industry", "VARCHAR", "行业"),
        ("address", "VARCHAR", "地址"),
    ]),
    "activities": ("销售日志：每条被接受的联系记录一行", [
        ("activity_date", "DATE", "联系日期"),
        *ROW_CUSTOMER_COLUMNS,
        ("customer_class", "VARCHAR", "客户类别"),
        ("source", "VARCHAR", "客户来源"),
        ("method", "VARCHAR", "联系方式：电话 / 传真 / E-mail / 面访"),
        ("business_type", "VARCHAR", "推介业务类型"),
        ("business_detail", "VARCHAR", "推介业务类别或课程"),
        ("need_type", "VARCHAR", "客户需求类型"),
        ("need_detail", "VARCHAR", "客户需求类别或课程"),
        ("stage", "INTEGER", "跟进状态（1-7）"),
        ("result", "VARCHAR", "结果：签单 / 继续跟进 / 丢单 / 未跟进"),
        ("followup_no", "VARCHAR", "跟单号"),
        ("maintenance", "VARCHAR", "客户维护记录"),
        ("note", "VARCHAR", "备注"),
        ("flags", "VARCHAR[]", "不合标准但已接受的标记：非全称 / 地址不完整 / 状态与结果不一致"),
        ("extra", "JSON", "表中多出的列（原样保存）"),
        *SOURCE_COLUMNS,
        ("run_id", "VARCHAR", "运行编号"),
    ]),
    "customer_match_review": ("待人工确认的客户匹配：可能是同一客户的两个编码（salespipe review 生成确认表）；之后的数据表明是两家客户的，自动移出", [
        ("left_code", "VARCHAR", "客户编码（较早）"),
        ("right_code", "VARCHAR", "客户编码（较晚）"),
        ("left_name", "VARCHAR", "较早编码的客户名称"),
        ("right_name", "VARCHAR", "较晚编码的客户名称"),
        ("score", "DOUBLE", "匹配得分（越高越可能是同一客户）"),
        ("reasons", "VARCHAR", "得分理由"),
        ("created_run_id", "VARCHAR", "提出该配对的运行编号"),
        ("created_at", "TIMESTAMPTZ", "提出时间"),
    ]),
    "customer_match_decisions": ("客户匹配的人工决定：同一客户则合并，不同则不再提出", [
        ("left_code", "VARCHAR", "客户编码"),
        ("right_code", "VARCHAR", "客户编码"),
        ("same", "BOOLEAN", "是否同一客户"),
        ("survivor_code", "VARCHAR", "合并后保留的编码（较早的编码）"),
        ("reviewer", "VARCHAR", "审核人"),
        ("decided_at", "TIMESTAMPTZ", "执行时间"),
        ("source_file", "VARCHAR", "确认表文件名"),
        ("source_row", "INTEGER", "确认表行号"),
    ]),
    "followups": ("重点客户跟进表：每个（客户，业务类型）一个跟单号", [
        ("followup_no", "VARCHAR", "跟单号（GD+6位流水号）"),
        ("customer_code", "VARCHAR", "客户编码"),
        ("business_type", "VARCHAR", "跟进业务类型"),
        ("developed_on", "DATE", "开发日期（首次联系）"),
        ("last_followup_on", "DATE", "最近跟进日期"),
        ("last_stage", "INTEGER", "最近跟进状态（1-7）"),
        ("planned_on", "DATE", "计划实施日期"),
        ("headcount", "INTEGER", "人数"),
        ("note", "VARCHAR", "备注"),
        ("result", "VARCHAR", "结果：最近一行日志的结果；有关联订单（orders.followup_no）且其后没有日志行时为 签单（状态为 7）"),
        ("result_analysis", "VARCHAR", "结果分析"),
        ("salesperson_id", "VARCHAR", "业务员工号"),
        ("customer_class", "VARCHAR", "类型（客户类别）"),
        ("first_source", "VARCHAR", "首次出现的文件、工作表和行（决定编号顺序）"),
        ("merged_into", "VARCHAR", "客户合并后重复的跟单号并入的跟单号（为空表示有效）"),
    ]),
    "bc_registrations": ("BC类客户登记表：每条被接受的登记一行", [
        ("register_date", "DATE", "登记日期"),
        *ROW_CUSTOMER_COLUMNS,
        ("customer_class", "VARCHAR", "客户类别：B / B1 / C"),
        ("source", "VARCHAR", "客户来源"),
        ("need_type", "VARCHAR", "客户需求类型"),
        ("need_detail", "VARCHAR", "客户需求类别"),
        ("note", "VARCHAR", "备注"),
        ("flags", "VARCHAR[]", "不合标准但已接受的标记"),
        ("extra", "JSON", "表中多出的列"),
        *SOURCE_COLUMNS,
        ("run_id", "VARCHAR", "运行编号"),
    ]),
    "orders": ("销售业绩登记表：每张订单一行（业绩以此为准）", [
        ("order_date", "DATE", "签单日期"),
        ("salesperson_id", "VARCHAR", "业务员工号"),
        ("customer_code", "VARCHAR", "客户编码"),
        ("customer_name", "VARCHAR", "表中填写的客户名称"),
        ("customer_name_written", "VARCHAR", "客户名称：单元格里原样的文字（清理前）；与 customer_name 相同时为空"),
        ("business_type", "VARCHAR", "业务类型"),
        ("business_detail", "VARCHAR", "业务类别或课程"),
        ("amount", "DECIMAL(18,2)", "合同金额（元）"),
        ("cost", "DECIMAL(18,2)", "成本（元）"),
        ("gross_profit", "DECIMAL(18,2)", "毛利（元）；未填时为 合同金额 − 成本"),
        ("paid", "DECIMAL(18,2)", "已回款（元）"),
        ("due_date", "DATE", "约定回款日期"),
        ("headcount", "INTEGER", "人数"),
        ("followup_no", "VARCHAR", "关联的跟单号：客户（合并后的存续编码）与业务类型的有效跟单号；表中填写的跟单号须正是它，否则该行退回；没有这样的跟进时为空"),
        ("note", "VARCHAR", "备注"),
        ("extra", "JSON", "表中多出的列"),
        *SOURCE_COLUMNS,
        ("run_id", "VARCHAR", "运行编号"),
    ]),
    "targets": ("月度目标：每人每月一行（后提交的覆盖先提交的）", [
        ("month", "DATE", "月份（该月第一天）"),
        ("salesperson_id", "VARCHAR", "业务员工号"),
        ("revenue_target", "DECIMAL(18,2)", "销售收入目标（元）"),
        ("per_customer_target", "DECIMAL(18,2)", "单户销量目标（元）"),
        ("profit_target", "DECIMAL(18,2)", "利润目标（元）"),
        ("visit_target", "INTEGER", "拜访目标（次）"),
        *SOURCE_COLUMNS,
    ]),
    "quality_ratings": ("业务素质评分：每人每月一行", [
        ("month", "DATE", "月份（该月第一天）"),
        ("salesperson_id", "VARCHAR", "业务员工号"),
        ("duty_score", "DOUBLE", "工作职责（0-100）"),
        ("attitude_score", "DOUBLE", "工作态度（0-100）"),
        ("skill_score", "DOUBLE", "业务基本技能（0-100）"),
        ("rater", "VARCHAR", "评分人"),
        *SOURCE_COLUMNS,
    ]),
    "inspections": ("日常业务检查记录：每次检查一行", [
        ("inspect_date", "DATE", "检查日期"),
        ("salesperson_id", "VARCHAR", "业务员工号"),
        ("total_score", "DOUBLE", "总得分（0-100）"),
        ("inspector", "VARCHAR", "检查人"),
        ("issues", "VARCHAR", "存在的问题"),
        *SOURCE_COLUMNS,
    ]),
    "leads": ("待分配客户：每条线索一行", [
        ("lead_id", "VARCHAR", "线索编号（XS + 6 位顺序号，读入时给出，不重复使用）"),
        ("customer_name", "VARCHAR", "客户名称"),
        ("name_key", "VARCHAR", "名称比对键"),
        ("customer_code", "VARCHAR", "线索对应的客户编码：读入时已是客户的，或审批批准/改派后由它建立的客户"),
        ("contact", "VARCHAR", "联系人"),
        ("phone", "VARCHAR", "联系电话（规范化）"),
        ("address", "VARCHAR", "地址"),
        ("industry", "VARCHAR", "行业"),
        ("need_type", "VARCHAR", "客户需求类型"),
        ("need_detail", "VARCHAR", "客户需求类别"),
        ("source", "VARCHAR", "来源：网络打入 / 购买数据库 / 关系介绍 / 电话开发"),
        ("acquired_on", "DATE", "获取日期"),
        ("customer_name_written", "VARCHAR", "客户名称：单元格里原样的文字（清理前）；与 customer_name 相同时为空"),
        ("contact_written", "VARCHAR", "联系人：单元格里原样的文字（清理前）；与 contact 相同时为空"),
        ("phone_written", "VARCHAR", "联系电话：单元格里原样的文字（规范化前）；与 phone 相同时为空"),
        *SOURCE_COLUMNS,
    ]),
    "assignment_approvals": ("分配审批表中填写的审批（原样保存；执行结果见 assignment_decisions）", [
        ("decision", "VARCHAR", "审批结果：批准 / 驳回 / 改派"),
        ("reassign_to", "VARCHAR", "改派业务员"),
        ("approver", "VARCHAR", "审批人"),
        ("approved_on", "DATE", "审批日期"),
        ("customer_code", "VARCHAR", "客户编码"),
        ("customer_name", "VARCHAR", "客户名称"),
        ("recommended_id", "VARCHAR", "建议业务员工号"),
        ("action", "VARCHAR", "建议类型"),
        ("reason", "VARCHAR", "建议理由"),
        ("lead_id", "VARCHAR", "线索编号（新客户分配的行）"),
        ("approver_id", "VARCHAR", "审批人工号（名册中岗位为审批岗位的人）"),
        ("approver_role", "VARCHAR", "审批人岗位（行政经理 / 总经理）"),
        ("to_salesperson_id", "VARCHAR", "该审批要交给的业务员工号：批准为建议业务员，改派为改派业务员，驳回为空"),
        ("settled_at", "TIMESTAMPTZ", "该审批被执行（或被同一事项的决定结清）的时间；为空且有审批结果时在等待另一位审批人"),
        ("extra", "JSON", "审批表中的其他列（建议内容等）"),
        *SOURCE_COLUMNS,
        ("recommended_on", "DATE", "建议日期：该行所在分配建议表的日期（审批日期不得早于它）"),
    ]),
    "settings": ("统计口径设置：每次重建统计视图时从配置文件写入（权重、比较期、平滑常数等）", [
        ("key", "VARCHAR", "设置项"),
        ("number", "DOUBLE", "数值"),
        ("text", "VARCHAR", "文字值"),
    ]),
    "model_builds": ("统计视图的构建记录：模型 SQL 与设置未变时不重建", [
        ("fingerprint", "VARCHAR", "模型 SQL 文件与设置的指纹（SHA-256）"),
        ("built_at", "TIMESTAMPTZ", "构建时间"),
    ]),
    "assignment_decisions": ("已执行的分配决定：谁、何时、从谁到谁、为什么", [
        ("decided_on", "DATE", "审批日期"),
        ("customer_code", "VARCHAR", "客户编码"),
        ("from_salesperson_id", "VARCHAR", "原业务员工号"),
        ("to_salesperson_id", "VARCHAR", "新业务员工号"),
        ("decision", "VARCHAR", "审批结果"),
        ("approver", "VARCHAR", "审批人：两位审批人的姓名（工号），以、分隔"),
        ("reason", "VARCHAR", "理由：建议理由；改派时为按改派业务员重新计算的理由"),
        ("source_file", "VARCHAR", "来源文件名"),
        ("action", "VARCHAR", "建议类型：新客户分配 / 冲突客户转移 / 客户回收"),
        ("source_row", "INTEGER", "审批表行号"),
        ("recorded_at", "TIMESTAMPTZ", "执行时间"),
        ("lead_id", "VARCHAR", "线索编号（新客户分配的决定；其他为空）"),
    ]),
    "deliveries": ("邮件投递记录：每封报告或反馈邮件的每个收件人一行；status 为 sent 的不再重发（重跑、重试都一样）", [
        ("kind", "VARCHAR", "邮件种类：daily 日报 / weekly 周报 / monthly 月报 / feedback 日志核对反馈 / leavers 离职业务员交来的日志（给行政经理）"),
        ("period", "DATE", "期间第一天（日报为当天，周报为周一，月报为 1 日；反馈为日志日期）"),
        ("item", "VARCHAR", "报告为空字符串；反馈为业务员工号"),
        ("recipient", "VARCHAR", "收件人邮箱"),
        ("status", "VARCHAR", "sent 服务器已接收 / refused 被拒收（5xx，不自动重试）/ failed 暂时失败（4xx 或连接中断，重试后仍失败）"),
        ("reply", "VARCHAR", "服务器的答复（代码和原文）"),
        ("attempts", "INTEGER", "本次运行的尝试次数（1 + 重试次数）"),
        ("sent_at", "TIMESTAMPTZ", "得到答复的时间"),
        ("subject", "VARCHAR", "邮件主题"),
    ]),
}

# Superseded log rows keep everything the live table has, plus when and by what.
TABLES["activities_superseded"] = ("被更正文件取代的销售日志行（保留历史，不参与统计）", [
    *TABLES["activities"][1],
    ("superseded_by", "VARCHAR", "取代它的文件哈希"),
    ("superseded_at", "TIMESTAMPTZ", "取代时间"),
])


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# the distinct (customer, phone, contact, industry, address) of the log and BC rows that `where` selects
EVIDENCE_OF_ROWS = """
    select distinct customer_code, phone, contact, industry, address from (
        select customer_code, phone, contact, industry, address from activities where {where}
        union all select customer_code, phone, contact, industry, address from bc_registrations where {where})
    where customer_code is not null"""


def create_tables(con) -> None:
    """Create every missing table, and add columns that later versions added (idempotent)."""
    existing = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    columns_of: dict[str, set[str]] = {}
    for table, column in con.execute("select table_name, column_name from duckdb_columns()").fetchall():
        columns_of.setdefault(table, set()).add(column)
    for table, (comment, columns) in TABLES.items():
        if table not in existing:
            body = ", ".join(f"{name} {sql_type}" for name, sql_type, _ in columns)
            con.execute(f"create table {table} ({body})").complete()
            con.execute(f"comment on table {table} is {_quote(comment)}").complete()
        present = columns_of.get(table, set()) if table in existing else set()
        for name, sql_type, col_comment in columns:
            if name in present:
                continue
            if table in existing:
                con.execute(f"alter table {table} add column {name} {sql_type}").complete()
            con.execute(f"comment on column {table}.{name} is {_quote(col_comment)}").complete()
    if "customer_evidence" not in existing and {"activities", "bc_registrations"} <= existing:
        con.execute(f"insert into customer_evidence {EVIDENCE_OF_ROWS.format(where='true')}").complete()  # an older warehouse
