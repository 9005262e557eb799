"""The change log: one row for every create, update and delete, through every path."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from ebsafety.core.choices import ChangeAction, ChangeSource, Role
from ebsafety.core.models.base import READ, ScopedQuerySet


class ChangeRecord(models.Model):
    """Who changed what, when, through which path (web, api, cli, task), and the values before and after."""

    time = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="changes",
    )
    actor_label = models.CharField("操作人（记录时）", max_length=150, blank=True)
    source = models.CharField("途径", max_length=10, choices=ChangeSource.choices)
    request_id = models.CharField("请求/任务编号", max_length=64)
    action = models.CharField("操作", max_length=10, choices=ChangeAction.choices)
    content_type = models.ForeignKey(ContentType, verbose_name="对象类型", on_delete=models.PROTECT)
    object_id = models.CharField("对象编号", max_length=64)
    object_repr = models.CharField("对象", max_length=200)
    unit_path = models.CharField("所属单位路径", max_length=1024, blank=True)
    changed_fields = models.JSONField("变更字段", default=list, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    scope_unit_path: ClassVar[str | None] = None  # filtered on unit_path, see scope_q_for_unit_path
    role_actions: ClassVar[dict[str, frozenset[str]]] = {Role.OFFICE: READ}

    class Meta:
        verbose_name = "变更记录"
        verbose_name_plural = "变更记录"
        ordering = ["-time", "-id"]
        indexes = [
            # the history tab of one object
            models.Index(fields=["content_type", "object_id", "-time"], name="change_object_time"),
            # audit search by user
            models.Index(fields=["actor", "-time"], name="change_actor_time"),
            # audit search by date
            models.Index(fields=["-time"], name="change_time"),
            # everything one request or job did
            models.Index(fields=["request_id"], name="change_request"),
            # audit search by unit subtree (prefix match)
            models.Index(fields=["unit_path"], name="change_unit_path", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    @classmethod
    def scope_q_for_unit_path(cls, path: str) -> Q:
        return Q(unit_path__startswith=path)

    def diff(self) -> list[tuple[str, object, object]]:
        before, after = self.before or {}, self.after or {}
        fields = self.changed_fields or sorted(set(before) | set(after))
        return [(name, before.get(name), after.get(name)) for name in fields]
