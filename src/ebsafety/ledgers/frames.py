"""Column-wise reading and checking of large ledger files with polars: the e-bike ledger's fast path.

The row-wise engine (`reader.iter_rows` → `parsing.parse_rows` → the handler's `row_rules`) states the rules;
this module computes the same result a column at a time, in chunks, so a million-row file is read and
checked in seconds with flat memory. A cell takes a vectorised path only where its result is provably the one
the row-wise normaliser gives (an ASCII frame number without spaces is only upper-cased; an 18-digit ID whose
birth date and check digit the vectorised arithmetic accepts is returned as it is); every other distinct cell
value, and every cell that is not text (numbers, dates, booleans from a spreadsheet), goes through the very
same normaliser function. So the two paths cannot disagree, and tests compare them
(tests/ledgers/test_bench_smoke.py).

Sources: a UTF-8 CSV without quote characters (what Excel and WPS write for a ledger) is split into columns
by polars directly; any other CSV and every spreadsheet come through `reader.iter_rows` (calamine, merged
blocks filled), a chunk of rows at a time.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import polars as pl

from ebsafety.ledgers import normalise as n
from ebsafety.ledgers.parsing import HEADER_SCAN_ROWS, Header, find_header, is_blank, is_total_or_footer
from ebsafety.ledgers.reader import RowBatch, SourceFile, UnreadableFile, check_file, iter_rows, sheet_batches
from ebsafety.ledgers.specs import Column, LedgerSpec

CHUNK_ROWS = 50_000
# A mobile number typed as a number (common: clerks type phones into General cells): an integral float in
# [13000000000, 20000000000) is always valid, and `normalise.mobile` gives its digits.
TYPED_MOBILE = (1.3e10, 2e10)
FrameOrSeries = TypeVar("FrameOrSeries", pl.DataFrame, pl.Series)
PARSED_MEMO_MAX = 20_000  # normaliser answers kept per column across a file's chunks
CSV_BLOCK_BYTES = 4 << 20  # a block of lines at a time; larger ones add memory, not speed
# Exactly the characters Python's str.strip()/split() and the `\s` of `re` treat as white space.
PY_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_SPACE) + "]"
NOT_SPACE = "[^" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_SPACE) + "]"
NOT_SPACE_OR_COMMA = "[^," + NOT_SPACE[2:]  # in a line of a plain CSV: a character of a cell not blank
# A row is a total or footer row only if one of its text cells holds one of these (TOTAL_RE and FOOTER_RE of
# parsing need 计, a colon, or one of the three bare footer words); such rows are then checked exactly.
NON_DATA_HINT = "计|:|：|填表人|审核人|制表人"
ID_WEIGHTS = [(2 * 13**k) % 11 for k in range(16, -1, -1)]  # stdnum's check digit, one weight per digit


@dataclass
class Chunk:
    """Consecutive rows of the sheet below the header, as text columns.

    `frame` has `_row` (the row number the user sees), `_width` (how many cells the row has) and `c0`…: each
    cell as text ('' when empty), null where the row has no such cell or the cell is not text; the other
    cells (numbers, dates, booleans) are in `numbers` (a column whose other cells are all floats — the usual
    number column of a spreadsheet — as one Float64 column, null where the cell is not a float) or else in
    `typed`, by column index and position in the chunk; `rows` keeps the original cells of a row-wise
    source, for the exact raw cells of rejected rows; `lines`, a plain CSV's lines (its cells joined by
    commas), which tell blank and total rows apart at once (`data_rows`).
    """

    frame: pl.DataFrame
    typed: dict[int, dict[int, Any]] = field(default_factory=dict)
    rows: list[list[Any]] | None = None
    numbers: dict[int, pl.Series] = field(default_factory=dict)  # a column whose non-text cells are floats
    lines: pl.Series | None = None

    def has_typed(self, position: int) -> bool:
        """Does the row hold a cell that is not text (a number, date, boolean)?"""
        return any(position in cells for cells in self.typed.values()) or any(
            column[position] is not None for column in self.numbers.values()
        )

    def raw(self, position: int) -> list[Any]:
        """The row's cells exactly as the row-wise reader gives them."""
        if self.rows is not None:
            return self.rows[position]
        record = self.frame.row(position, named=True)
        width = record["_width"]
        return [record[f"c{i}"] if record[f"c{i}"] is not None else "" for i in range(width)]


