"""Periodic jobs (daily overdue marking, reminders, webhook delivery), run by `ebsafety scheduler`.

Each job is (name, how often, function). A run is recorded as a `ScheduledRun` keyed by the job and its
period ("2026-11-30" for a daily job, "2026-11-30T10:05" for a per-minute one), inserted before the work
starts: a second scheduler, or the same job started twice by hand, finds the row and does nothing.
Apps add their jobs to settings.SCHEDULED_JOBS as dotted paths of `ScheduledJob` objects.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from ebsafety.core.choices import ChangeSource
from ebsafety.core.context import change_context
from ebsafety.core.models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    every: str  # "day" | "minute"
    func: Callable[[], Any]
    at: datetime.time = datetime.time(6, 0)  # for daily jobs: local time from which it runs

    def period(self, now: datetime.datetime) -> str | None:
        local = timezone.localtime(now)
        if self.every == "minute":
            return local.strftime("%Y-%m-%dT%H:%M")
        if self.every == "day":
            return local.date().isoformat() if local.time() >= self.at else None
        raise ValueError(f"unknown schedule {self.every!r}")


def jobs() -> list[ScheduledJob]:
    return [import_string(path) for path in getattr(settings, "SCHEDULED_JOBS", [])]


def run_once(
    job: ScheduledJob, now: datetime.datetime | None = None, force_period: str | None = None
) -> bool:
    """Run the job for its current period unless it already ran; returns whether it ran."""
    period = force_period or job.period(now or timezone.now())
    if period is None:
        return False
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(name=job.name, period=period)
    except IntegrityError:
        return False
    with change_context(
        ChangeSource.TASK, label=f"scheduler:{job.name}", request_id=f"scheduled:{job.name}:{period}"
    ):
        try:
            outcome = job.func()
        except Exception as exc:
            logger.exception("scheduled job %s failed", job.name)
            ScheduledRun.objects.filter(pk=run.pk).delete()  # let the next tick try again
            raise RuntimeError(f"{job.name} failed: {exc}") from exc
    ScheduledRun.objects.filter(pk=run.pk).update(finished=timezone.now(), outcome=str(outcome)[:300])
    return True


def tick(now: datetime.datetime | None = None) -> list[str]:
    ran = []
    for job in jobs():
        try:
            if run_once(job, now):
                ran.append(job.name)
        except RuntimeError:
            continue
    return ran


def loop(interval: float = 30.0, max_ticks: int | None = None) -> None:
    ticks = 0
    while max_ticks is None or ticks < max_ticks:
        tick()
        ticks += 1
        time.sleep(interval)


def _deliver_webhooks() -> Any:
    from ebsafety.core.notify import deliver_webhooks

    return deliver_webhooks()


deliver_webhooks_job = ScheduledJob("webhook-delivery", "minute", _deliver_webhooks)
