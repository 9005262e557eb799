"""Background jobs: start one, run it in the worker, report progress, fail without leaving a trace.

A job handler is a function `handler(job, progress) -> dict` decorated with `@job_handler`; it runs inside
one database transaction in the worker, under a change context whose request id is the job's id, so every
change it makes is audited and a failure rolls all of them back. A handler that only reads (an export) may
run outside a transaction, `@job_handler(atomic=False)`.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from ebsafety.core.choices import ChangeSource, JobStatus
from ebsafety.core.context import change_context
from ebsafety.core.models import Job

logger = logging.getLogger(__name__)

Handler = Callable[[Job, "Progress"], dict[str, Any] | None]
_HANDLERS: dict[str, Handler] = {}
_OUTSIDE_TRANSACTION: set[Handler] = set()


def job_handler(func: Handler | None = None, *, atomic: bool = True) -> Any:
    """Mark a function as runnable as a job; its dotted path is the job's kind. `@job_handler(atomic=False)`
    runs it outside a transaction: for a job that only reads (an export), which on SQLite would otherwise hold
    the database's write lock for as long as it runs, or one that opens its own (a ledger import)."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[f"{handler.__module__}.{handler.__qualname__}"] = handler
        if not atomic:
            _OUTSIDE_TRANSACTION.add(handler)
        return handler

    return register(func) if func is not None else register


def _handler_for(kind: str) -> Handler:
    if kind not in _HANDLERS and kind.startswith(("ebsafety.", "tests.")):
        with contextlib.suppress(ImportError):
            import_string(kind)  # importing the module registers its handlers
    try:
        return _HANDLERS[kind]
    except KeyError as exc:
        raise LookupError(f"no job handler {kind!r}") from exc


class Progress:
    """Progress reports from a running job, shared with the web process through the cache."""

    def __init__(self, job: Job, min_interval: float = 0.3) -> None:
        self.job = job
        self.done = 0
        self.total = 0
        self.message = ""
        self._last = 0.0
        self.min_interval = min_interval

    def __call__(self, done: int, total: int | None = None, message: str | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if message is not None:
            self.message = message
        now = time.monotonic()
        if now - self._last >= self.min_interval or (self.total and done >= self.total):
            self._last = now
            cache.set(
                self.job.cache_key,
                {"done": self.done, "total": self.total, "message": self.message},
                timeout=24 * 3600,
            )


def start_job(kind: Handler | str, title: str, user: Any, params: dict[str, Any] | None = None) -> Job:
    """Record a job and queue it for the worker. Returns at once."""
    if callable(kind):
        kind = f"{kind.__module__}.{kind.__qualname__}"
    _handler_for(kind)  # refuse unknown kinds before anything is queued
    job = Job.objects.create(kind=kind, title=title, created_by=user, params=params or {})
    result = run_job.enqueue(str(job.pk))
    Job.objects.filter(pk=job.pk, task_result_id="").update(task_result_id=str(result.id))
    job.refresh_from_db()
    return job


def execute(job: Job) -> Job:
    """Run a job now, in this process (the worker calls this; so do tests and the CLI)."""
    claimed = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started=timezone.now()
    )
    job.refresh_from_db()
    if not claimed:
        return job
    progress = Progress(job)
    try:
        handler = _handler_for(job.kind)
        with (
            change_context(ChangeSource.TASK, user=job.created_by, request_id=f"job:{job.pk}"),
            contextlib.nullcontext() if handler in _OUTSIDE_TRANSACTION else transaction.atomic(),
        ):
            result = handler(job, progress) or {}
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        message = getattr(exc, "user_message", None) or str(exc) or exc.__class__.__name__
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            finished=timezone.now(),
            error=f"{message}\n\n{traceback.format_exc(limit=5)}"[:20000],
            message=str(message)[:300],
            progress_done=progress.done,
            progress_total=progress.total,
        )
    else:
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.SUCCEEDED,
            finished=timezone.now(),
            result=result,
            message=(progress.message or "完成")[:300],
            progress_done=progress.total or progress.done,
            progress_total=progress.total or progress.done,
        )
    cache.delete(job.cache_key)
    job.refresh_from_db()
    return job


@task()
def run_job(job_id: str) -> str:
    """The one task the worker runs: look the job up and execute it."""
    job = Job.objects.get(pk=job_id)
    return execute(job).status