# -- reading -------------------------------------------------------------------------------------------------


def read_chunks(source: SourceFile, spec: LedgerSpec) -> tuple[Header, Iterator[Chunk]]:
    """The header (found under any title rows) and the data rows below it, in chunks."""
    check_file(source)
    if source.suffix == ".csv" and _plain_utf8_csv(source):
        return _csv_chunks(source, spec)
    batches = _batched(iter_rows(source)) if source.suffix == ".csv" else sheet_batches(source.path)
    return _batch_chunks(batches, spec)


def _plain_utf8_csv(source: SourceFile) -> bool:
    """A UTF-8 CSV whose lines split on commas exactly as the csv module splits them: no quote characters,
    no NUL, no carriage return other than in CRLF line ends. Found by byte searches over the file (0.05 s
    for 200 MB); its text is checked to be UTF-8 here for its first block only (a file in GB18030 has its
    Chinese header there), and block by block as its lines are read (`_lines`), not twice (0.26 s)."""
    first = True
    pending_cr = False  # the last block ended with a carriage return: a CRLF only if a line feed follows
    with source.path.open("rb") as handle:
        while block := handle.read(CSV_BLOCK_BYTES):
            if b'"' in block or b"\0" in block:
                return False
            if pending_cr and not block.startswith(b"\n"):
                return False
            if b"\r" in block:
                bare = BARE_CR.search(block)
                if bare is not None and bare.start() < len(block) - 1:
                    return False
            pending_cr = block.endswith(b"\r")
            if first:
                first = False
                if not _utf8_start(block):
                    return False
    return not pending_cr


BARE_CR = re.compile(rb"\r(?!\n)")


def _utf8_start(data: bytes) -> bool:
    """Is this the start of UTF-8 text (its last character may go on in the next block)?"""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _csv_lines(source: SourceFile) -> Iterator[pl.Series]:
    """The file's lines (BOM and line ends removed) as text series, a block at a time."""
    with source.path.open("rb") as handle:
        head = handle.read(len(codecs.BOM_UTF8))  # the whole BOM, if any (however small the blocks)
        rest = b"" if head == codecs.BOM_UTF8 else head
        while True:
            block = handle.read(CSV_BLOCK_BYTES)
            data = rest + block
            if not block:
                if data:  # the last line (a file of fewer bytes than a BOM may end with its line end)
                    yield _lines(data.removesuffix(b"\n"))
                return
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            rest = data[cut + 1 :]
            yield _lines(data[:cut])


