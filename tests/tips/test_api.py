"""The public API exactly as issue 5 specifies: categories, submit (201/400/429), status by tracking code.

No call needs a login or a token, and no response ever carries a reporter's name or phone (checked on the
raw bytes)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from ebsafety.tips.choices import TipStatus
from ebsafety.tips.models import Tip

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/public/tip-categories/"
TIPS = "/api/v1/public/tips/"
NAME = "张举报"
PHONE = "13912345678"
CJK = re.compile(r"[\u4e00-\u9fff]")


def post(client: Client, body: dict[str, Any], addr: str = "10.0.0.1") -> Any:
    return client.post(TIPS, json.dumps(body), content_type="application/json", REMOTE_ADDR=addr)


def body(**extra: Any) -> dict[str, Any]:
    data = {
        "category": "corridor_parking",
        "description": "2 号楼楼道有三辆电动车充电",
        "unit": "T-A-1",
        "address": "",
        "name": NAME,
        "phone": PHONE,
        "contact_consent": True,
    }
    data.update(extra)
    return data


def test_categories_are_a_plain_list_of_code_and_name(client: Client) -> None:
    response = client.get(CATEGORIES)
    assert response.status_code == 200
    items = response.json()
    assert isinstance(items, list) and len(items) >= 10
    assert all(set(item) == {"code", "name"} for item in items)
    assert {"code": "corridor_parking", "name": "在门厅、楼道、楼梯间或安全出口停放、充电"} in items


def test_inactive_categories_are_not_offered(client: Client, category: Any) -> None:
    category.is_active = False
    category.save()
    codes = {item["code"] for item in client.get(CATEGORIES).json()}
    assert "corridor_parking" not in codes
    response = post(client, body())
    assert response.status_code == 400
    assert "category" in response.json()


def test_submit_returns_201_with_tracking_code_and_status_only(client: Client, campaign: Any) -> None:
    response = post(client, body())
    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"tracking_code", "status"}
    assert data["status"] == TipStatus.NEW
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{16}", data["tracking_code"])
    assert NAME.encode() not in response.content and PHONE.encode() not in response.content
    tip = Tip.objects.get(tracking_code=data["tracking_code"])
    assert (tip.reporter_name, tip.reporter_phone, tip.contact_consent) == (NAME, PHONE, True)
    assert tip.unit.code == "T-A-1" and tip.source == "api"
    assert tip.submitter_key and "10.0.0.1" not in tip.submitter_key  # a keyed hash, not the address


def test_tracking_codes_are_random_and_distinct(client: Client, campaign: Any) -> None:
    codes = {
        post(client, body(phone="", name="", contact_consent=False), addr=f"10.0.1.{i}").json()[
            "tracking_code"
        ]
        for i in range(12)
    }
    assert len(codes) == 12


def test_anonymous_tip_with_only_an_address_is_filed_under_the_campaign_unit(
    client: Client, campaign: Any
) -> None:
    response = post(
        client, body(unit=None, address="甲村东街 12 号院", name="", phone="", contact_consent=False)
    )
    assert response.status_code == 201
    tip = Tip.objects.get(tracking_code=response.json()["tracking_code"])
    assert tip.unit == campaign.unit and tip.is_anonymous


def test_a_building_code_is_accepted(client: Client, campaign: Any) -> None:
    response = post(client, body(unit="T-A-1-1"))
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": ""}, "category"),
        ({"category": "no_such_category"}, "category"),
        ({"description": ""}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"description": "太短"}, "description"),
        ({"unit": "NOPE"}, "unit"),
        ({"unit": "T-A"}, "unit"),  # a village is not a compound or building
        ({"unit": None, "address": ""}, "unit"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "", "contact_consent": True}, "phone"),
        ({"contact_consent": "maybe"}, "contact_consent"),
        ({"name": "名" * 51}, "name"),
    ],
)
def test_invalid_bodies_get_400_with_chinese_messages_per_field(
    client: Client, campaign: Any, change: dict[str, Any], field: str
) -> None:
    response = post(client, body(**change))
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert all(CJK.search(message) for message in errors[field]), errors
    assert not Tip.objects.exists()
    assert PHONE.encode() not in response.content


def test_missing_body_fields_are_all_reported(client: Client, campaign: Any) -> None:
    response = client.post(TIPS, "{}", content_type="application/json")
    assert response.status_code == 400
    errors = response.json()
    assert {"category", "description"} <= set(errors)
    assert all(CJK.search(m) for messages in errors.values() for m in messages)


def test_malformed_json_is_400(client: Client, campaign: Any) -> None:
    response = client.post(TIPS, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_too_many_from_one_address_get_429(client: Client, campaign: Any, settings: Any) -> None:
    settings.TIPS_SUBMIT_MAX_PER_ADDRESS = 3
    for i in range(3):
        assert post(client, body(phone=f"1391234000{i}"), addr="10.9.9.9").status_code == 201
    refused = post(client, body(phone="13912340009"), addr="10.9.9.9")
    assert refused.status_code == 429
    assert CJK.search(refused.json()["detail"])
    assert refused["Retry-After"]
    # another address is not affected
    assert post(client, body(phone="13912340008"), addr="10.9.9.8").status_code == 201
    assert Tip.objects.count() == 4


def test_too_many_from_one_phone_get_429_whatever_the_address(
    client: Client, campaign: Any, settings: Any
) -> None:
    settings.TIPS_SUBMIT_MAX_PER_PHONE = 2
    assert post(client, body(), addr="10.0.0.1").status_code == 201
    assert post(client, body(), addr="10.0.0.2").status_code == 201
    assert post(client, body(), addr="10.0.0.3").status_code == 429
    assert post(client, body(phone="13800001111"), addr="10.0.0.3").status_code == 201


def test_the_address_behind_trusted_proxies_is_the_one_limited(
    client: Client, campaign: Any, settings: Any
) -> None:
    settings.TIPS_SUBMIT_MAX_PER_ADDRESS = 1
    settings.TIPS_PROXY_COUNT = 1
    first = client.post(
        TIPS,
        json.dumps(body(phone="", contact_consent=False)),
        content_type="application/json",
        HTTP_X_FORWARDED_FOR="1.1.1.1",
    )
    second = client.post(
        TIPS,
        json.dumps(body(phone="", contact_consent=False)),
        content_type="application/json",
        HTTP_X_FORWARDED_FOR="2.2.2.2",
    )
    third = client.post(
        TIPS,
        json.dumps(body(phone="", contact_consent=False)),
        content_type="application/json",
        HTTP_X_FORWARDED_FOR="9.9.9.9, 2.2.2.2",
    )
    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 429)


def test_status_by_tracking_code_has_exactly_the_public_fields(client: Client, campaign: Any) -> None:
    code = post(client, body()).json()["tracking_code"]
    response = client.get(f"{TIPS}{code}/")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"tracking_code", "status", "status_display", "reward_status", "updated"}
    assert data["tracking_code"] == code
    assert data["status"] == "new" and data["status_display"] == "待分拣"
    assert data["reward_status"] == "none"
    for secret in (NAME, PHONE, "2 号楼楼道", "T-A-1", "甲一小区"):
        assert secret.encode() not in response.content
        assert json.dumps(secret)[1:-1].encode() not in response.content


def test_status_accepts_the_code_as_people_type_it(client: Client, campaign: Any) -> None:
    code = post(client, body()).json()["tracking_code"]
    typed = "-".join(code[i : i + 4] for i in range(0, 16, 4)).lower()
    assert client.get(f"{TIPS}{typed}/").status_code == 200


def test_unknown_or_short_codes_are_404(client: Client, campaign: Any) -> None:
    code = post(client, body()).json()["tracking_code"]
    assert client.get(f"{TIPS}{code[:-1]}Z/").status_code in (404,) or code.endswith("Z")
    assert client.get(f"{TIPS}ABCD/").status_code == 404
    assert client.get(f"{TIPS}{'2' * 16}/").status_code == 404


def test_lookups_are_rate_limited_per_address(client: Client, campaign: Any, settings: Any) -> None:
    settings.TIPS_LOOKUP_MAX_PER_ADDRESS = 3
    code = post(client, body()).json()["tracking_code"]
    statuses = [client.get(f"{TIPS}{code}/", REMOTE_ADDR="10.5.5.5").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get(f"{TIPS}{code}/", REMOTE_ADDR="10.5.5.6").status_code == 200


def test_no_login_or_token_is_needed_even_for_a_signed_in_user_without_role(
    client_for: Any, personas: dict, campaign: Any
) -> None:
    client = client_for(personas["norole"])
    client.handler.enforce_csrf_checks = True
    assert client.get(CATEGORIES).status_code == 200
    assert post(client, body()).status_code == 201


def test_the_staff_api_stays_closed_to_the_public(client: Client, campaign: Any) -> None:
    assert client.get("/api/v1/units/").status_code in (401, 403)
