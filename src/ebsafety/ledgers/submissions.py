"""Half-month submissions: who must report, recording a committed import as a submission, and the to-dos.

`record_submission(batch, by)` is called when an import batch is committed (the importer's commit, inside its
transaction). It decides which reporter (the batch's unit, or a department the uploader reports for) and which
period the file counts for, and whether it came in on time:

- an explicit `period` is used as given (it must be a reporting period whose window has opened);
- otherwise the file counts for the period whose deadline is next (`Schedule.window_period`), unless the
  reporter must report this kind and the period before that has no submission yet — then the file is the
  late make-up of that missed period (逾期补报), and the current period still needs its own;
- the first file for a period decides its status (on time if it came in at or before the deadline); a later
  file for the same period replaces the link to the newest batch, and every batch stays listed.

The read side (the completeness table, the missing list, the ledger as of a period) is in
`ledgers.completeness`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ebsafety.core.choices import Role, UnitKind
from ebsafety.core.models import Campaign, Department, Unit
from ebsafety.core.periods import HalfMonth, Schedule
from ebsafety.core.todos import TodoItem
from ebsafety.ledgers.choices import ImportStatus, LedgerKind, SubmissionStatus
from ebsafety.ledgers.models import ImportBatch, Submission, SubmissionRule

# Who reports a ledger kind when the office has not set a rule for it in the campaign.
DEFAULT_UNIT_KINDS: dict[str, frozenset[str]] = {
    LedgerKind.EBIKE: frozenset({UnitKind.VILLAGE, UnitKind.COMMUNITY, UnitKind.PARK}),
}


@dataclass(frozen=True)
class Requirements:
    """Who must submit which ledger kinds in one campaign (its rules, with the defaults filled in)."""

    unit_kinds: dict[str, frozenset[str]] = field(default_factory=dict)  # ledger kind → unit kinds
    departments: dict[str, frozenset[int]] = field(default_factory=dict)  # ledger kind → department ids

    def kinds_for_unit(self, unit_kind: str) -> list[str]:
        return [k for k in LedgerKind.values if unit_kind in self.unit_kinds.get(k, ())]

    def kinds_for_department(self, department_id: int) -> list[str]:
        return [k for k in LedgerKind.values if department_id in self.departments.get(k, ())]

    def all_unit_kinds(self) -> set[str]:
        return set().union(*self.unit_kinds.values()) if self.unit_kinds else set()

    def all_departments(self) -> set[int]:
        return set().union(*self.departments.values()) if self.departments else set()


def requirements_from_rules(rules: list[SubmissionRule]) -> Requirements:
    """Requirements from a campaign's rules (their departments prefetched); kinds without a rule: defaults."""
    unit_kinds = dict(DEFAULT_UNIT_KINDS)
    departments: dict[str, frozenset[int]] = {}
    for rule in rules:
        unit_kinds[rule.kind] = frozenset(rule.unit_kinds or [])
        departments[rule.kind] = frozenset(d.pk for d in rule.departments.all())
    return Requirements(unit_kinds, departments)


def requirements_for(campaign: Campaign | None) -> Requirements:
    if campaign is None:
        return requirements_from_rules([])
    rules = list(SubmissionRule.objects.filter(campaign=campaign).prefetch_related("departments"))
    return requirements_from_rules(rules)


@dataclass(frozen=True)
class Reporting:
    """The campaign that governs a unit's reporting, its deadlines and its rules."""

    campaign: Campaign | None
    schedule: Schedule
    requirements: Requirements

    @classmethod
    def for_unit(cls, unit: Unit) -> Reporting:
        campaign = Campaign.active_for(unit)
        return cls(campaign, Schedule.from_campaign(campaign), requirements_for(campaign))

    def must_report(self, kind: str, unit: Unit | None = None, department: Department | None = None) -> bool:
        """Whether the reporter owes this kind every period; nobody does outside an active campaign."""
        if self.campaign is None:
            return False
        if department is not None:
            return department.pk in self.requirements.departments.get(kind, ())
        return unit is not None and unit.kind in self.requirements.unit_kinds.get(kind, ())


def reporter_filter(unit: Unit, department: Department | None) -> dict[str, Any]:
    """The lookup of one reporter's submissions: a department's own, or a unit's (not a department's)."""
    if department is not None:
        return {"department": department}
    return {"unit": unit, "department__isnull": True}


