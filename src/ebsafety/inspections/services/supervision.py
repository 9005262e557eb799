"""Supervision (督查) findings: a finding becomes a hazard at once or a follow-up item to resolve."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ebsafety.core.choices import Action
from ebsafety.core.models import Unit
from ebsafety.inspections.choices import FindingKind, HazardSource
from ebsafety.inspections.models import SupervisionFinding, SupervisionVisit
from ebsafety.inspections.services.hazards import report_hazard, require


@transaction.atomic
def add_finding(
    visit: SupervisionVisit,
    by: Any = None,
    *,
    kind: str,
    text: str,
    category_code: str = "",
    unit: Unit | None = None,
    due_on: datetime.date | None = None,
) -> SupervisionFinding:
    """A supervision finding: a hazard (reported at once, source 'supervision') or a follow-up item."""
    require(by, Action.CHANGE, visit)
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写督查发现的问题。")
    hazard = None
    if kind == FindingKind.HAZARD:
        hazard = report_hazard(
            unit=unit or visit.unit,
            category_code=category_code or "other",
            description=text,
            source=HazardSource.SUPERVISION,
            reported_by=by,
            department=visit.department,
            source_ref=f"visit:{visit.pk}",
            supervision_visit=visit,
        )
    elif kind != FindingKind.FOLLOW_UP:
        raise ValidationError("未知的督查发现类型。")
    finding = SupervisionFinding(visit=visit, kind=kind, text=text[:300], hazard=hazard, due_on=due_on)
    finding.full_clean()
    finding.save()
    return finding


def resolve_follow_up(finding: SupervisionFinding, by: Any = None) -> SupervisionFinding:
    require(by, Action.CHANGE, finding.visit)
    if finding.kind != FindingKind.FOLLOW_UP or finding.resolved_on:
        raise ValidationError("该督办事项不需要办结。")
    finding.resolved_on = timezone.localdate()
    finding.save()
    return finding
