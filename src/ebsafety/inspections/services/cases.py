"""The enforcement-case lifecycle: open → decided (the first penalty) → closed, and the case's parties and
penalties.

A closed case is final: its parties and penalties are neither added, changed nor removed (a refusal raises
`TransitionRefused` with the reason and changes nothing). Withdrawing the last penalty of a decided case
takes the case back to open. Every move of the case writes a `CaseEvent`; every saved or deleted party and
penalty writes a change record through the model signals.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from ebsafety.core.choices import Action
from ebsafety.core.models import Department, Unit
from ebsafety.inspections.choices import CaseStatus, EscalationKind, HazardStatus
from ebsafety.inspections.models import CaseEvent, CaseParty, CasePenalty, EnforcementCase, Hazard
from ebsafety.inspections.services.hazards import TransitionRefused, actor, apply, escalate, require

CLOSED_CASE_PARTIES = "案件已结案，当事人不能再新增、修改或删除。"
CLOSED_CASE_PENALTIES = "案件已结案，处罚不能再作出、修改或撤销。"


@transaction.atomic
def open_case(
    *,
    title: str,
    unit: Unit,
    lead_department: Department,
    by: Any = None,
    hazards: Iterable[Hazard] = (),
    departments: Iterable[Department] = (),
    violations: str = "",
    opened_on: datetime.date | None = None,
) -> EnforcementCase:
    """立案, possibly from hazards: overdue ones among them are escalated to the case."""
    case = EnforcementCase(
        title=title,
        unit=unit,
        lead_department=lead_department,
        violations=violations,
        opened_on=opened_on or timezone.localdate(),
    )
    case.full_clean(exclude=["number"])
    case.save()
    case.departments.set(list(departments))
    CaseEvent.objects.create(case=case, name="open", to_status=CaseStatus.OPEN, by=actor(by))
    if by is not None and not EnforcementCase.objects.filter(pk=case.pk).visible_to(by, Action.ADD).exists():
        raise PermissionDenied("立案的单位或主办部门超出了您的管辖范围。")
    for hazard in hazards:
        if hazard.status == HazardStatus.OVERDUE:
            escalate(hazard, by, to=EscalationKind.CASE, case=case, note=f"移送执法：{case.number}")
        else:
            case.hazards.add(hazard)
    return case


def _locked_case(case_id: int) -> EnforcementCase:
    """The case as it is now in the database, locked until the caller's transaction ends (two users closing
    a case and editing its penalty at the same moment must not both succeed)."""
    return EnforcementCase.objects.select_for_update().get(pk=case_id)


def closed_refusal(case: EnforcementCase, what: type[CaseParty] | type[CasePenalty]) -> str | None:
    """Why the case's parties or penalties may not change now (None when they may)."""
    if case.status != CaseStatus.CLOSED:
        return None
    return CLOSED_CASE_PARTIES if what is CaseParty else CLOSED_CASE_PENALTIES


def _refuse_if_closed(case_id: int, what: type[CaseParty] | type[CasePenalty]) -> EnforcementCase:
    case = _locked_case(case_id)
    reason = closed_refusal(case, what)
    if reason:
        raise TransitionRefused(reason)
    return case


@transaction.atomic
def add_party(case: EnforcementCase, by: Any = None, **fields: Any) -> CaseParty:
    """A person or organisation the case is against (not once the case is closed)."""
    require(by, Action.CHANGE, case)
    _refuse_if_closed(case.pk, CaseParty)
    party = CaseParty(case=case, **fields)
    party.full_clean()
    party.save()
    return party


@transaction.atomic
def save_party(party: CaseParty, by: Any = None) -> CaseParty:
    """Save corrections to a party (its case stays the same; not once the case is closed)."""
    return _save_case_part(party, by)


@transaction.atomic
def delete_party(party: CaseParty, by: Any = None) -> None:
    """Remove a party entered by mistake; its penalties stay, no longer naming it (not once closed)."""
    require(by, Action.DELETE, party)
    _refuse_if_closed(party.case_id, CaseParty)
    party.delete()


@transaction.atomic
def impose_penalty(case: EnforcementCase, by: Any = None, **fields: Any) -> CasePenalty:
    """作出处罚: the penalty is checked against its rule's range; the case becomes 'decided'."""
    require(by, Action.CHANGE, case)
    locked = _refuse_if_closed(case.pk, CasePenalty)
    penalty = CasePenalty(case=locked, by=actor(by), **fields)
    penalty.full_clean()
    penalty.save()
    if locked.status == CaseStatus.OPEN:
        _move_case(locked, CaseStatus.DECIDED, "decide", by, str(penalty))
    case.status = locked.status
    return penalty


@transaction.atomic
def save_penalty(penalty: CasePenalty, by: Any = None) -> CasePenalty:
    """Save corrections to a penalty (kind, amount within its rule's range, party of the same case, …); the
    penalty stays in its case. Refused once the case is closed."""
    return _save_case_part(penalty, by)


_Part = TypeVar("_Part", CaseParty, CasePenalty)


def _save_case_part(part: _Part, by: Any) -> _Part:
    """Save corrections to a party or penalty: it stays in its case, and not once the case is closed."""
    require(by, Action.CHANGE, part)
    model = type(part)
    original = model.objects.only("case_id").get(pk=part.pk)
    _refuse_if_closed(original.case_id, model)
    part.case_id = original.case_id
    part.full_clean()
    part.save()
    return part


@transaction.atomic
def withdraw_penalty(penalty: CasePenalty, by: Any = None, note: str = "") -> EnforcementCase:
    """撤销处罚: delete a penalty of a case that is not closed. The last penalty of a decided case takes the
    case back to open (a decided case always holds a penalty)."""
    require(by, Action.DELETE, penalty)
    case = _refuse_if_closed(penalty.case_id, CasePenalty)
    label = str(penalty)
    penalty.delete()
    if case.status == CaseStatus.DECIDED and not case.penalties.exists():
        _move_case(case, CaseStatus.OPEN, "withdraw", by, note or f"撤销处罚：{label}")
    return case


@transaction.atomic
def close_case(case: EnforcementCase, by: Any = None, note: str = "") -> EnforcementCase:
    """结案: escalated hazards of the case are closed with it."""
    require(by, Action.CHANGE, case)
    locked = _locked_case(case.pk)
    if locked.status == CaseStatus.CLOSED:
        raise TransitionRefused("案件已结案。")
    case.status = locked.status
    case.closed_on = timezone.localdate()
    _move_case(case, CaseStatus.CLOSED, "close", by, note)
    for hazard in case.hazards.filter(status=HazardStatus.ESCALATED):
        apply(hazard, "close_escalated", None, note=f"案件 {case.number} 结案。{note}".strip())
    return case


def _move_case(case: EnforcementCase, status: str, name: str, by: Any, note: str) -> None:
    previous = case.status
    case.status = status
    case.save()
    CaseEvent.objects.create(
        case=case, name=name, from_status=previous, to_status=status, by=actor(by), note=note
    )
