"""The figures of 大检查 per unit and per department for any date range — the numbers the weekly ranking
uses. Each figure is a QuerySet method (`Inspection.objects…figures()`, `Hazard.objects…figures()`,
`EnforcementCase.objects…fines_total()`); this module only puts them together.

For a unit, everything at the unit or below it counts; for a department, the inspections it led or joined,
the hazards filed under it and the cases it leads or joins. Hazards are counted by the day they were found,
inspections by the day they were made, cases by the day they were opened, fines by the day imposed;
"overdue now" is as of `today`, among the hazards found in the range.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Count, Q

from ebsafety.core.choices import UnitKind
from ebsafety.core.models import Campaign, Department, Unit
from ebsafety.inspections.models import EnforcementCase, Hazard, Inspection, SupervisionVisit

_K = TypeVar("_K")

FIGURE_LABELS = {
    "inspections": "检查次数",
    "targets_covered": "检查对象数",
    "hazards_found": "发现隐患",
    "rectified_on_time": "按期整改",
    "overdue_now": "当前逾期",
    "hazards_closed": "已销号",
    "closure_rate": "销号率",
    "median_days_to_close": "销号中位天数",
    "cases_opened": "立案数",
    "fines_total": "罚款金额（元）",
}


def _combine(
    inspections: Any,
    hazards: Any,
    cases: Any,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None,
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    figures.update(inspections.between(start, end).figures())
    figures.update(hazards.found_between(start, end).figures(today))
    figures["cases_opened"] = cases.opened_between(start, end).count()
    figures["fines_total"] = cases.fines_total(start, end)
    return figures


def unit_figures(
    unit: Unit, start: datetime.date, end: datetime.date, today: datetime.date | None = None, base: Any = None
) -> dict[str, Any]:
    """The figures of a unit and everything below it. `base` narrows each queryset (e.g. to a user's scope):
    a dict model → queryset."""
    base = base or {}
    return _combine(
        base.get(Inspection, Inspection.objects.all()).under(unit),
        base.get(Hazard, Hazard.objects.all()).under(unit),
        base.get(EnforcementCase, EnforcementCase.objects.all()).under(unit),
        start,
        end,
        today,
    )


def department_figures(
    department: Department,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
    base: Any = None,
) -> dict[str, Any]:
    base = base or {}
    return _combine(
        base.get(Inspection, Inspection.objects.all()).for_department(department),
        base.get(Hazard, Hazard.objects.all()).for_department(department),
        base.get(EnforcementCase, EnforcementCase.objects.all()).for_department(department),
        start,
        end,
        today,
    )


def _combine_groups(
    groups: Mapping[_K, Mapping[type[Inspection] | type[Hazard] | type[EnforcementCase], Q]],
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None,
    base: Any,
) -> dict[_K, dict[str, Any]]:
    """The figures of many rows at once (five queries, whatever the number of rows): `groups` maps a row's
    key to the condition on each model that selects its records."""
    base = base or {}
    inspections = (
        base.get(Inspection, Inspection.objects.all())
        .between(start, end)
        .figures_by({key: conditions[Inspection] for key, conditions in groups.items()})
    )
    hazards = (
        base.get(Hazard, Hazard.objects.all())
        .found_between(start, end)
        .figures_by({key: conditions[Hazard] for key, conditions in groups.items()}, today)
    )
    cases = base.get(EnforcementCase, EnforcementCase.objects.all()).figures_by(
        {key: conditions[EnforcementCase] for key, conditions in groups.items()}, start, end
    )
    return {key: {**inspections[key], **hazards[key], **cases[key]} for key in groups}


def figures_per_unit(
    units: list[Unit],
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
    base: Any = None,
) -> dict[Unit, dict[str, Any]]:
    """`unit_figures()` of each unit, in five queries (the figures page's rows)."""
    groups = {
        unit: {model: model.objects.under_q(unit) for model in (Inspection, Hazard, EnforcementCase)}
        for unit in units
    }
    return _combine_groups(groups, start, end, today, base)


def figures_per_department(
    departments: list[Department],
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
    base: Any = None,
) -> dict[Department, dict[str, Any]]:
    """`department_figures()` of each department, in five queries (the figures page's rows by department)."""
    groups = {
        department: {
            model: model.objects.department_q(department) for model in (Inspection, Hazard, EnforcementCase)
        }
        for department in departments
    }
    return _combine_groups(groups, start, end, today, base)


def total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Column sums of the count figures (rates and medians are not summed)."""
    keys = (
        "inspections",
        "targets_covered",
        "hazards_found",
        "rectified_on_time",
        "overdue_now",
        "hazards_closed",
        "cases_opened",
    )
    out: dict[str, Any] = {k: sum(r[k] for r in rows) for k in keys}
    out["fines_total"] = sum((r["fines_total"] for r in rows), Decimal("0"))
    out["closure_rate"] = (
        round(out["hazards_closed"] / out["hazards_found"], 4) if out["hazards_found"] else None
    )
    out["median_days_to_close"] = None
    return out


# -- supervision shortfall -------------------------------------------------------------------------------


@dataclass
class Shortfall:
    target: Any  # a Unit or a Department
    month: str
    visits: int
    required: int

    @property
    def short(self) -> int:
        return max(self.required - self.visits, 0)


def month_range(month: str) -> tuple[datetime.date, datetime.date]:
    year, mon = (int(p) for p in month.split("-"))
    return datetime.date(year, mon, 1), datetime.date(year, mon, calendar.monthrange(year, mon)[1])


def supervision_table(top: Unit, month: str, visits: Any = None) -> list[Shortfall]:
    """Visits in the month to each unit directly below `top` (villages, communities, parks) and each
    department of `top`, against the campaign's `supervision_visits_per_month`; short ones first."""
    start, end = month_range(month)
    campaign = Campaign.active_for(top)
    required = int(campaign.param("supervision_visits_per_month")) if campaign else 0
    visits = (visits if visits is not None else SupervisionVisit.objects.all()).between(start, end)
    per_unit = dict(
        visits.filter(unit__path__startswith=top.path)
        .values_list("unit__path")
        .annotate(n=Count("pk"))
        .values_list("unit__path", "n")
    )
    rows = []
    localities = Unit.objects.filter(
        parent=top,
        kind__in=[UnitKind.VILLAGE, UnitKind.COMMUNITY, UnitKind.PARK, UnitKind.STREET, UnitKind.TOWN],
    )
    for unit in localities.order_by("code"):
        count = sum(n for path, n in per_unit.items() if path.startswith(unit.path))
        rows.append(Shortfall(unit, month, count, required))
    per_department = dict(
        visits.filter(department__isnull=False)
        .values_list("department")
        .annotate(n=Count("pk"))
        .values_list("department", "n")
    )
    for department in Department.objects.filter(unit=top).order_by("code"):
        rows.append(Shortfall(department, month, per_department.get(department.pk, 0), required))
    return sorted(rows, key=lambda r: (-r.short, str(r.target)))
