"""ID and phone numbers: masked in lists, exports, details and the API for every role; revealed on request
by roles that may see them, and every reveal is written to the change log."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.urls import reverse

from ebsafety.core.choices import ChangeAction
from ebsafety.core.models import ChangeRecord
from ebsafety.core.privacy import mask_id_number, mask_phone
from tests.core.test_api import token_client


def test_lists_mask_for_every_role(ledgers: dict, personas: dict, client_for: Any) -> None:
    person = ledgers["bike_a"].owner
    for persona in ("office", "locality"):
        client = client_for(personas[persona])
        for url in (reverse("ledgers:person_list"), reverse("ledgers:ebike_list")):
            page = client.get(url).content.decode()
            assert person.phone not in page and mask_phone(person.phone) in page
            assert person.id_number not in page
        assert mask_id_number(person.id_number) in client.get(reverse("ledgers:person_list")).content.decode()


def test_exports_mask_for_everyone(ledgers: dict, personas: dict, client_for: Any) -> None:
    client = client_for(personas["office"])
    person = ledgers["bike_a"].owner
    for url in (reverse("ledgers:person_list"), reverse("ledgers:ebike_list"), reverse("ledgers:rider_list")):
        for fmt in ("csv", "xlsx"):
            response = client.get(url, {"export": fmt})
            assert response.status_code == 200
            assert person.phone.encode() not in response.content
            assert person.id_number.encode() not in response.content
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("ledgers:person_list"), {"export": "csv"}).content.decode("utf-8-sig")
            )
        )
    )
    assert mask_id_number(person.id_number) in {r["身份证号"] for r in rows}


def test_detail_is_masked_until_revealed_and_the_reveal_is_audited(
    ledgers: dict, personas: dict, client_for: Any
) -> None:
    bike, owner = ledgers["bike_a"], ledgers["bike_a"].owner
    client = client_for(personas["locality"])
    url = reverse("ledgers:ebike_detail", args=[bike.pk])
    page = client.get(url).content.decode()
    assert owner.id_number not in page and mask_id_number(owner.id_number) in page
    assert "显示完整号码" in page
    assert not ChangeRecord.objects.filter(action=ChangeAction.VIEW).exists()

    revealed = client.post(url)
    assert revealed.status_code == 200
    text = revealed.content.decode()
    assert owner.id_number in text and owner.phone in text
    record = ChangeRecord.objects.get(action=ChangeAction.VIEW)
    assert record.actor == personas["locality"]
    assert record.object_id == str(owner.pk) and record.content_type.model == "person"
    assert sorted(record.changed_fields) == ["id_number", "phone"]
    assert record.before is None and record.after is None  # the values themselves are not copied
    # the next plain view is masked again
    assert owner.id_number not in client.get(url).content.decode()


def test_roles_that_may_not_unmask_get_no_button_and_403(
    ledgers: dict, personas: dict, client_for: Any
) -> None:
    url = reverse("ledgers:person_detail", args=[ledgers["bike_a"].owner_id])
    client = client_for(personas["leader"])
    page = client.get(url).content.decode()
    assert "显示完整号码" not in page
    assert client.post(url).status_code == 403
    assert not ChangeRecord.objects.filter(action=ChangeAction.VIEW).exists()


def test_business_contact_phone_is_masked_and_revealable(
    ledgers: dict, personas: dict, client_for: Any
) -> None:
    shop = ledgers["shop_a"]
    client = client_for(personas["office"])
    url = reverse("ledgers:shop_detail", args=[shop.pk])
    assert shop.phone not in client.get(url).content.decode()
    assert shop.phone in client.post(url).content.decode()
    assert ChangeRecord.objects.filter(action=ChangeAction.VIEW, object_id=str(shop.pk)).count() == 1


def test_api_masks_list_and_detail_for_every_role(ledgers: dict, personas: dict) -> None:
    owner = ledgers["bike_a"].owner
    for persona in ("office", "locality"):
        client = token_client(personas[persona])
        people = client.get("/api/v1/people/", {"limit": 100}).json()["results"]
        item = next(p for p in people if p["id"] == owner.pk)
        assert item["id_number"] == mask_id_number(owner.id_number)
        assert item["phone"] == mask_phone(owner.phone)
        bike = client.get(f"/api/v1/ebikes/{ledgers['bike_a'].pk}/").json()
        assert bike["owner_detail"]["id_number"] == mask_id_number(owner.id_number)


def test_api_reveal_is_audited_and_refused_to_others(ledgers: dict, personas: dict) -> None:
    owner = ledgers["bike_a"].owner
    response = token_client(personas["office"]).post(f"/api/v1/ebikes/{ledgers['bike_a'].pk}/reveal/")
    assert response.status_code == 200
    assert response.json() == {"id_number": owner.id_number, "phone": owner.phone}
    record = ChangeRecord.objects.get(action=ChangeAction.VIEW)
    assert record.source == "api" and record.actor == personas["office"]
    for persona in ("leader", "inspector", "department"):
        refused = token_client(personas[persona]).post(f"/api/v1/people/{owner.pk}/reveal/")
        assert refused.status_code in (403, 404), persona
    assert ChangeRecord.objects.filter(action=ChangeAction.VIEW).count() == 1


def test_api_masked_value_sent_back_keeps_the_number(ledgers: dict, personas: dict) -> None:
    owner = ledgers["bike_a"].owner
    client = token_client(personas["office"])
    data = client.get(f"/api/v1/people/{owner.pk}/").json()
    data["name"] = "改名"
    response = client.put(f"/api/v1/people/{owner.pk}/", data, format="json")
    assert response.status_code == 200, response.json()
    owner.refresh_from_db()
    assert owner.name == "改名" and "*" not in owner.id_number and "*" not in owner.phone
    bad = client.patch(f"/api/v1/people/{owner.pk}/", {"phone": "12345"}, format="json")
    assert bad.status_code == 400 and "手机号" in bad.json()["phone"][0]


def test_edit_form_does_not_prefill_personal_data(ledgers: dict, personas: dict, client_for: Any) -> None:
    owner = ledgers["bike_a"].owner
    client = client_for(personas["office"])
    url = reverse("ledgers:person_edit", args=[owner.pk])
    page = client.get(url).content.decode()
    assert owner.id_number not in page and mask_id_number(owner.id_number) in page
    response = client.post(
        url, {"name": "新名字", "id_number": "", "phone": "", "address": "", "unit": owner.unit_id}
    )
    assert response.status_code == 302
    owner_id, phone = owner.id_number, owner.phone
    owner.refresh_from_db()
    assert (owner.name, owner.id_number, owner.phone) == ("新名字", owner_id, phone)
