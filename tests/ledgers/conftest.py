"""A small hand-built ledger over the shared test town (tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ebsafety.core.choices import Role
from tests.ledgers import factories as f


def build_ledgers(town: dict, departments: dict, personas: dict | None = None) -> dict[str, Any]:
    """Platforms P1/P2, their stations and riders, bikes in 甲村 (and its compound), 乙社区 and the park,
    shops and recycling sites in 甲村 and 乙社区, one sale. The `platform` persona acts for P1."""
    a, a1, b, p = town["a"], town["a1"], town["b"], town["p"]
    w: dict[str, Any] = {}
    w["p1"] = f.PlatformFactory(name="快送", unit=town["town"])
    w["p2"] = f.PlatformFactory(name="闪递", unit=town["town"], kind="courier")
    w["s1"] = f.StationFactory(platform=w["p1"], name="快送甲村站", unit=a)
    w["s2"] = f.StationFactory(platform=w["p2"], name="闪递乙站", unit=b)
    w["s3"] = f.StationFactory(platform=w["p1"], name="快送园区站", unit=p)
    w["bike_a"] = f.EBikeFactory(unit=a, frame_number="FA0001")
    w["bike_a1"] = f.EBikeFactory(unit=a1, frame_number="FA1001")
    w["bike_b"] = f.EBikeFactory(unit=b, frame_number="FB0001")
    w["bike_p"] = f.EBikeFactory(unit=p, frame_number="FP0001", use="delivery")
    w["r1"] = f.RiderFactory(platform=w["p1"], station=w["s3"], unit=p)
    w["r1"].ebikes.set([w["bike_p"]])
    w["r2"] = f.RiderFactory(platform=w["p2"], station=w["s2"], unit=b)
    w["r2"].ebikes.set([w["bike_b"]])
    w["shop_a"] = f.ShopFactory(name="甲村车行", unit=a, department=departments["market"])
    w["shop_b"] = f.ShopFactory(name="乙社区车行", unit=b)
    w["site_a"] = f.RecyclingSiteFactory(name="甲村回收点", unit=a)
    w["site_b"] = f.RecyclingSiteFactory(name="乙社区回收点", unit=b)
    w["sale_a"] = f.SaleFactory(unit=a, shop=w["shop_a"], ebike__frame_number="FS0001")
    if personas is not None:
        act_for_platform(personas["platform"], w["p1"])
    return w


def act_for_platform(user: Any, platform: Any) -> None:
    """Link the user's platform-role membership to `platform` (as the office does on the platform's page)."""
    from ebsafety.ledgers.models import PlatformAccount

    for membership in user.memberships.filter(role=Role.PLATFORM):
        PlatformAccount.objects.update_or_create(membership=membership, defaults={"platform": platform})
    user.clear_scope_cache()


@pytest.fixture
def ledgers(town: dict, departments: dict, personas: dict) -> dict[str, Any]:
    return build_ledgers(town, departments, personas)
