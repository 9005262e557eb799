"""The hazard lifecycle: the only place a hazard changes state.

Each hazard transition is declared once in `TRANSITIONS`: the states it leaves from, the state it reaches, the
roles that may make it, and whether it needs a note or evidence. `apply()` checks all of that (a refused
transition raises `TransitionRefused` with the reason in Chinese and changes nothing), moves the hazard and
writes a `HazardTransition` row (who, when, note, evidence) — the Healthchecks `Flip` pattern. `by=None` is
the system (the daily job, the CLI as the system, the tips app's intake).

Other apps call `report_hazard()` (the tips app: source "tip") and read `Hazard.status` / `Hazard.closed_at`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ebsafety.core.choices import Role
from ebsafety.core.models import Attachment, Department, Unit
from ebsafety.core.scoping import can, membership_q
from ebsafety.core.workdays import add_working_days
from ebsafety.inspections.choices import EscalationKind, HazardSource, HazardStatus
from ebsafety.inspections.models import EnforcementCase, Hazard, HazardCategory, HazardTransition

S = HazardStatus
STAFF = frozenset({Role.OFFICE, Role.DEPARTMENT, Role.LOCALITY, Role.INSPECTOR})
CONFIRMERS = STAFF | {Role.PROPERTY}


class TransitionRefused(ValidationError):
    """A transition that is not allowed (wrong state, wrong role, missing note or evidence)."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    needs_note: bool = False
    needs_evidence: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("confirm", "确认隐患", frozenset({S.REPORTED}), S.CONFIRMED, CONFIRMERS),
        Transition(
            "dismiss", "驳回（不属实）", frozenset({S.REPORTED}), S.DISMISSED, CONFIRMERS, needs_note=True
        ),
        Transition("order", "责令整改", frozenset({S.CONFIRMED, S.ESCALATED}), S.ORDERED, STAFF),
        Transition(
            "rectify",
            "提交整改",
            frozenset({S.ORDERED, S.OVERDUE, S.ESCALATED}),
            S.RECTIFIED,
            CONFIRMERS,
            needs_evidence=True,
        ),
        Transition("reinspect_pass", "复查合格", frozenset({S.RECTIFIED}), S.REINSPECTED, STAFF),
        Transition(
            "reinspect_fail", "复查不合格", frozenset({S.RECTIFIED}), S.ORDERED, STAFF, needs_note=True
        ),
        Transition(
            "close", "销号", frozenset({S.REINSPECTED}), S.CLOSED, frozenset({Role.OFFICE, Role.LOCALITY})
        ),
        Transition(
            "fix_on_spot",
            "当场整改销号",
            frozenset({S.REPORTED, S.CONFIRMED}),
            S.CLOSED,
            CONFIRMERS,
            needs_evidence=True,
        ),
        Transition("mark_overdue", "标记逾期", frozenset({S.ORDERED}), S.OVERDUE, frozenset({Role.OFFICE})),
        Transition(
            "escalate",
            "升级处理",
            frozenset({S.OVERDUE}),
            S.ESCALATED,
            frozenset({Role.OFFICE, Role.LOCALITY, Role.DEPARTMENT}),
            needs_note=True,
        ),
        Transition(
            "close_escalated",
            "结案销号",
            frozenset({S.ESCALATED}),
            S.CLOSED,
            frozenset({Role.OFFICE, Role.DEPARTMENT}),
            needs_note=True,
        ),
    ]
}


def _refuse(message: str) -> TransitionRefused:
    return TransitionRefused(message)


def require(by: Any, action: str, obj: Any) -> None:
    """Refuse (PermissionDenied) a user who may not perform `action` on `obj`; `by=None` is the system."""
    if by is not None and not can(by, action, obj):
        raise PermissionDenied("无权对该对象执行此操作。")


def actor(by: Any) -> Any:
    """The user to record as having made a change (None for the system or an unsaved user)."""
    return by if by is not None and getattr(by, "pk", None) else None


def may_make(user: Any, transition: Transition, hazard: Hazard) -> bool:
    """Has the user a role that may make this transition, at a place from which it reaches the hazard?"""
    if user is None or user.is_superuser:
        return True
    for membership in user.active_memberships():
        if membership.role in transition.roles and (
            Hazard.objects.filter(pk=hazard.pk).filter(membership_q(Hazard, membership)).exists()
        ):
            return True
    return False


