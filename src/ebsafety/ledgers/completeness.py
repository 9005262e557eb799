"""The read side of half-month submissions: reporters, the completeness and timeliness table, the list of
reporters still missing before a deadline (the ledger as of a period is `ledgers.as_of`).

Everything is narrowed to what the user may see: reporters through `ReportingUnit` and `ReportingDepartment`
(`visible_to`), submissions through `Submission.objects.visible_to`. A table over any range of periods
costs a fixed number of queries (campaigns, rules, units, departments, submissions), not one per cell.

Rates count the periods whose deadline has passed: 上报率 = (on time + late) / those periods,
按时率 = on time / those periods. A cell that covers several ledger kinds shows the worst of them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ebsafety.core.choices import CampaignStatus, Role
from ebsafety.core.models import Campaign, Department, Unit
from ebsafety.core.periods import HalfMonth, Schedule, periods_between
from ebsafety.ledgers.choices import LedgerKind, PeriodStatus
from ebsafety.ledgers.models import ReportingDepartment, ReportingUnit, Submission, SubmissionRule
from ebsafety.ledgers.submissions import Reporting, requirements_from_rules

SEVERITY: list[str] = [PeriodStatus.MISSING, PeriodStatus.OPEN, PeriodStatus.LATE, PeriodStatus.ON_TIME]
STATUS_LABELS = dict(PeriodStatus.choices)
KIND_LABELS = dict(LedgerKind.choices)


@dataclass
class Reporter:
    """A unit or a department that must submit some ledger kinds, with the campaign that says so."""

    reporting: Reporting
    kinds: list[str]
    unit: Unit | None = None
    department: Department | None = None

    @property
    def key(self) -> tuple[str, int]:
        return ("d", self.department.pk) if self.department is not None else ("u", self.unit.pk)  # type: ignore[union-attr]

    @property
    def name(self) -> str:
        return str(self.department or self.unit)

    @property
    def code(self) -> str:
        return (self.department or self.unit).code  # type: ignore[union-attr]

    @property
    def kind_label(self) -> str:
        return "行业部门" if self.department is not None else self.unit.get_kind_display()  # type: ignore[union-attr]

    @property
    def schedule(self) -> Schedule:
        return self.reporting.schedule

    def page_url(self, period: HalfMonth | None = None) -> str:
        if self.department is not None:
            url = reverse("ledgers:submission_department", args=[self.department.code])
        else:
            url = reverse("ledgers:submission_unit", args=[self.unit.code])  # type: ignore[union-attr]
        return f"{url}?period={period.key}" if period is not None else url


def relevant_campaigns(root: Unit | None) -> list[Campaign]:
    """Active campaigns that govern units at or below `root`: run by the root, above it or below it."""
    queryset = Campaign.objects.filter(status=CampaignStatus.ACTIVE).select_related("unit")
    if root is not None:
        above_or_below = Q(unit__path__startswith=root.path) | Q(unit__code__in=root.ancestor_codes)
        queryset = queryset.filter(above_or_below)
    return sorted(queryset, key=lambda c: -len(c.unit.path))  # deepest first: the nearest wins


def reporters_for(user: Any, root: Unit | None = None, kinds: list[str] | None = None) -> list[Reporter]:
    """Every unit and department the user may see that must report one of `kinds` (all kinds when None),
    each with the campaign that governs it: a unit's nearest campaign up the tree, a department's the
    campaign whose rules list it."""
    selected = list(kinds or LedgerKind.values)
    campaigns = relevant_campaigns(root)
    if not campaigns:
        return []
    rules: dict[int, list[SubmissionRule]] = {c.pk: [] for c in campaigns}
    for rule in SubmissionRule.objects.filter(campaign__in=campaigns).prefetch_related("departments"):
        rules[rule.campaign_id].append(rule)
    reportings = [
        (c, Reporting(c, Schedule.from_campaign(c), requirements_from_rules(rules[c.pk]))) for c in campaigns
    ]

    reporters: list[Reporter] = []
    unit_kinds = set().union(*(r.requirements.all_unit_kinds() for _, r in reportings))
    units = ReportingUnit.objects.visible_to(user).filter(kind__in=unit_kinds)
    if root is not None:
        units = units.filter(path__startswith=root.path)
    for unit in units.order_by("path"):
        reporting = next((r for c, r in reportings if unit.path.startswith(c.unit.path)), None)
        if reporting is None:
            continue
        wanted = [k for k in reporting.requirements.kinds_for_unit(unit.kind) if k in selected]
        if wanted:
            reporters.append(Reporter(reporting, wanted, unit=unit))

    department_ids = set().union(*(r.requirements.all_departments() for _, r in reportings))
    departments = (
        ReportingDepartment.objects.visible_to(user).filter(pk__in=department_ids).select_related("unit")
    )
    if root is not None:
        departments = departments.filter(unit__path__startswith=root.path)
    for department in departments.order_by("code"):
        for _, reporting in reportings:
            wanted = [k for k in reporting.requirements.kinds_for_department(department.pk) if k in selected]
            if wanted:
                reporters.append(Reporter(reporting, wanted, department=department))
                break
    return reporters


def submissions_index(
    user: Any, reporters: list[Reporter], starts: set[datetime.date], kinds: list[str]
) -> dict[tuple[tuple[str, int], str, datetime.date], dict[str, Any]]:
    """The visible submissions of these reporters and periods (one query), by (reporter, kind, start)."""
    if not reporters or not starts:
        return {}
    unit_ids = [r.unit.pk for r in reporters if r.department is None]  # type: ignore[union-attr]
    department_ids = [r.department.pk for r in reporters if r.department is not None]
    queryset = (
        Submission.objects.visible_to(user)
        .filter(period_start__in=sorted(starts), kind__in=kinds)
        .filter(Q(department__in=department_ids) | Q(department__isnull=True, unit__in=unit_ids))
    )
    index = {}
    for row in queryset.values("id", "unit_id", "department_id", "kind", "period_start", "status"):
        key = ("d", row["department_id"]) if row["department_id"] else ("u", row["unit_id"])
        index[(key, row["kind"], row["period_start"])] = dict(row)
    return index


# -- the completeness and timeliness table ---------------------------------------------------------------


@dataclass
class Cell:
    status: str | None  # a PeriodStatus, or None: not a reporting period for this reporter
    url: str = ""
    due_at: datetime.datetime | None = None
    detail: list[tuple[str, str]] = field(default_factory=list)  # (kind label, status label) per kind

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, "—") if self.status else "—"


@dataclass
class Row:
    reporter: Reporter
    cells: list[Cell]
    due: int = 0  # reporting periods whose deadline has passed
    on_time: int = 0
    late: int = 0
    missing: int = 0

    @property
    def completeness(self) -> float | None:
        return (self.on_time + self.late) / self.due if self.due else None

    @property
    def timeliness(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def completeness_label(self) -> str:
        return percent(self.completeness)

    @property
    def timeliness_label(self) -> str:
        return percent(self.timeliness)


@dataclass
class CompletenessTable:
    periods: list[HalfMonth]
    rows: list[Row]
    kinds: list[str]
    now: datetime.datetime

    def totals(self) -> list[dict[str, int]]:
        """Per period: how many reporters are on time, late, missing or still open."""
        result = []
        for index in range(len(self.periods)):
            counts = dict.fromkeys(PeriodStatus.values, 0)
            for row in self.rows:
                status = row.cells[index].status
                if status:
                    counts[status] += 1
            result.append(counts)
        return result

    def overall(self) -> dict[str, Any]:
        due = sum(r.due for r in self.rows)
        on_time = sum(r.on_time for r in self.rows)
        late = sum(r.late for r in self.rows)
        return {
            "due": due,
            "on_time": on_time,
            "late": late,
            "missing": sum(r.missing for r in self.rows),
            "completeness": percent((on_time + late) / due if due else None),
            "timeliness": percent(on_time / due if due else None),
        }

    def export_rows(self) -> Iterator[list[Any]]:
        yield [
            "编码",
            "单位/部门",
            "类型",
            "应报台账",
            *[p.label for p in self.periods],
            "已截止期数",
            "按时",
            "逾期",
            "未报",
            "上报率",
            "按时率",
        ]
        for row in self.rows:
            yield [
                row.reporter.code,
                row.reporter.name,
                row.reporter.kind_label,
                "、".join(KIND_LABELS[k] for k in row.reporter.kinds),
                *[cell.label for cell in row.cells],
                row.due,
                row.on_time,
                row.late,
                row.missing,
                percent(row.completeness),
                percent(row.timeliness),
            ]

    def as_json(self) -> dict[str, Any]:
        return {
            "periods": [{"start": p.key, "end": p.end.isoformat(), "label": p.label} for p in self.periods],
            "kinds": self.kinds,
            "rows": [
                {
                    "reporter": {
                        "type": "department" if row.reporter.department is not None else "unit",
                        "code": row.reporter.code,
                        "name": row.reporter.name,
                        "kinds": row.reporter.kinds,
                    },
                    "cells": [
                        {"status": c.status, "due_at": c.due_at.isoformat() if c.due_at else None}
                        for c in row.cells
                    ],
                    "due": row.due,
                    "on_time": row.on_time,
                    "late": row.late,
                    "missing": row.missing,
                    "completeness": row.completeness,
                    "timeliness": row.timeliness,
                }
                for row in self.rows
            ],
            "overall": self.overall(),
        }


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def worst(statuses: list[str]) -> str:
    return min(statuses, key=SEVERITY.index)


def build_table(
    user: Any,
    *,
    root: Unit | None = None,
    first: datetime.date,
    last: datetime.date,
    kind: str | None = None,
    now: datetime.datetime | None = None,
    reporters: list[Reporter] | None = None,
) -> CompletenessTable:
    """Reporters × periods overlapping [first, last]: each cell on time / late / missing / open.

    `reporters` narrows the rows to these (one reporter's history strip); by default every reporter the user
    may see under `root`."""
    now = now or timezone.now()
    kinds = [kind] if kind else list(LedgerKind.values)
    if reporters is None:
        reporters = reporters_for(user, root, kinds)
    periods = [p for p in periods_between(first, last) if any(r.schedule.is_reporting(p) for r in reporters)]
    index = submissions_index(user, reporters, {p.start for p in periods}, kinds)
    rows = []
    for reporter in reporters:
        row = Row(reporter, [])
        for period in periods:
            row.cells.append(_cell(reporter, period, index, now))
            cell = row.cells[-1]
            if cell.status and cell.due_at is not None and cell.due_at < now:
                row.due += 1
                if cell.status == PeriodStatus.ON_TIME:
                    row.on_time += 1
                elif cell.status == PeriodStatus.LATE:
                    row.late += 1
                else:
                    row.missing += 1
        rows.append(row)
    return CompletenessTable(periods, rows, kinds, now)


def _cell(reporter: Reporter, period: HalfMonth, index: dict, now: datetime.datetime) -> Cell:
    schedule = reporter.schedule
    if not schedule.is_reporting(period):
        return Cell(None)
    due_at = schedule.due_at(period)
    statuses = []
    detail = []
    for kind in reporter.kinds:
        found = index.get((reporter.key, kind, period.start))
        status = found["status"] if found else (PeriodStatus.MISSING if now > due_at else PeriodStatus.OPEN)
        statuses.append(status)
        detail.append((KIND_LABELS[kind], STATUS_LABELS[status]))
    return Cell(worst(statuses), reporter.page_url(period), due_at, detail)


# -- who is still missing ---------------------------------------------------------------------------------


@dataclass
class MissingEntry:
    """A reporter that has not submitted one ledger kind for one period."""

    reporter: Reporter
    kind: str
    period: HalfMonth
    due_at: datetime.datetime
    overdue: bool

    @property
    def reporter_key(self) -> tuple[str, int]:
        return self.reporter.key

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def page_url(self) -> str:
        return self.reporter.page_url(self.period)

    @property
    def upload_url(self) -> str:
        return upload_url(self.reporter, self.kind)


def upload_url(reporter: Reporter, kind: str) -> str:
    """The import page, preset to this reporter's unit and the ledger kind."""
    unit = reporter.department.unit if reporter.department is not None else reporter.unit
    return f"{reverse('ledgers:import')}?unit={unit.code}&kind={kind}"  # type: ignore[union-attr]


def missing_entries(
    user: Any,
    *,
    root: Unit | None = None,
    kind: str | None = None,
    period: HalfMonth | None = None,
    previous: bool = False,
    now: datetime.datetime | None = None,
) -> list[MissingEntry]:
    """Reporters (visible to the user) still missing a ledger for `period`, or — without one — for the
    period whose deadline is next in their campaign (`previous`: the period before it, now overdue)."""
    now = now or timezone.now()
    kinds = [kind] if kind else list(LedgerKind.values)
    reporters = reporters_for(user, root, kinds)
    targets: list[tuple[Reporter, HalfMonth]] = []
    for reporter in reporters:
        schedule = reporter.schedule
        target = period or schedule.window_period(now)
        if target is not None and previous and period is None:
            target = target.previous()
        if target is not None and schedule.is_reporting(target):
            targets.append((reporter, target))
    index = submissions_index(user, [r for r, _ in targets], {p.start for _, p in targets}, kinds)
    entries = []
    for reporter, target in targets:
        due_at = reporter.schedule.due_at(target)
        for each in reporter.kinds:
            if (reporter.key, each, target.start) not in index:
                entries.append(MissingEntry(reporter, each, target, due_at, now > due_at))
    return sorted(entries, key=lambda e: (e.due_at, e.reporter.department is not None, e.reporter.code))


def own_reporters(user: Any) -> list[Reporter]:
    """The reporters a locality, property or department user reports for (their own units/departments)."""
    mine_units = {m.unit_id for m in user.active_memberships() if m.role in (Role.LOCALITY, Role.PROPERTY)}
    mine_departments = {m.department_id for m in user.active_memberships() if m.role == Role.DEPARTMENT}
    return [
        r
        for r in reporters_for(user)
        if (r.department is not None and r.department.pk in mine_departments)
        or (r.department is None and r.unit.pk in mine_units)  # type: ignore[union-attr]
    ]
