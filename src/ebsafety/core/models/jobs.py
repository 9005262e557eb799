"""Background jobs as users see them: what runs, how far it got, and how it ended."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import Q
from django.urls import reverse

from ebsafety.core.choices import JobStatus, Role
from ebsafety.core.models.base import READ, ScopedQuerySet


class Job(models.Model):
    """A long piece of work (import, export, report) run by the worker on behalf of a user.

    Progress lives in the cache while the job runs (its database work is one transaction, invisible to
    others until it commits) and is folded into the row when the job ends.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("类型", max_length=100)
    title = models.CharField("名称", max_length=200)
    status = models.CharField("状态", max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, blank=True, on_delete=models.SET_NULL
    )
    params = models.JSONField("参数", default=dict, blank=True)
    progress_done = models.PositiveIntegerField("已完成", default=0)
    progress_total = models.PositiveIntegerField("总量", default=0)
    message = models.CharField("进度说明", max_length=300, blank=True)
    result = models.JSONField("结果", null=True, blank=True)
    error = models.TextField("错误", blank=True)
    result_file = models.FileField("结果文件", upload_to="jobs/%Y/%m/", blank=True)
    task_result_id = models.CharField("任务编号", max_length=64, blank=True)
    created = models.DateTimeField("创建时间", auto_now_add=True)
    started = models.DateTimeField("开始时间", null=True, blank=True)
    finished = models.DateTimeField("结束时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    # A job belongs to the user who started it; the office also sees the jobs of users in its subtree.
    scope_unit_path: ClassVar[str | None] = None
    scope_owner_field: ClassVar[str] = "created_by"
    scope_distinct: ClassVar[bool] = True
    role_actions: ClassVar[dict[str, frozenset[str]]] = {Role.OFFICE: READ}

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created"]
        indexes = [models.Index(fields=["created_by", "-created"], name="job_owner_created")]  # "my jobs"

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("core:job_detail", args=[self.pk])

    @classmethod
    def scope_q_for_unit_path(cls, path: str) -> Q:
        return Q(created_by__memberships__unit__path__startswith=path) | Q(
            created_by__memberships__department__unit__path__startswith=path
        )

    @property
    def cache_key(self) -> str:
        return f"job-progress:{self.pk}"

    def live_progress(self) -> dict[str, Any]:
        """Progress as the worker last reported it, falling back to the row."""
        live = cache.get(self.cache_key) if self.status == JobStatus.RUNNING else None
        done = live["done"] if live else self.progress_done
        total = live["total"] if live else self.progress_total
        message = live["message"] if live else self.message
        percent = 100 if self.status == JobStatus.SUCCEEDED else (int(done * 100 / total) if total else 0)
        return {"done": done, "total": total, "message": message, "percent": min(percent, 100)}

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.SUCCEEDED, JobStatus.FAILED}
