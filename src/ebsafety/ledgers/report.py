"""The error report: the rejected rows as submitted, bad cells highlighted, the reasons beside them."""

from __future__ import annotations

import datetime
import io
from typing import Any

import xlsxwriter

from ebsafety.core.exports import neutralise


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return neutralise(value) if isinstance(value, str) else value


def error_report(outcome: Any) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet("错误行")
    header_format = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    bad = workbook.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "border": 1})
    message_format = workbook.add_format({"font_color": "#9C0006", "text_wrap": True})
    headers = ["原行号", *outcome.header_cells, "错误说明"]
    for c, text in enumerate(headers):
        sheet.write_string(0, c, str(text), header_format)
    sheet.set_column(len(headers) - 1, len(headers) - 1, 60)
    for r, parsed in enumerate(outcome.rejected_rows, start=1):
        sheet.write_number(r, 0, parsed.row)
        for c, value in enumerate(parsed.raw[: len(outcome.header_cells)]):
            cell = _cell(value)
            fmt = bad if c in parsed.bad_columns else None
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                sheet.write_number(r, c + 1, cell, fmt)
            else:
                sheet.write_string(r, c + 1, str(cell), fmt)
        messages = "；".join(f"{e.column}：{e.message}" for e in parsed.errors)
        sheet.write_string(r, len(headers) - 1, messages, message_format)
    sheet.freeze_panes(1, 1)
    workbook.close()
    return buffer.getvalue()
