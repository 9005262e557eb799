"""The staff API of tips: every action goes through the services (a refusal is 400/409 with the reason and
changes nothing), scoping (out of scope 404), roles (403), and the reporter's identity only where tips
officers may see it."""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from rest_framework.test import APIClient

from ebsafety.core.choices import ChangeAction, Role
from ebsafety.core.models import ChangeRecord
from ebsafety.tips import services
from ebsafety.tips.choices import Handover, Outcome, RewardStatus, TipStatus
from ebsafety.tips.models import Reward, Tip, TipTransition

pytestmark = pytest.mark.django_db

NAME = "赵举报"
PHONE = "13600001111"
CJK = re.compile(r"[\u4e00-\u9fff]")
TODAY = datetime.date.today().isoformat()


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(user: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    return api(user).post(url, body or {}, format="json")


def view_records(obj: Any) -> Any:
    return ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),
        action=ChangeAction.VIEW,
    )


def snapshot(tip: Tip) -> tuple[Any, ...]:
    tip.refresh_from_db()
    return (tip.status, tip.updated, TipTransition.objects.filter(tip=tip).count(), Reward.objects.count())


def refused(response: Any, code: int, field: str | None = None) -> None:
    assert response.status_code == code, response.content
    data = response.json()
    messages = data[field] if field else [data["detail"]]
    assert all(CJK.search(m) for m in messages), data


@pytest.fixture
def officer(personas: dict) -> Any:
    return personas["tips_officer"]


@pytest.fixture
def office(personas: dict) -> Any:
    return personas["office"]


@pytest.fixture
def village_officer(make_user: Any, town: dict) -> Any:
    """A tips officer of village A only."""
    return make_user("tips-a", Role.TIPS_OFFICER, unit=town["a"])


def test_triage_verify_reward_and_pay_through_the_api(
    officer: Any, office: Any, make_tip: Any, client: Any
) -> None:
    tip = make_tip(name=NAME, phone=PHONE, contact_consent=True)
    accepted = post(officer, f"/api/v1/tips/{tip.pk}/accept/", {"department": "MKT", "note": "转隐患"})
    assert accepted.status_code == 200, accepted.content
    data = accepted.json()
    assert data["status"] == TipStatus.ACCEPTED and data["handover"] == Handover.CREATED
    assert data["department"] == "MKT" and data["hazard_ref"]
    assert [t["to_status"] for t in data["transitions"]] == ["new", "accepted"]
    # the change goes to the audit log like a page's
    assert ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(Tip),
        object_id=str(tip.pk),
        action=ChangeAction.UPDATE,
        actor=officer,
    ).exists()

    verified = post(officer, f"/api/v1/tips/{tip.pk}/verify/", {"outcome": "true", "note": "现场属实"})
    assert verified.status_code == 200 and verified.json()["outcome"] == Outcome.TRUE
    reward = Reward.objects.get()  # a true tip gets its reward proposed at once
    assert reward.status == RewardStatus.PROPOSED and reward.amount == Decimal("200")
    # one reward per verified hazard: proposing again is refused, nothing changes
    before = snapshot(tip)
    refused(post(officer, f"/api/v1/tips/{tip.pk}/propose_reward/"), 409)
    assert snapshot(tip) == before

    url = f"/api/v1/tip-rewards/{reward.pk}"
    refused(post(officer, f"{url}/approve/"), 403)  # the office approves
    refused(
        post(officer, f"{url}/pay/", {"paid_on": TODAY, "payment_method": "cash", "payee_confirmed": True}),
        409,
    )
    approved = post(office, f"{url}/approve/", {"tier": "stopped"})
    assert approved.status_code == 200 and approved.json()["status"] == RewardStatus.APPROVED
    assert approved.json()["amount"] == "300.00"
    refused(
        post(officer, f"{url}/pay/", {"paid_on": TODAY, "payment_method": "cash"}), 400, "payee_confirmed"
    )
    paid = post(
        officer, f"{url}/pay/", {"paid_on": TODAY, "payment_method": "wechat", "payee_confirmed": True}
    )
    assert paid.status_code == 200 and paid.json()["status"] == RewardStatus.PAID
    assert paid.json()["paid_on"] == TODAY and paid.json()["payment_method"] == "wechat"

    ledger = api(office).get("/api/v1/tip-rewards/ledger/")
    assert ledger.status_code == 200
    month = datetime.date.fromisoformat(TODAY).replace(day=1).isoformat()  # the month it was paid in
    assert ledger.json() == {
        "months": [{"month": month, "count": 1, "amount": "300.00"}],
        "totals": {"count": 1, "amount": "300.00"},
        "pending": {"count": 0, "amount": None},
    }
    listed = api(officer).get("/api/v1/tip-rewards/", {"status": "paid"})
    assert [r["id"] for r in listed.json()["results"]] == [reward.pk]
    # the reporter follows it to the end
    status = client.get(f"/api/v1/public/tips/{tip.tracking_code}/").json()
    assert status["reward_status"] == "paid"