def reporting_department(user: Any, kind: str, reporting: Reporting) -> Department | None:
    """The department an uploader reports for: one of their department memberships that must report this
    kind (the first by code), or None (the file is the unit's submission)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    candidates = [
        m.department
        for m in user.active_memberships()
        if m.role == Role.DEPARTMENT and reporting.must_report(kind, department=m.department)
    ]
    return min(candidates, key=lambda d: d.code) if candidates else None


def choose_period(
    reporting: Reporting, unit: Unit, department: Department | None, kind: str, at: datetime.datetime
) -> HalfMonth:
    """The period a file submitted at `at` counts for (see the module docstring)."""
    schedule = reporting.schedule
    current = schedule.window_period(at)
    if current is None:  # after the campaign's last deadline: a late file for the last period
        last = schedule.last_period
        assert last is not None
        current = last
    previous = current.previous()
    if (
        schedule.is_reporting(previous)
        and schedule.due_at(previous) < at
        and reporting.must_report(kind, unit, department)
        and not Submission.objects.filter(
            kind=kind, period_start=previous.start, **reporter_filter(unit, department)
        ).exists()
    ):
        return previous
    return current


def record_submission(
    batch: ImportBatch,
    by: Any = None,
    *,
    period: HalfMonth | None = None,
    department: Department | None = None,
    at: datetime.datetime | None = None,
) -> Submission:
    """Count a committed import batch as a half-month submission and return the submission.

    `by` is the uploader (defaults to the batch's); `department` the department the file is reported for
    (defaults to the uploader's department that must report this kind, if any); `at` the moment it came in
    (defaults to the batch's commit time). Safe to call twice for the same batch.
    """
    if batch.status != ImportStatus.COMMITTED:
        raise ValidationError("只有已导入的批次才能计为半月报。")
    counted = Submission.objects.filter(batches=batch).first()
    if counted is not None and (period is None or counted.period == period):
        return counted  # already recorded
    by = by if by is not None else batch.uploaded_by
    at = at or batch.committed_at or timezone.now()
    unit = batch.unit
    reporting = Reporting.for_unit(unit)
    schedule = reporting.schedule
    if department is None:
        department = reporting_department(by, batch.kind, reporting)
    if period is None:
        period = choose_period(reporting, unit, department, batch.kind, at)
    else:
        opened = schedule.window_period(at) or schedule.last_period
        if not schedule.is_reporting(period) or (opened is not None and period > opened):
            raise ValidationError(f"{period.label}不是可以上报的半月期。")
    submitter = by if by is not None and getattr(by, "pk", None) else None

    lookup = {"kind": batch.kind, "period_start": period.start, **reporter_filter(unit, department)}
    for attempt in range(2):
        try:
            with transaction.atomic():  # a savepoint inside the importer's transaction
                submission = Submission.objects.select_for_update().filter(**lookup).first()
                if submission is None:
                    due_at = schedule.due_at(period)
                    submission = Submission.objects.create(
                        unit=unit,
                        department=department,
                        kind=batch.kind,
                        period_start=period.start,
                        status=SubmissionStatus.ON_TIME if at <= due_at else SubmissionStatus.LATE,
                        due_at=due_at,
                        submitted_at=at,
                        submitted_by=submitter,
                        last_submitted_at=at,
                        batch=batch,
                    )
                elif submission.batch_id != batch.pk:
                    submission.batch = batch
                    submission.last_submitted_at = max(at, submission.last_submitted_at)
                    submission.save(update_fields=["batch", "last_submitted_at", "updated"])
                submission.batches.add(batch)
            break
        except IntegrityError:
            # Another file for the same period was recorded at the same moment: the retry finds its row.
            if attempt:
                raise
    assert submission is not None  # the loop only ends by finding or creating the row (or raising)
    return submission


# -- "我的待办" ------------------------------------------------------------------------------------------


def todos(user: Any) -> list[TodoItem]:
    """To-dos of the half-month reports. A reporter (locality, property, department) sees its ledgers still
    missing before the next deadline, and the previous period's, now overdue; the office sees how many
    units and departments have not reported yet before the next deadline."""
    from ebsafety.ledgers.completeness import missing_entries

    is_reporter = user.has_role(Role.LOCALITY, Role.PROPERTY, Role.DEPARTMENT)
    if not (user.is_office or is_reporter):
        return []
    now = timezone.now()
    items: list[TodoItem] = []
    url = reverse("ledgers:submission_missing")
    current = missing_entries(user, now=now)
    if current:
        due = min(e.due_at for e in current)
        when = timezone.localtime(due).strftime("%m月%d日 %H:%M")
        if user.is_office:
            reporters = {e.reporter_key for e in current}
            items.append(TodoItem(f"本期尚未上报台账的单位（{when}截止）", len(reporters), url, "warning"))
        else:
            items.append(
                TodoItem(
                    f"本期台账未上报（{when}截止）",
                    len(current),
                    _own_page(current) or url,
                    "warning" if due - now <= datetime.timedelta(days=2) else "info",
                    "请在截止前通过“导入台账”上报本期台账。",
                )
            )
    if is_reporter and not user.is_office:
        overdue = missing_entries(user, now=now, previous=True)
        if overdue:
            items.append(
                TodoItem(
                    "上期台账逾期未报，请尽快补报",
                    len(overdue),
                    _own_page(overdue) or url + "?previous=1",
                    "danger",
                )
            )
    return items


def _own_page(entries: list[Any]) -> str | None:
    """The reporter's own submission page when all entries are one reporter's."""
    if len({e.reporter_key for e in entries}) != 1:
        return None
    return entries[0].page_url
