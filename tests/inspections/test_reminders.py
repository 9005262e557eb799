"""Reminders: assigned / due tomorrow / overdue, in-app and through the webhook to a local server; the daily
job marks overdue hazards once and sends nothing twice; `ebsafety hazards overdue --json` is scoped."""

from __future__ import annotations

import datetime
import io
import json

import time_machine
from django.core.management import call_command

from ebsafety.core import notify, scheduler
from ebsafety.core.models import Campaign, Notification, WebhookDelivery
from ebsafety.inspections import reminders, services
from ebsafety.inspections.choices import HazardStatus
from ebsafety.inspections.models import Hazard, HazardTransition
from tests.core.test_notify import Receiver, receiver  # noqa: F401  (the local HTTP server fixture)

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
MONDAY = datetime.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)


def campaign(town: dict, url: str = "") -> Campaign:
    return Campaign.objects.create(
        name="专项整治",
        unit=town["town"],
        start_date=datetime.date(2026, 9, 1),
        end_date=datetime.date(2027, 2, 28),
        status="active",
        parameters={"webhook_url": url} if url else {},
    )


def ordered(town: dict, personas: dict, unit: str = "a1", days: int = 1) -> Hazard:
    hazard = services.report_hazard(
        unit=town[unit], category_code="corridor_parking", description="楼道停车", source="inspection"
    )
    services.confirm(hazard, personas["inspector"])
    services.order_rectification(hazard, personas["inspector"], responsible_party="物业", days=days)
    return hazard


def test_reminders_reach_the_webhook_of_the_campaign(town: dict, personas: dict, receiver: str) -> None:  # noqa: F811
    campaign(town, receiver)
    with time_machine.travel(MONDAY, tick=False):
        hazard = ordered(town, personas)  # deadline Tuesday
    assert Notification.objects.filter(user=personas["property"], kind="hazard_assigned").count() == 1
    assert notify.deliver_webhooks()["sent"] == 1
    assert "隐患整改任务" in Receiver.received[0]["title"]
    assert Receiver.received[0]["url"] == hazard.get_absolute_url()

    # Monday: due tomorrow; Wednesday: overdue (marked, reminded to the property and the office)
    assert reminders.run_daily(datetime.date(2026, 11, 16))["due_tomorrow_reminded"] == 1
    outcome = reminders.run_daily(datetime.date(2026, 11, 18))
    assert outcome == {"marked_overdue": 1, "overdue_reminded": 1, "due_tomorrow_reminded": 0}
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.OVERDUE
    assert Notification.objects.filter(user=personas["office"], kind="hazard_overdue").count() == 1
    assert notify.deliver_webhooks()["sent"] == 2
    titles = [m["title"] for m in Receiver.received]
    assert any("明日到期" in t for t in titles) and any("逾期" in t for t in titles)


def test_the_daily_job_twice_sends_nothing_twice(town: dict, personas: dict) -> None:
    campaign(town, "http://127.0.0.1:9/hook")
    with time_machine.travel(MONDAY, tick=False):
        hazard = ordered(town, personas)
    wednesday = datetime.datetime(2026, 11, 18, 7, 0, tzinfo=SHANGHAI)
    assert scheduler.run_once(reminders.daily_job, wednesday) is True
    assert scheduler.run_once(reminders.daily_job, wednesday + datetime.timedelta(hours=3)) is False
    counts = (Notification.objects.count(), WebhookDelivery.objects.count(), HazardTransition.objects.count())
    # even called by hand again the same day, nothing new is sent or moved
    assert reminders.run_daily(datetime.date(2026, 11, 18)) == {
        "marked_overdue": 0,
        "overdue_reminded": 0,
        "due_tomorrow_reminded": 0,
    }
    assert (
        Notification.objects.count(),
        WebhookDelivery.objects.count(),
        HazardTransition.objects.count(),
    ) == counts
    assert HazardTransition.objects.filter(hazard=hazard, name="mark_overdue").count() == 1


def test_a_webhook_that_is_down_does_not_block_the_user(town: dict, personas: dict) -> None:
    campaign(town, "http://127.0.0.1:9/closed")
    with time_machine.travel(MONDAY, tick=False):
        hazard = ordered(town, personas)
    assert hazard.status == HazardStatus.ORDERED
    assert notify.deliver_webhooks()["failed"] == 1
    assert WebhookDelivery.objects.get().status == "pending"  # retried later, visible to the office


def test_cli_lists_the_overdue_hazards_in_the_callers_scope(town: dict, personas: dict) -> None:
    with time_machine.travel(MONDAY, tick=False):
        in_a = ordered(town, personas, "a1")
        in_b = ordered(town, personas, "b1")
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI), tick=False):
        out = io.StringIO()
        call_command("hazards", "overdue", "--json", "--user", "village", stdout=out)
        rows = json.loads(out.getvalue())
        assert [r["id"] for r in rows] == [in_a.pk]
        assert rows[0]["days_overdue"] == 3 and rows[0]["deadline"] == "2026-11-17"
        out = io.StringIO()
        call_command("hazards", "overdue", "--json", stdout=out)
        assert {r["id"] for r in json.loads(out.getvalue())} == {in_a.pk, in_b.pk}
        out = io.StringIO()
        call_command("hazards", "daily", "--dry-run", stdout=out)
        assert json.loads(out.getvalue())["marked_overdue"] == 2
    assert not Hazard.objects.filter(status=HazardStatus.OVERDUE).exists()