def test_forward_needs_the_receiving_body_and_date(officer: Any, make_tip: Any) -> None:
    tip = make_tip()
    before = snapshot(tip)
    refused(
        post(officer, f"/api/v1/tips/{tip.pk}/forward/", {"forwarded_to": "区消防救援支队"}),
        400,
        "forwarded_to",
    )
    refused(
        post(officer, f"/api/v1/tips/{tip.pk}/forward/", {"forwarded_on": "not a date"}), 400, "forwarded_on"
    )
    assert snapshot(tip) == before
    done = post(
        officer, f"/api/v1/tips/{tip.pk}/forward/", {"forwarded_to": "区消防救援支队", "forwarded_on": TODAY}
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["forwarded_to"], done.json()["forwarded_on"]) == (
        TipStatus.FORWARDED,
        "区消防救援支队",
        TODAY,
    )
    # a forwarded tip can be verified, not triaged again
    refused(post(officer, f"/api/v1/tips/{tip.pk}/accept/"), 409)
    partly = post(officer, f"/api/v1/tips/{tip.pk}/verify/", {"outcome": "partly"})
    assert partly.status_code == 200 and not Reward.objects.exists()
    proposed = post(officer, f"/api/v1/tips/{tip.pk}/propose_reward/", {"tier": "helped", "is_major": True})
    assert proposed.status_code == 201, proposed.content
    assert proposed.json()["status"] == RewardStatus.PROPOSED and proposed.json()["amount"] == "500.00"


def test_merge_into_an_earlier_tip_only(officer: Any, make_tip: Any, town: dict) -> None:
    first, second = make_tip(), make_tip(unit=town["a11"])
    before = snapshot(first)
    refused(post(officer, f"/api/v1/tips/{first.pk}/merge/", {"into": second.pk}), 409)  # later tip
    refused(post(officer, f"/api/v1/tips/{first.pk}/merge/", {"into": first.pk}), 409)  # itself
    refused(post(officer, f"/api/v1/tips/{first.pk}/merge/", {}), 400, "into")
    assert snapshot(first) == before
    candidates = api(officer).get(f"/api/v1/tips/{second.pk}/duplicate_candidates/")
    assert [c["id"] for c in candidates.json()] == [first.pk]
    merged = post(officer, f"/api/v1/tips/{second.pk}/merge/", {"into": first.pk})
    assert merged.status_code == 200
    assert merged.json()["status"] == TipStatus.DUPLICATE and merged.json()["duplicate_of"] == first.pk


def test_reject_needs_a_reason_the_reporter_then_sees(officer: Any, make_tip: Any, client: Any) -> None:
    tip = make_tip()
    before = snapshot(tip)
    refused(post(officer, f"/api/v1/tips/{tip.pk}/reject/", {"reason": "  "}), 400, "reason")
    refused(post(officer, f"/api/v1/tips/{tip.pk}/verify/", {"outcome": "true"}), 409)  # not accepted yet
    assert snapshot(tip) == before
    done = post(officer, f"/api/v1/tips/{tip.pk}/reject/", {"reason": "所述地点不在本镇"})
    assert done.status_code == 200 and done.json()["reject_reason"] == "所述地点不在本镇"
    before = snapshot(tip)
    for op in ("accept", "reject", "verify"):
        refused(post(officer, f"/api/v1/tips/{tip.pk}/{op}/", {"reason": "x", "outcome": "true"}), 409)
    assert snapshot(tip) == before
    assert (
        "所述地点不在本镇" in client.get(f"/api/v1/public/tips/{tip.tracking_code}/").json()["status_display"]
    )


