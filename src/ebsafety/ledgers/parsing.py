"""From rows to checked values: header mapping, skipping non-data rows, per-cell normalisation and errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import polars as pl

from ebsafety.ledgers.normalise import CellError
from ebsafety.ledgers.reader import UnreadableFile
from ebsafety.ledgers.specs import Column, LedgerSpec, header_key

HEADER_SCAN_ROWS = 50
TOTAL_RE = re.compile(r"^\s*(合\s*计|总\s*计|小\s*计)")
FOOTER_RE = re.compile(
    r"^\s*(填表人|填报人|制表人|审核人|审批人|统计人|单位负责人|负责人|填报日期|制表日期|报送日期|填报单位|联系电话)\s*[:：]"
    r"|^\s*(填表人|审核人|制表人)\s*$"
)


@dataclass
class Issue:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class IssueFrame(Sequence[Issue]):
    """Issues held as one polars frame (`row`, `column`, `message`) that reads like a list of `Issue`:
    the 270,000 warnings of a million-row ledger take tens of MB here, hundreds as objects."""

    BATCH = 10_000

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame.select(
            pl.col("row").cast(pl.Int64), pl.col("column").cast(pl.String), pl.col("message").cast(pl.String)
        )

    def __len__(self) -> int:
        return len(self.frame)

    @overload
    def __getitem__(self, index: int) -> Issue: ...
    @overload
    def __getitem__(self, index: slice) -> list[Issue]: ...
    def __getitem__(self, index: int | slice) -> Issue | list[Issue]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return [Issue(*values) for values in self.frame.slice(start, max(stop - start, 0)).iter_rows()]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return Issue(*self.frame.row(index))

    def __iter__(self) -> Iterator[Issue]:
        for start in range(0, len(self), self.BATCH):
            yield from self[start : start + self.BATCH]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def json_parts(self) -> Iterator[str]:
        """The issues as the JSON list of their `as_dict()`, in parts of `BATCH` (for a streamed file)."""
        yield "["
        for start in range(0, len(self), self.BATCH):
            part = self.frame.slice(start, self.BATCH).write_json()
            yield ("," if start else "") + part[1:-1]
        yield "]"


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]
    raw: list[Any]
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    bad_columns: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Header:
    row: int
    positions: dict[str, int]  # column key → cell index
    texts: dict[str, str]  # column key → header text as written in the file
    cells: list[str]


def find_header(rows: Iterator[tuple[int, list[Any]]], spec: LedgerSpec) -> tuple[Header, list[str]]:
    """Scan the first rows for the header: the first row naming every required column."""
    lookup: dict[str, Column] = {}
    for column in spec.columns:
        for key in column.header_keys():
            lookup.setdefault(key, column)
    best: tuple[int, list[str]] = (-1, [c.header for c in spec.required])
    for number, cells in rows:
        if number > HEADER_SCAN_ROWS:
            break
        positions: dict[str, int] = {}
        texts: dict[str, str] = {}
        for index, cell in enumerate(cells):
            found = lookup.get(header_key(cell))
            if found is not None and found.key not in positions:
                positions[found.key] = index
                texts[found.key] = str(cell).strip()
        missing = [c.header for c in spec.required if c.key not in positions]
        if not missing:
            return Header(number, positions, texts, [str(c).strip() for c in cells]), []
        if len(positions) > best[0]:
            best = (len(positions), missing)
    raise UnreadableFile(
        f"找不到表头：前 {HEADER_SCAN_ROWS} 行中没有包含“{'”“'.join(best[1])}”的行。"
        f"请使用{spec.label}台账模板的列名。"
    )


def is_blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def is_total_or_footer(cells: list[Any]) -> bool:
    first = next((c for c in cells if c is not None and str(c).strip()), None)
    if first is not None and TOTAL_RE.match(str(first)):
        return True
    return any(isinstance(c, str) and FOOTER_RE.match(c) for c in cells)


def parse_rows(
    rows: Iterable[tuple[int, list[Any]]], spec: LedgerSpec, header: Header
) -> Iterator[ParsedRow]:
    """Normalise and check every data row; collect every error of a row, not just the first."""
    columns = [(spec.column(key), index, header.texts[key]) for key, index in header.positions.items()]
    for number, cells in rows:
        if is_blank(cells) or is_total_or_footer(cells):
            continue
        values: dict[str, Any] = {}  # only the file's columns: an absent column never clears a stored value
        parsed = ParsedRow(number, values, cells)
        width = len(cells)
        for column, index, text in columns:
            raw = cells[index] if index < width else None
            if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
                if column.required:
                    parsed.errors.append(Issue(number, text, f"“{text}”不能为空"))
                    parsed.bad_columns.add(index)
                values[column.key] = None
                continue
            try:
                values[column.key] = column.parse(raw)
            except CellError as exc:
                parsed.errors.append(Issue(number, text, str(exc)))
                parsed.bad_columns.add(index)
                values[column.key] = None
            else:
                if column.required and values[column.key] in ("", None, []):
                    parsed.errors.append(Issue(number, text, f"“{text}”不能为空"))
                    parsed.bad_columns.add(index)
        yield parsed