def _lines(data: bytes) -> pl.Series:
    """The lines of a block, split by polars (no Python object per line). Text that is not UTF-8 past the
    first block (`_plain_utf8_csv` checks that one) refuses the file."""
    try:
        block = pl.Series("line", [data], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.ComputeError as exc:
        raise UnreadableFile(
            "CSV 文件中有不是 UTF-8 编码的内容（文件前部是 UTF-8）："
            "请将整个文件另存为 UTF-8 或 GB18030 后重新上传。"
        ) from exc
    return block.str.split("\n").explode().str.strip_suffix("\r")


def _csv_chunks(source: SourceFile, spec: LedgerSpec) -> tuple[Header, Iterator[Chunk]]:
    blocks = _csv_lines(source)
    head: list[str] = []
    pending: list[pl.Series] = []
    for lines in blocks:
        pending.append(lines)
        head.extend(lines.head(HEADER_SCAN_ROWS + 1 - len(head)).to_list())
        if len(head) > HEADER_SCAN_ROWS:
            break
    header_rows = ((number, _split(line)) for number, line in enumerate(head, start=1))
    header, _ = find_header(header_rows, spec)

    def chunks() -> Iterator[Chunk]:
        number = 1
        width = max(len(header.cells), 1)
        for lines in _chained(pending, blocks):
            first = number
            number += len(lines)
            if number <= header.row + 1:
                continue
            skip = max(header.row + 1 - first, 0)
            lines = lines.slice(skip)
            start = first + skip
            for offset in range(0, len(lines), CHUNK_ROWS):
                part = lines.slice(offset, CHUNK_ROWS)
                yield _split_lines(part, start + offset, width)

    return header, chunks()


def _chained(pending: list[pl.Series], rest: Iterator[pl.Series]) -> Iterator[pl.Series]:
    yield from pending
    yield from rest


def _split(line: str) -> list[str]:
    return line.split(",") if line else []


def _split_lines(lines: pl.Series, first_row: int, header_width: int) -> Chunk:
    fields = lines.str.split(",")
    counts = fields.list.len()
    longest = counts.max()
    width = max(int(longest) if isinstance(longest, int) else 0, header_width)
    # every cell of a line in one pass (a struct of `width` fields, null past the line's last cell), not a
    # pass over the lines per column: 12-14 → 9 ms for 21,000 lines
    cells = fields.list.to_struct(fields=[f"c{i}" for i in range(width)]).struct.unnest()
    frame = pl.DataFrame(
        {
            "_row": pl.int_range(first_row, first_row + len(lines), eager=True),
            "_width": pl.select(pl.when(lines == "").then(0).otherwise(counts)).to_series(),
        }
    ).hstack(cells)
    return Chunk(frame, lines=lines)


def _batched(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[RowBatch]:
    """Numbered rows as batches of consecutive rows."""
    first, batch = 0, list[list[Any]]()
    for number, cells in rows:
        if batch and (number != first + len(batch) or len(batch) >= CHUNK_ROWS):
            yield first, batch
            batch = []
        if not batch:
            first = number
        batch.append(cells)
    if batch:
        yield first, batch


def _batch_chunks(batches: Iterator[RowBatch], spec: LedgerSpec) -> tuple[Header, Iterator[Chunk]]:
    """The header (in the first rows) and the rows below it, in chunks of CHUNK_ROWS rows."""
    head: list[RowBatch] = []
    for batch in batches:
        head.append(batch)
        if batch[0] + len(batch[1]) > HEADER_SCAN_ROWS:
            break
    numbered = ((first + i, cells) for first, rows in head for i, cells in enumerate(rows))
    header, _ = find_header(numbered, spec)

    def chunks() -> Iterator[Chunk]:
        numbers: list[int] = []
        rows: list[list[Any]] = []
        for first, batch in itertools.chain(head, batches):
            skip = max(header.row + 1 - first, 0)  # the header and the rows above it
            if skip >= len(batch):
                continue
            numbers.extend(range(first + skip, first + len(batch)))
            rows.extend(batch[skip:] if skip else batch)
            while len(rows) >= CHUNK_ROWS:
                yield _rows_to_chunk(numbers[:CHUNK_ROWS], rows[:CHUNK_ROWS], len(header.cells))
                del numbers[:CHUNK_ROWS], rows[:CHUNK_ROWS]
        if rows:
            yield _rows_to_chunk(numbers, rows, len(header.cells))

    return header, chunks()


def _rows_to_chunk(row_numbers: list[int], rows: list[list[Any]], header_width: int) -> Chunk:
    widths = [len(cells) for cells in rows]
    width = max(max(widths), header_width)
    padded = [cells if len(cells) == width else [*cells, *([None] * (width - len(cells)))] for cells in rows]
    columns: dict[str, Any] = {"_row": row_numbers, "_width": widths}
    typed: dict[int, dict[int, Any]] = {}
    numbers: dict[int, pl.Series] = {}
    for index, cells in enumerate(zip(*padded, strict=True)):
        try:  # the common case: a column of text (and missing cells), converted in one go
            columns[f"c{index}"] = pl.Series(cells, dtype=pl.String, strict=True)
            continue
        except TypeError:  # a cell that is not text: a number, date or boolean
            pass
        columns[f"c{index}"] = pl.Series([c if c.__class__ is str else None for c in cells], dtype=pl.String)
        kinds = set(map(type, cells)) - {str, type(None)}
        if kinds == {float}:  # a column of numbers: one Float64 column, checked a distinct value at a time
            numbers[index] = pl.Series([c if c.__class__ is float else None for c in cells], dtype=pl.Float64)
        elif kinds:
            typed[index] = {p: c for p, c in enumerate(cells) if c is not None and c.__class__ is not str}
    return Chunk(pl.DataFrame(columns), typed, rows, numbers)


def detached(data: FrameOrSeries) -> FrameOrSeries:
    """The text of `data` copied into buffers of its own, for values kept beyond their chunk. A filtered,
    sliced or gathered text column still points into the buffers it was cut from (polars' string views):
    keeping a few ID numbers of a chunk kept the whole chunk's text alive, 10 MB for 50,000 rows. Any
    text operation writes new buffers; appending "" is the cheapest."""
    if isinstance(data, pl.Series):
        return data + "" if data.dtype == pl.String else data
    return data.with_columns(pl.col(pl.String) + pl.lit(""))


# -- rows that are not data ----------------------------------------------------------------------------------


def data_rows(chunk: Chunk) -> pl.Series:
    """Positions of the chunk's data rows: not blank, not a total ("合计…") or footer ("填表人：…") row."""
    cells = [c for c in chunk.frame.columns if c.startswith("c")]
    frame = chunk.frame
    if chunk.lines is not None:  # a plain CSV: its lines are its cells joined by commas already
        lines = chunk.lines
        flags = pl.DataFrame(
            {"blank": ~lines.str.contains(NOT_SPACE_OR_COMMA), "hint": lines.str.contains(NON_DATA_HINT)}
        )
    else:
        # The row's text cells joined by \x1f (itself white space to Python): blank when nothing but white
        # space is left, one regex stopping at the first other character, not a stripped copy of every cell.
        joined = pl.concat_str([pl.col(c) for c in cells], separator="\x1f", ignore_nulls=True)
        flags = frame.select(blank=~joined.str.contains(NOT_SPACE), hint=joined.str.contains(NON_DATA_HINT))
    keep = ~flags["blank"] & ~flags["hint"]
    # Rows blank as text but holding typed cells (numbers, dates), and rows with a hint, are looked at whole.
    # Blank rows are few: their positions come from the frame, not from indexing it once per typed row.
    positions = flags.with_row_index("p")
    exact = [p for p in positions.filter(pl.col("blank"))["p"].to_list() if chunk.has_typed(p)]
    exact += positions.filter(pl.col("hint"))["p"].to_list()
    if exact:
        kept = keep.to_list()
        for position in exact:
            cells_of_row = chunk.raw(position)
            kept[position] = not (is_blank(cells_of_row) or is_total_or_footer(cells_of_row))
        keep = pl.Series(kept)
    return pl.arange(0, len(frame), eager=True).filter(keep)


# -- cells ---------------------------------------------------------------------------------------------------


def _limit(parse: Callable[[Any], Any], factory: str) -> int | None:
    """The length limit of a spec's `_text(n)` / `_code(n)` parser (their closures hold it)."""
    if getattr(parse, "__qualname__", "") != f"{factory}.<locals>.parse" or not parse.__closure__:
        return None
    limit = parse.__closure__[0].cell_contents
    return limit if isinstance(limit, int) else None


def dtype_of(column: Column) -> pl.DataType:
    parse = column.parse
    func = parse.func if isinstance(parse, partial) else parse
    if func is n.integer:
        return pl.Int64()
    if func is n.date:
        return pl.Date()
    if func is n.boolean:
        return pl.Boolean()
    if column.many:
        return pl.List(pl.String())
    return pl.String()


def _fast(column: Column, s: pl.Expr) -> tuple[pl.Expr, pl.Expr] | None:
    """(mask, value) of the cells whose normalised value is computed here, or None for no fast path."""
    parse = column.parse
    if parse is n.id_number:
        return _fast_ids(s), s
    if parse is n.mobile:
        return s.str.contains(r"^1[3-9][0-9]{9}$"), s
    limit = _limit(parse, "_text")
    if limit is not None:
        return ~s.str.contains(SPACE_CLASS) & (s.str.len_chars() <= limit), s
    limit = _limit(parse, "_code")
    if limit is not None:  # printable ASCII and CJK ideographs: NFKC leaves them alone, no spaces to drop
        plain = s.str.contains(r"^[\x21-\x7e\x{4e00}-\x{9fff}]+$")
        return plain & (s.str.len_chars() <= limit), s.str.to_uppercase()
    return None


def _fast_ids(s: pl.Expr) -> pl.Expr:
    """18-character IDs that `normalise.id_number` returns unchanged: digits (the last may be X), a real
    birth date from 1890 to today, and the GB 11643 check digit."""
    import datetime

    shape = s.str.contains(r"^[0-9]{17}[0-9X]$")
    # The first 17 digits as one integer (< 10^17) and its digits by arithmetic, the check digit compared
    # as a number: no string per digit (0.6 → 0.4 s for a million IDs).
    head = s.str.slice(0, 17).cast(pl.Int64, strict=False)
    total = pl.sum_horizontal([(head // 10 ** (16 - i)) % 10 * w for i, w in enumerate(ID_WEIGHTS)])
    last = s.str.slice(17, 1)
    given = pl.when(last == "X").then(pl.lit(10, pl.Int64)).otherwise(last.cast(pl.Int64, strict=False))
    birth = s.str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False)
    today = datetime.date.today()
    ok = shape & ((12 - total % 11) % 11 == given) & (birth >= datetime.date(1890, 1, 1)) & (birth <= today)
    return ok.fill_null(False)


@dataclass
class CheckedColumn:
    values: pl.Series  # the normalised values (null where empty or bad)
    errors: pl.Series  # the message of a bad cell (null where good)


def check_column(
    chunk: Chunk, rows: pl.Series, index: int, column: Column, header_text: str
) -> CheckedColumn:
    """Normalise and check one column for the given rows, as `parsing.parse_rows` does cell by cell."""
    return check_columns(chunk, rows, [(column, index, header_text)])[0]


def check_columns(
    chunk: Chunk,
    rows: pl.Series,
    columns: Sequence[tuple[Column, int, str]],
    parsed: dict[int, dict[Any, tuple[Any, str | None]]] | None = None,
) -> list[CheckedColumn]:
    """Normalise and check the given columns (spec column, index in the sheet, header text) for the given
    rows. The vectorised part of every column — which cells are present, which the fast paths settle and
    their values — is one polars query over the chunk (polars spreads the columns over the cores); the rest
    (other spellings, typed cells, the required rule) follows per column. `parsed` keeps the normaliser's
    answers per column index across the chunks of a file (the same spellings recur in every chunk)."""
    parsed = {} if parsed is None else parsed
    frame = chunk.frame
    gathered = [pl.col("_row").gather(rows)]  # a column first: literals broadcast to its length
    for _, index, _ in columns:
        name = f"c{index}"
        raw = pl.col(name).gather(rows) if name in frame.columns else pl.lit(None)
        gathered.append(raw.cast(pl.String).alias(f"raw{index}"))
    frame = frame.select(gathered)
    exprs: list[pl.Expr] = [pl.col(f"raw{index}") for _, index, _ in columns]
    for column, index, _ in columns:
        raw = pl.col(f"raw{index}")
        present = (raw.is_not_null() & (raw.str.strip_chars(PY_SPACE) != "")).fill_null(False)
        exprs.append(present.alias(f"present{index}"))
        fast = _fast(column, raw)
        if fast is not None:
            mask, value = fast
            settled = (present & mask.fill_null(False)).fill_null(False)
            exprs += [
                settled.alias(f"settled{index}"),
                pl.when(settled).then(value).otherwise(None).cast(dtype_of(column)).alias(f"value{index}"),
            ]
    computed = frame.select(exprs)
    return [
        _finish_column(chunk, rows, computed, index, column, header_text, parsed.setdefault(index, {}))
        for column, index, header_text in columns
    ]


def _finish_column(
    chunk: Chunk,
    rows: pl.Series,
    computed: pl.DataFrame,
    index: int,
    column: Column,
    header_text: str,
    parsed: dict[Any, tuple[Any, str | None]],
) -> CheckedColumn:
    raw = computed[f"raw{index}"]
    present = computed[f"present{index}"]
    dtype = dtype_of(column)
    length = len(rows)
    errors = pl.repeat(None, length, dtype=pl.String, eager=True).alias("e")
    if f"settled{index}" in computed.columns:
        values = computed[f"value{index}"].alias("v")
        todo = present & ~computed[f"settled{index}"]
    else:
        values = pl.repeat(None, length, dtype=dtype, eager=True).alias("v")
        todo = present
    if todo.any():
        positions = pl.arange(0, length, eager=True).filter(todo)
        looked_up = _looked_up(column, raw.filter(todo), dtype, parsed, _text_key)
        values = values.scatter(positions, looked_up["v"])
        errors = errors.scatter(positions, looked_up["e"])
    numbers = chunk.numbers.get(index)
    if numbers is not None:
        gathered = numbers.gather(rows)
        held = gathered.is_not_null()
        if held.any():
            positions = pl.arange(0, length, eager=True).filter(held)
            floats = gathered.filter(held)
            phone = (
                (floats >= TYPED_MOBILE[0]) & (floats < TYPED_MOBILE[1]) & (floats.floor() == floats)
                if column.parse is n.mobile
                else pl.repeat(False, len(floats), eager=True)
            )
            if phone.any():
                digits = floats.filter(phone).cast(pl.Int64).cast(pl.String)
                values = values.scatter(positions.filter(phone), digits.cast(dtype))
            if not phone.all():
                others = ~phone
                looked_up = _looked_up(column, floats.filter(others), dtype, parsed, _float_key)
                values = values.scatter(positions.filter(others), looked_up["v"])
                errors = errors.scatter(positions.filter(others), looked_up["e"])
            present = present.scatter(positions, True)
    typed = chunk.typed.get(index)
    if typed:
        at_of = {position: at for at, position in enumerate(rows.to_list()) if position in typed}
        cache: dict[tuple[type, Any], tuple[Any, str | None]] = {}
        ats: list[int] = []
        typed_values: list[Any] = []
        typed_errors: list[str | None] = []
        mobile = column.parse is n.mobile
        low, high = TYPED_MOBILE
        for position, at in at_of.items():
            value = typed[position]
            if mobile and value.__class__ is float and low <= value < high and value.is_integer():
                ats.append(at)
                typed_values.append(str(int(value)))
                typed_errors.append(None)
                continue
            key = (value.__class__, value)
            if key not in cache:
                cache[key] = _parse(column, value)
            ats.append(at)
            typed_values.append(cache[key][0])
            typed_errors.append(cache[key][1])
        if ats:
            values = values.scatter(ats, pl.Series(typed_values, dtype=dtype))
            errors = errors.scatter(ats, pl.Series(typed_errors, dtype=pl.String))
            present = present.scatter(ats, True)
    if column.required:
        missing = ~present | (errors.is_null() & _is_empty_value(values))
        if missing.any():
            errors = pl.repeat(f"“{header_text}”不能为空", length, eager=True).zip_with(missing, errors)
    return CheckedColumn(values, errors)


def _text_key(text: str) -> str:
    return text


def _float_key(value: float) -> tuple[str, float]:  # never equal to a text's key
    return ("f", value)


def _looked_up(
    column: Column,
    cells: pl.Series,
    dtype: pl.DataType,
    parsed: dict[Any, tuple[Any, str | None]],
    memo_key: Callable[[Any], Any],
) -> pl.DataFrame:
    """`v` (the normalised value) and `e` (the error) of each of `cells`, in order: the normaliser runs once
    per distinct cell value, and its answers are kept in `parsed` (under `memo_key(value)`) for the next
    chunks, up to PARSED_MEMO_MAX of them."""
    distinct = cells.unique().to_list()
    keys = [memo_key(value) for value in distinct]
    answers = [parsed.get(key) or _parse(column, value) for key, value in zip(keys, distinct, strict=True)]
    room = PARSED_MEMO_MAX - len(parsed)  # spellings recur (enumerations, dates); one-offs need not stay
    if room > 0:
        parsed.update(itertools.islice(zip(keys, answers, strict=True), room))
    table = pl.DataFrame(
        {
            "k": pl.Series(distinct, dtype=cells.dtype),
            "v": pl.Series([value for value, _ in answers], dtype=dtype),
            "e": pl.Series([error for _, error in answers], dtype=pl.String),
        }
    )
    return cells.to_frame("k").join(table, on="k", how="left", maintain_order="left")


def _is_empty_value(values: pl.Series) -> pl.Series:
    if values.dtype == pl.String:
        return (values.is_null() | (values == "")).fill_null(True)
    if isinstance(values.dtype, pl.List):
        return (values.is_null() | (values.list.len() == 0)).fill_null(True)
    return values.is_null()


def _parse(column: Column, raw: Any) -> tuple[Any, str | None]:
    try:
        return column.parse(raw), None
    except n.CellError as exc:
        return None, str(exc)


__all__ = [
    "Chunk",
    "CheckedColumn",
    "UnreadableFile",
    "check_column",
    "check_columns",
    "data_rows",
    "read_chunks",
]