def test_verify_needs_a_known_outcome(officer: Any, make_tip: Any) -> None:
    tip = make_tip()
    services.accept(tip, officer)
    before = snapshot(tip)
    refused(post(officer, f"/api/v1/tips/{tip.pk}/verify/", {"outcome": "maybe"}), 400, "outcome")
    assert snapshot(tip) == before


def test_decline_a_reward_with_a_reason(officer: Any, office: Any, make_tip: Any) -> None:
    tip = make_tip()
    services.accept(tip, officer)
    services.record_verification(tip, officer, Outcome.TRUE)
    reward = Reward.objects.get()
    url = f"/api/v1/tip-rewards/{reward.pk}/decline/"
    refused(post(office, url, {"note": ""}), 400, "note")
    refused(post(officer, url, {"note": "举报人系物业员工"}), 403)
    assert Reward.objects.get().status == RewardStatus.PROPOSED
    assert post(office, url, {"note": "举报人系物业员工"}).json()["status"] == RewardStatus.DECLINED
    refused(post(office, url, {"note": "再次否决"}), 409)


def test_out_of_scope_is_404_and_lists_are_scoped(village_officer: Any, make_tip: Any, town: dict) -> None:
    mine, theirs = make_tip(unit=town["a11"]), make_tip(unit=town["b1"])
    client = api(village_officer)
    listed = client.get("/api/v1/tips/")
    assert [t["id"] for t in listed.json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/tips/{theirs.pk}/").status_code == 404
    before = snapshot(theirs)
    for op, body in (
        ("accept", {}),
        ("forward", {"forwarded_to": "区市场监管局", "forwarded_on": TODAY}),
        ("merge", {"into": mine.pk}),
        ("reject", {"reason": "不在辖区"}),
        ("verify", {"outcome": "true"}),
        ("propose_reward", {}),
    ):
        assert client.post(f"/api/v1/tips/{theirs.pk}/{op}/", body, format="json").status_code == 404, op
    assert client.get(f"/api/v1/tips/{theirs.pk}/duplicate_candidates/").status_code == 404
    assert snapshot(theirs) == before
    # a tip out of scope is no merge target, and no unit out of scope can be chosen
    refused(post(village_officer, f"/api/v1/tips/{mine.pk}/merge/", {"into": theirs.pk}), 400, "into")
    refused(post(village_officer, f"/api/v1/tips/{mine.pk}/accept/", {"unit": "T-B-1"}), 400, "unit")
    assert Tip.objects.get(pk=mine.pk).status == TipStatus.NEW


def test_rewards_out_of_scope_are_404(village_officer: Any, officer: Any, make_tip: Any, town: dict) -> None:
    tip = make_tip(unit=town["b1"])
    services.accept(tip, officer)
    services.record_verification(tip, officer, Outcome.TRUE)
    reward = Reward.objects.get()
    client = api(village_officer)
    assert client.get("/api/v1/tip-rewards/").json()["results"] == []
    assert client.get(f"/api/v1/tip-rewards/{reward.pk}/").status_code == 404
    body = {"paid_on": TODAY, "payment_method": "cash", "payee_confirmed": True}
    assert client.post(f"/api/v1/tip-rewards/{reward.pk}/pay/", body, format="json").status_code == 404
    assert client.get("/api/v1/tip-rewards/ledger/").json()["totals"] == {"count": 0, "amount": None}


@pytest.mark.parametrize("persona", ["leader", "locality"])
def test_readers_may_list_but_not_act(persona: str, personas: dict, make_tip: Any) -> None:
    tip = make_tip()
    user = personas[persona]
    assert api(user).get(f"/api/v1/tips/{tip.pk}/").status_code == 200
    before = snapshot(tip)
    for op in ("accept", "reject", "merge", "verify", "forward", "propose_reward"):
        refused(post(user, f"/api/v1/tips/{tip.pk}/{op}/", {"reason": "x"}), 403)
    refused(
        post(
            user, "/api/v1/tips/", {"category": "lift", "description": "来电反映有车进电梯", "unit": "T-A-1"}
        ),
        403,
    )
    assert snapshot(tip) == before and Tip.objects.count() == 1


@pytest.mark.parametrize(
    "persona", ["property", "department", "inspector", "volunteer", "platform", "norole"]
)
def test_roles_without_tips_are_refused(persona: str, personas: dict, make_tip: Any) -> None:
    tip = make_tip()
    client = api(personas[persona])
    assert client.get("/api/v1/tips/").status_code == 403
    assert client.get(f"/api/v1/tips/{tip.pk}/").status_code == 403
    assert client.get("/api/v1/tip-rewards/").status_code == 403
    assert client.post(f"/api/v1/tips/{tip.pk}/accept/", {}, format="json").status_code == 403
    assert Tip.objects.get().status == TipStatus.NEW


def test_anonymous_callers_are_refused(make_tip: Any) -> None:
    tip = make_tip()
    assert APIClient().get("/api/v1/tips/").status_code in (401, 403)
    assert APIClient().post(f"/api/v1/tips/{tip.pk}/accept/", {}, format="json").status_code in (401, 403)


def test_the_office_triages_but_never_sees_the_reporter(office: Any, make_tip: Any) -> None:
    tip = make_tip(name=NAME, phone=PHONE)
    response = post(office, f"/api/v1/tips/{tip.pk}/accept/")
    assert response.status_code == 200 and response.json()["status"] == TipStatus.ACCEPTED
    assert NAME.encode() not in response.content and PHONE.encode() not in response.content


@pytest.mark.parametrize("persona", ["office", "leader", "locality"])
def test_reporter_masked_for_everyone_but_tips_officers(persona: str, personas: dict, make_tip: Any) -> None:
    tip = make_tip(name=NAME, phone=PHONE, contact_consent=True)
    client = api(personas[persona])
    for url in ("/api/v1/tips/", f"/api/v1/tips/{tip.pk}/"):
        response = client.get(url)
        assert response.status_code == 200
        assert (
            PHONE.encode() not in response.content and json.dumps(NAME)[1:-1].encode() not in response.content
        )
        assert NAME.encode() not in response.content
    detail = client.get(f"/api/v1/tips/{tip.pk}/").json()
    assert (detail["reporter_name"], detail["reporter_phone"]) == ("赵**", "136****1111")
    assert not view_records(tip).exists()


def test_tips_officers_see_the_reporter_on_the_tip_only_and_each_view_is_logged(
    officer: Any, office: Any, make_tip: Any
) -> None:
    tip = make_tip(name=NAME, phone=PHONE, contact_consent=True)
    client = api(officer)
    listed = client.get("/api/v1/tips/")
    assert PHONE.encode() not in listed.content and NAME.encode() not in listed.content
    assert not view_records(tip).exists()
    for _ in range(2):
        detail = client.get(f"/api/v1/tips/{tip.pk}/")
        assert (detail.json()["reporter_name"], detail.json()["reporter_phone"]) == (NAME, PHONE)
        assert detail["Cache-Control"] == "no-store"
    records = list(view_records(tip))
    assert len(records) == 2 and records[0].actor == officer
    assert records[0].changed_fields == ["reporter_name", "reporter_phone"]
    # the payee of a reward likewise: in full for the tips officer (logged), masked for the office
    services.accept(tip, officer)
    services.record_verification(tip, officer, Outcome.TRUE)
    reward = Reward.objects.get()
    masked = api(office).get(f"/api/v1/tip-rewards/{reward.pk}/")
    assert masked.json()["payee_phone"] == "136****1111" and PHONE.encode() not in masked.content
    assert PHONE.encode() not in client.get("/api/v1/tip-rewards/").content
    shown = client.get(f"/api/v1/tip-rewards/{reward.pk}/")
    assert (shown.json()["payee_name"], shown.json()["payee_phone"]) == (NAME, PHONE)
    assert view_records(tip).count() == 3


def test_hotline_entry(officer: Any, village_officer: Any, campaign: Any) -> None:
    body = {
        "category": "lift",
        "description": "来电反映 3 号楼有人推车进电梯",
        "unit": "T-B-1",
        "name": NAME,
        "phone": PHONE,
        "contact_consent": True,
    }
    created = post(officer, "/api/v1/tips/", body)
    assert created.status_code == 201, created.content
    tip = Tip.objects.get(pk=created.json()["id"])
    assert (tip.source, tip.received_by, tip.unit.code, tip.reporter_phone) == (
        "hotline",
        officer,
        "T-B-1",
        PHONE,
    )
    assert PHONE.encode() not in created.content  # the answer is not a viewing of the reporter
    # a unit outside the caller's scope, an unknown category, a bad phone: 400 with Chinese messages
    refused(post(village_officer, "/api/v1/tips/", body), 400, "unit")
    refused(post(officer, "/api/v1/tips/", {**body, "category": "nope"}), 400, "category")
    refused(post(officer, "/api/v1/tips/", {**body, "phone": "12345"}), 400, "phone")
    refused(post(officer, "/api/v1/tips/", {**body, "unit": None, "address": ""}), 400, "unit")
    # an address-only tip is filed under the campaign's unit: outside a village officer's scope, not kept
    refused(post(village_officer, "/api/v1/tips/", {**body, "unit": None, "address": "乙村东街 3 号"}), 403)
    assert Tip.objects.count() == 1


def test_the_schema_describes_the_staff_endpoints(office: Any) -> None:
    schema = api(office).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/tips/",
        "/api/v1/tips/{id}/",
        "/api/v1/tips/{id}/accept/",
        "/api/v1/tips/{id}/forward/",
        "/api/v1/tips/{id}/merge/",
        "/api/v1/tips/{id}/reject/",
        "/api/v1/tips/{id}/verify/",
        "/api/v1/tips/{id}/propose_reward/",
        "/api/v1/tip-rewards/",
        "/api/v1/tip-rewards/ledger/",
        "/api/v1/tip-rewards/{id}/approve/",
        "/api/v1/tip-rewards/{id}/decline/",
        "/api/v1/tip-rewards/{id}/pay/",
    ):
        assert path in paths, path
    assert (
        set(paths["/api/v1/tips/{id}/"]) == {"get", "parameters"} or "put" not in paths["/api/v1/tips/{id}/"]
    )


