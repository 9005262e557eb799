"""Every ledger's endpoint creates and updates records: the village's own, with the importer's rules, each
change recorded; another unit's is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ebsafety.core.models import ChangeRecord
from ebsafety.ledgers.models import EBike, Person, Platform, RecyclingSite, Rider, Sale, Shop, Station
from tests.core.test_api import token_client
from tests.ledgers import factories as f

Payload = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


def person(town: dict, w: dict) -> dict[str, Any]:
    return {"name": "赵六", "id_number": f.id_number(91), "phone": "139 0000 0091", "unit": "T-A"}


def ebike(town: dict, w: dict) -> dict[str, Any]:
    owner = f.PersonFactory(unit=town["a"])
    return {
        "unit": "T-A",
        "compound": "T-A-1",
        "owner": owner.pk,
        "plate_kind": "temporary",
        "frame_number": " new-frame 1 ",
        "battery_kind": "lithium",
        "battery_count": 1,
        "battery_voltage": 60,
        "use": "private",
    }


def shop(town: dict, w: dict) -> dict[str, Any]:
    return {"name": "新车行", "credit_code": f.credit_code(91), "unit": "T-A", "businesses": ["sales"]}


def recycling_site(town: dict, w: dict) -> dict[str, Any]:
    return {"name": "新回收点", "credit_code": f.credit_code(92), "unit": "T-A", "licence_number": "HW-1"}


def platform(town: dict, w: dict) -> dict[str, Any]:
    return {"name": "新平台", "kind": "delivery", "credit_code": f.credit_code(93), "unit": "T-A"}


def station(town: dict, w: dict) -> dict[str, Any]:
    return {"platform": w["p1"].pk, "name": "快送新站", "unit": "T-A", "manager_phone": "13900000092"}


def rider(town: dict, w: dict) -> dict[str, Any]:
    return {
        "person": f.PersonFactory(unit=town["a"]).pk,
        "platform": w["p1"].pk,
        "station": w["s1"].pk,
        "unit": "T-A",
        "ebikes": [w["bike_a"].pk],
        "battery_count": 2,
        "charging_method": "cabinet",
    }


def sale(town: dict, w: dict) -> dict[str, Any]:
    bike = f.EBikeFactory(unit=town["a"])
    return {
        "shop": w["shop_a"].pk,
        "buyer": bike.owner_id,
        "ebike": bike.pk,
        "sold_on": "2026-11-01",
        "unit": "T-A",
    }


KINDS: list[tuple[str, type, Payload, dict[str, Any]]] = [
    ("people", Person, person, {"address": "甲村1号"}),
    ("ebikes", EBike, ebike, {"brand": "雅迪"}),
    ("shops", Shop, shop, {"address": "甲村2号"}),
    ("recycling-sites", RecyclingSite, recycling_site, {"address": "甲村3号"}),
    ("platforms", Platform, platform, {"contact": "钱七"}),
    ("stations", Station, station, {"address": "甲村4号"}),
    ("riders", Rider, rider, {"housing_address": "甲村5号"}),
    ("sales", Sale, sale, {"sold_on": "2026-11-02"}),
]


@pytest.mark.parametrize(("endpoint", "model", "payload", "change"), KINDS, ids=[k[0] for k in KINDS])
def test_create_and_update_through_the_api(
    ledgers: dict, town: dict, personas: dict, endpoint: str, model: type, payload: Payload, change: dict
) -> None:
    data = payload(town, ledgers)
    client = token_client(personas["office"])
    created = client.post(f"/api/v1/{endpoint}/", data, format="json")
    assert created.status_code == 201, created.content.decode()
    record = model.objects.get(pk=created.json()["id"])
    assert record.unit == town["a"]
    assert ChangeRecord.objects.filter(object_id=str(record.pk), action="create").exists()
    updated = client.patch(f"/api/v1/{endpoint}/{record.pk}/", change, format="json")
    assert updated.status_code == 200, updated.content.decode()
    record.refresh_from_db()
    for name, value in change.items():
        assert str(getattr(record, name)) == value
    # another unit's user cannot create in this one
    outsider = token_client(personas["community"]).post(
        f"/api/v1/{endpoint}/", payload(town, ledgers), format="json"
    )
    assert outsider.status_code in (400, 403), outsider.content.decode()


def test_a_new_bike_through_the_api_follows_the_importers_rules(
    ledgers: dict, town: dict, personas: dict
) -> None:
    created = token_client(personas["locality"]).post("/api/v1/ebikes/", ebike(town, ledgers), format="json")
    assert created.status_code == 201, created.content.decode()
    bike = EBike.objects.get(pk=created.json()["id"])
    assert bike.frame_number == "NEW-FRAME1"  # normalised as the importer does
    assert not bike.is_compliant and "临时标识" in bike.compliance_reason and "60V" in bike.compliance_reason
    assert created.json()["is_compliant"] is False
