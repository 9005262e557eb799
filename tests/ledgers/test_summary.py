"""The summary page: exact counts per child unit on a hand-built ledger, and a query count that does not grow
with the number of units."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ebsafety.core.models import Unit
from ebsafety.ledgers import services
from ebsafety.ledgers.summary import summarise
from tests.ledgers import factories as f


def build(town: dict) -> None:
    a, a1, a11, b, p, t = town["a"], town["a1"], town["a11"], town["b"], town["p"], town["town"]
    # 甲村: 3 bikes (one in its compound, one in a building), 1 temporary, 1 over 48 V
    f.EBikeFactory(unit=a, plate_kind="formal", charging_method="indoor")
    f.EBikeFactory(unit=a1, plate_kind="temporary", charging_method="flying_lead", is_compliant=False)
    f.EBikeFactory(unit=a11, plate_kind="none", charging_method="", battery_voltage=60, is_compliant=False)
    # 乙社区: 2 bikes, one retired (not counted)
    f.EBikeFactory(unit=b, plate_kind="delivery", charging_method="cabinet")
    retired = f.EBikeFactory(unit=b, plate_kind="formal")
    services.retire(retired, "scrapped")
    # the town itself: 1 bike
    f.EBikeFactory(unit=t, plate_kind="formal", charging_method="pile")
    platform = f.PlatformFactory(unit=t)
    f.RiderFactory(unit=p, platform=platform, charging_method="cabinet", is_group_rental=True)
    f.RiderFactory(unit=p, platform=platform, charging_method="indoor", uses_centralised_charging=True)
    f.RiderFactory(unit=a11, platform=platform, charging_method="cabinet", is_group_rental=True)


def test_counts_per_child_unit(town: dict, personas: dict) -> None:
    build(town)
    summary = summarise(personas["office"], town["town"])
    rows = {row.label: row for row in summary.rows}
    assert set(rows) == {"测试镇（本级）", "物流园区", "甲村", "乙社区"}
    a = rows["甲村"].ebikes
    assert a["total"] == 3
    assert (a["plate_formal"], a["plate_temporary"], a["plate_none"], a["plate_delivery"]) == (1, 1, 1, 0)
    assert (a["compliant"], a["non_compliant"]) == (1, 2)
    assert (a["charging_indoor"], a["charging_flying_lead"], a["charging_unknown"]) == (1, 1, 1)
    b = rows["乙社区"].ebikes
    assert (b["total"], b["plate_delivery"], b["plate_formal"], b["charging_cabinet"]) == (1, 1, 0, 1)
    own = rows["测试镇（本级）"].ebikes
    assert (own["total"], own["charging_pile"]) == (1, 1)
    assert rows["物流园区"].ebikes["total"] == 0
    park = rows["物流园区"].riders
    assert (park["total"], park["charging_cabinet"], park["charging_indoor"]) == (2, 1, 1)
    assert (park["group_rental"], park["not_group_rental"], park["centralised"]) == (1, 1, 1)
    assert rows["甲村"].riders["group_rental"] == 1
    assert summary.total.ebikes["total"] == 5 and summary.total.riders["total"] == 3
    # drilling down: 甲村's children
    sub = {row.label: row for row in summarise(personas["office"], town["a"]).rows}
    assert sub["甲村（本级）"].ebikes["total"] == 1 and sub["甲一小区"].ebikes["total"] == 2


def test_summary_is_scoped(town: dict, personas: dict) -> None:
    build(town)
    summary = summarise(personas["locality"], town["a"])
    assert summary.total.ebikes["total"] == 3
    assert summarise(personas["department"], town["town"]).total.ebikes["total"] == 0  # market: no plates


def test_summary_page(town: dict, personas: dict, client_for: Any) -> None:
    build(town)
    client = client_for(personas["locality"])
    page = client.get(reverse("ledgers:summary"))  # default: the top of the user's scope (甲村)
    assert page.status_code == 200 and page.context["parent"] == town["a"]
    assert page.context["summary"].total.ebikes["total"] == 3
    assert client.get(reverse("ledgers:summary"), {"unit": "T-B"}).status_code == 404  # out of scope
    office = client_for(personas["office"])
    assert office.get(reverse("ledgers:summary"), {"unit": "T"}).context["summary"].total.ebikes["total"] == 5


def test_summary_query_count_does_not_grow_with_units(town: dict, personas: dict, client_for: Any) -> None:
    build(town)
    client = client_for(personas["office"])
    url = reverse("ledgers:summary")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"unit": "T"}).status_code == 200
        return len(queries)

    before = count()
    for i in range(20):
        unit = Unit.objects.create(code=f"T-X{i}", name=f"新村{i}", kind="village", parent=town["town"])
        f.EBikeFactory(unit=unit)
    assert count() == before <= 15
