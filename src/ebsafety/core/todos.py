"""The home page's "我的待办": each app contributes items for the user's roles (settings.TODO_PROVIDERS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

from ebsafety.core.choices import Action, CampaignStatus, JobStatus


@dataclass
class TodoItem:
    title: str
    count: int
    url: str
    level: str = "info"  # info | warning | danger
    hint: str = ""


def todos_for(user: Any) -> list[TodoItem]:
    items: list[TodoItem] = []
    for path in settings.TODO_PROVIDERS:
        items.extend(import_string(path)(user))
    order = {"danger": 0, "warning": 1, "info": 2}
    return sorted((i for i in items if i.count), key=lambda i: (order.get(i.level, 3), -i.count))


def core_todos(user: Any) -> list[TodoItem]:
    from ebsafety.core.models import Campaign, Job, Unit, User

    items: list[TodoItem] = []
    failed = Job.objects.visible_to(user).filter(status=JobStatus.FAILED, created_by=user).count()
    items.append(TodoItem("失败的后台任务", failed, reverse("core:job_list") + "?status=failed", "danger"))
    if user.is_office:
        campaigns = Campaign.objects.visible_to(user, Action.CHANGE)
        if campaigns.exists() and not campaigns.filter(status=CampaignStatus.ACTIVE).exists():
            items.append(TodoItem("尚无进行中的专项整治", 1, reverse("core:campaign_list"), "warning"))
        no_role = User.objects.visible_to(user).filter(memberships__isnull=True, is_active=True).count()
        items.append(TodoItem("未分配角色的用户", no_role, reverse("core:user_list"), "warning"))
        locked = _locked_out_count()
        items.append(TodoItem("因多次登录失败被锁定的账号", locked, reverse("core:user_list"), "warning"))
    localities = [
        m.unit for m in user.active_memberships() if m.unit_id and m.role in {"locality", "property"}
    ]
    if localities:
        missing = Unit.objects.none()
        for unit in localities:
            missing |= Unit.objects.subtree(unit).filter(
                households__isnull=True, kind__in=["village", "community", "compound"]
            )
        items.append(
            TodoItem(
                "辖区单位未填写户数",
                missing.count(),
                reverse("core:unit_list") + "?q=",
                "info",
                "请补全户数和人口。",
            )
        )
    return items


def _locked_out_count() -> int:
    from axes.models import AccessAttempt
    from django.conf import settings as s

    return AccessAttempt.objects.filter(failures_since_start__gte=s.AXES_FAILURE_LIMIT).count()
