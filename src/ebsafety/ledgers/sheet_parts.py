"""A large xlsx worksheet read on every core: cut into parts at row boundaries, each part parsed by calamine.

calamine parses a worksheet on one core (a million-row ledger: 15 s of a 1 GB XML stream) and holds all of
its cells at once (1.5 GB). It releases the interpreter while it parses. So a large worksheet is cut into
parts of whole `<row>` elements; each part becomes a small workbook of its own (the original's workbook,
styles and shared strings, and the part's rows under the worksheet's own opening and closing) that calamine
parses on a thread of a small pool, a few parts ahead of the rows the caller is reading. calamine still does
every cell: types, shared strings, dates by their number formats, escapes.

The cutter inflates the worksheet once, looking for the cuts; it keeps no XML. At each block of compressed
input it may copy zlib's state (a documented use of `Decompress.copy`), so a part is inflated again by the
thread that parses it, from the block its first row is in. The cutter also checks that the whole worksheet
can be cut (below), computes its CRC, and reads the merged blocks listed after the rows (from one more small
workbook: the worksheet without its rows) before the first row is given out.

Only the cutting is done here, and only where it is safe: a stored or deflated worksheet member found
through the workbook's relationships, a `<sheetData>` element, every part starting with a `<row>` that
carries its row number (Excel, WPS and the usual libraries write it on every row) and no comment, CDATA
section or declaration among the rows. Anything else is read whole (by `reader`): a worksheet smaller than
`SPLIT_MIN_BYTES`, a damaged or encrypted archive (the whole-sheet reader then says what is wrong), or shared
strings so large that fewer than `MIN_PARTS` parts of at least 4 times their size would come of it (every
part parses them again).
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import queue
import re
import tempfile
import threading
import zipfile
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook

from ebsafety.ledgers.bulk import SPILL_PREFIX, spill_root

MIN_PARTS = 4  # a worksheet cut into fewer parts (large shared strings) is read whole
SHARED_STRINGS_FACTOR = 4  # a part holds at least 4 × the shared strings, which every part parses again
AHEAD_BYTES = 128 << 20  # XML parsed ahead of the reader
SPLIT_MIN_BYTES = 64 << 20  # worksheets whose XML is smaller are parsed whole (about 60,000 rows)
PART_BYTES = 16 << 20  # XML per part (about 15,000 rows); at least 4 × the shared strings, parsed per part
TAIL_BYTES = 4 << 20  # what follows the rows (merged blocks …) is looked for in the worksheet's last 4 MB
COMPRESSED_BLOCK = 256 << 10  # input inflated at a time (~2 MB of XML): a part re-inflates at most one

MergedRange = tuple[tuple[int, int], tuple[int, int]]
Batch = tuple[int, list[list[Any]]]  # (0-based row of the first, consecutive rows' cells by 0-based column)

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData\b[^>]*?(/?)>")
_ROOT = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?worksheet)\b")
_NUMBERED = re.compile(rb"\sr\s*=\s*[\"']")


class PartsUnsafe(Exception):
    """The worksheet cannot be cut safely; it is read whole."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def first_worksheet(archive: zipfile.ZipFile) -> str | None:
    """The zip member of the workbook's first sheet (calamine's sheet 0), or None."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # missing, damaged (bad CRC, unknown compression, encrypted) or not XML: read whole
        return None
    sheets = [e for e in workbook.iter() if _local(e.tag) == "sheet"]
    if not sheets:
        return None
    rel_id = sheets[0].get(f"{{{_REL_NS}}}id")
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target") or ""
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            return path if path in archive.namelist() and "worksheets/" in path else None
    return None


class SheetParts:
    """The rows of a large worksheet, parsed a part at a time. `open()` gives None where the worksheet is
    read whole instead; `merged` and iterating give what calamine gives for the whole sheet (rows may lack
    trailing empty cells); `close()` stops the threads (also after an error)."""

    def __init__(self, path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, part_bytes: int) -> None:
        self.path = path
        self.info = info
        self.part_bytes = part_bytes
        base = io.BytesIO()
        with zipfile.ZipFile(base, "w", zipfile.ZIP_STORED) as workbook:
            for other in archive.infolist():
                name = other.filename
                if name != info.filename and name.endswith((".xml", ".rels")) and "worksheets/" not in name:
                    workbook.writestr(name, archive.read(name))
        self.base = base.getvalue()
        self.directory = spill_root()
        with path.open("rb") as handle:
            handle.seek(info.header_offset)
            local = handle.read(30)
        if len(local) < 30 or not local.startswith(b"PK\x03\x04"):
            raise PartsUnsafe("no local header")
        self.data_start = info.header_offset + 30 + int.from_bytes(local[26:28], "little")
        self.data_start += int.from_bytes(local[28:30], "little")
        self.deflated = info.compress_type == zipfile.ZIP_DEFLATED
        workers = max(1, min(4, os.cpu_count() or 1))
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ebsafety-sheet-part")
        # Parts parsed ahead (a parsed 16 MB part holds ~25 MB of cells): the caller's pace varies from
        # chunk to chunk (1M rows: 3 ahead → 8, -1.7 s); more while the cutter runs and the caller waits
        # for it. Fewer when the parts are larger (large shared strings).
        self.ahead = max(workers + 1, min(4 * workers, AHEAD_BYTES // part_bytes))
        self.ahead_while_cutting = max(workers + 1, min(4 * workers + 4, 3 * AHEAD_BYTES // 2 // part_bytes))
        self.parts: queue.Queue[_Part | None] = queue.Queue()
        self.pending: deque[Future[tuple[tuple[int, int] | None, list[list[Any]]]]] = deque()
        self.stop = threading.Event()
        self.cut = threading.Event()
        self.prefix = b""
        self.closing = b""
        self.merged: list[MergedRange] = []
        self.unsafe: BaseException | None = None
        self.cutter = threading.Thread(target=self._produce, name="ebsafety-sheet-cut", daemon=True)
        self.cutter.start()

    @classmethod
    def open(cls, path: Path) -> SheetParts | None:
        """The parts of `path`'s first worksheet, once the cutter has found that it can be cut (and its
        merged blocks), or None when it is read whole."""
        try:
            with zipfile.ZipFile(path) as archive:
                member = first_worksheet(archive)
                if member is None:
                    return None
                info = archive.getinfo(member)
                if (
                    info.file_size < SPLIT_MIN_BYTES
                    or info.flag_bits & 0x1  # encrypted
                    or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
                ):
                    return None
                shared = sum(
                    i.file_size for i in archive.infolist() if i.filename.endswith("sharedStrings.xml")
                )
                part_bytes = max(PART_BYTES, SHARED_STRINGS_FACTOR * shared)
                if info.file_size < MIN_PARTS * part_bytes:
                    return None  # each part parses the shared strings again: too few parts to gain
                parts = cls(path, archive, info, part_bytes)
        except Exception:  # a damaged file: the whole-sheet reader says what is wrong with it
            return None
        try:
            parts._submit(parts.ahead_while_cutting)
            while not parts.cut.wait(0.02):
                parts._submit(parts.ahead_while_cutting)
            if parts.unsafe is not None:
                parts.close()
                return None
        except BaseException:
            parts.close()
            raise
        return parts

    # -- the cutter ----------------------------------------------------------------------------------------

    def _produce(self) -> None:
        try:
            self.merged = self._cut()
        except BaseException as exc:  # the worksheet is read whole instead
            self.unsafe = exc
        finally:
            self.parts.put(None)
            self.cut.set()

    def _blocks(self, begin: _Checkpoint | None = None) -> Iterator[tuple[_Checkpoint, bytes]]:
        """The inflated worksheet a block at a time, each with the checkpoint it starts at (from `begin`)."""
        inflater, consumed, produced = begin if begin is not None else (None, 0, 0)
        if self.deflated:
            inflater = inflater.copy() if inflater is not None else zlib.decompressobj(-zlib.MAX_WBITS)
        remaining = self.info.compress_size - consumed
        with self.path.open("rb") as handle:
            handle.seek(self.data_start + consumed)
            while remaining > 0 and not self.stop.is_set():
                checkpoint = (inflater.copy() if inflater is not None else None, consumed, produced)
                data = handle.read(min(COMPRESSED_BLOCK, remaining))
                if not data:
                    raise PartsUnsafe("the member ends early")
                remaining -= len(data)
                consumed += len(data)
                block = inflater.decompress(data) if inflater is not None else data
                if remaining <= 0 and inflater is not None:
                    block += inflater.flush()
                produced += len(block)
                yield checkpoint, block

    def _cut(self) -> list[MergedRange]:
        blocks = self._blocks()
        buffer = b""
        crc = 0
        found = None
        opening: _Checkpoint = (None, 0, 0)  # the block the opening ends in
        for point, block in blocks:  # the worksheet's opening, up to <sheetData>
            crc = zlib.crc32(block, crc)
            buffer += block
            found = _SHEET_DATA.search(buffer)
            if found is not None:
                opening = point
                break
        if found is None or found.group(2):  # no rows at all, or not the layout expected
            raise PartsUnsafe("no <sheetData> with rows")
        self.prefix = buffer[: found.end()]
        space = found.group(1)
        root = _ROOT.search(self.prefix)
        if root is None:
            raise PartsUnsafe("no <worksheet> root")
        row_end = b"</" + space + b"row>"
        row_start = re.compile(rb"\s*<" + re.escape(space) + rb"row\b([^>]*)>")
        self.closing = b"</" + space + b"sheetData></" + root.group(1) + b">"
        rows = buffer[found.end() :]
        if b"<!" in rows:
            raise PartsUnsafe("markup other than elements among the rows")
        begin = (opening, found.end())  # the current part: where its first row is
        at = len(buffer)  # inflated bytes so far
        tail, kept = deque([rows]), len(rows)  # the last TAIL_BYTES or more: the end of the worksheet
        last_byte = rows[-1:]  # of the XML so far (a block may inflate to nothing)
        for checkpoint, block in blocks:
            crc = zlib.crc32(block, crc)
            if b"<!" in block or (last_byte == b"<" and block.startswith(b"!")):
                raise PartsUnsafe("markup other than elements among the rows")
            last_byte = block[-1:] or last_byte
            tail.append(block)
            kept += len(block)
            while kept - len(tail[0]) >= TAIL_BYTES:
                kept -= len(tail.popleft())
            at += len(block)
            if at - begin[1] < self.part_bytes:
                continue
            cut = block.rfind(row_end)
            following = row_start.match(block, cut + len(row_end)) if cut >= 0 else None
            if following is None or not _NUMBERED.search(following.group(1)):
                continue  # the next row is not complete in this block, or carries no number: cut later
            end = checkpoint[2] + cut + len(row_end)
            self.parts.put(_Part(begin[0], begin[1], end, last=False))
            begin = (checkpoint, end)
        if self.stop.is_set():
            raise PartsUnsafe("closed")
        if crc != self.info.CRC or at != self.info.file_size:
            raise PartsUnsafe("the worksheet does not match its CRC")
        window = b"".join(tail)
        end = window.rfind(b"</" + space + b"sheetData>")
        if end < 0:
            raise PartsUnsafe("no </sheetData> in the worksheet's last megabytes")
        self.parts.put(_Part(begin[0], begin[1], at, last=True))
        with self._workbook([window[end:]]) as path:
            return list(CalamineWorkbook.from_path(path).get_sheet_by_index(0).merged_cell_ranges or [])

    # -- parsing (the pool) --------------------------------------------------------------------------------

    def _submit(self, ahead: int | None = None) -> None:
        """Hand parts to the pool, up to `ahead` parsed or in parse."""
        while len(self.pending) < (ahead or self.ahead):
            try:
                part = self.parts.get_nowait()
            except queue.Empty:
                return
            if part is None:
                self.parts.put(None)  # stays the last item for the next look
                return
            self.pending.append(self.pool.submit(self._parse, part))

    def _next(self) -> tuple[tuple[int, int] | None, list[list[Any]]] | None:
        while True:
            self._submit()
            if self.pending:
                return self.pending.popleft().result()
            part = self.parts.get()  # nothing parsed or in parse: wait for the next part
            if part is None:
                self.parts.put(None)
                return None
            self.pending.append(self.pool.submit(self._parse, part))

    def _parse(self, part: _Part) -> tuple[tuple[int, int] | None, list[list[Any]]]:
        """A part's first cell and its rows from there: inflated again from its checkpoint, parsed."""
        with self._workbook(self._rows_of(part)) as path:
            sheet = CalamineWorkbook.from_path(path).get_sheet_by_index(0)
            return sheet.start, sheet.to_python(skip_empty_area=True)

    def _rows_of(self, part: _Part) -> Iterator[bytes]:
        """The part's XML a block at a time (and the worksheet's closing, unless the part ends it)."""
        for checkpoint, block in self._blocks(part.checkpoint):
            start = checkpoint[2]
            if start + len(block) > part.begin:
                yield block[max(part.begin - start, 0) : part.end - start]
            if start + len(block) >= part.end:
                break
        if not part.last:
            yield self.closing

    @contextlib.contextmanager
    def _workbook(self, pieces: Iterable[bytes]) -> Iterator[str]:
        """A file (removed afterwards) holding the workbook `base` (every part of the original but its
        worksheets) with the worksheet's opening and `pieces` as its worksheet, written as they come (a
        part is never whole in memory). calamine reads a file by its path without the interpreter; from a
        file object it reads through Python (35 ms a part)."""
        with tempfile.NamedTemporaryFile(prefix=SPILL_PREFIX, suffix=".xlsx", dir=self.directory) as handle:
            handle.write(self.base)
            with (
                zipfile.ZipFile(handle, "a", zipfile.ZIP_STORED) as archive,
                archive.open(self.info.filename, "w") as entry,
            ):
                entry.write(self.prefix)
                for piece in pieces:
                    entry.write(piece)
            handle.flush()
            yield handle.name

    def __iter__(self) -> Iterator[Batch]:
        """The rows a part at a time: (0-based row of the first, consecutive rows by 0-based column)."""
        expected = 0
        while (part := self._next()) is not None:
            start, rows = part
            if start is None:
                continue
            first_row, first_col = start
            if expected < first_row:  # rows between two parts that hold no cell
                yield expected, [[] for _ in range(first_row - expected)]
            yield first_row, [[""] * first_col + cells for cells in rows] if first_col else rows
            expected = first_row + len(rows)

    def close(self) -> None:
        self.stop.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.cutter.join()


# zlib's state before a block of compressed input (None for a stored member), the compressed bytes before
# it and the inflated bytes before it.
_Checkpoint = tuple[Any, int, int]


@dataclass(frozen=True)
class _Part:
    checkpoint: _Checkpoint  # the block the part's first row is in
    begin: int  # the part's rows: inflated bytes [begin, end)
    end: int
    last: bool  # the worksheet's own end follows the rows
