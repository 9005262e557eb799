"""The figures table per unit or per department (drill-down to the records) and the supervision shortfall."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from ebsafety.core.models import Department, Unit
from ebsafety.core.scoping import has_any_role
from ebsafety.inspections import figures
from ebsafety.inspections.models import EnforcementCase, Hazard, Inspection, SupervisionVisit


def _date(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _top_unit(user: Any, code: str | None) -> Unit | None:
    units = Unit.objects.visible_to(user)
    if code:
        return units.filter(code=code).first()
    return units.order_by("depth", "code").first()


def figures_page(request: HttpRequest) -> HttpResponse:
    """Per unit (the children of the chosen unit) or per department, for any date range. Every figure is
    computed on the records the user may see, and links to them."""
    user = request.user
    if not has_any_role(user):
        raise PermissionDenied
    today = timezone.localdate()
    start = _date(request.GET.get("start"), today - datetime.timedelta(days=27))
    end = _date(request.GET.get("end"), today)
    by = request.GET.get("by", "unit")
    top = _top_unit(user, request.GET.get("unit"))
    base = {
        Inspection: Inspection.objects.visible_to(user),
        Hazard: Hazard.objects.visible_to(user),
        EnforcementCase: EnforcementCase.objects.visible_to(user),
    }
    rows: list[dict[str, Any]] = []
    if by == "department":
        departments = list(Department.objects.visible_to(user).order_by("code"))
        per_department = figures.figures_per_department(departments, start, end, today, base)
        for department in departments:
            rows.append(
                {
                    "label": department.name,
                    "values": per_department[department],
                    "links": _links(start, end, department=department),
                }
            )
    elif top is not None:
        children = list(Unit.objects.visible_to(user).filter(parent=top).order_by("code")) or [top]
        per_unit = figures.figures_per_unit(children, start, end, today, base)
        for unit in children:
            rows.append(
                {
                    "label": unit.name,
                    "unit": unit,
                    "values": per_unit[unit],
                    "links": _links(start, end, unit=unit),
                }
            )
    for row in rows:
        row["cells"] = _cells(row["values"], row["links"])
    context = {
        "rows": rows,
        "total": _cells(figures.total([r["values"] for r in rows]), {}) if rows else None,
        "labels": figures.FIGURE_LABELS,
        "start": start,
        "end": end,
        "by": by,
        "top": top,
    }
    return render(request, "inspections/figures.html", context)


def _cells(values: dict[str, Any], links: dict[str, str]) -> list[tuple[Any, str | None]]:
    """The table's cells in column order: (shown value, drill-down link)."""
    cells = []
    for key in figures.FIGURE_LABELS:
        value = values.get(key)
        if key == "closure_rate" and value is not None:
            value = f"{value:.1%}"
        cells.append((value, links.get(key)))
    return cells


def _links(
    start: datetime.date, end: datetime.date, unit: Unit | None = None, department: Any = None
) -> dict[str, str]:
    key = {"within": unit.code} if unit is not None else {"department": department.pk}
    dates = {"found_from": start.isoformat(), "found_to": end.isoformat()}
    hazards = reverse("inspections:hazard_list")
    inspections = reverse("inspections:inspection_list")
    cases = reverse("inspections:enforcementcase_list")
    hazard_key = key
    case_key = {"within": unit.code} if unit is not None else {}
    return {
        "inspections": f"{inspections}?{urlencode({**key, 'date_from': start, 'date_to': end})}",
        "targets_covered": f"{inspections}?{urlencode({**key, 'date_from': start, 'date_to': end})}",
        "hazards_found": f"{hazards}?{urlencode({**hazard_key, **dates})}",
        "rectified_on_time": f"{hazards}?{urlencode({**hazard_key, **dates, 'on_time': 'true'})}",
        "overdue_now": f"{hazards}?{urlencode({**hazard_key, **dates, 'overdue': 'true'})}",
        "hazards_closed": f"{hazards}?{urlencode({**hazard_key, **dates, 'status': 'closed'})}",
        "cases_opened": f"{cases}?{urlencode({**case_key, 'opened_from': start, 'opened_to': end})}",
    }


def shortfall_page(request: HttpRequest) -> HttpResponse:
    """Who received fewer supervision visits this month than the campaign requires."""
    user = request.user
    if not has_any_role(user) or not SupervisionVisit.objects.visible_to(user).model:
        raise PermissionDenied
    if not user.is_office and not user.has_role("leader"):
        raise PermissionDenied("督查统计仅整治办和领导可见。")
    month = request.GET.get("month") or timezone.localdate().strftime("%Y-%m")
    top = _top_unit(user, request.GET.get("unit"))
    try:
        rows = figures.supervision_table(top, month, SupervisionVisit.objects.visible_to(user)) if top else []
    except ValueError:
        rows, month = [], timezone.localdate().strftime("%Y-%m")
    return render(request, "inspections/shortfall.html", {"rows": rows, "month": month, "top": top})


urlpatterns: list[URLPattern] = [
    path("figures/", figures_page, name="figures"),
    path("supervision/shortfall/", shortfall_page, name="supervision_shortfall"),
]
