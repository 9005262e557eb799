"""The web import flow's state changes: upload → preview → confirm (commit) or cancel.

A batch is created at upload with the original file; the preview is computed (inline for small files, in
the worker for large ones) and kept on the batch; confirming re-plans and commits in one transaction, retiring
only the records the user ticked; cancelling keeps the batch (and its file) as a record of what was submitted.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from ebsafety.core.choices import Action
from ebsafety.core.jobs import job_handler, start_job
from ebsafety.core.models import Unit
from ebsafety.core.scoping import allowed_actions
from ebsafety.ledgers.choices import ImportStatus
from ebsafety.ledgers.exporting import MODELS
from ebsafety.ledgers.importer import ImportRefused, run_import
from ebsafety.ledgers.models import ImportBatch
from ebsafety.ledgers.reader import UnreadableFile


def may_import(user: Any, kind: str, unit: Unit) -> bool:
    """The user's role may add records of this ledger kind, and the unit is within their scope."""
    if Action.ADD not in allowed_actions(user, MODELS[kind]):
        return False
    return Unit.objects.filter(pk=unit.pk).visible_to(user).exists()


@contextmanager
def local_path(batch: ImportBatch) -> Iterator[Path]:
    """The batch's original file as a local path (copied out of non-filesystem storage when needed)."""
    if isinstance(batch.original_file.storage, FileSystemStorage):
        yield Path(batch.original_file.path)
    else:
        suffix = Path(batch.original_name).suffix
        with tempfile.NamedTemporaryFile(suffix=suffix) as handle, batch.original_file.open("rb") as source:
            shutil.copyfileobj(source, handle)
            handle.flush()
            yield Path(handle.name)


def create_batch(*, kind: str, unit: Unit, mode: str, upload: UploadedFile, user: Any) -> ImportBatch:
    if not may_import(user, kind, unit):
        raise PermissionDenied("您无权为该单位导入此类台账。")
    if upload.size and upload.size > settings.LEDGER_IMPORT_MAX_BYTES:
        raise ValidationError(f"文件过大，上限为 {settings.LEDGER_IMPORT_MAX_BYTES / 1e6:.0f} MB。")
    assert upload.name is not None  # an uploaded file always has its name (File.name may be None in general)
    batch = ImportBatch(
        kind=kind,
        unit=unit,
        mode=mode,
        original_name=upload.name[:200],
        uploaded_by=user,
        file_size=upload.size or 0,
    )
    batch.original_file.save(Path(upload.name).name, upload, save=False)
    batch.save()
    return batch


def runs_inline(batch: ImportBatch) -> bool:
    return batch.file_size <= settings.LEDGER_IMPORT_INLINE_MAX_BYTES


def _plan(batch: ImportBatch, commit: bool, retire_ids: set[int] | None = None, progress: Any = None) -> None:
    try:
        with local_path(batch) as path:
            run_import(
                kind=batch.kind,
                unit=batch.unit,
                path=path,
                filename=batch.original_name,
                mode=batch.mode,
                commit=commit,
                user=batch.uploaded_by,
                batch=batch,
                retire_ids=retire_ids,
                progress=progress,
            )
    except (UnreadableFile, ImportRefused) as exc:
        batch.status = ImportStatus.FAILED
        batch.message = str(exc)[:300]
        batch.save(update_fields=["status", "message", "updated"])


# Both jobs run outside a transaction of the job's own: the check only reads (on SQLite a transaction
# around it held the write lock for as long as a large file is checked), and the commit is one transaction
# of run_import's, which a first census can then run with foreign keys checked once (`bulk.atomic_load`).
@job_handler(atomic=False)
def preview_job(job: Any, progress: Any) -> dict[str, Any]:
    batch = ImportBatch.objects.get(pk=job.params["batch"])
    _plan(batch, commit=False, progress=progress)
    return {"batch": batch.pk, **batch.counts}


@job_handler(atomic=False)
def commit_job(job: Any, progress: Any) -> dict[str, Any]:
    batch = ImportBatch.objects.get(pk=job.params["batch"])
    _plan(batch, commit=True, retire_ids=set(job.params.get("retire_ids", [])), progress=progress)
    return {"batch": batch.pk, **batch.counts}


def preview(batch: ImportBatch, user: Any) -> Any:
    """Compute the preview now (small file) or in the worker; returns the job when one was started."""
    if runs_inline(batch):
        _plan(batch, commit=False)
        return None
    job = start_job(preview_job, f"检查台账：{batch.original_name}", user, {"batch": batch.pk})
    ImportBatch.objects.filter(pk=batch.pk).update(job=job)
    return job


def confirm(batch: ImportBatch, user: Any, retire_ids: set[int]) -> Any:
    """Commit a previewed batch; only the ticked records are retired."""
    if batch.status != ImportStatus.PREVIEWED:
        raise ValidationError("该批次不是待确认状态，不能导入。")
    if not may_import(user, batch.kind, batch.unit):
        raise PermissionDenied("您无权为该单位导入此类台账。")
    allowed = {r["id"] for r in batch.to_retire}
    retire_ids = retire_ids & allowed
    if runs_inline(batch):
        with transaction.atomic():
            _plan(batch, commit=True, retire_ids=retire_ids)
        return None
    job = start_job(
        commit_job,
        f"导入台账：{batch.original_name}",
        user,
        {"batch": batch.pk, "retire_ids": sorted(retire_ids)},
    )
    ImportBatch.objects.filter(pk=batch.pk).update(job=job)
    return job


def cancel(batch: ImportBatch, user: Any) -> ImportBatch:
    if batch.status != ImportStatus.PREVIEWED:
        raise ValidationError("只有待确认的批次可以取消。")
    batch.status = ImportStatus.CANCELLED
    batch.save(update_fields=["status", "updated"])
    return batch
