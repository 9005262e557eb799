"""In-app notifications, outbound webhook messages, and the record of scheduled runs."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from ebsafety.core.choices import Role
from ebsafety.core.models.base import READ, ScopedQuerySet


class Notification(models.Model):
    """A message to one user (a hazard assigned, a deadline tomorrow, a hazard overdue …)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField("类型", max_length=40)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    dedupe_key = models.CharField(
        max_length=200, help_text="the same key is never sent twice to the same user"
    )
    created = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_unit_path: ClassVar[str | None] = None
    scope_owner_field: ClassVar[str] = "user"
    role_actions: ClassVar[dict[str, frozenset[str]]] = {}

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "dedupe_key"], name="notification_once")]
        indexes = [
            models.Index(fields=["user", "read_at", "-created"], name="notification_inbox")
        ]  # my unread

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("core:notification_open", args=[self.pk])


class WebhookStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已送达"
    FAILED = "failed", "发送失败"


class WebhookDelivery(models.Model):
    """One message for the outbound webhook (a government chat bot); retried with back-off until delivered."""

    url = models.URLField("地址", max_length=500)
    payload = models.JSONField("内容")
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        "状态", max_length=10, choices=WebhookStatus.choices, default=WebhookStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    next_attempt_at = models.DateTimeField("下次尝试", db_index=True)
    created = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("送达时间", null=True, blank=True)
    unit_path = models.CharField(max_length=1024, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_unit_path: ClassVar[str | None] = None
    role_actions: ClassVar[dict[str, frozenset[str]]] = {Role.OFFICE: READ}

    class Meta:
        verbose_name = "外发消息"
        verbose_name_plural = "外发消息"
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return str(self.payload.get("title", self.dedupe_key))

    @classmethod
    def scope_q_for_unit_path(cls, path: str) -> Q:
        return Q(unit_path__startswith=path) | Q(unit_path="")


class ScheduledRun(models.Model):
    """That a periodic job ran for a period ("hazards-overdue" for 2026-11-30): the scheduler never runs the
    same job twice for one period, whatever number of scheduler processes are running."""

    name = models.CharField(max_length=100)
    period = models.CharField(max_length=40)
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "period"], name="scheduled_run_once")]

    def __str__(self) -> str:
        return f"{self.name} {self.period}"