def refusal(hazard: Hazard, name: str, by: Any) -> str | None:
    """Why this transition may not be made now (None when it may)."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        return f"未知的操作“{name}”。"
    if hazard.status not in transition.sources:
        return f"隐患当前为“{hazard.get_status_display()}”，不能{transition.label}。"
    if not may_make(by, transition, hazard):
        roles = "、".join(str(Role(r).label) for r in sorted(transition.roles))
        return f"您的角色无权{transition.label}（限：{roles}）。"
    return None


def available(hazard: Hazard, user: Any) -> list[Transition]:
    """The transitions this user may make on this hazard now (for buttons)."""
    return [
        t for t in TRANSITIONS.values() if t.name != "mark_overdue" and refusal(hazard, t.name, user) is None
    ]


def _attach(hazard: Hazard, files: Iterable[Any], by: Any) -> list[int]:
    """Attach uploads (cleaned: photos re-encoded, EXIF/GPS stripped) or copy existing Attachments."""
    ids = []
    for item in files:
        if isinstance(item, Attachment):
            copy = Attachment.objects.create(
                content_type=_content_type(hazard),
                object_id=str(hazard.pk),
                file=item.file.name,
                kind=item.kind,
                original_name=item.original_name,
                mime=item.mime,
                size=item.size,
                sha256=item.sha256,
                width=item.width,
                height=item.height,
                caption=item.caption,
                uploaded_by=item.uploaded_by,
            )
            ids.append(copy.pk)
        else:
            ids.append(Attachment.attach(hazard, item, user=by).pk)
    return ids


def _content_type(record: Any) -> Any:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(record)


@transaction.atomic
def apply(
    hazard: Hazard,
    name: str,
    by: Any = None,
    *,
    note: str = "",
    evidence: Sequence[Any] = (),
    today: datetime.date | None = None,
    **changes: Any,
) -> Hazard:
    """Make a transition: check state, role, note and evidence; move; record. Nothing changes if refused."""
    locked = Hazard.objects.select_for_update().select_related("category", "unit").get(pk=hazard.pk)
    transition = TRANSITIONS.get(name)
    reason = refusal(locked, name, by)
    if reason:
        raise _refuse(reason)
    assert transition is not None
    note = (note or "").strip()
    if transition.needs_note and not note:
        raise _refuse(f"{transition.label}须填写说明。")
    if transition.needs_evidence and not evidence:
        raise _refuse(f"{transition.label}须上传整改后的照片等证据。")
    now = timezone.now()
    previous = locked.status
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.status = transition.target
    locked.status_changed_at = now
    if transition.target == S.CLOSED:
        locked.closed_at = now
    locked.save()
    evidence_ids = _attach(locked, evidence, by)
    HazardTransition.objects.create(
        hazard=locked,
        name=name,
        from_status=previous,
        to_status=transition.target,
        by=by if by is not None and getattr(by, "pk", None) else None,
        at=now,
        note=note,
        deadline=changes.get("deadline"),
        evidence=evidence_ids,
    )
    if hazard is not locked:
        hazard.refresh_from_db()
    return hazard


# -- the lifecycle, one function per transition (views, API and CLI call these) --------------------------


def report_hazard(
    *,
    unit: Unit,
    category_code: str,
    description: str,
    source: str,
    reported_by: Any = None,
    address: str = "",
    photos: Sequence[Any] = (),
    source_ref: str = "",
    department: Department | None = None,
    place: str = "",
    severity: str = "",
    found_on: datetime.date | None = None,
    **links: Any,
) -> Hazard:
    """Create a hazard in state 'reported' (source e.g. 'tip', 'volunteer', 'device', 'office'); photos are
    core Attachment objects (copied onto the hazard) or uploaded files (cleaned); source_ref is e.g. the
    tip's id. `links` may name the inspection, supervision_visit, ebike, shop, station or rider."""
    if source not in HazardSource.values:
        raise ValidationError(f"未知的隐患来源“{source}”。")
    category = HazardCategory.objects.filter(code=category_code).first()
    if category is None or not category.is_active:
        raise ValidationError(f"隐患类别“{category_code}”不存在或已停用。")
    allowed = {"inspection", "supervision_visit", "ebike", "shop", "station", "rider"}
    unknown = set(links) - allowed
    if unknown:
        raise TypeError(f"unknown links: {sorted(unknown)}")
    with transaction.atomic():
        hazard = Hazard(
            unit=unit,
            category=category,
            description=description,
            source=source,
            source_ref=str(source_ref or "")[:64],
            reported_by=reported_by if reported_by is not None and getattr(reported_by, "pk", None) else None,
            address=address,
            place=place,
            department=department,
            severity=severity or category.default_severity,
            found_on=found_on or timezone.localdate(),
            status=S.REPORTED,
            status_changed_at=timezone.now(),
            **links,
        )
        hazard.full_clean()
        hazard.save()
        evidence_ids = _attach(hazard, photos, reported_by)
        HazardTransition.objects.create(
            hazard=hazard,
            name="report",
            to_status=S.REPORTED,
            by=hazard.reported_by,
            note=description,
            evidence=evidence_ids,
        )
    from ebsafety.inspections import reminders

    reminders.hazard_reported(hazard)  # queued rows: they roll back with a failed caller
    return hazard


def confirm(hazard: Hazard, by: Any = None, note: str = "", severity: str = "") -> Hazard:
    changes: dict[str, Any] = {"severity": severity} if severity else {}
    return apply(hazard, "confirm", by, note=note, **changes)


def dismiss(hazard: Hazard, by: Any = None, note: str = "") -> Hazard:
    return apply(hazard, "dismiss", by, note=note)


