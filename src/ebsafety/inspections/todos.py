"""The inspections part of "我的待办": hazards to confirm, to rectify, to re-inspect — overdue first."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from ebsafety.core.choices import Role
from ebsafety.core.todos import TodoItem
from ebsafety.inspections import services
from ebsafety.inspections.choices import HazardStatus
from ebsafety.inspections.models import Hazard


def _url(**params: Any) -> str:
    return reverse("inspections:hazard_list") + "?" + urlencode(params, doseq=True)


def _may(user: Any, name: str) -> bool:
    roles = services.TRANSITIONS[name].roles
    return user.is_superuser or bool(user.roles() & set(roles))


def hazard_todos(user: Any) -> list[TodoItem]:
    """Counts of the hazards in the user's scope waiting for what the user's roles may do."""
    if not user.roles() & {Role.OFFICE, Role.DEPARTMENT, Role.LOCALITY, Role.PROPERTY, Role.INSPECTOR}:
        return []
    hazards = Hazard.objects.visible_to(user)
    today = timezone.localdate()
    items: list[TodoItem] = []
    if _may(user, "rectify"):
        overdue = hazards.overdue_now(today).count()
        items.append(
            TodoItem("逾期未整改的隐患", overdue, _url(overdue="true"), "danger", "请尽快整改或升级处理。")
        )
        rectifying = hazards.filter(status=HazardStatus.ORDERED, deadline__gte=today).count()
        items.append(
            TodoItem(
                "待整改的隐患", rectifying, _url(status=HazardStatus.ORDERED, overdue="false"), "warning"
            )
        )
    if _may(user, "confirm"):
        reported = hazards.filter(status=HazardStatus.REPORTED).count()
        items.append(TodoItem("待确认的隐患", reported, _url(status=HazardStatus.REPORTED), "warning"))
    if _may(user, "order"):
        confirmed = hazards.filter(status=HazardStatus.CONFIRMED).count()
        items.append(
            TodoItem("已确认待交办整改的隐患", confirmed, _url(status=HazardStatus.CONFIRMED), "info")
        )
    if _may(user, "reinspect_pass"):
        rectified = hazards.filter(status=HazardStatus.RECTIFIED).count()
        items.append(TodoItem("待复查的隐患", rectified, _url(status=HazardStatus.RECTIFIED), "info"))
    if _may(user, "close"):
        reinspected = hazards.filter(status=HazardStatus.REINSPECTED).count()
        items.append(
            TodoItem("复查合格待销号的隐患", reinspected, _url(status=HazardStatus.REINSPECTED), "info")
        )
    return items
