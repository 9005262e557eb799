"""The ledger import engine: read → map → normalise and check → match → preview → commit (all or nothing).

`run_import()` is the one entry point for the CLI, the web flow and background jobs. With `commit=False`
it only plans (the preview: added / changed / unchanged / to retire / rejected / conflicts); with
`commit=True` it plans again and writes everything in one transaction, recording the batch.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import transaction
from django.utils import timezone

from ebsafety.core.models import Unit
from ebsafety.ledgers.bulk import allocate_ids, atomic_load, collector_paused, spill_root
from ebsafety.ledgers.choices import ImportMode, ImportStatus, LedgerKind
from ebsafety.ledgers.parsing import Issue, IssueFrame, ParsedRow, find_header, parse_rows
from ebsafety.ledgers.reader import SourceFile, check_file, iter_rows
from ebsafety.ledgers.report import rejected_rows_file
from ebsafety.ledgers.specs import LedgerSpec, spec_for

OUTCOME_PART = 10_000  # items of a list rendered at a time into the outcome file
MAX_LISTED = 500  # errors/warnings kept on the batch row; the full list is in the outcome file and report

Progress = Callable[..., None]


@dataclass
class RowPlan:
    parsed: ParsedRow
    key: Any
    action: str = ""  # add | change | unchanged | conflict
    existing_id: int | None = None
    changed_fields: list[str] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    wanted: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportOutcome:
    kind: str
    unit_code: str
    mode: str
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    retired: int = 0
    to_retire_count: int = 0
    conflict_count: int = 0
    committed: bool = False
    errors: list[Issue] = field(default_factory=list)
    warning_list: list[Issue] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    to_retire: list[dict[str, Any]] = field(default_factory=list)
    added_ids: list[int] = field(default_factory=list)
    changed_ids: dict[int, dict[str, Any]] = field(default_factory=dict)
    retired_ids: list[int] = field(default_factory=list)
    rejected_rows: list[ParsedRow] = field(default_factory=list)
    header_cells: list[str] = field(default_factory=list)
    header_row: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    batch_id: int | None = None

    @property
    def warnings(self) -> int:
        return len(self.warning_list)

    def as_json(self) -> dict[str, Any]:
        """The CLI contract of `ebsafety ledger import --json`."""
        return {
            "kind": self.kind,
            "unit": self.unit_code,
            "mode": self.mode,
            "rows": self.rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "retired": self.retired,
            "to_retire": self.to_retire_count,
            "conflicts": self.conflict_count,
            "warnings": self.warnings,
            "committed": self.committed,
            "errors": [e.as_dict() for e in self.errors],
            "warning_list": [w.as_dict() for w in self.warning_list],
            "conflict_list": self.conflicts,
            "batch": self.batch_id,
        }

    def counts(self) -> dict[str, int]:
        return {
            k: getattr(self, k)
            for k in ("rows", "accepted", "rejected", "added", "changed", "unchanged", "retired", "warnings")
        } | {"to_retire": self.to_retire_count, "conflicts": self.conflict_count}


@dataclass
class ImportPlan:
    """What planning leaves for the commit: `write(retire_ids, progress)` and `close()`, which frees what the
    plan keeps (the e-bike engine's checked rows on disk) whether or not it was written."""

    write: Callable[[list[int], Progress], dict[str, Any]] = field(default=lambda retire, progress: {})
    close: Callable[[], None] = field(default=lambda: None)
    bulk_load: bool = False  # a load that dwarfs the ledger (`bulk.atomic_load`)


class ImportRefused(ValueError):
    """The whole file was refused (unreadable, no header …); nothing was written."""


@collector_paused()
def run_import(
    *,
    kind: str,
    unit: Unit,
    path: str | Path,
    filename: str | None = None,
    mode: str = ImportMode.INCREMENTAL,
    commit: bool = False,
    user: Any = None,
    batch: Any = None,
    retire_ids: set[int] | None = None,
    progress: Progress | None = None,
    today: Any = None,
    submission_period: Any = None,
) -> ImportOutcome:
    """Plan (and with `commit`, write) one ledger file for one unit.

    `retire_ids` narrows the records a full import retires to those the user confirmed (the web flow);
    `None` retires every record the file no longer lists (the CLI's `--mode full`). A committed file is
    recorded as the unit's half-month submission for the period whose deadline is next, or for
    `submission_period`.
    """
    from ebsafety.ledgers.handlers import handler_for

    spec: LedgerSpec = spec_for(kind)
    if mode not in ImportMode.values:
        raise ImportRefused(f"未知的导入方式“{mode}”（应为 full 或 incremental）")
    source = SourceFile(Path(path), filename or Path(path).name)
    outcome = ImportOutcome(kind=kind, unit_code=unit.code, mode=mode)
    progress = progress or (lambda *a, **k: None)

    handler = handler_for(kind)(spec, unit, mode, today=today)
    plan = ImportPlan()
    reserved_batch: int | None = None
    unsaved_batch = None
    copying: Future[Any] | None = None  # the CLI's batch and its copy of the file, made beside the check
    stored = False  # the batch and its rows committed
    try:
        progress(0, None, "正在读取和检查")
        if commit and batch is None:
            if kind == LedgerKind.EBIKE:
                from ebsafety.ledgers.models import ImportBatch

                # now: the rows staged during the check name it
                reserved_batch = allocate_ids(ImportBatch, 1)[0]
            check_file(source)  # a file refused is not copied
            # The copy (100-200 MB for a million rows, 0.2-1.4 s, mostly the disk's) runs on a thread of its
            # own while the file is read and checked; removed below if the import does not commit.
            copying = _in_background(new_batch, kind, unit, mode, source, user, reserved_batch)
        if kind == LedgerKind.EBIKE:
            plan = _plan_columnwise(
                handler,
                source,
                outcome,
                mode,
                progress,
                commit,
                batch.pk if batch is not None else reserved_batch,
            )
        else:
            plan = _plan_rowwise(handler, source, outcome, mode, progress)
        progress(outcome.rows, outcome.rows, "检查完成")

        if commit:
            started = time.perf_counter()
            retire = [r["id"] for r in outcome.to_retire if retire_ids is None or r["id"] in retire_ids]
            # The check's part of the batch's files (its errors, warnings and rejected rows, final now) is
            # drawn on a thread of its own while the rows are written: the database releases the interpreter
            # while it works, so the two share the machine's cores.
            drawn = _in_background(draw_checked, outcome)
            if batch is None:  # its copy of the file made outside the transaction, removed if it fails
                assert copying is not None
                batch = unsaved_batch = copying.result()
            with atomic_load(plan.bulk_load, outcome.timings):
                if unsaved_batch is not None:  # the CLI's batch: the first row of the transaction
                    unsaved_batch.save(force_insert=unsaved_batch.pk is not None)  # a reserved id: no UPDATE
                handler.batch = batch
                progress(0, max(outcome.accepted, 1), "正在写入")
                step = time.perf_counter()
                written = plan.write(retire, progress)
                outcome.timings["write_rows_s"] = round(time.perf_counter() - step, 3)
                outcome.added_ids = written["added"]
                outcome.changed_ids = written["changed"]
                outcome.retired_ids = written["retired"]
                outcome.retired = len(written["retired"])
                outcome.committed = True
                step = time.perf_counter()
                finish_batch(batch, outcome, drawn.result())
                outcome.timings["write_outcome_s"] = round(time.perf_counter() - step, 3)
                from ebsafety.ledgers.submissions import record_submission

                extra = {"period": submission_period} if submission_period is not None else {}
                record_submission(
                    batch, user, **extra
                )  # the half-month submission this file makes (idempotent)
                step = time.perf_counter()
            stored = True
            outcome.timings["commit_s"] = round(time.perf_counter() - step, 3)
            outcome.timings["write_s"] = round(time.perf_counter() - started, 3)
        elif batch is not None:
            finish_batch(batch, outcome)  # the preview, kept on the batch until it is confirmed or cancelled
    finally:
        plan.close()
        if copying is not None and unsaved_batch is None:  # refused or failed before the write
            with contextlib.suppress(Exception):  # a failed copy left nothing (the import's error stands)
                unsaved_batch = copying.result()
        if unsaved_batch is not None and not stored:  # refused, or the write failed: its copy goes too
            unsaved_batch.original_file.delete(save=False)
    if batch is not None:
        outcome.batch_id = batch.pk
    return outcome


def _in_background(function: Callable[..., Any], *args: Any) -> Future[Any]:
    """`function(*args)` on a thread of its own (no database work there); `.result()` waits for it."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ebsafety-import")
    try:
        return executor.submit(function, *args)
    finally:
        executor.shutdown(wait=False)  # the submitted call still runs to its end


def _plan_columnwise(
    handler: Any,
    source: SourceFile,
    outcome: ImportOutcome,
    mode: str,
    progress: Progress,
    commit: bool = False,
    batch_id: int | None = None,
) -> ImportPlan:
    """The e-bike ledger (up to a million rows): read, checked and matched a column at a time (and, when
    the commit follows, the new rows staged meanwhile)."""
    from ebsafety.ledgers.ebike_import import EBikeImport

    engine = EBikeImport(handler, source, progress, early=commit, batch_id=batch_id)
    try:
        _check_columnwise(engine, outcome, mode)
    except BaseException:
        engine.close()
        raise

    def write(retire: list[int], progress: Progress) -> dict[str, Any]:
        written = engine.write(retire, progress)
        outcome.timings.update({k: v for k, v in engine.timings.items() if k.startswith("write_")})
        return written

    return ImportPlan(write, engine.close, engine.bulk_load())


def _check_columnwise(engine: Any, outcome: ImportOutcome, mode: str) -> None:
    engine.check(outcome)
    if outcome.rows == 0:
        raise ImportRefused("文件中没有数据行（表头下方是空的）。")
    started = time.perf_counter()
    engine.match(outcome, RowPlan)
    if mode == ImportMode.FULL:
        outcome.to_retire = engine.missing_from_file()
        outcome.to_retire_count = len(outcome.to_retire)
    outcome.timings.update(engine.timings)
    outcome.timings["match_s"] = round(time.perf_counter() - started, 3)


def _plan_rowwise(
    handler: Any, source: SourceFile, outcome: ImportOutcome, mode: str, progress: Progress
) -> ImportPlan:
    """The smaller ledgers: row by row through `parse_rows` and the handler."""
    spec = handler.spec
    started = time.perf_counter()
    rows = iter_rows(source)
    header, _ = find_header(rows, spec)
    outcome.header_cells, outcome.header_row = header.cells, header.row
    parsed_rows: list[ParsedRow] = []
    for parsed in parse_rows(rows, spec, header):
        outcome.rows += 1
        if parsed.ok:
            handler.row_rules(parsed)
        parsed_rows.append(parsed)
        if outcome.rows % 5000 == 0:
            progress(outcome.rows, None, f"已读取 {outcome.rows} 行")
    outcome.timings["parse_s"] = round(time.perf_counter() - started, 3)
    if outcome.rows == 0:
        raise ImportRefused("文件中没有数据行（表头下方是空的）。")

    started = time.perf_counter()
    seen: dict[Any, int] = {}
    plans: list[RowPlan] = []
    key_header = header.texts.get(spec.key, spec.column(spec.key).header)
    for parsed in parsed_rows:
        if parsed.ok:
            key = handler.key(parsed)
            if key in seen:
                parsed.errors.append(
                    Issue(parsed.row, key_header, f"与第 {seen[key]} 行重复（{key_header}：{key}）")
                )
                parsed.bad_columns.add(header.positions[spec.key])
            else:
                seen[key] = parsed.row
                plans.append(RowPlan(parsed, key))
        if parsed.ok:
            outcome.warning_list.extend(parsed.warnings)
        else:
            outcome.rejected += 1
            outcome.errors.extend(parsed.errors)
            outcome.rejected_rows.append(parsed)
    outcome.accepted = outcome.rows - outcome.rejected
    handler.match(plans)
    for plan in plans:
        if plan.action == "conflict":
            outcome.conflict_count += 1
            outcome.conflicts.append(
                {"row": plan.parsed.row, "key": str(plan.key), "message": plan.before.get("_conflict", "")}
            )
        elif plan.action == "add":
            outcome.added += 1
        elif plan.action == "change":
            outcome.changed += 1
        else:
            outcome.unchanged += 1
    if mode == ImportMode.FULL:
        outcome.to_retire = handler.missing_from_file(plans)
        outcome.to_retire_count = len(outcome.to_retire)
    outcome.timings["match_s"] = round(time.perf_counter() - started, 3)

    def write(retire: list[int], progress: Progress) -> dict[str, Any]:
        return handler.write(plans, retire, progress)

    return ImportPlan(write)


def new_batch(kind: str, unit: Unit, mode: str, source: SourceFile, user: Any, pk: int | None = None) -> Any:
    """The batch of a file imported without one (the CLI), with the id reserved for it, if any, and its copy
    of the file; not saved yet (it is, in the import's transaction: `run_import` removes the copy if the
    transaction fails)."""
    from ebsafety.ledgers.models import ImportBatch

    batch = ImportBatch(
        pk=pk, kind=kind, unit=unit, mode=mode, original_name=source.name[:200], uploaded_by=user
    )
    batch.file_size = source.path.stat().st_size
    # A 1M-row file is 100-200 MB. Copied by the kernel (`copyfile`: no pass through Python) into a
    # temporary upload, which the file-system storage then renames into place, as it does with a large
    # upload (other storages read it in chunks). Django's own chunked copy took 1.3 s for 200 MB.
    copy = TemporaryUploadedFile(source.name, "application/octet-stream", batch.file_size, None)
    try:
        shutil.copyfile(source.path, copy.temporary_file_path())
        batch.original_file.save(source.name, copy, save=False)
    finally:
        copy.close()  # removes the temporary file unless the storage moved it
    return batch


@dataclass
class Drawn:
    """The files of a batch that depend only on the check: the rejected rows (`rejected_rows_file`) and the
    first part of the outcome file (`outcome_head`)."""

    rejected: bytes | None
    outcome_head: bytes


def draw_checked(outcome: ImportOutcome) -> Drawn:
    rejected = (
        rejected_rows_file(outcome.header_cells, outcome.rejected_rows) if outcome.rejected_rows else None
    )
    return Drawn(rejected, outcome_head(outcome))


def finish_batch(batch: Any, outcome: ImportOutcome, drawn: Drawn | None = None) -> None:
    """Store the outcome on the batch: counts, the first errors, the full per-row outcome as a file, the
    rejected rows as submitted (the error report is drawn from them when first downloaded). `drawn`: the
    files' parts that depend only on the check, drawn already (`draw_checked`)."""
    drawn = drawn or draw_checked(outcome)
    batch.counts = outcome.counts()
    batch.errors = [e.as_dict() for e in outcome.errors[:MAX_LISTED]]
    batch.warning_list = [w.as_dict() for w in outcome.warning_list[:MAX_LISTED]]
    batch.conflicts = outcome.conflicts[:MAX_LISTED]
    batch.to_retire = outcome.to_retire
    batch.changes = {
        "added": outcome.added_ids[:MAX_LISTED],
        "changed": list(outcome.changed_ids)[:MAX_LISTED],
        "retired": outcome.retired_ids[:MAX_LISTED],
    }
    if outcome.committed:
        batch.status = ImportStatus.COMMITTED
        batch.committed_at = timezone.now()
        with tempfile.TemporaryFile(dir=spill_root()) as handle:
            handle.write(drawn.outcome_head)
            write_outcome_rest(handle, batch.counts, outcome)
            handle.seek(0)
            batch.outcome_file.save(f"batch-{batch.pk}.json.gz", File(handle), save=False)
    # The rejected rows of an earlier check of the file (its preview), and the report drawn from them, give
    # way to this check's: removed once this is committed (a rolled-back batch still names them).
    stale = [(field.storage, field.name) for field in (batch.error_report, batch.rejected_file) if field]
    batch.error_report = batch.rejected_file = ""
    if drawn.rejected is not None:
        batch.rejected_file.save(
            f"batch-{batch.pk}-rejected.json.gz", ContentFile(drawn.rejected), save=False
        )
    batch.save()
    for storage, name in stale:
        transaction.on_commit(partial(storage.delete, name))


_dumps = partial(json.dumps, ensure_ascii=False, default=str)


def outcome_head(outcome: ImportOutcome) -> bytes:
    """The outcome file's first gzip member: its errors and warnings, known once the file is checked. The
    file is gzipped JSON of two members (`write_outcome_rest` writes the second), read as one; it is written
    in parts: a million added ids and hundreds of thousands of warnings never sit in memory as one string."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1) as archive:

        def put(text: str) -> None:
            archive.write(text.encode("utf-8"))

        put('{"errors": ')
        _put_list(put, outcome.errors, lambda part: _dumps([e.as_dict() for e in part]))
        put(', "warnings": ')
        if isinstance(outcome.warning_list, IssueFrame):
            for text in outcome.warning_list.json_parts():
                put(text)
        else:
            _put_list(put, outcome.warning_list, lambda part: _dumps([w.as_dict() for w in part]))
    return buffer.getvalue()


def write_outcome_rest(handle: IO[bytes], counts: dict[str, int], outcome: ImportOutcome) -> None:
    """The outcome file's second gzip member: the counts and what the write did."""
    with gzip.GzipFile(fileobj=handle, mode="wb", compresslevel=1) as archive:

        def put(text: str) -> None:
            archive.write(text.encode("utf-8"))

        put(', "counts": ' + _dumps(counts) + ', "conflicts": ' + _dumps(outcome.conflicts) + ', "added": ')
        _put_list(put, outcome.added_ids, _dumps)
        put(', "changed": ' + _dumps({str(k): v for k, v in outcome.changed_ids.items()}))
        put(', "retired": ' + _dumps(outcome.retired_ids) + "}")


def _put_list(
    put: Callable[[str], None], items: Sequence[Any], render: Callable[[Sequence[Any]], str]
) -> None:
    """A JSON list of `items`, rendered `OUTCOME_PART` items at a time."""
    put("[")
    for start in range(0, len(items), OUTCOME_PART):
        put(("," if start else "") + render(items[start : start + OUTCOME_PART])[1:-1])
    put("]")
