"""A new tip (public page, public API, hotline) notifies the tips officers whose scope covers its unit — once
its transaction commits, without the reporter's details, and never at the cost of the tip."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from ebsafety.core.choices import Role
from ebsafety.core.models import Membership, Notification
from ebsafety.tips import notifications, ratelimit, services
from ebsafety.tips.models import Tip

pytestmark = pytest.mark.django_db

NAME = "钱举报"
PHONE = "13500002222"
DESCRIPTION = "我是钱举报 13500002222，2 号楼楼道有电动车充电"


@pytest.fixture
def officers(personas: dict, make_user: Any, town: dict) -> dict[str, Any]:
    """The town's tips officer, one for village A, and one whose role was withdrawn."""
    withdrawn = make_user("tips-old", Role.TIPS_OFFICER, unit=town["town"])
    Membership.objects.filter(user=withdrawn).update(is_active=False)
    return {
        "town": personas["tips_officer"],
        "a": make_user("tips-a", Role.TIPS_OFFICER, unit=town["a"]),
        "withdrawn": withdrawn,
    }


def notified(tip: Tip) -> set[str]:
    return set(
        Notification.objects.filter(dedupe_key=f"tip:{tip.pk}:new").values_list("user__username", flat=True)
    )


def submit(unit: Any = None, **extra: Any) -> Tip:
    category = extra.pop("category")
    data = services.Submission(
        category=category,
        description=DESCRIPTION,
        unit=unit,
        address=extra.pop("address", ""),
        name=NAME,
        phone=PHONE,
        contact_consent=True,
    )
    return services.submit_tip(data, **extra)


def test_the_tips_officers_covering_the_unit_are_notified(
    officers: dict,
    personas: dict,
    town: dict,
    category: Any,
    campaign: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        in_a = submit(town["a11"], category=category)
        in_b = submit(town["b1"], category=category)
    assert notified(in_a) == {"tips", "tips-a"}
    assert notified(in_b) == {"tips"}  # not village A's officer, not the withdrawn one, not the office
    note = Notification.objects.get(user=officers["a"])
    assert note.kind == "tip_new" and note.url == in_a.get_absolute_url()
    assert note.title == "新举报待分拣：在门厅、楼道、楼梯间或安全出口停放、充电"
    assert "甲一小区1号楼" in note.body
    for text in (note.title, note.body):
        assert NAME not in text and PHONE not in text and "钱" not in text and "2 号楼楼道" not in text


def test_the_office_is_told_of_tips_with_only_an_address_or_no_tips_officer(
    officers: dict,
    personas: dict,
    town: dict,
    category: Any,
    campaign: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        address_only = submit(None, address="甲村东街 12 号院", category=category)
    assert address_only.unit == town["town"]
    assert notified(address_only) == {"tips", "office"}
    Membership.objects.filter(role=Role.TIPS_OFFICER).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        uncovered = submit(town["b1"], category=category)
    assert notified(uncovered) == {"office"}


def test_the_officer_taking_a_hotline_call_is_not_told_of_it(
    officers: dict, town: dict, category: Any, campaign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = services.Submission(category=category, description="来电反映地下室集中充电", unit=town["a1"])
    with django_capture_on_commit_callbacks(execute=True):
        tip = services.record_hotline_tip(data, officers["a"])
    assert notified(tip) == {"tips"}


def test_a_refused_hotline_tip_notifies_nobody(
    officers: dict, category: Any, campaign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = services.Submission(category=category, description="来电反映东街有人飞线充电", address="东街 3 号")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        services.record_hotline_tip(data, officers["a"])  # filed under the town: outside village A
    assert not Tip.objects.exists() and not Notification.objects.exists()


def test_public_page_and_api_notify_after_commit(
    officers: dict, campaign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    body = {"category": "lift", "description": DESCRIPTION, "unit": "T-A-1", "name": NAME, "phone": PHONE}
    with django_capture_on_commit_callbacks() as callbacks:
        response = APIClient().post("/api/v1/public/tips/", json.dumps(body), content_type="application/json")
        assert response.status_code == 201
        assert not Notification.objects.exists()  # nothing before the tip is committed
    assert len(callbacks) == 1
    callbacks[0]()
    assert notified(Tip.objects.get()) == {"tips", "tips-a"}
    form = {
        "category": "lift",
        "description": "3 号楼有人推车进电梯",
        "compound": "T-B-1",
        "building": "",
        "address": "",
        "website": "",
        "started": ratelimit.form_token(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        page = Client().post(reverse("tips:public_report"), form)
    assert page.status_code == 302
    assert notified(Tip.objects.get(unit__code="T-B-1")) == {"tips"}


def test_a_failed_notification_never_loses_the_tip(
    officers: dict, campaign: Any, monkeypatch: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("notification store unavailable")

    monkeypatch.setattr(notifications, "notify", broken)
    body = {"category": "lift", "description": "电梯里有电动车", "unit": "T-A-1"}
    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post("/api/v1/public/tips/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    assert Tip.objects.filter(tracking_code=response.json()["tracking_code"]).exists()
    assert not Notification.objects.exists()
    assert "not notified" in caplog.text


def test_recipients_take_one_query_whatever_their_number(
    officers: dict, make_user: Any, town: dict, make_tip: Any, django_assert_num_queries: Any
) -> None:
    for i in range(6):
        make_user(f"tips-{i}", Role.TIPS_OFFICER, unit=town["a1"])
    tip = make_tip(unit=town["a11"])
    with django_assert_num_queries(1):
        users = notifications.recipients(tip)
    assert len(users) == 8
