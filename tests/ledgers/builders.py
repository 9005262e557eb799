"""Builders of ledger files for tests: the shapes clerks send, and worse."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from stdnum.cn import ric

HEADER = [
    "序号",
    "小区名称",
    "楼栋单元",
    "车主姓名",
    "身份证号",
    "手机号",
    "号牌类型",
    "车牌号",
    "品牌",
    "车架号",
    "电池类型",
    "电池数量",
    "电池电压(V)",
    "是否超标",
    "车辆用途",
    "停放地点",
    "充电方式",
    "登记日期",
    "备注",
]


def make_id(index: int, birth: datetime.date = datetime.date(1985, 3, 14)) -> str:
    body = f"110115{birth:%Y%m%d}{index % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def bike_row(index: int, **overrides: Any) -> list[Any]:
    values = {
        "序号": index,
        "小区名称": "甲一小区",
        "楼栋单元": f"{index % 9 + 1}号楼1单元",
        "车主姓名": f"车主{index}",
        "身份证号": make_id(index),
        "手机号": f"139{index:08d}",
        "号牌类型": "正式号牌",
        "车牌号": f"京A{index:05d}",
        "品牌": "雅迪",
        "车架号": f"FRAME{index:07d}",
        "电池类型": "锂电池",
        "电池数量": 1,
        "电池电压(V)": 48,
        "是否超标": "否",
        "车辆用途": "自用",
        "停放地点": "小区集中车棚",
        "充电方式": "集中充电",
        "登记日期": "2026-10-01",
        "备注": "",
    }
    values.update(overrides)
    return [values[h] for h in HEADER]


def write_xlsx(
    path: Path,
    rows: list[list[Any]],
    *,
    title: bool = True,
    footer: bool = True,
    merge_compound: tuple[int, int] | None = None,
    header: list[str] = HEADER,
) -> Path:
    """Title + 填报单位 rows above the header, 合计/填表人 rows below; optionally a merged 小区名称 block
    over data rows [first, last] (0-based indices into `rows`)."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("台账")
    r = 0
    if title:
        sheet.merge_range(0, 0, 0, len(header) - 1, "电动自行车排查台账")
        sheet.write(1, 0, "填报单位（盖章）：甲村村民委员会")
        r = 2
    for c, text in enumerate(header):
        sheet.write_string(r, c, text)
    first_data = r + 1
    for i, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, int | float):
                sheet.write_number(first_data + i, c, value)
            else:
                sheet.write_string(first_data + i, c, str(value))
    if merge_compound is not None:
        first, last = merge_compound
        column = header.index("小区名称")
        sheet.merge_range(first_data + first, column, first_data + last, column, rows[first][column])
    if footer:
        end = first_data + len(rows)
        sheet.write(end, 0, f"合计：{len(rows)}辆")
        sheet.write(end + 2, 0, "填表人：张三")
        sheet.write(end + 2, 5, "审核人：李四")
    workbook.close()
    return path


def write_csv(
    path: Path, rows: list[list[Any]], encoding: str = "utf-8-sig", header: list[str] = HEADER
) -> Path:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path
