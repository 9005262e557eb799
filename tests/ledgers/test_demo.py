"""The ledgers of the demo town (issue 3, item 7): sizes, links, realism, the same data for the same seed."""

from __future__ import annotations

import datetime
import random
import time
from typing import Any

import pytest
from django.db.models import F

from ebsafety.core.choices import UnitKind
from ebsafety.core.demo import build_demo
from ebsafety.core.models import Unit
from ebsafety.ledgers.choices import ChargingMethod, PlateKind
from ebsafety.ledgers.demo import build_ledgers_demo
from ebsafety.ledgers.models import EBike, Person, Platform, RecyclingSite, Rider, Sale, Shop, Station


@pytest.fixture
def demo_town(db: Any, settings: Any) -> list[Unit]:
    """The core demo town alone (no other builders), so the test times and checks only the ledgers."""
    settings.DEMO_BUILDERS = []
    build_demo(seed=7, scale="town")
    return list(Unit.objects.filter(kind=UnitKind.TOWN))


def snapshot() -> dict[str, Any]:
    return {
        "bikes": sorted(
            EBike.objects.values_list("frame_number", "owner__id_number", "unit__code", "plate_kind")
        ),
        "riders": sorted(
            Rider.objects.values_list("person__id_number", "station__name", "ebikes__frame_number")
        ),
        "shops": sorted(Shop.objects.values_list("credit_code", "name")),
    }


def test_demo_town_ledgers(demo_town: list[Unit]) -> None:
    started = time.perf_counter()
    build_ledgers_demo(demo_town, random.Random(7), "town")
    assert time.perf_counter() - started < 10  # a few seconds on the project's 2-core machine

    assert EBike.objects.count() == 25_000
    assert (Shop.objects.count(), Platform.objects.count(), Station.objects.count()) == (40, 5, 30)
    assert Rider.objects.count() == 1_500
    assert 20_000 < Person.objects.count() < 25_000
    # spread over the town's villages, communities and parks, in their compounds where they have them
    localities = set(EBike.objects.values_list("unit__kind", flat=True))
    assert localities == {UnitKind.VILLAGE, UnitKind.COMMUNITY, UnitKind.PARK}
    assert EBike.objects.filter(compound__kind=UnitKind.COMPOUND).count() > 10_000
    # realistic: temporary plates and over-voltage bikes non-compliant with the reason, flying leads in a few
    # compounds, riders in group rentals, sales registered by shops
    temporary = EBike.objects.filter(plate_kind=PlateKind.TEMPORARY)
    assert temporary.count() > 500 and not temporary.filter(is_compliant=True).exists()
    over = EBike.objects.filter(battery_voltage__gt=48)
    assert over.count() > 1000 and all(
        "超过 48V" in r for r in over.values_list("compliance_reason", flat=True)
    )
    flying = EBike.objects.filter(charging_method=ChargingMethod.FLYING_LEAD)
    assert flying.exclude(compound=None).values("compound").distinct().count() >= 6
    assert Rider.objects.filter(is_group_rental=True).count() > 50
    # every rider has a platform, a station of that platform and a bike of their own
    for rider in Rider.objects.select_related("station", "person").prefetch_related("ebikes")[:50]:
        assert rider.station.platform_id == rider.platform_id
        assert [bike.owner_id for bike in rider.ebikes.all()] == [rider.person_id]
    assert Sale.objects.count() > 500
    assert not Sale.objects.exclude(ebike__shop=F("shop")).exists()
    # bikes came into the ledger with the census, or later when registered: past periods are not empty
    from django.utils import timezone

    from ebsafety.core.models import Campaign, User
    from ebsafety.core.periods import HalfMonth
    from ebsafety.ledgers.as_of import ledger_as_of

    campaign = Campaign.objects.get(unit=demo_town[0])
    census = HalfMonth.containing(datetime.date.fromisoformat(campaign.parameters["census_deadline"]))
    admin = User.objects.create(username="demo-as-of", is_superuser=True)
    at_census = ledger_as_of(admin, demo_town[0], census).frame.height
    assert 5_000 < at_census < 25_000  # registered by the census deadline; the rest came later
    # the other ledgers came in with the census
    for kind, model in (("shop", Shop), ("station", Station), ("rider", Rider), ("platform", Platform)):
        assert ledger_as_of(admin, demo_town[0], census, kind).frame.height == model.objects.count(), kind
    assert not EBike.objects.filter(created__gt=timezone.now()).exists()


def test_same_seed_gives_the_same_ledgers(demo_town: list[Unit], monkeypatch: Any) -> None:
    from ebsafety.ledgers import demo

    small = {"bikes": 1500, "shops": 8, "recyclers": 1, "stations": 10, "riders": 200}
    monkeypatch.setattr(demo, "TOWN_SIZE", small)
    build_ledgers_demo(demo_town, random.Random(3), "town")
    first = snapshot()
    for model in (Sale, Rider, EBike, Person, Station, Platform, Shop, RecyclingSite):
        model.objects.all().delete()
    build_ledgers_demo(demo_town, random.Random(3), "town")
    assert snapshot() == first
