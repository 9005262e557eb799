"""Telling the tips officers that a new tip waits for triage (an in-app notification through core.notify).

Sent once the tip's transaction has committed (`submit_tip` registers `new_tip_on_commit`), in a transaction
of its own: a tip that was rolled back notifies nobody, and a failure to notify is logged and never loses the
tip or fails the reporter's request. The text names the category, the unit and the channel — never the
reporter, and not the description either (a reporter may write their name or number into it).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from ebsafety.core.choices import Role
from ebsafety.core.models import Membership
from ebsafety.core.notify import notify
from ebsafety.tips.models import Tip

logger = logging.getLogger(__name__)
KIND = "tip_new"


def recipients(tip: Tip, *, unit_given: bool = True) -> list[Any]:
    """The tips officers whose scope covers the tip's unit (a membership at the unit or above it); the
    office of that unit as well when the reporter named no compound (only an address: someone decides where
    it belongs) or when no tips officer covers the unit. One query, whatever the number of users."""
    memberships = (
        Membership.objects.filter(
            is_active=True,
            user__is_active=True,
            role__in=[Role.TIPS_OFFICER, Role.OFFICE],
            unit__code__in=tip.unit.ancestor_codes,
        )
        .select_related("user")
        .order_by("user_id")
    )
    officers: dict[int, Any] = {}
    office: dict[int, Any] = {}
    for membership in memberships:
        target = officers if membership.role == Role.TIPS_OFFICER else office
        target[membership.user_id] = membership.user
    users = dict(officers)
    if not unit_given or not officers:
        users.update(office)
    if tip.received_by_id:  # the officer who took the call already knows
        users.pop(tip.received_by_id, None)
    return list(users.values())


def notify_new_tip(tip: Tip, users: list[Any], *, unit_given: bool = True) -> int:
    """Notify `users` of a new tip; returns how many notifications were made."""
    received = timezone.localtime(tip.created)
    where = tip.unit.name if unit_given else f"{tip.unit.name}（未选小区，填写了地址）"
    return notify(
        users,
        kind=KIND,
        title=f"新举报待分拣：{tip.category.name}",
        body=f"{where}，来源：{tip.get_source_display()}，收到时间 {received:%Y-%m-%d %H:%M}。",
        url=tip.get_absolute_url(),
        dedupe_key=f"tip:{tip.pk}:new",
    )


def _notify_safely(tip: Tip, unit_given: bool) -> None:
    try:
        users = recipients(tip, unit_given=unit_given)  # read before taking the write lock
        with transaction.atomic():  # all notifications in one short write transaction
            notify_new_tip(tip, users, unit_given=unit_given)
    except Exception:  # a tip must never be lost or refused because a notification failed
        logger.exception("tip %s: tips officers not notified", tip.pk)


def new_tip_on_commit(tip: Tip, *, unit_given: bool = True) -> None:
    """Notify about `tip` once the transaction that stored it commits (at once outside a transaction)."""
    transaction.on_commit(functools.partial(_notify_safely, tip, unit_given))
