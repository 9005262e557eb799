"""The platform bulk endpoint: idempotent by natural key, scoped to the platform, bad items reported,
malformed requests refused whole."""

from __future__ import annotations

import copy
from typing import Any

from ebsafety.core.models import ChangeRecord
from ebsafety.ledgers.models import EBike, Person, Rider, Station
from tests.core.test_api import token_client
from tests.ledgers import factories as f


def payload() -> dict[str, Any]:
    return {
        "stations": [
            {"name": "快送甲村二站", "unit": "T-A", "address": "甲村 1 号", "manager_phone": "13912345678"},
            {"name": "快送园区站", "manager": "新站长"},  # existing: only the manager changes
        ],
        "ebikes": [
            {
                "frame_number": "push-0001",
                "unit": "T-P",
                "owner_name": "骑手甲",
                "owner_id_number": f.id_number(501),
                "plate_kind": "外卖专用号牌",
                "battery_kind": "锂电池",
                "battery_voltage": "48V",
                "charging_method": "充电柜",
            }
        ],
        "riders": [
            {
                "name": "骑手甲",
                "id_number": f.id_number(501),
                "phone": "13800000501",
                "unit": "T-P",
                "station": "快送园区站",
                "frame_numbers": ["PUSH-0001", "FP0001"],
                "charging_method": "cabinet",
                "is_group_rental": "否",
            }
        ],
    }


def url(platform: Any) -> str:
    return f"/api/v1/platforms/{platform.pk}/bulk/"


def test_push_then_push_again_changes_nothing(ledgers: dict, personas: dict) -> None:
    client = token_client(personas["platform"])
    first = client.post(url(ledgers["p1"]), payload(), format="json")
    assert first.status_code == 200, first.json()
    body = first.json()
    assert body["errors"] == []
    assert body["stations"] == {"added": 1, "changed": 1, "unchanged": 0, "rejected": 0}
    assert body["ebikes"] == {"added": 1, "changed": 0, "unchanged": 0, "rejected": 0}
    assert body["riders"] == {"added": 1, "changed": 0, "unchanged": 0, "rejected": 0}
    bike = EBike.objects.get(frame_number="PUSH-0001")
    assert (bike.plate_kind, bike.battery_kind, bike.battery_voltage, bike.use) == (
        "delivery",
        "lithium",
        48,
        "delivery",
    )
    assert bike.is_compliant
    rider = Rider.objects.get(person__id_number=f.id_number(501))
    assert rider.platform == ledgers["p1"] and rider.station == ledgers["s3"]
    assert set(rider.ebikes.values_list("frame_number", flat=True)) == {"PUSH-0001", "FP0001"}
    assert Station.objects.get(name="快送园区站").manager == "新站长"

    records = ChangeRecord.objects.count()
    second = client.post(url(ledgers["p1"]), payload(), format="json").json()
    assert second["errors"] == []
    for kind, n in (("stations", 2), ("ebikes", 1), ("riders", 1)):
        assert second[kind] == {"added": 0, "changed": 0, "unchanged": n, "rejected": 0}, kind
    assert ChangeRecord.objects.count() == records  # nothing written, nothing logged
    assert Person.objects.filter(id_number=f.id_number(501)).count() == 1


def test_push_is_scoped_to_the_platform(ledgers: dict, personas: dict) -> None:
    client = token_client(personas["platform"])  # acts for P1
    # another platform's endpoint: P2 is not visible to this account
    assert client.post(url(ledgers["p2"]), payload(), format="json").status_code == 404
    # P1's push cannot touch P2's station of the same name: a station is keyed by platform + name
    data = {"stations": [{"name": "闪递乙站", "unit": "T-B", "manager": "改"}]}
    body = client.post(url(ledgers["p1"]), data, format="json").json()
    assert body["stations"]["added"] == 1
    assert Station.objects.get(pk=ledgers["s2"].pk).manager == ledgers["s2"].manager
    assert Station.objects.get(platform=ledgers["p1"], name="闪递乙站").unit == ledgers["s2"].unit
    # a village's bike (not this platform's) cannot be changed through the push
    data = {"ebikes": [{"frame_number": "FA0001", "brand": "改"}]}
    body = client.post(url(ledgers["p1"]), data, format="json").json()
    assert (
        body["ebikes"]["rejected"] == 1
        and "已由其他单位或平台登记" in body["errors"][0]["messages"]["frame_number"]
    )
    assert EBike.objects.get(frame_number="FA0001").brand == ledgers["bike_a"].brand
    # an account without the platform link, and a read-only role, may not push
    other = personas["leader"]
    assert token_client(other).post(url(ledgers["p1"]), payload(), format="json").status_code == 403


def test_platform_account_without_link_sees_and_pushes_nothing(ledgers: dict, personas: dict) -> None:
    from ebsafety.ledgers.models import PlatformAccount
    from tests.ledgers.conftest import act_for_platform

    user = personas["platform"]
    PlatformAccount.objects.filter(membership__user=user).delete()
    user.clear_scope_cache()
    client = token_client(user)
    assert client.get("/api/v1/stations/").json()["results"] == []
    assert client.post(url(ledgers["p1"]), payload(), format="json").status_code == 404
    act_for_platform(user, ledgers["p1"])


