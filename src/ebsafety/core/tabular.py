"""Reading rows from the spreadsheets and CSV files people send (xlsx, xls, csv in UTF-8 or GB18030)."""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from python_calamine import CalamineWorkbook

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


class TabularError(ValueError):
    """A file that cannot be read as a table; the message is for the user (Chinese)."""


def decode_csv(data: bytes) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TabularError("无法识别 CSV 文件的编码（应为 UTF-8 或 GB18030）。")


def read_rows(source: str | Path | IO[bytes], filename: str | None = None) -> Iterator[list[Any]]:
    """Yield every row of the first sheet (or the CSV) as a list of cell values, blank rows included."""
    name = filename or (str(source) if isinstance(source, str | Path) else str(getattr(source, "name", "")))
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        data = Path(source).read_bytes() if isinstance(source, str | Path) else source.read()
        yield from csv.reader(io.StringIO(decode_csv(data)))
        return
    if suffix not in SPREADSHEET_SUFFIXES:
        raise TabularError(f"不支持的文件类型“{suffix or name}”，请上传 xlsx、xls 或 csv 文件。")
    try:
        if isinstance(source, str | Path):
            workbook = CalamineWorkbook.from_path(str(source))
        else:
            workbook = CalamineWorkbook.from_filelike(source)
        sheet = workbook.get_sheet_by_index(0)
        yield from sheet.iter_rows()
    except TabularError:
        raise
    except Exception as exc:
        raise TabularError(f"无法读取表格文件：{exc}") from exc


def clean_text(value: Any, fold: bool = True) -> str:
    """A cell as trimmed text, floats like 12.0 as 12.

    With `fold` (codes, numbers, enumerations) full-width characters become half-width (NFKC); without it
    (names, addresses) the text keeps its Chinese punctuation and only loses stray spaces.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)) if fold else str(value)
    return " ".join(text.split())


def normalise_header(value: Any) -> str:
    return clean_text(value).replace(" ", "").replace("*", "").replace("＊", "")