def test_api_lists_keep_a_bounded_number_of_queries(officer: Any, office: Any, make_tip: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(user: Any, url: str) -> int:
        client = api(user)
        client.get(url)  # warm the caches (content types, sessions)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    tip = make_tip(name=NAME, phone=PHONE)
    services.accept(tip, officer)
    services.record_verification(tip, officer, Outcome.TRUE)
    few = (count(officer, "/api/v1/tips/"), count(office, "/api/v1/tip-rewards/"))
    for _ in range(8):
        more = make_tip(name=NAME, phone=PHONE, source="hotline")
        services.accept(more, officer)
        services.record_verification(more, officer, Outcome.TRUE)
    assert (count(officer, "/api/v1/tips/"), count(office, "/api/v1/tip-rewards/")) == few


def test_hotline_entry_with_photos(officer: Any, campaign: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from ebsafety.core.models import Attachment
    from tests.tips.test_pages import gps_jpeg

    body = {"category": "lift", "description": "来电并发来照片：电梯里有电动车", "unit": "T-A-1"}
    photo = SimpleUploadedFile("lift.jpg", gps_jpeg(), content_type="image/jpeg")
    created = api(officer).post("/api/v1/tips/", {**body, "photos": [photo]}, format="multipart")
    assert created.status_code == 201, created.content
    (stored,) = Attachment.of(Tip.objects.get(pk=created.json()["id"]))
    with stored.file.open("rb") as handle:
        assert not Image.open(handle).getexif().get_ifd(0x8825)  # the GPS position is gone
    too_many = [SimpleUploadedFile(f"{i}.jpg", gps_jpeg(), content_type="image/jpeg") for i in range(5)]
    refused(
        api(officer).post("/api/v1/tips/", {**body, "photos": too_many}, format="multipart"), 400, "photos"
    )
    assert Tip.objects.count() == 1
