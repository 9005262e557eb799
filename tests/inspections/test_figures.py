"""The per-unit and per-department figures, exact on a hand-built fixture (the ranking uses them)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ebsafety.core.models import Unit
from ebsafety.inspections import figures, services
from ebsafety.inspections.models import EnforcementCase, Hazard, Inspection, SupervisionVisit
from tests.inspections.conftest import photo

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
START, END = datetime.date(2026, 11, 2), datetime.date(2026, 11, 15)
TODAY = datetime.date(2026, 11, 20)


def at(day: datetime.date) -> Any:
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(10), tzinfo=SHANGHAI), tick=False)


def hazard(town: dict, unit: str, day: datetime.date, **extra: Any) -> Hazard:
    with at(day):
        return services.report_hazard(
            unit=town[unit],
            category_code="corridor_parking",
            description="楼道停车",
            source="inspection",
            **extra,
        )


@pytest.fixture
def world(town: dict, departments: dict, personas: dict) -> dict[str, Any]:
    """甲村 subtree (a, a1, a11) in the range: 3 inspections of 2 targets (one found nothing), 5 hazards:
    closed on time in 4 days, fixed on the spot, rectified late then closed in 9 days, overdue now, dismissed.
    乙社区: 1 inspection, 1 hazard still reported. Outside the range: 1 inspection and 1 hazard in 甲村.
    Cases: one in 甲一小区 opened in range with fines 2000 + 500 (market leads), one outside the range."""
    office, inspector, prop = personas["office"], personas["inspector"], personas["property"]
    market = departments["market"]
    for unit, day, kind in [
        ("a1", START, "compound"),
        ("a1", END, "compound"),
        ("a11", END, "building"),
        ("b1", START, "compound"),
        ("a1", datetime.date(2026, 10, 30), "compound"),
    ]:
        Inspection.objects.create(
            unit=town[unit], target_kind=kind, inspected_on=day, department=market if unit == "a1" else None
        )
    # a11 inspected with nothing found still counts; a1 twice is one target
    w: dict[str, Any] = {}
    w["on_time"] = hazard(town, "a1", datetime.date(2026, 11, 3), department=market)
    with at(datetime.date(2026, 11, 3)):
        services.confirm(w["on_time"], inspector)
        services.order_rectification(w["on_time"], inspector, responsible_party="物业", days=3)  # Nov 6
    with at(datetime.date(2026, 11, 5)):
        services.rectify(w["on_time"], prop, evidence=[photo()])
        services.reinspect(w["on_time"], inspector, passed=True)
    with at(datetime.date(2026, 11, 7)):
        services.close(w["on_time"], office)  # 4 days
    w["spot"] = hazard(town, "a11", datetime.date(2026, 11, 4))
    with at(datetime.date(2026, 11, 4)):
        services.fix_on_spot(w["spot"], inspector, evidence=[photo()])  # 0 days
    w["late"] = hazard(town, "a", datetime.date(2026, 11, 5))
    with at(datetime.date(2026, 11, 5)):
        services.confirm(w["late"], inspector)
        services.order_rectification(w["late"], inspector, responsible_party="村委会", days=1)  # Nov 6
    with at(datetime.date(2026, 11, 10)):
        services.mark_overdue(w["late"])
        services.rectify(w["late"], personas["locality"], evidence=[photo()])
        services.reinspect(w["late"], inspector, passed=True)
    with at(datetime.date(2026, 11, 14)):
        services.close(w["late"], office)  # 9 days
    w["overdue"] = hazard(town, "a1", datetime.date(2026, 11, 12))
    with at(datetime.date(2026, 11, 12)):
        services.confirm(w["overdue"], inspector)
        services.order_rectification(w["overdue"], inspector, responsible_party="物业", days=2)  # Nov 16
    w["dismissed"] = hazard(town, "a1", datetime.date(2026, 11, 13))
    with at(datetime.date(2026, 11, 13)):
        services.dismiss(w["dismissed"], prop, note="不属实")
    w["b_reported"] = hazard(town, "b1", datetime.date(2026, 11, 9))
    w["outside"] = hazard(town, "a1", datetime.date(2026, 10, 30))
    with at(datetime.date(2026, 11, 10)):
        case = services.open_case(title="拒不改正", unit=town["a1"], lead_department=market)
        services.impose_penalty(case, office, kind="fine", amount=Decimal("2000"))
        services.impose_penalty(case, office, kind="fine", amount=Decimal("500"))
        services.impose_penalty(case, office, kind="warning")
    with at(datetime.date(2026, 10, 20)):
        services.open_case(title="早先的案件", unit=town["a"], lead_department=market)
    return w


def test_unit_figures_exact(world: dict, town: dict) -> None:
    got = figures.unit_figures(town["a"], START, END, TODAY)
    assert got == {
        "inspections": 3,
        "targets_covered": 2,
        "hazards_found": 4,  # five found, one dismissed as unfounded
        "rectified_on_time": 2,  # on time + fixed on the spot; the late one does not count
        "overdue_now": 1,
        "hazards_closed": 3,
        "closure_rate": 0.75,
        "median_days_to_close": 4,
        "cases_opened": 1,
        "fines_total": Decimal("2500"),
    }
    b = figures.unit_figures(town["b"], START, END, TODAY)
    assert (b["inspections"], b["hazards_found"], b["hazards_closed"], b["closure_rate"]) == (1, 1, 0, 0.0)
    assert b["median_days_to_close"] is None and b["fines_total"] == 0
    whole = figures.unit_figures(town["town"], START, END, TODAY)
    assert (whole["inspections"], whole["targets_covered"], whole["hazards_found"]) == (4, 3, 5)


def test_department_figures_exact(world: dict, departments: dict) -> None:
    got = figures.department_figures(departments["market"], START, END, TODAY)
    assert got["inspections"] == 2 and got["targets_covered"] == 1
    assert got["hazards_found"] == 1 and got["hazards_closed"] == 1 and got["rectified_on_time"] == 1
    assert got["cases_opened"] == 1 and got["fines_total"] == Decimal("2500")


@pytest.mark.parametrize("persona", [None, "office", "department", "police", "locality"])
def test_grouped_figures_equal_the_per_row_figures(
    world: dict, town: dict, departments: dict, personas: dict, persona: str | None
) -> None:
    """The figures page's rows come from the grouped queries; each must equal the ranking's per-row
    figures, with and without a user's scope."""
    user = personas[persona] if persona else None
    base = (
        {model: model.objects.visible_to(user) for model in (Inspection, Hazard, EnforcementCase)}
        if user
        else None
    )
    units = list(Unit.objects.order_by("path"))
    per_unit = figures.figures_per_unit(units, START, END, TODAY, base)
    for unit in units:
        assert per_unit[unit] == figures.unit_figures(unit, START, END, TODAY, base), unit.code
    if persona in (None, "office", "locality"):
        assert per_unit[town["a"]]["hazards_found"] == 4 and per_unit[town["a"]]["cases_opened"] == 1
    per_department = figures.figures_per_department(list(departments.values()), START, END, TODAY, base)
    for department in departments.values():
        expected = figures.department_figures(department, START, END, TODAY, base)
        assert per_department[department] == expected, department.code


