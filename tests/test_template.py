"""`salespipe template`: blank workbooks with drop-downs that come back through ingest."""
import datetime as dt

import openpyxl
from salespipe.cli import main
from salespipe.ingest.kinds import KINDS
from salespipe.template import write_templates


def test_one_template_per_kind_with_headers_and_instructions(tmp_path):
    paths = write_templates(tmp_path)
    assert sorted(p.stem for p in paths) == sorted(k.name for k in KINDS)
    wb = openpyxl.load_workbook(tmp_path / "销售日志表.xlsx")
    ws = wb["销售日志表"]
    assert [c.value for c in ws[1]][:4] == ["日期", "业务员", "工号", "客户名称"]
    assert ws.freeze_panes == "A2"
    assert "填写说明" in wb.sheetnames and wb["_选项"].sheet_state == "hidden"
    assert wb["填写说明"]["A5"].value == "日期" and wb["填写说明"]["B5"].value == "必填"


def test_enumerated_columns_have_drop_downs(tmp_path):
    write_templates(tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "销售日志表.xlsx")
    ws, options = wb["销售日志表"], wb["_选项"]
    header = {c.value: c.column_letter for c in ws[1]}
    lists = {}
    for dv in ws.data_validations.dataValidation:
        ref = dv.formula1.split("!")[1].replace("$", "")
        first, last = ref.split(":")
        values = [c.value for row in options[first:last] for c in row]
        for rng in dv.sqref.ranges:
            lists[rng.coord.split(":")[0].rstrip("0123456789")] = values
    assert lists[header["联系方式"]] == ["电话", "传真", "E-mail", "面访"]
    assert lists[header["结果"]] == ["签单", "继续跟进", "丢单", "未跟进"]
    assert lists[header["客户类别"]] == ["A", "A1", "B", "B1", "C"]
    assert lists[header["跟进状态"]][2] == "3.已发方案或提纲"
    assert set(lists) == {header[h] for h in ("行业", "客户类别", "客户来源", "联系方式", "推介业务", "客户需求", "跟进状态", "结果")}


def test_a_filled_in_template_is_ingested(project, tmp_path):
    write_templates(tmp_path / "t")
    wb = openpyxl.load_workbook(tmp_path / "t" / "业务员名册.xlsx")
    wb.active.append(["S001", "张三", "CC", "", "在职", dt.date(2025, 1, 1)])
    wb.save(project.inbox / "名册.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "t" / "销售日志表.xlsx")
    ws = wb.active
    values = {"日期": dt.date(2026, 11, 26), "业务员": "张三", "客户名称": "天津市格致企业管理咨询有限公司", "联系人": "王经理",
              "联系电话": "02223456789", "地址": "天津市南开区复康路12号", "客户类别": "B", "联系方式": "面访",
              "跟进状态": "3.已发方案或提纲", "结果": "继续跟进", "推介业务": "企业内训"}
    for cell in ws[1]:
        ws.cell(2, cell.column, values.get(cell.value))
    wb.save(project.inbox / "日志.xlsx")
    summary = project.ingest()
    assert summary.rows_rejected == 0
    assert project.query("select method, stage, business_type, flags from activities") == [("面访", 3, "企业内训", [])]


def test_template_command_writes_the_files(tmp_path, capsys):
    assert main(["template", "--out", str(tmp_path / "out")]) == 0
    assert len(list((tmp_path / "out").glob("*.xlsx"))) == len(KINDS)
    assert "销售日志表.xlsx" in capsys.readouterr().out
