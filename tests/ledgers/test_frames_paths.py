"""The column engine's vectorised shortcuts (`ledgers.frames`) agree with the row-wise rules."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ebsafety.ledgers import normalise as n
from ebsafety.ledgers.frames import Chunk, _fast_ids, _split_lines, data_rows
from ebsafety.ledgers.parsing import is_blank, is_total_or_footer
from ebsafety.ledgers.reader import UnreadableFile
from tests.ledgers.test_normalise import resident_ids

ID_TEXT = st.text(alphabet="0123456789X", min_size=18, max_size=18)


def fast(numbers: list[str]) -> list[bool]:
    return pl.DataFrame({"s": numbers}, schema={"s": pl.String}).select(_fast_ids(pl.col("s")))["s"].to_list()


def normalised(text: str) -> str | None:
    try:
        return n.id_number(text)
    except n.CellError:
        return None


@given(st.lists(resident_ids(), min_size=1, max_size=20))
def test_valid_ids_take_the_fast_path(numbers: list[str]) -> None:
    assert fast(numbers) == [True] * len(numbers)


@settings(max_examples=300)
@given(st.lists(st.one_of(ID_TEXT, resident_ids()), min_size=1, max_size=20))
def test_the_fast_path_only_takes_ids_the_normaliser_returns_unchanged(numbers: list[str]) -> None:
    # The shortcut's value is the text itself: it may only take what the normaliser keeps as it is (all
    # else goes through the normaliser, so a cell it leaves costs time, never a different answer).
    for text, taken in zip(numbers, fast(numbers), strict=True):
        if taken:
            assert normalised(text) == text


def test_ids_with_a_wrong_check_digit_or_birth_date_are_left_to_the_normaliser() -> None:
    assert fast(["110101199003070011", "11010119900307001X", "110101199002300012", "110101188001010010"]) == [
        True,
        False,
        False,
        False,
    ]


CELL = st.one_of(
    st.none(),
    st.sampled_from(
        ["", " ", "\u3000", "\x1f", "\x85 ", "\t", "合计", "总计：", "填表人：张三", "审核人", "a:b", "x"]
    ),
    st.text(max_size=6),
)


@settings(max_examples=300)
@given(st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=12))
def test_blank_total_and_footer_rows_are_found_as_row_by_row(rows: list[list[str | None]]) -> None:
    width = max(len(r) for r in rows)
    padded = [r + [None] * (width - len(r)) for r in rows]
    frame = pl.DataFrame(
        {
            "_row": list(range(2, 2 + len(rows))),
            "_width": [len(r) for r in rows],
            **{f"c{i}": pl.Series([r[i] for r in padded], dtype=pl.String) for i in range(width)},
        }
    )
    chunk = Chunk(frame, rows=[[c if c is not None else "" for c in r] for r in rows])
    kept = data_rows(chunk).to_list()
    expected = [
        i
        for i, r in enumerate(rows)
        if not (is_blank(chunk.rows[i]) or is_total_or_footer(chunk.rows[i]))  # type: ignore[index]
    ]
    assert kept == expected


# The CSV fast path: which files take it, and the lines it reads, against the csv module's reading.
CSV_PIECE = st.sampled_from(["a", ",", "\n", "\r\n", "\r", "中", '"', "\0", "\ufeff", "  "])
CSV_BYTES = st.one_of(
    st.lists(CSV_PIECE, max_size=40).map(lambda pieces: "".join(pieces).encode("utf-8")),
    st.binary(max_size=30),  # anything, including broken UTF-8
    st.lists(
        st.one_of(CSV_PIECE.map(str.encode), st.sampled_from([b"\xe4\xb8", b"\xff", b"\xad"])), max_size=30
    ).map(b"".join),
)


def plain_by_rule(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return '"' not in text and "\0" not in text and text.count("\r") == text.count("\r\n")


def lines_by_rule(data: bytes) -> list[str]:
    text = data.decode("utf-8").removeprefix("\ufeff")
    if not text:
        return []
    return [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]


PLAIN_CELL = st.one_of(
    st.sampled_from(
        ["", " ", "\u3000", "\x1f", "\x85 ", "\t", "合计", "总计：", "填表人：张三", "审核人", "a:b", "x"]
    ),
    st.text(
        alphabet=st.characters(blacklist_characters=',"\n\r\x00', blacklist_categories=["Cs"]), max_size=6
    ),
)


@settings(max_examples=300)
@given(st.lists(st.lists(PLAIN_CELL, min_size=1, max_size=5), min_size=1, max_size=12))
def test_a_plain_csv_chunk_finds_blank_total_and_footer_rows_from_its_lines(rows: list[list[str]]) -> None:
    """A plain CSV's chunk tells data rows from its lines (cells joined by commas), as row by row."""
    lines = [",".join(cells) for cells in rows]
    chunk = _split_lines(pl.Series("line", lines, dtype=pl.String), 2, 1)
    cells = [line.split(",") if line else [] for line in lines]  # as the csv module reads a plain line
    expected = [i for i, r in enumerate(cells) if not (is_blank(r) or is_total_or_footer(r))]
    assert chunk.lines is not None and data_rows(chunk).to_list() == expected
    assert data_rows(Chunk(chunk.frame)).to_list() == expected  # the same from the cells themselves


@settings(max_examples=400)
@given(CSV_BYTES, st.integers(min_value=1, max_value=9))
def test_plain_csv_files_and_their_lines(data: bytes, block: int) -> None:
    import tempfile
    from pathlib import Path
    from unittest import mock

    from ebsafety.ledgers import frames
    from ebsafety.ledgers.reader import SourceFile

    with tempfile.TemporaryDirectory() as directory, mock.patch.object(frames, "CSV_BLOCK_BYTES", block):
        path = Path(directory) / "a.csv"
        path.write_bytes(data)
        source = SourceFile(path, "a.csv")
        plain = frames._plain_utf8_csv(source)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            # Not UTF-8: read row by row (its first block is checked), or refused as its lines are read.
            if plain:
                with pytest.raises(UnreadableFile, match="UTF-8"):
                    list(frames._csv_lines(source))
            return
        assert plain == plain_by_rule(data)
        if plain:
            lines = [line for part in frames._csv_lines(source) for line in part.to_list()]
            assert lines == lines_by_rule(data)
