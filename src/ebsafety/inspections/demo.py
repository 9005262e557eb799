"""Demo data: eight weeks of 大检查 in the demo town — inspections (some joint), about 3,000 hazards in every
state with their transition rows, enforcement cases with penalties, supervision visits with findings.

Registered in settings.DEMO_BUILDERS; deterministic for a seed (only `rng` decides), and fast: every volume
table is written with bulk_create. Bulk writes send no signals, so the demo writes the "created" change
record of each inspection, hazard and supervision visit itself, in one bulk insert (so their history tabs
are not empty).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ebsafety.core import audit
from ebsafety.core.choices import ChangeAction, DepartmentKind, UnitKind
from ebsafety.core.context import current_context
from ebsafety.core.models import BaseModel, Campaign, ChangeRecord, Department, Unit, User
from ebsafety.core.workdays import add_working_days
from ebsafety.inspections.choices import CaseStatus, CheckResult, HazardSource, HazardStatus, PenaltyKind
from ebsafety.inspections.models import (
    CaseEvent,
    CasePenalty,
    ChecklistTemplate,
    EnforcementCase,
    Hazard,
    HazardCategory,
    HazardTransition,
    Inspection,
    InspectionCheck,
    SupervisionFinding,
    SupervisionVisit,
)
from ebsafety.inspections.seed import seed_catalogues

S = HazardStatus
WEEKS = 8
HAZARDS = 3000
INSPECTIONS = 1400
PARTIES = ["物业服务中心", "村民委员会", "社区居委会", "出租屋房东", "车主"]


def _moment(day: datetime.date, rng: random.Random) -> datetime.datetime:
    naive = datetime.datetime.combine(day, datetime.time(8 + rng.randrange(10), rng.randrange(60)))
    return timezone.make_aware(naive)


class _Calendar:
    """add_working_days with a cache: the demo asks the same (day, n) thousands of times."""

    def __init__(self) -> None:
        self.cache: dict[tuple[datetime.date, int], datetime.date] = {}

    def add(self, day: datetime.date, days: int) -> datetime.date:
        key = (day, days)
        if key not in self.cache:
            self.cache[key] = add_working_days(day, days)
        return self.cache[key]


def build_inspections_demo(towns: list[Unit], rng: random.Random, scale: str) -> None:
    seed_catalogues()
    town = towns[0]
    campaign = Campaign.objects.filter(unit=town).order_by("-start_date").first()
    first_of_month = (campaign.start_date if campaign else datetime.date(2026, 9, 6)) + datetime.timedelta(
        days=56
    )
    today = first_of_month + datetime.timedelta(days=29)
    if today.month != first_of_month.month:
        today = first_of_month.replace(day=28)
    start = today - datetime.timedelta(days=WEEKS * 7 - 1)
    places = list(
        Unit.objects.filter(path__startswith=town.path, kind__in=[UnitKind.COMPOUND, UnitKind.BUILDING])
    )
    villages = list(
        Unit.objects.filter(parent=town, kind__in=[UnitKind.VILLAGE, UnitKind.COMMUNITY, UnitKind.PARK])
    )
    departments = list(Department.objects.filter(unit=town).order_by("code"))
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["office", "inspector", "property", "village"])
    }
    inspector, office = users.get("inspector"), users.get("office")
    categories = list(HazardCategory.objects.filter(is_active=True))
    days = [start + datetime.timedelta(days=i) for i in range(WEEKS * 7)]

    inspections = _inspections(rng, places + villages, departments, days, inspector)
    hazards, transitions = _hazards(
        rng, inspections, places, villages, categories, days, today, inspector, office
    )
    Hazard.objects.bulk_create(hazards, batch_size=1000)
    for hazard, rows in zip(hazards, transitions, strict=True):
        for row in rows:
            row.hazard_id = hazard.pk
    HazardTransition.objects.bulk_create([row for rows in transitions for row in rows], batch_size=2000)
    _cases(rng, [h for h in hazards if h.status == S.ESCALATED], departments, office)
    visits = _visits(rng, villages, departments, days, office)
    _creation_records([*inspections, *hazards, *visits])


def _creation_records(records: Sequence[BaseModel]) -> None:
    """The change record the audit signal would have written for each bulk-created record: action 'create',
    the values it was created with, and who and which path created it (the demo run's change context — the
    CLI for `ebsafety demo`)."""
    ctx = current_context()
    actor = ctx.actor if ctx.actor is not None and ctx.actor.pk else None
    label = audit.actor_label(ctx)[:150]
    content_types: dict[type, ContentType] = {}
    rows = []
    for record in records:
        model = type(record)
        if model not in content_types:
            content_types[model] = ContentType.objects.get_for_model(model, for_concrete_model=False)
        after = audit.snapshot(record)
        rows.append(
            ChangeRecord(
                actor=actor,
                actor_label=label,
                source=ctx.effective_source,
                request_id=ctx.request_id,
                action=ChangeAction.CREATE,
                content_type=content_types[model],
                object_id=str(record.pk),
                object_repr=str(record)[:200],
                unit_path=record.audit_unit_path(),
                changed_fields=sorted(after),
                after=after,
            )
        )
    ChangeRecord.objects.bulk_create(rows, batch_size=2000)


def _inspections(
    rng: random.Random,
    targets: list[Unit],
    departments: list[Department],
    days: list[datetime.date],
    inspector: Any,
) -> list[Inspection]:
    templates = {
        t.target_kind: t for t in ChecklistTemplate.objects.filter(is_active=True).prefetch_related("items")
    }
    rows = []
    for _ in range(INSPECTIONS):
        unit = rng.choice(targets)
        kind = unit.kind if unit.kind in (UnitKind.COMPOUND, UnitKind.BUILDING) else "address"
        address = "" if kind != "address" else f"{unit.name}{rng.randrange(1, 120)}号"
        inspection = Inspection(
            unit=unit,
            target_kind=kind,
            address=address,
            inspected_on=rng.choice(days),
            department=rng.choice(departments) if rng.random() < 0.3 else None,
            inspector=inspector,
            participants="检查组",
            template=templates.get(kind),
        )
        inspection.target_key = inspection.compute_target_key()
        rows.append(inspection)
    Inspection.objects.bulk_create(rows, batch_size=1000)
    through = Inspection.departments.through
    joint = [
        through(inspection_id=i.pk, department_id=d.pk)
        for i in rows
        if i.department_id and rng.random() < 0.4
        for d in rng.sample(departments, 2)
        if d.pk != i.department_id
    ]
    through.objects.bulk_create(joint, batch_size=2000)
    checks = [
        InspectionCheck(inspection=i, item=item, result=CheckResult.OK)
        for i in rows[:300]
        if i.template_id
        for item in templates[i.target_kind].items.all()
    ]
    InspectionCheck.objects.bulk_create(checks, batch_size=2000)
    return rows


def _hazards(
    rng: random.Random,
    inspections: list[Inspection],
    places: list[Unit],
    villages: list[Unit],
    categories: list[HazardCategory],
    days: list[datetime.date],
    today: datetime.date,
    inspector: Any,
    office: Any,
) -> tuple[list[Hazard], list[list[HazardTransition]]]:
    """Each hazard lives a simulated life up to `today`; where it stops decides its state."""
    calendar = _Calendar()
    sources = [HazardSource.INSPECTION] * 7 + [HazardSource.VOLUNTEER, HazardSource.TIP, HazardSource.DEVICE]
    hazards, all_rows = [], []
    by_day: dict[datetime.date, list[Inspection]] = {}
    for done in inspections:
        by_day.setdefault(done.inspected_on, []).append(done)
    for _ in range(HAZARDS):
        found = rng.choice(days)
        source = rng.choice(sources)
        inspection = (
            rng.choice(by_day[found]) if source == HazardSource.INSPECTION and by_day.get(found) else None
        )
        unit = inspection.unit if inspection else rng.choice(places if rng.random() < 0.8 else villages)
        category = rng.choice(categories)
        hazard = Hazard(
            unit=unit,
            category=category,
            severity=category.default_severity,
            description=category.description or category.name,
            source=HazardSource.INSPECTION if inspection else _other_source(source),
            inspection=inspection,
            found_on=found,
            status=S.REPORTED,
        )
        rows = [HazardTransition(name="report", to_status=S.REPORTED, at=_moment(found, rng), by=inspector)]

        def move(
            name: str, to: str, day: datetime.date, hazard: Hazard = hazard, rows: list = rows, **extra: Any
        ) -> None:
            rows.append(
                HazardTransition(
                    name=name,
                    from_status=hazard.status,
                    to_status=to,
                    at=max(_moment(day, rng), rows[-1].at + datetime.timedelta(minutes=5)),
                    by=office,
                    **extra,
                )
            )
            hazard.status = to
            hazard.status_changed_at = rows[-1].at

        _live(rng, hazard, move, found, today, calendar)
        hazards.append(hazard)
        all_rows.append(rows)
    return hazards, all_rows


def _other_source(source: str) -> str:
    return HazardSource.OFFICE if source == HazardSource.INSPECTION else source


def _live(
    rng: random.Random,
    hazard: Hazard,
    move: Any,
    found: datetime.date,
    today: datetime.date,
    calendar: _Calendar,
) -> None:
    age = (today - found).days
    roll = rng.random()
    if age <= 1 and roll < 0.5:
        return  # still reported
    if roll < 0.04:
        move("dismiss", S.DISMISSED, found, note="核实不属实")
        return
    if roll < 0.18:
        hazard.fixed_on_spot, hazard.rectified_on = True, found
        move("fix_on_spot", S.CLOSED, found, note="当场整改")
        hazard.closed_at = hazard.status_changed_at
        return
    move("confirm", S.CONFIRMED, found)
    if age <= 2 and roll < 0.3:
        return  # confirmed, not yet ordered
    hazard.responsible_party = rng.choice(PARTIES)
    hazard.deadline = calendar.add(found, hazard.category.deadline_days)
    move("order", S.ORDERED, found, deadline=hazard.deadline)
    late = rng.random() < 0.15
    span = (hazard.deadline - found).days
    fixed_on = found + datetime.timedelta(
        days=span + rng.randrange(1, 12) if late else rng.randrange(0, span + 1)
    )
    if late and hazard.deadline < today:
        move("mark_overdue", S.OVERDUE, hazard.deadline + datetime.timedelta(days=1))
        if rng.random() < 0.25:
            hazard.escalation = "case"
            move("escalate", S.ESCALATED, hazard.deadline + datetime.timedelta(days=2), note="逾期移送执法")
            return
    if fixed_on > today:
        return  # ordered (or overdue)
    hazard.rectified_on = fixed_on
    move("rectify", S.RECTIFIED, fixed_on, note="已整改")
    check_on = fixed_on + datetime.timedelta(days=rng.randrange(0, 4))
    if check_on > today:
        return
    move("reinspect_pass", S.REINSPECTED, check_on)
    close_on = check_on + datetime.timedelta(days=rng.randrange(0, 3))
    if close_on > today:
        return
    move("close", S.CLOSED, close_on)
    hazard.closed_at = hazard.status_changed_at


def _cases(rng: random.Random, escalated: list[Hazard], departments: list[Department], office: Any) -> None:
    enforcement = [
        d for d in departments if d.kind in (DepartmentKind.LAW_ENFORCEMENT, DepartmentKind.FIRE)
    ] or departments
    police = [d for d in departments if d.kind == DepartmentKind.POLICE]
    for index, hazard in enumerate(escalated):
        opened = hazard.found_on + datetime.timedelta(days=rng.randrange(3, 10))
        case = EnforcementCase(
            number=f"AJ{opened.year}-D{index + 1:04d}",
            title=f"{hazard.category.name}逾期未整改",
            unit=hazard.unit,
            lead_department=rng.choice(enforcement),
            violations=hazard.description,
            opened_on=opened,
            status=CaseStatus.DECIDED if index % 3 else CaseStatus.OPEN,
        )
        case.save()
        case.hazards.add(hazard)
        CaseEvent.objects.create(case=case, name="open", to_status=CaseStatus.OPEN, by=office)
        if case.status == CaseStatus.DECIDED:
            kind = (
                PenaltyKind.FINE
                if index % 2
                else rng.choice(
                    [PenaltyKind.WARNING, PenaltyKind.ORDER_TO_CORRECT, PenaltyKind.POLICE_REFERRAL]
                )
            )
            CasePenalty.objects.create(
                case=case,
                kind=kind,
                amount=Decimal(rng.choice([500, 1000, 2000, 5000])) if kind == PenaltyKind.FINE else None,
                police_station=rng.choice(police) if kind == PenaltyKind.POLICE_REFERRAL and police else None,
                imposed_on=opened + datetime.timedelta(days=2),
            )


def _visits(
    rng: random.Random,
    villages: list[Unit],
    departments: list[Department],
    days: list[datetime.date],
    office: Any,
) -> list[SupervisionVisit]:
    visits = []
    for unit in villages:
        for _ in range(rng.randrange(1, 6)):
            visits.append(
                SupervisionVisit(
                    unit=unit,
                    visited_on=rng.choice(days),
                    visitors="整治办督查组",
                    led_by=office,
                    summary="检查台账、隐患整改情况",
                )
            )
    for department in departments:
        if rng.random() < 0.7:
            visits.append(
                SupervisionVisit(
                    unit=department.unit,
                    department=department,
                    visited_on=rng.choice(days),
                    visitors="整治办督查组",
                    led_by=office,
                )
            )
    SupervisionVisit.objects.bulk_create(visits)
    SupervisionFinding.objects.bulk_create(
        [
            SupervisionFinding(
                visit=v,
                kind="follow_up",
                text="台账更新不及时",
                due_on=v.visited_on + datetime.timedelta(days=7),
            )
            for v in visits
            if rng.random() < 0.3
        ]
    )
    return visits
