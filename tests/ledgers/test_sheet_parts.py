"""A large xlsx worksheet read in parts (`sheet_parts`) gives the rows calamine gives for the whole sheet.

The module's thresholds are lowered so that small workbooks are cut into many parts and inflated in many
blocks: every cut, block boundary and part boundary the million-row file meets is met here too.
"""

from __future__ import annotations

import datetime
import io
import re
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebsafety.ledgers import reader, sheet_parts
from ebsafety.ledgers.reader import SourceFile, UnreadableFile
from ebsafety.ledgers.sheet_parts import SheetParts

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheet_parts, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(sheet_parts, "MIN_PARTS", 1)
    monkeypatch.setattr(sheet_parts, "SHARED_STRINGS_FACTOR", 0)  # parts of PART_BYTES, shared strings or not
    monkeypatch.setattr(sheet_parts, "PART_BYTES", 700)
    monkeypatch.setattr(sheet_parts, "COMPRESSED_BLOCK", 97)


def _trimmed(rows: list[tuple[int, list[Any]]]) -> list[tuple[int, list[Any]]]:
    """Rows without trailing empty cells, blank rows left out (the parts may end a row earlier)."""
    out = []
    for number, cells in rows:
        cells = list(cells)
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            out.append((number, cells))
    return out


def _whole(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, list[Any]]]:
    with monkeypatch.context() as patch:
        patch.setattr(sheet_parts, "SPLIT_MIN_BYTES", 1 << 40)
        return list(reader._sheet_rows(path))


def _parts_used(path: Path) -> bool:
    parts = SheetParts.open(path)
    if parts is None:
        return False
    parts.close()
    return True


def _ledger(path: Path, rows: int = 300, *, merges: bool = True, extra_sheet: bool = False) -> Path:
    """A ledger as clerks make it: a title row merged across, a blank row, the header, rows with text (shared
    strings), numbers, dates and blanks, a village name merged down over several rows, an empty gap."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("台账")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    if merges:
        sheet.merge_range(0, 0, 0, 6, "金桥社区电动自行车台账 <2026> & 附表")
    else:
        sheet.write(0, 0, "金桥社区电动自行车台账")
    sheet.write_row(2, 0, ["小区", "姓名", "身份证号", "手机号", "电池电压", "登记日期", "备注"])
    for i in range(rows):
        r = 3 + i + (40 if i > rows // 2 else 0)  # an empty gap of 40 rows in the middle
        sheet.write_string(r, 1, f"车主{i}")
        sheet.write_string(r, 2, f"11010119850314{i:04d}")
        sheet.write_number(r, 3, 13800000000 + i)
        if i % 3:
            sheet.write_number(r, 4, 48 + i % 5)
        sheet.write_datetime(r, 5, datetime.datetime(2026, 1, 1) + datetime.timedelta(days=i), dates)
        if i % 7 == 0:
            sheet.write_string(r, 6, "“备注” <a&b>")
        if i % 11 == 0:
            sheet.write_boolean(r, 7, i % 2 == 0)
    if merges:
        sheet.merge_range(3, 0, 30, 0, "幸福家园")
        sheet.merge_range(rows - 5, 0, rows + 60, 0, "阳光小区")  # spans the gap and many parts
    else:
        for r in range(3, rows + 3):
            sheet.write_string(r, 0, "幸福家园")
    if extra_sheet:
        other = workbook.add_worksheet("说明")
        other.write(0, 0, "填表说明")
    workbook.close()
    return path


def test_leading_empty_rows_keep_the_row_numbers_the_user_sees(tmp_path: Path) -> None:
    path = tmp_path / "late.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write(2, 1, "标题")
    sheet.write(3, 2, "数据")
    workbook.close()
    assert [(n, cells) for n, cells in reader._sheet_rows(path) if any(cells)] == [
        (3, ["", "标题", ""]),
        (4, ["", "", "数据"]),
    ]


def test_a_sheet_read_whole_becomes_python_objects_a_batch_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "WHOLE_SHEET_BATCH_ROWS", 7)
    path = _ledger(tmp_path / "ledger.xlsx", merges=False)
    batches = list(reader.sheet_batches(path))
    assert {len(rows) for _, rows in batches[:-1]} == {7}
    assert [first for first, _ in batches] == list(range(1, 7 * len(batches), 7))
    assert [cells for _, rows in batches for cells in rows] == [c for _, c in _whole(path, monkeypatch)]


def test_parts_give_the_whole_sheets_rows(
    tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _ledger(tmp_path / "ledger.xlsx", extra_sheet=True)
    parts = SheetParts.open(path)
    assert parts is not None
    assert parts.merged  # read from after the rows, before the first row was given out
    parts.close()
    split = list(reader._sheet_rows(path))
    whole = _whole(path, monkeypatch)
    assert _trimmed(split) == _trimmed(whole)
    numbers = [n for n, _ in split]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    by_number = dict(split)
    assert by_number[1][:7] == ["金桥社区电动自行车台账 <2026> & 附表"] * 7  # the merged title, filled
    assert by_number[30][0] == "幸福家园"
    assert by_number[4][5] == datetime.date(2026, 1, 1)


def test_parts_of_a_stored_worksheet(
    tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    deflated = _ledger(tmp_path / "deflated.xlsx")
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(deflated) as source, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
    assert _parts_used(stored)
    assert _trimmed(list(reader._sheet_rows(stored))) == _trimmed(_whole(deflated, monkeypatch))


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.xlsx")), ids=lambda p: p.name)
def test_samples_read_alike_in_parts(
    sample: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _parts_used(sample)
    assert _trimmed(list(reader._sheet_rows(sample))) == _trimmed(_whole(sample, monkeypatch))


def _rewritten(path: Path, target: Path, change: Any) -> Path:
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            out.writestr(info.filename, change(data) if info.filename == SHEET else data)
    return target


def test_a_comment_among_the_rows_reads_the_sheet_whole(
    tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _rewritten(
        _ledger(tmp_path / "a.xlsx", merges=False),
        tmp_path / "commented.xlsx",
        lambda xml: xml.replace(b"</row>", b"</row><!-- </row> -->", 1),
    )
    with zipfile.ZipFile(path) as archive:
        assert b"<!-- </row> -->" in archive.read(SHEET)
    assert not _parts_used(path)
    rows = list(reader._sheet_rows(path))
    assert _trimmed(rows) == _trimmed(_whole(path, monkeypatch))
    assert len(_trimmed(rows)) > 300


def test_rows_without_numbers_are_never_cut_before(
    tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row without its `r` attribute follows the row before it: a part may not start with one."""
    source = _ledger(tmp_path / "a.xlsx", merges=False)
    path = _rewritten(
        source, tmp_path / "unnumbered.xlsx", lambda xml: re.sub(rb'<row r="\d*[13579]"', b"<row", xml)
    )
    assert _trimmed(list(reader._sheet_rows(path))) == _trimmed(_whole(path, monkeypatch))
    assert _trimmed(list(reader._sheet_rows(path))) == _trimmed(_whole(source, monkeypatch))