def deadline_for(
    hazard: Hazard, days: int | None, today: datetime.date | None = None
) -> tuple[int, datetime.date]:
    """The deadline `days` working days from today (the category's default when not given)."""
    days = hazard.category.deadline_days if days is None else int(days)
    if days < 0 or days > 250:
        raise _refuse("整改期限应在 0–250 个工作日之间。")
    start = today or timezone.localdate()
    return days, add_working_days(start, days) if days else start


def order_rectification(
    hazard: Hazard,
    by: Any = None,
    *,
    responsible_party: str = "",
    days: int | None = None,
    responsible_user: Any = None,
    note: str = "",
    today: datetime.date | None = None,
) -> Hazard:
    """责令整改: who must fix it, by when (working days, the category's default unless given)."""
    responsible_party = (responsible_party or "").strip()
    if not responsible_party:
        raise _refuse("请填写整改责任方。")
    hazard.category = HazardCategory.objects.get(pk=hazard.category_id)
    _, deadline = deadline_for(hazard, days, today)
    apply(
        hazard,
        "order",
        by,
        note=note,
        responsible_party=responsible_party[:100],
        responsible_user=responsible_user,
        deadline=deadline,
        rectified_on=None,
        escalation="",
    )
    from ebsafety.inspections import reminders

    reminders.hazard_assigned(hazard)
    return hazard


def rectify(
    hazard: Hazard,
    by: Any = None,
    *,
    evidence: Sequence[Any] = (),
    note: str = "",
    today: datetime.date | None = None,
) -> Hazard:
    """提交整改 with evidence (photos of the place after the fix)."""
    return apply(
        hazard, "rectify", by, note=note, evidence=evidence, rectified_on=today or timezone.localdate()
    )


def reinspect(
    hazard: Hazard,
    by: Any = None,
    *,
    passed: bool,
    note: str = "",
    days: int | None = None,
    evidence: Sequence[Any] = (),
    today: datetime.date | None = None,
) -> Hazard:
    """复查: pass → waits for closure; fail → back to rectification with a new deadline."""
    if passed:
        return apply(hazard, "reinspect_pass", by, note=note, evidence=evidence)
    hazard.category = HazardCategory.objects.get(pk=hazard.category_id)
    _, deadline = deadline_for(hazard, days, today)
    apply(hazard, "reinspect_fail", by, note=note, evidence=evidence, deadline=deadline, rectified_on=None)
    from ebsafety.inspections import reminders

    reminders.hazard_assigned(hazard)
    return hazard


def close(hazard: Hazard, by: Any = None, note: str = "") -> Hazard:
    """销号 after a passed re-inspection; an escalated hazard closes when its case or department is done."""
    name = "close_escalated" if hazard.status == S.ESCALATED else "close"
    return apply(hazard, name, by, note=note)


def fix_on_spot(
    hazard: Hazard,
    by: Any = None,
    *,
    evidence: Sequence[Any] = (),
    note: str = "",
    today: datetime.date | None = None,
) -> Hazard:
    """当场整改: fixed while the inspector watched; closes at once with evidence."""
    today = today or timezone.localdate()
    return apply(
        hazard, "fix_on_spot", by, note=note, evidence=evidence, fixed_on_spot=True, rectified_on=today
    )


def mark_overdue(hazard: Hazard, by: Any = None, today: datetime.date | None = None) -> Hazard:
    today = today or timezone.localdate()
    if hazard.deadline is None or hazard.deadline >= today:
        raise _refuse("整改期限未到，不能标记逾期。")
    return apply(hazard, "mark_overdue", by, note=f"超过整改期限 {hazard.deadline:%Y-%m-%d}")


def escalate(
    hazard: Hazard,
    by: Any = None,
    *,
    to: str,
    note: str = "",
    department: Department | None = None,
    case: EnforcementCase | None = None,
) -> Hazard:
    """逾期升级: to an enforcement case (existing or named by the caller) or to the sector department."""
    reason = refusal(hazard, "escalate", by)
    if reason:
        raise _refuse(reason)
    if to == EscalationKind.CASE:
        if case is None:
            raise _refuse("移送执法须选择或新建执法案件。")
        apply(hazard, "escalate", by, note=note, escalation=EscalationKind.CASE)
        case.hazards.add(hazard)
        return hazard
    if to != EscalationKind.DEPARTMENT:
        raise _refuse("升级方式只能是移送执法或移交行业部门。")
    if department is None:
        department = sector_department(hazard)
    if department is None:
        raise _refuse("找不到负责该类隐患的行业部门，请指定部门。")
    return apply(
        hazard, "escalate", by, note=note, escalation=EscalationKind.DEPARTMENT, department=department
    )


def sector_department(hazard: Hazard) -> Department | None:
    """The department of the hazard category's sector that serves the hazard's unit."""
    sector = HazardCategory.objects.get(pk=hazard.category_id).sector
    if not sector:
        return None
    # Departments are few (a town has about a dozen): filter the JSON list in Python, on every database.
    for department in Department.objects.order_by("code"):
        if sector in (department.sectors or []) and any(
            hazard.unit.path.startswith(path) for path in department.served_paths()
        ):
            return department
    return None
