"""Reminders about hazards, in-app and through the campaign's webhook (core.notify): a hazard reported for
confirmation, a hazard assigned, a deadline tomorrow, a hazard overdue — and the daily job that marks overdue
hazards. Every message has a dedupe key, so running the job twice sends nothing twice.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db.models import Q
from django.utils import timezone

from ebsafety.core.choices import Role
from ebsafety.core.models import Campaign, Membership
from ebsafety.core.notify import notify
from ebsafety.core.scheduler import ScheduledJob
from ebsafety.inspections.choices import HazardStatus
from ebsafety.inspections.models import Hazard

logger = logging.getLogger(__name__)


def _ancestor_memberships(hazard: Hazard, roles: set[str]) -> list[Membership]:
    codes = hazard.unit.ancestor_codes
    return list(
        Membership.objects.filter(is_active=True, role__in=roles, unit__code__in=codes, user__is_active=True)
        .select_related("user", "unit")
        .order_by("-unit__depth")
    )


def _unit_depth(membership: Membership) -> int:
    unit = membership.unit
    assert unit is not None  # _ancestor_memberships finds memberships by their unit
    return unit.depth


def responsible_users(hazard: Hazard) -> list[Any]:
    """Who must act on a hazard being rectified: its named responsible person, else the property company of
    its compound, else the nearest locality; and the sector department it is filed under."""
    users: list[Any] = []
    if hazard.responsible_user_id:
        users.append(hazard.responsible_user)
    else:
        nearby = _ancestor_memberships(hazard, {Role.PROPERTY, Role.LOCALITY})
        if nearby:
            depth = _unit_depth(nearby[0])
            users += [m.user for m in nearby if _unit_depth(m) == depth]
    if hazard.department_id:
        users += [
            m.user
            for m in Membership.objects.filter(
                department=hazard.department_id, is_active=True, role=Role.DEPARTMENT
            ).select_related("user")
        ]
    return users


def confirming_users(hazard: Hazard) -> list[Any]:
    """Who confirms or dismisses a reported hazard: the property company or the nearest locality."""
    nearby = _ancestor_memberships(hazard, {Role.PROPERTY, Role.LOCALITY})
    if not nearby:
        return []
    depth = _unit_depth(nearby[0])
    return [m.user for m in nearby if _unit_depth(m) == depth]


def office_users(hazard: Hazard) -> list[Any]:
    return [m.user for m in _ancestor_memberships(hazard, {Role.OFFICE})]


def webhook_url(hazard: Hazard) -> str:
    campaign = Campaign.active_for(hazard.unit)
    return (campaign.param("webhook_url") or "").strip() if campaign is not None else ""


def _send(hazard: Hazard, users: list[Any], kind: str, title: str, body: str, key: str) -> int:
    return notify(
        users,
        kind=kind,
        title=title,
        body=body,
        url=hazard.get_absolute_url(),
        dedupe_key=key,
        webhook_url=webhook_url(hazard),
        unit_path=hazard.unit.path,
    )


def hazard_reported(hazard: Hazard) -> int:
    hazard = Hazard.objects.select_related("unit", "category").get(pk=hazard.pk)
    return notify(
        confirming_users(hazard),
        kind="hazard_reported",
        title=f"新隐患待确认：{hazard.category.name}",
        body=f"{hazard.location()}：{hazard.description}"[:500],
        url=hazard.get_absolute_url(),
        dedupe_key=f"hazard:{hazard.pk}:reported",
    )


def hazard_assigned(hazard: Hazard) -> int:
    hazard = Hazard.objects.select_related("unit", "category", "responsible_user").get(pk=hazard.pk)
    return _send(
        hazard,
        responsible_users(hazard),
        "hazard_assigned",
        f"隐患整改任务：{hazard.category.name}",
        f"{hazard.location()}，责任方：{hazard.responsible_party}，"
        f"请于 {hazard.deadline:%Y-%m-%d} 前完成整改。",
        f"hazard:{hazard.pk}:assigned:{hazard.deadline:%Y%m%d}",
    )


def deadline_tomorrow(hazard: Hazard) -> int:
    return _send(
        hazard,
        responsible_users(hazard),
        "hazard_due",
        f"隐患明日到期：{hazard.category.name}",
        f"{hazard.location()}，整改期限 {hazard.deadline:%Y-%m-%d}。",
        f"hazard:{hazard.pk}:due:{hazard.deadline:%Y%m%d}",
    )


def hazard_overdue(hazard: Hazard) -> int:
    return _send(
        hazard,
        responsible_users(hazard) + office_users(hazard),
        "hazard_overdue",
        f"隐患逾期未整改：{hazard.category.name}",
        f"{hazard.location()}，责任方：{hazard.responsible_party}，期限 {hazard.deadline:%Y-%m-%d} 已过。",
        f"hazard:{hazard.pk}:overdue:{hazard.deadline:%Y%m%d}",
    )


def run_daily(today: datetime.date | None = None) -> dict[str, int]:
    """Mark hazards past their deadline overdue and remind; remind of deadlines tomorrow. Idempotent."""
    from ebsafety.inspections import services

    today = today or timezone.localdate()
    marked = reminded = due = 0
    base = Hazard.objects.select_related("unit", "category", "responsible_user")
    for hazard in base.filter(status=HazardStatus.ORDERED, deadline__lt=today).order_by("pk").iterator():
        services.mark_overdue(hazard, None, today=today)
        marked += 1
    for hazard in base.filter(status=HazardStatus.OVERDUE, deadline__lt=today).order_by("pk").iterator():
        reminded += 1 if hazard_overdue(hazard) else 0
    tomorrow = today + datetime.timedelta(days=1)
    for hazard in base.filter(Q(status=HazardStatus.ORDERED), deadline=tomorrow).order_by("pk").iterator():
        due += 1 if deadline_tomorrow(hazard) else 0
    logger.info(
        "hazards daily: %s marked overdue, %s overdue reminders, %s due tomorrow", marked, reminded, due
    )
    return {"marked_overdue": marked, "overdue_reminded": reminded, "due_tomorrow_reminded": due}


def _daily() -> dict[str, int]:
    return run_daily()


daily_job = ScheduledJob("hazards-daily", "day", _daily, at=datetime.time(6, 0))