def test_figures_page_queries_do_not_grow_with_rows(world: dict, personas: dict, client_for: Any) -> None:
    client = client_for(personas["office"])
    for params in ({}, {"by": "department"}):
        with at(TODAY), CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("inspections:figures"), {"start": START, "end": END, **params})
        assert page.status_code == 200 and len(page.context["rows"]) >= 2
        assert len(queries) <= 16, [q["sql"][:120] for q in queries.captured_queries]


def test_figures_page_shows_the_table_with_drill_down(
    world: dict, personas: dict, client_for: Any, town: dict
) -> None:
    client = client_for(personas["office"])
    with at(TODAY):
        page = client.get(reverse("inspections:figures"), {"start": START, "end": END})
    assert page.status_code == 200
    rows = {r["label"]: r for r in page.context["rows"]}
    assert rows["甲村"]["values"]["hazards_found"] == 4
    link = rows["甲村"]["links"]["overdue_now"]
    with at(TODAY):
        drill = client.get(link)
    assert [h.pk for h in drill.context["table"].data.data] == [world["overdue"].pk]
    # a village sees only its own subtree's numbers
    with at(TODAY):
        village = client_for(personas["locality"]).get(
            reverse("inspections:figures"), {"start": START, "end": END}
        )
    assert [r["label"] for r in village.context["rows"]] == ["甲一小区"]


def test_supervision_shortfall(town: dict, departments: dict, personas: dict, client_for: Any) -> None:
    from tests.inspections.test_reminders import campaign

    campaign(town)  # the default: at least 2 visits a month
    SupervisionVisit.objects.create(unit=town["a"], visited_on=datetime.date(2026, 11, 3))
    SupervisionVisit.objects.create(unit=town["a1"], visited_on=datetime.date(2026, 11, 20))
    SupervisionVisit.objects.create(unit=town["b"], visited_on=datetime.date(2026, 10, 20))
    SupervisionVisit.objects.create(
        unit=town["town"], department=departments["police"], visited_on=datetime.date(2026, 11, 5)
    )
    rows = {str(r.target): (r.visits, r.short) for r in figures.supervision_table(town["town"], "2026-11")}
    assert rows == {"甲村": (2, 0), "乙社区": (0, 2), "物流园区": (0, 2), "市场所": (0, 2), "派出所": (1, 1)}
    page = client_for(personas["office"]).get(
        reverse("inspections:supervision_shortfall"), {"month": "2026-11"}
    )
    assert page.status_code == 200 and "乙社区" in page.content.decode()
    assert (
        client_for(personas["locality"]).get(reverse("inspections:supervision_shortfall")).status_code == 403
    )