def test_bad_items_are_reported_and_the_rest_written(ledgers: dict, personas: dict) -> None:
    data = payload()
    data["stations"].append({"name": "", "unit": "T-A"})
    data["stations"].append({"name": "外村站", "unit": "ELSEWHERE"})
    data["riders"].append({"name": "坏骑手", "id_number": "110115198409223670", "unit": "T-P"})
    data["riders"].append({"name": "乙", "id_number": f.id_number(502), "unit": "T-P", "phone": "123"})
    data["ebikes"].append(
        {"frame_number": "ORPHAN", "unit": "T-P", "plate_kind": "formal", "battery_kind": "锂"}
    )
    data["ebikes"].append(
        {"frame_number": "X2", "unit": "T-P", "plate_kind": "蓝牌", "battery_kind": "lithium"}
    )
    body = token_client(personas["office"]).post(url(ledgers["p1"]), data, format="json").json()
    assert body["stations"]["added"] == 1 and body["stations"]["rejected"] == 2
    assert body["riders"]["added"] == 1 and body["riders"]["rejected"] == 2
    assert body["ebikes"]["added"] == 1 and body["ebikes"]["rejected"] == 2
    errors = {(e["kind"], e["index"]): e["messages"] for e in body["errors"]}
    assert "必填" in errors[("stations", 2)]["name"]
    assert "ELSEWHERE" in errors[("stations", 3)]["unit"]
    assert "校验位" in errors[("riders", 1)]["id_number"]
    assert "手机号" in errors[("riders", 2)]["phone"]
    assert "骑手" in errors[("ebikes", 1)]["frame_number"]
    assert (
        "蓝牌" in errors[("ebikes", 2)]["plate_kind"]
        and "外卖专用号牌" in errors[("ebikes", 2)]["plate_kind"]
    )
    assert not EBike.objects.filter(frame_number__in=["ORPHAN", "X2"]).exists()
    assert not Person.objects.filter(id_number=f.id_number(502)).exists()


def test_a_failing_item_leaves_nothing_half_written(ledgers: dict, personas: dict) -> None:
    data = {
        "riders": [
            {
                "name": "新骑手",
                "id_number": f.id_number(503),
                "unit": "T-P",
                "frame_numbers": "NO-SUCH-BIKE",
            }
        ]
    }
    body = token_client(personas["platform"]).post(url(ledgers["p1"]), data, format="json").json()
    assert (
        body["riders"]["rejected"] == 1 and "NO-SUCH-BIKE" in body["errors"][0]["messages"]["frame_numbers"]
    )
    # the person and the rider it would have created are rolled back with the item
    assert not Person.objects.filter(id_number=f.id_number(503)).exists()
    assert not Rider.objects.filter(person__id_number=f.id_number(503)).exists()


def test_malformed_requests_write_nothing(ledgers: dict, personas: dict) -> None:
    client = token_client(personas["platform"])
    stations, people, records = Station.objects.count(), Person.objects.count(), ChangeRecord.objects.count()
    good = payload()
    for bad in (
        [good],
        {**good, "shops": []},
        {**good, "riders": {"name": "x"}},
        {**good, "ebikes": [*good["ebikes"], "not an object"]},
        {},
        {"stations": [copy.deepcopy(good["stations"][0]) for _ in range(5001)]},
    ):
        response = client.post(url(ledgers["p1"]), bad, format="json")
        assert response.status_code == 400, bad if len(str(bad)) < 500 else "big"
        assert response.json()["errors"]
    assert (Station.objects.count(), Person.objects.count(), ChangeRecord.objects.count()) == (
        stations,
        people,
        records,
    )


def test_unknown_fields_are_item_errors(ledgers: dict, personas: dict) -> None:
    data = {"stations": [{"name": "甲", "unit": "T-A", "colour": "red"}]}
    body = token_client(personas["platform"]).post(url(ledgers["p1"]), data, format="json").json()
    assert body["stations"]["rejected"] == 1 and body["errors"][0]["messages"] == {"colour": "未知的字段"}


def test_a_rider_may_ride_a_bike_registered_by_the_village(ledgers: dict, personas: dict) -> None:
    data = {
        "ebikes": [{"frame_number": "FA0001", "brand": "改"}],
        "riders": [{"name": "丙", "id_number": f.id_number(504), "unit": "T-P", "frame_numbers": "FA0001"}],
    }
    body = token_client(personas["platform"]).post(url(ledgers["p1"]), data, format="json").json()
    assert body["riders"]["added"] == 1 and body["ebikes"]["rejected"] == 1
    rider = Rider.objects.get(person__id_number=f.id_number(504))
    assert list(rider.ebikes.values_list("frame_number", flat=True)) == ["FA0001"]
    assert EBike.objects.get(frame_number="FA0001").brand == ledgers["bike_a"].brand
