"""Exports of list pages: CSV or XLSX, always of a scoped queryset, with spreadsheet formulas neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

import xlsxwriter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return value
    return neutralise(str(value))


def write_csv(rows: Iterable[Iterable[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([plain(v) for v in row])
    # UTF-8 with BOM: Excel and WPS open it with the right encoding.
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def write_xlsx(rows: Iterator[list[Any]] | Iterable[list[Any]], sheet_name: str = "导出") -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"constant_memory": True, "in_memory": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    sheet = workbook.add_worksheet(sheet_name[:31])
    header_format = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = plain(value)
            if r == 0:
                sheet.write_string(r, c, str(cell), header_format)
            elif isinstance(cell, int | float) and not isinstance(cell, bool):
                sheet.write_number(r, c, cell)
            else:
                sheet.write_string(r, c, str(cell))
    workbook.close()
    return buffer.getvalue()


def render(rows: Iterable[list[Any]], fmt: str, sheet_name: str = "导出") -> bytes:
    if fmt == "csv":
        return write_csv(rows)
    if fmt == "xlsx":
        return write_xlsx(rows, sheet_name)
    raise ValueError(f"unknown export format {fmt!r}")
