"""Exports of list pages: CSV or XLSX, always of a scoped queryset, with spreadsheet formulas neutralised.

Rows come as lists (header first). A large export may instead hand over its rows as polars frames (an
`ExportTable`: a header and `frames()`, e.g. the e-bike ledger's): XLSX is then written from the columns
by rustpy-xlsxwriter (rust_xlsxwriter underneath; ~60,000+ rows/s here against ~10,000 for xlsxwriter),
with the same neutralisation, header style and sheet name; CSV iterates it as lists, as before. xlsxwriter
stays the writer of everything else (list pages, templates, error reports): small files, the mature library.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import polars as pl
import xlsxwriter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportTable:
    """An export as a header and chunks of rows in polars frames (one column per header, in order).

    Iterating gives the header and then one list per row, like any export; `frames()` gives the chunks to a
    writer that takes columns. Values are final but for formula neutralisation, which the writers apply."""

    def __init__(self, header: list[str], frames: Callable[[], Iterator[pl.DataFrame]]) -> None:
        self.header = header
        self.frames = frames

    def __iter__(self) -> Iterator[list[Any]]:
        yield list(self.header)
        for frame in self.frames():
            for row in frame.iter_rows():
                yield ["" if value is None else value for value in row]

    def counted(self, report: Callable[[int], None]) -> ExportTable:
        """The same table, calling `report(rows so far)` after each chunk (a background job's progress)."""

        def frames() -> Iterator[pl.DataFrame]:
            done = 0
            for frame in self.frames():
                done += frame.height
                report(done)
                yield frame

        return ExportTable(self.header, frames)


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
    if isinstance(rows, ExportTable):
        return write_xlsx_frames(rows.header, rows.frames(), sheet_name)
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


def write_xlsx_frames(header: list[str], frames: Iterable[pl.DataFrame], sheet_name: str = "导出") -> bytes:
    """XLSX from column chunks (one column per header): text neutralised as `plain` does, numbers as numbers,
    empty and null cells blank, the header bold on grey with borders, as `write_xlsx` writes it."""
    from rustpy_xlsxwriter import Format, write_worksheet

    parts = [frame.with_columns(_neutralised(frame)) for frame in frames]
    table = (
        pl.concat(parts)
        if parts
        else pl.DataFrame({h: [] for h in header}, schema=dict.fromkeys(header, pl.String))
    )
    buffer = io.BytesIO()
    header_format = Format().set_bold().set_background_color("#F2F2F2").set_border("thin")
    write_worksheet(table, buffer, sheet_name=sheet_name[:31], header_format=header_format)
    return buffer.getvalue()


def _neutralised(frame: pl.DataFrame) -> list[pl.Expr]:
    """Text columns with a leading apostrophe on cells a spreadsheet would run as a formula. Categorical
    columns become plain text first: rustpy-xlsxwriter 0.8 writes dictionary-encoded columns as blanks."""
    prefixes = "^[" + "".join("\\" + c if c in "-\\" else c for c in FORMULA_PREFIXES) + "]"
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum):
            text = pl.col(name).cast(pl.String)
            exprs.append(
                pl.when(text.str.contains(prefixes)).then(pl.lit("'") + text).otherwise(text).alias(name)
            )
    return exprs


def render(rows: Iterable[list[Any]], fmt: str, sheet_name: str = "导出") -> bytes:
    if fmt == "csv":
        return write_csv(rows)
    if fmt == "xlsx":
        return write_xlsx(rows, sheet_name)
    raise ValueError(f"unknown export format {fmt!r}")