def test_prefixed_namespace(tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Some writers (the Open XML SDK) name the elements x:worksheet, x:row, x:c …"""

    def prefixed(xml: bytes) -> bytes:
        xml = re.sub(rb"<(/?)(?!\?)([A-Za-z])", rb"<\1x:\2", xml)
        return xml.replace(b'xmlns="', b'xmlns:x="', 1)

    path = _rewritten(_ledger(tmp_path / "a.xlsx"), tmp_path / "prefixed.xlsx", prefixed)
    assert _parts_used(path)
    assert _trimmed(list(reader._sheet_rows(path))) == _trimmed(_whole(path, monkeypatch))


def test_a_corrupt_part_is_refused_as_the_whole_would_be(tmp_path: Path, small_parts: None) -> None:
    def broken(xml: bytes) -> bytes:
        cut = xml.index(b"</row>", len(xml) // 2)
        return xml[:cut] + b"<c><v>1</c>" + xml[cut:]

    path = _rewritten(_ledger(tmp_path / "a.xlsx", merges=False), tmp_path / "broken.xlsx", broken)
    with pytest.raises(UnreadableFile):
        list(reader.iter_rows(SourceFile(path, "broken.xlsx")))


def test_closing_early_stops_every_thread_and_leaves_no_file(
    tmp_path: Path, small_parts: None, settings: Any
) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spill)
    path = _ledger(tmp_path / "ledger.xlsx", rows=600)
    before = threading.active_count()
    rows = reader._sheet_rows(path)
    next(rows)
    assert threading.active_count() > before
    rows.close()
    assert threading.active_count() == before
    assert list(spill.iterdir()) == []
    assert len(list(reader._sheet_rows(path))) > 600  # read to the end: nothing left either
    assert threading.active_count() == before and list(spill.iterdir()) == []


def test_small_worksheets_are_read_whole(tmp_path: Path) -> None:
    assert not _parts_used(_ledger(tmp_path / "ledger.xlsx"))


def test_large_shared_strings_read_the_sheet_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each part parses the shared strings again: parts at least 4 times their size, and at least
    MIN_PARTS of them, or the sheet is read whole."""
    path = _ledger(tmp_path / "ledger.xlsx")
    with zipfile.ZipFile(path) as archive:
        sheet, strings = (archive.getinfo(n).file_size for n in (SHEET, "xl/sharedStrings.xml"))
    monkeypatch.setattr(sheet_parts, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(sheet_parts, "PART_BYTES", 100)
    assert sheet_parts.SHARED_STRINGS_FACTOR == 4
    monkeypatch.setattr(sheet_parts, "MIN_PARTS", sheet // (4 * strings))
    assert _parts_used(path)
    monkeypatch.setattr(sheet_parts, "MIN_PARTS", sheet // (4 * strings) + 1)
    assert not _parts_used(path)


def test_a_damaged_member_reads_as_the_whole_sheet_reader_says(
    tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A damaged member (bad data, so a failing CRC) is no crash of the parts' set-up: the whole-sheet
    reader reads the file or refuses it with a reason."""
    path = _ledger(tmp_path / "ledger.xlsx", merges=False)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/workbook.xml")
    header = info.header_offset
    start = header + 30 + int.from_bytes(data[header + 26 : header + 28], "little")
    start += int.from_bytes(data[header + 28 : header + 30], "little")
    data[start + info.compress_size // 2] ^= 0x55  # the member's compressed data: its CRC fails
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(bytes(data))
    assert not _parts_used(damaged)
    try:
        rows = list(reader.iter_rows(SourceFile(damaged, damaged.name)))
    except UnreadableFile:
        return  # refused with a reason
    assert _trimmed(rows) == _trimmed(_whole(damaged, monkeypatch))


CELL = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from("甲乙 a<&>\"'\t_x0041_1"), min_size=1, max_size=6),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(datetime.date(1950, 1, 1), datetime.date(2030, 12, 31)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    grid=st.lists(st.lists(CELL, max_size=6), min_size=1, max_size=80),
    offset=st.tuples(st.integers(0, 3), st.integers(0, 2)),
    merges=st.lists(
        st.tuples(st.integers(0, 80), st.integers(0, 5), st.integers(0, 30), st.integers(0, 2)), max_size=4
    ),
)
def test_any_sheet_reads_alike_in_parts(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    grid: list[list[Any]],
    offset: tuple[int, int],
    merges: list[Any],
) -> None:
    monkeypatch.setattr(sheet_parts, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(sheet_parts, "MIN_PARTS", 1)
    monkeypatch.setattr(sheet_parts, "SHARED_STRINGS_FACTOR", 0)  # parts of PART_BYTES, shared strings or not
    monkeypatch.setattr(sheet_parts, "PART_BYTES", 300)
    monkeypatch.setattr(sheet_parts, "COMPRESSED_BLOCK", 61)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    dates = workbook.add_format({"num_format": "yyyy/m/d"})
    taken: set[tuple[int, int]] = set()
    for first_row, first_col, height, width in merges:
        cells = {(first_row + r, first_col + c) for r in range(height + 1) for c in range(width + 1)}
        if (height or width) and not cells & taken:
            taken |= cells
            sheet.merge_range(first_row, first_col, first_row + height, first_col + width, "合并")
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            at = (r + offset[0], c + offset[1])
            if value is None or at in taken:
                continue
            if isinstance(value, datetime.date):
                sheet.write_datetime(*at, datetime.datetime.combine(value, datetime.time()), dates)
            elif isinstance(value, str):
                sheet.write_string(*at, value)
            else:
                sheet.write(*at, value)
    workbook.close()
    path = tmp_path / "any.xlsx"
    path.write_bytes(buffer.getvalue())
    if taken or any(value is not None for row in grid for value in row):
        assert _parts_used(path)
    split = list(reader._sheet_rows(path))
    assert _trimmed(split) == _trimmed(_whole(path, monkeypatch))
    by_number = dict(split)
    for r, c in taken:  # every cell of a merged block holds the block's value (on rows the sheet has)
        if r + 1 in by_number:
            assert by_number[r + 1][c] == "合并"


def _chunked(path: Path) -> list[tuple[int, list[Any]]]:
    from ebsafety.ledgers import frames
    from ebsafety.ledgers.specs import spec_for

    header, chunks = frames.read_chunks(SourceFile(path, path.name), spec_for("ebike"))
    out = []
    for chunk in chunks:
        assert chunk.rows is not None and len(chunk.rows) <= frames.CHUNK_ROWS
        out += list(zip(chunk.frame["_row"].to_list(), chunk.rows, strict=True))
    assert all(number > header.row for number, _ in out)
    return out


@pytest.mark.parametrize("parts", [False, True])
def test_chunks_hold_every_row_below_the_header_once_whatever_their_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: bool
) -> None:
    from ebsafety.ledgers import frames
    from tests.ledgers.builders import bike_row, write_csv, write_xlsx

    rows = [bike_row(i) for i in range(1, 40)]
    xlsx = write_xlsx(tmp_path / "a.xlsx", rows)
    quoted = write_csv(tmp_path / "a.csv", [[f'"{c}"' if c == "" else c for c in r] for r in rows])
    if parts:
        monkeypatch.setattr(sheet_parts, "SPLIT_MIN_BYTES", 0)
        monkeypatch.setattr(sheet_parts, "MIN_PARTS", 1)
        monkeypatch.setattr(sheet_parts, "SHARED_STRINGS_FACTOR", 0)
        monkeypatch.setattr(sheet_parts, "PART_BYTES", 900)
    expected = {path: _chunked(path) for path in (xlsx, quoted)}
    monkeypatch.setattr(frames, "CHUNK_ROWS", 4)
    for path, whole in expected.items():
        assert _chunked(path) == whole
        assert len(_trimmed(whole)) >= 39
