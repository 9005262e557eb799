"""Record pages and endpoints: retirement with a reason instead of deletion, create/edit forms with the
importer's rules, detail links."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ebsafety.core.choices import ChangeAction
from ebsafety.core.models import ChangeRecord
from ebsafety.ledgers import services
from ebsafety.ledgers.models import EBike, Person, Rider
from tests.core.test_api import token_client
from tests.ledgers import factories as f


def test_retire_and_reactivate_through_the_page(ledgers: dict, personas: dict, client_for: Any) -> None:
    bike = ledgers["bike_a"]
    client = client_for(personas["locality"])
    detail = client.get(reverse("ledgers:ebike_detail", args=[bike.pk])).content.decode()
    assert "注销" in detail and "删除" not in detail
    url = reverse("ledgers:ebike_retire", args=[bike.pk])
    assert client.get(url).status_code == 200
    future = client.post(url, {"reason": "scrapped", "date": "2999-01-01"})
    assert future.status_code == 200 and "不能晚于今天" in future.content.decode()
    response = client.post(url, {"reason": "scrapped", "date": "2026-10-08"})
    assert response.status_code == 302
    bike.refresh_from_db()
    assert (bike.status, bike.retire_reason, bike.retired_on) == (
        "retired",
        "scrapped",
        datetime.date(2026, 10, 8),
    )
    record = ChangeRecord.objects.filter(object_id=str(bike.pk), action=ChangeAction.UPDATE).latest("id")
    assert record.after["status"] == "retired" and record.before["status"] == "active"
    assert record.actor == personas["locality"]

    client.post(reverse("ledgers:ebike_reactivate", args=[bike.pk]))
    bike.refresh_from_db()
    assert (bike.status, bike.retire_reason, bike.retired_on) == ("active", "", None)


def test_retire_is_scoped_and_needs_change(ledgers: dict, personas: dict, client_for: Any) -> None:
    bike_b = ledgers["bike_b"]
    url = reverse("ledgers:ebike_retire", args=[bike_b.pk])
    assert (
        client_for(personas["locality"]).post(url, {"reason": "scrapped", "date": "2026-10-01"}).status_code
        == 404
    )
    assert (
        client_for(personas["leader"]).post(url, {"reason": "scrapped", "date": "2026-10-01"}).status_code
        == 403
    )
    bike_b.refresh_from_db()
    assert bike_b.status == "active"


def test_no_delete_url_or_endpoint(ledgers: dict, personas: dict) -> None:
    for name in ("ebike", "person", "shop", "recyclingsite", "platform", "station", "rider", "sale"):
        with pytest.raises(NoReverseMatch):
            reverse(f"ledgers:{name}_delete", args=[1])
    client = token_client(personas["office"])
    assert client.delete(f"/api/v1/ebikes/{ledgers['bike_a'].pk}/").status_code == 405
    assert EBike.objects.filter(pk=ledgers["bike_a"].pk).exists()


def test_retire_and_reactivate_through_the_api(ledgers: dict, personas: dict) -> None:
    station = ledgers["s1"]
    client = token_client(personas["locality"])
    bad = client.post(f"/api/v1/stations/{station.pk}/retire/", {"retire_reason": "nonsense"}, format="json")
    assert bad.status_code == 400
    ok = client.post(f"/api/v1/stations/{station.pk}/retire/", {"retire_reason": "closed"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "retired"
    assert ok.json()["retired_on"] == timezone.localdate().isoformat()
    again = client.post(f"/api/v1/stations/{station.pk}/retire/", {"retire_reason": "closed"}, format="json")
    assert again.status_code == 400
    assert client.post(f"/api/v1/stations/{station.pk}/reactivate/").json()["status"] == "active"
    # read-only roles and other units
    assert (
        token_client(personas["leader"])
        .post(f"/api/v1/stations/{station.pk}/retire/", {"retire_reason": "closed"}, format="json")
        .status_code
        == 403
    )
    assert (
        token_client(personas["community"])
        .post(f"/api/v1/stations/{station.pk}/retire/", {"retire_reason": "closed"}, format="json")
        .status_code
        == 404
    )


def test_status_cannot_be_written_directly(ledgers: dict, personas: dict) -> None:
    client = token_client(personas["office"])
    response = client.patch(f"/api/v1/shops/{ledgers['shop_a'].pk}/", {"status": "retired"}, format="json")
    assert response.status_code == 200
    ledgers["shop_a"].refresh_from_db()
    assert ledgers["shop_a"].status == "active"


def test_services_refuse_users_out_of_scope(ledgers: dict, personas: dict) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.retire(ledgers["bike_b"], "scrapped", by=personas["locality"])


def test_create_ebike_through_the_page_with_a_new_owner(town: dict, personas: dict, client_for: Any) -> None:
    client = client_for(personas["locality"])
    data = {
        "person_name": "张三",
        "person_id_number": f.id_number(77),
        "person_phone": "",
        "unit": town["a"].pk,
        "plate_kind": "temporary",
        "frame_number": " fr-new 01 ",
        "battery_kind": "lithium",
        "battery_count": 1,
        "battery_voltage": 60,
        "declared_compliant": "true",
        "use": "private",
    }
    response = client.post(reverse("ledgers:ebike_add"), data)
    assert response.status_code == 302, response.content.decode()
    bike = EBike.objects.get()
    assert bike.frame_number == "FR-NEW01"  # the importer's normaliser
    assert not bike.is_compliant and "临时标识" in bike.compliance_reason and "60V" in bike.compliance_reason
    assert bike.owner.name == "张三" and bike.owner.unit == town["a"]
    # the same owner again: matched by ID number, not duplicated
    client.post(reverse("ledgers:ebike_add"), {**data, "frame_number": "FR-NEW02", "person_name": "张三"})
    assert Person.objects.count() == 1 and EBike.objects.count() == 2
    # a bad ID number is refused with the importer's message
    bad = client.post(reverse("ledgers:ebike_add"), {**data, "frame_number": "X3", "person_id_number": "123"})
    assert bad.status_code == 200 and "身份证号应为 18 位" in bad.content.decode()


def test_create_ebike_outside_scope_is_refused(town: dict, personas: dict, client_for: Any) -> None:
    client = client_for(personas["locality"])
    response = client.post(
        reverse("ledgers:ebike_add"),
        {
            "person_name": "李四",
            "person_phone": "13900000001",
            "unit": town["b"].pk,
            "plate_kind": "formal",
            "frame_number": "OUT1",
            "battery_kind": "lithium",
            "battery_count": 1,
            "use": "private",
        },
    )
    assert response.status_code == 200 and not EBike.objects.exists()


def test_rider_form_links_bikes_by_frame_number(ledgers: dict, personas: dict, client_for: Any) -> None:
    client = client_for(personas["office"])
    rider = ledgers["r2"]
    url = reverse("ledgers:rider_edit", args=[rider.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "person_name": rider.person.name,
            "platform": rider.platform_id,
            "station": rider.station_id,
            "unit": rider.unit_id,
            "battery_count": 2,
            "charging_method": "cabinet",
            "frame_numbers": "FB0001、fa0001",
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert set(Rider.objects.get(pk=rider.pk).ebikes.values_list("frame_number", flat=True)) == {
        "FB0001",
        "FA0001",
    }
    wrong_station = client.post(
        url,
        {
            "person_name": rider.person.name,
            "platform": rider.platform_id,
            "station": ledgers["s1"].pk,
            "unit": rider.unit_id,
            "battery_count": 1,
            "frame_numbers": "",
        },
    )
    assert "站点不属于所选平台" in wrong_station.content.decode()


def test_pages_render_for_every_ledger(ledgers: dict, personas: dict, client_for: Any) -> None:
    client = client_for(personas["office"])
    for name, obj in (
        ("person", ledgers["bike_a"].owner),
        ("ebike", ledgers["bike_p"]),
        ("shop", ledgers["shop_a"]),
        ("recyclingsite", ledgers["site_a"]),
        ("platform", ledgers["p1"]),
        ("station", ledgers["s1"]),
        ("rider", ledgers["r1"]),
        ("sale", ledgers["sale_a"]),
    ):
        for suffix in ("detail", "history", "edit"):
            response = client.get(reverse(f"ledgers:{name}_{suffix}", args=[obj.pk]))
            assert response.status_code == 200, (name, suffix)
        assert client.get(reverse(f"ledgers:{name}_add")).status_code == 200, name
        assert client.get(reverse(f"ledgers:{name}_list"), {"q": "x", "unit": "T-A"}).status_code == 200
    assert client.get(reverse("ledgers:importbatch_list")).status_code == 200
    bike_page = client.get(reverse("ledgers:ebike_detail", args=[ledgers["bike_p"].pk])).content.decode()
    assert ledgers["r1"].get_absolute_url() in bike_page  # the rider who rides it
    assert ledgers["bike_p"].owner.get_absolute_url() in bike_page


def test_ebike_filters(ledgers: dict, personas: dict, client_for: Any) -> None:
    ledgers["bike_b"].plate_kind = "temporary"
    ledgers["bike_b"].save()
    client = client_for(personas["office"])

    def frames(**params: Any) -> set[str]:
        table = client.get(reverse("ledgers:ebike_list"), params).context["table"]
        return {b.frame_number for b in table.data.data}

    assert frames(unit="T-A") == {"FA0001", "FA1001", "FS0001"}
    assert frames(plate_kind="temporary") == {"FB0001"}
    assert frames(q="fa1") == {"FA1001"}
    assert frames(q=ledgers["bike_b"].owner.id_number) == {"FB0001"}
    assert frames(q=ledgers["bike_b"].owner.id_number[:10]) == set()  # no partial probing of ID numbers
    assert frames(use="delivery") == {"FP0001"}
    assert frames(unit="NOPE") == set()
    api = token_client(personas["office"]).get("/api/v1/ebikes/", {"unit": "T-B", "limit": 100}).json()
    assert {b["frame_number"] for b in api["results"]} == {"FB0001"}


def test_a_frame_number_is_registered_once(ledgers: dict, personas: dict, client_for: Any) -> None:
    """The frame number's unique index (a constraint of the model): the API and the form check it as the
    importer normalises it, and say so on the field; the record's own number is not a duplicate."""
    from django.core.exceptions import ValidationError

    bike = ledgers["bike_a"]
    spelled_otherwise = f" {bike.frame_number.lower()} "
    client = token_client(personas["office"])
    payload = {
        "unit": bike.unit.code,
        "owner": bike.owner_id,
        "plate_kind": "formal",
        "frame_number": spelled_otherwise,
        "battery_kind": "lithium",
        "battery_count": 1,
        "use": "private",
    }
    response = client.post("/api/v1/ebikes/", payload, format="json")
    assert response.status_code == 400 and response.json()["frame_number"] == ["该车架号已登记。"]
    created = client.post("/api/v1/ebikes/", {**payload, "frame_number": "NEW-1"}, format="json")
    assert created.status_code == 201
    own = client.patch(f"/api/v1/ebikes/{bike.pk}/", {"frame_number": spelled_otherwise}, format="json")
    assert own.status_code == 200 and own.json()["frame_number"] == bike.frame_number
    taken = client.patch(f"/api/v1/ebikes/{bike.pk}/", {"frame_number": "new-1"}, format="json")
    assert taken.status_code == 400 and taken.json()["frame_number"] == ["该车架号已登记。"]
    # the model's own validation (forms, full_clean) and the database
    fields = [f.attname for f in EBike._meta.concrete_fields if f.attname != "id"]
    twin = EBike(**{name: getattr(bike, name) for name in fields})
    with pytest.raises(ValidationError, match="该车架号已登记") as raised:
        twin.full_clean()
    assert raised.value.message_dict == {"frame_number": ["该车架号已登记。"]}  # on the field, not the record
    page = client_for(personas["office"]).post(
        reverse("ledgers:ebike_add"),
        {
            "person_name": "王五",
            "person_phone": "13900000009",
            "unit": bike.unit.pk,
            "plate_kind": "formal",
            "frame_number": spelled_otherwise,
            "battery_kind": "lithium",
            "battery_count": 1,
            "use": "private",
        },
    )
    assert page.status_code == 200 and "该车架号已登记" in page.content.decode()
    assert page.context["form"].errors["frame_number"] == ["该车架号已登记。"]
    assert EBike.objects.filter(frame_number=bike.frame_number).count() == 1
