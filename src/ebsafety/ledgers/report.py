"""The error report: the rejected rows as submitted, bad cells highlighted, the reasons beside them."""

from __future__ import annotations

import datetime
import gzip
import io
import json
from typing import Any

import xlsxwriter
from django.core.files.base import ContentFile

from ebsafety.core.exports import neutralise


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return neutralise(value) if isinstance(value, str) else value


def rejected_rows_file(header_cells: list[Any], rejected: list[Any]) -> bytes:
    """The rejected rows as the report shows them (gzipped JSON): the header, and per row its number, its
    cells as submitted (text neutralised, dates as ISO text), the positions of its bad cells and the reasons.
    Kept with the batch; the xlsx report is drawn from it when first downloaded (`render_error_report`), not
    during the import: at a million rows with ten thousand rejected that took a second of the import's
    interpreter, beside its write."""
    width = len(header_cells)
    rows = [
        [
            parsed.row,
            [_cell(value) for value in parsed.raw[:width]],
            sorted(parsed.bad_columns),
            "；".join(f"{e.column}：{e.message}" for e in parsed.errors),
        ]
        for parsed in rejected
    ]
    text = json.dumps({"header": [str(h) for h in header_cells], "rows": rows}, ensure_ascii=False)
    return gzip.compress(text.encode("utf-8"), compresslevel=1)


def render_error_report(rejected: bytes) -> bytes:
    """The error report (xlsx) of a `rejected_rows_file`: the rows as submitted, their bad cells highlighted,
    the reasons beside them."""
    data = json.loads(gzip.decompress(rejected))
    header_cells = data["header"]
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
    headers = ["原行号", *header_cells, "错误说明"]
    for c, text in enumerate(headers):
        sheet.write_string(0, c, text, header_format)
    sheet.set_column(len(headers) - 1, len(headers) - 1, 60)
    for r, (row, cells, bad_columns, messages) in enumerate(data["rows"], start=1):
        sheet.write_number(r, 0, row)
        marked = set(bad_columns)
        for c, cell in enumerate(cells):
            fmt = bad if c in marked else None
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                sheet.write_number(r, c + 1, cell, fmt)
            else:
                sheet.write_string(r, c + 1, str(cell), fmt)
        sheet.write_string(r, len(headers) - 1, messages, message_format)
    sheet.freeze_panes(1, 1)
    workbook.close()
    return buffer.getvalue()


def error_report_of(batch: Any) -> Any:
    """The batch's error report (a FieldFile), drawn from its rejected rows and kept on first use; None
    when no row was rejected. Batches imported before the rows were kept have their report already."""
    if batch.error_report or not batch.rejected_file:
        return batch.error_report or None
    with batch.rejected_file.open("rb") as handle:
        report = render_error_report(handle.read())
    batch.error_report.save(f"batch-{batch.pk}-errors.xlsx", ContentFile(report), save=False)
    type(batch).objects.filter(pk=batch.pk).update(error_report=batch.error_report.name)
    return batch.error_report
