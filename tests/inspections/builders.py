"""A small hand-built set of inspection records over the shared test town (tests/conftest.py)."""

from __future__ import annotations

import datetime
from typing import Any

from ebsafety.inspections import services
from ebsafety.inspections.models import Inspection, SupervisionVisit


def build_world(town: dict, departments: dict, personas: dict) -> dict[str, Any]:
    """Inspections in 甲一小区 (market-led joint with police), 乙一小区 and an address in 甲村; hazards in
    甲一小区 (one filed under the market department), 乙一小区 and 甲村 (one reported by the volunteer in
    乙社区); a case led by the market department; visits to 甲村 and to the police station."""
    w: dict[str, Any] = {}
    day = datetime.date(2026, 11, 2)
    w["insp_a1"] = Inspection.objects.create(
        unit=town["a1"], target_kind="compound", inspected_on=day, department=departments["market"]
    )
    w["insp_a1"].departments.set([departments["police"]])
    w["insp_b1"] = Inspection.objects.create(unit=town["b1"], target_kind="compound", inspected_on=day)
    w["insp_a"] = Inspection.objects.create(
        unit=town["a"], target_kind="address", address="甲村 12 号", inspected_on=day
    )

    def report(unit: str, **extra: Any) -> Any:
        return services.report_hazard(
            unit=town[unit],
            category_code="corridor_parking",
            description="楼道停车",
            source="inspection",
            **extra,
        )

    w["h_a1"] = report("a1", inspection=w["insp_a1"])
    w["h_a1_market"] = report("a1", department=departments["market"])
    w["h_b1"] = report("b1", inspection=w["insp_b1"])
    w["h_a"] = report("a")
    w["h_b_volunteer"] = report("b", source_ref="v", reported_by=personas["volunteer"])
    w["case"] = services.open_case(
        title="甲一小区拒不改正", unit=town["a1"], lead_department=departments["market"], hazards=[w["h_a1"]]
    )
    w["case_b"] = services.open_case(
        title="乙一小区拒不改正", unit=town["b1"], lead_department=departments["police"]
    )
    w["visit_a"] = SupervisionVisit.objects.create(unit=town["a"], visited_on=day)
    w["visit_police"] = SupervisionVisit.objects.create(
        unit=town["town"], department=departments["police"], visited_on=day
    )
    return w
