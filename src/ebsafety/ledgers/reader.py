"""Reading ledger files as a stream of rows: xlsx/xls/ods through calamine (a large xlsx worksheet in parts
on every core, `sheet_parts`), CSV in UTF-8 or GB18030.

Merged blocks are filled (a merged cell's value applies to every row and column it spans), the header row is
found under any title rows, and every row carries the row number the user sees in their spreadsheet.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from python_calamine import CalamineWorkbook

from ebsafety.ledgers.sheet_parts import Batch, MergedRange, SheetParts

WHOLE_SHEET_BATCH_ROWS = 10_000
RowBatch = tuple[int, list[list[Any]]]  # (row number of the first as the user sees it, consecutive rows)

SPREADSHEETS = {".xlsx", ".xlsm", ".xls", ".ods"}
ZIP_FORMATS = {".xlsx", ".xlsm", ".ods"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


class UnreadableFile(ValueError):
    """The file cannot be read as a ledger; the message says why, in Chinese."""


@dataclass
class SourceFile:
    path: Path
    name: str  # the name the user gave it (its suffix decides the format)

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


def check_file(source: SourceFile) -> None:
    """Refuse before reading: unknown format, empty, too large, encrypted, corrupt or a zip bomb."""
    limit = settings.LEDGER_IMPORT_MAX_BYTES
    size = source.path.stat().st_size
    if size == 0:
        raise UnreadableFile("文件是空的。")
    if size > limit:
        raise UnreadableFile(f"文件过大（{size / 1e6:.1f} MB），上限为 {limit / 1e6:.0f} MB。")
    suffix = source.suffix
    if suffix not in SPREADSHEETS and suffix != ".csv":
        raise UnreadableFile(f"不支持的文件格式“{suffix or source.name}”，请上传 xlsx、xls 或 csv 文件。")
    with source.path.open("rb") as handle:
        head = handle.read(8)
    if suffix in ZIP_FORMATS:
        if head.startswith(OLE_MAGIC):
            raise UnreadableFile("文件已加密（设置了打开密码），请取消密码后重新上传。")
        if not head.startswith(ZIP_MAGIC):
            raise UnreadableFile("文件已损坏或不是有效的 xlsx 文件。")
        try:
            with zipfile.ZipFile(source.path) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except zipfile.BadZipFile as exc:
            raise UnreadableFile("文件已损坏或不是有效的 xlsx 文件。") from exc
        max_unpacked = settings.LEDGER_IMPORT_MAX_UNPACKED_BYTES
        if unpacked > max_unpacked or (unpacked > 50_000_000 and unpacked > size * 200):
            raise UnreadableFile("文件解压后过大（疑似压缩炸弹），已拒绝。")
    elif suffix == ".xls" and not head.startswith(OLE_MAGIC):
        raise UnreadableFile("文件已损坏或不是有效的 xls 文件。")


def _detect_encoding(path: Path) -> str:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def _csv_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    encoding = _detect_encoding(path)
    try:
        with path.open("r", encoding=encoding, newline="") as handle:
            yield from enumerate(csv.reader(handle), start=1)
    except UnicodeDecodeError as exc:
        raise UnreadableFile("无法识别 CSV 文件的编码（应为 UTF-8 或 GB18030）。") from exc
    except csv.Error as exc:
        raise UnreadableFile(f"CSV 文件格式错误：{exc}") from exc


def _unreadable(exc: Exception) -> UnreadableFile:
    message = str(exc)
    if "password" in message.lower() or "encrypt" in message.lower():
        return UnreadableFile("文件已加密（设置了打开密码），请取消密码后重新上传。")
    return UnreadableFile(f"无法读取表格文件（文件可能已损坏）：{message[:200]}")


def _whole_sheet(path: Path) -> tuple[list[MergedRange], Iterator[Batch]]:
    """The first sheet parsed at once: its merged blocks and its rows, turned into Python objects a batch
    at a time (a large sheet read whole never holds all its rows as objects)."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        merged = sheet.merged_cell_ranges or []
        _, first_col = sheet.start or (0, 0)
        # iter_rows gives every row from the sheet's first (row 0, empty ones too; tested) and the columns
        # from the first that holds a cell.
        rows = sheet.iter_rows()
    except Exception as exc:
        raise _unreadable(exc) from exc
    return merged, _batches(rows, first_col)


def _batches(rows: Iterator[list[Any]], first_col: int) -> Iterator[Batch]:
    index = 0
    while batch := list(itertools.islice(rows, WHOLE_SHEET_BATCH_ROWS)):
        if first_col:
            batch = [[""] * first_col + cells for cells in batch]
        yield index, batch
        index += len(batch)


def sheet_batches(path: Path) -> Iterator[RowBatch]:
    """The first sheet's rows, merged blocks filled, a batch of consecutive rows at a time: (row number of
    the first as the user sees it, the rows' cells). A large xlsx worksheet comes a part at a time
    (`sheet_parts`), any other sheet in batches of WHOLE_SHEET_BATCH_ROWS."""
    parts = None
    try:
        parts = SheetParts.open(path) if path.suffix.lower() in {".xlsx", ".xlsm"} else None
        merged, batches = (parts.merged, iter(parts)) if parts is not None else _whole_sheet(path)
        for first, rows in _filled(batches, merged):
            yield first + 1, rows
    except UnreadableFile:
        raise
    except Exception as exc:
        raise _unreadable(exc) from exc
    finally:
        if parts is not None:
            parts.close()


def _sheet_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    for first, rows in sheet_batches(path):
        yield from enumerate(rows, start=first)


def _filled(batches: Iterator[Batch], merged: list[MergedRange]) -> Iterator[Batch]:
    """The batches with every merged block's value in every cell it spans."""
    # Merged blocks by the row they start on: (first_row, last_row, first_col, last_col), absolute positions.
    spans: dict[int, list[tuple[int, int, int, int]]] = {}
    for (r1, c1), (r2, c2) in merged:
        if r1 != r2 or c1 != c2:
            spans.setdefault(r1, []).append((r1, r2, c1, c2))
    if not spans:  # the usual sheet: the rows as calamine gives them
        yield from batches
        return
    starts = sorted(spans)
    active: list[tuple[int, int, int, Any]] = []  # (last_row, first_col, last_col, value)
    for first, rows in batches:
        end = first + len(rows)
        if not active and bisect.bisect_left(starts, first) == bisect.bisect_left(starts, end):
            yield first, rows  # no block reaches into these rows: as they are
            continue
        filled = []
        for index, row in enumerate(rows, start=first):
            if not active and index not in spans:
                filled.append(row)
                continue
            cells = list(row)
            for _r1, r2, c1, c2 in spans.get(index, ()):
                active.append((r2, c1, c2, cells[c1] if c1 < len(cells) else ""))
            active = [a for a in active if a[0] >= index]
            for _, c1, c2, value in active:
                if len(cells) <= c2:
                    cells.extend([""] * (c2 + 1 - len(cells)))
                for c in range(c1, c2 + 1):
                    cells[c] = value
            filled.append(cells)
        yield first, filled


def iter_rows(source: SourceFile) -> Iterator[tuple[int, list[Any]]]:
    """(row number as the user sees it, cells) for every row of the first sheet or the CSV."""
    check_file(source)
    if source.suffix == ".csv":
        return _csv_rows(source.path)
    return _sheet_rows(source.path)
