"""Reminders: in-app notifications once per key, webhook delivery against a local server with retries,
the scheduler never running a job twice for one period."""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ebsafety.core import notify, scheduler
from ebsafety.core.models import Notification, ScheduledRun, WebhookDelivery


class Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []
    fail_next = 0

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        if Receiver.fail_next:
            Receiver.fail_next -= 1
            self.send_response(503)
            self.end_headers()
            return
        Receiver.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"errcode":0}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    Receiver.fail_next = 0
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_notification_is_sent_once_per_key(personas: dict) -> None:
    users = [personas["locality"], personas["locality"], personas["property"]]
    assert notify.notify(users, kind="overdue", title="隐患逾期", dedupe_key="h1:overdue") == 2
    assert notify.notify(users, kind="overdue", title="隐患逾期", dedupe_key="h1:overdue") == 0
    assert Notification.objects.count() == 2


def test_webhook_delivered_to_a_local_server(personas: dict, receiver: str) -> None:
    notify.notify(
        [personas["office"]],
        kind="k",
        title="明日到期",
        body="3 条隐患",
        dedupe_key="d1",
        webhook_url=receiver,
    )
    notify.notify(
        [personas["office"]],
        kind="k",
        title="明日到期",
        body="3 条隐患",
        dedupe_key="d1",
        webhook_url=receiver,
    )
    assert notify.deliver_webhooks() == {"sent": 1, "failed": 0}
    assert Receiver.received[0]["text"]["content"] == "明日到期\n3 条隐患"
    assert notify.deliver_webhooks() == {"sent": 0, "failed": 0}


def test_webhook_down_is_retried_with_backoff_and_visible(personas: dict, client_for: Any) -> None:
    # queued and delivered at the same frozen moment (a fixed clock time: the real one may be later today)
    with time_machine.travel(datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC), tick=False):
        notify.notify([], kind="k", title="逾期", dedupe_key="d2", webhook_url="http://127.0.0.1:9/closed")
        assert notify.deliver_webhooks() == {"sent": 0, "failed": 1}
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_error
        assert notify.deliver_webhooks() == {"sent": 0, "failed": 0}  # not due yet
    page = client_for(personas["office"]).get(reverse("core:webhookdelivery_list"))
    assert page.status_code == 200 and "逾期" in page.content.decode()
    assert client_for(personas["locality"]).get(reverse("core:webhookdelivery_list")).status_code == 403


def test_webhook_recovers_after_failures(db: Any, receiver: str) -> None:
    Receiver.fail_next = 1
    notify.notify([], kind="k", title="逾期", dedupe_key="d3", webhook_url=receiver)
    start = timezone.now()  # due from when it was queued
    assert notify.deliver_webhooks(now=start)["failed"] == 1
    assert notify.deliver_webhooks(now=start + datetime.timedelta(minutes=2))["sent"] == 1
    assert WebhookDelivery.objects.get().status == "sent"


def test_scheduler_runs_a_daily_job_once_per_day(db: Any) -> None:
    calls: list[int] = []
    job = scheduler.ScheduledJob("test-daily", "day", lambda: calls.append(1), at=datetime.time(6, 0))
    early = datetime.datetime(2026, 11, 29, 21, 0, tzinfo=datetime.UTC)  # 05:00 in Beijing
    assert scheduler.run_once(job, early) is False
    morning = datetime.datetime(2026, 11, 29, 23, 0, tzinfo=datetime.UTC)  # 07:00 in Beijing
    assert scheduler.run_once(job, morning) is True
    assert scheduler.run_once(job, morning + datetime.timedelta(hours=5)) is False
    assert scheduler.run_once(job, morning + datetime.timedelta(days=1)) is True
    assert calls == [1, 1]
    assert ScheduledRun.objects.filter(name="test-daily").count() == 2


def test_failed_scheduled_job_is_tried_again(db: Any) -> None:
    def boom() -> None:
        raise ValueError("down")

    job = scheduler.ScheduledJob("test-boom", "minute", boom)
    with pytest.raises(RuntimeError):
        scheduler.run_once(job)
    assert not ScheduledRun.objects.filter(name="test-boom").exists()


def test_notifications_page_and_unread_badge(personas: dict, client_for: Any) -> None:
    notify.notify([personas["locality"]], kind="k", title="新隐患待确认", url="/", dedupe_key="n1")
    client = client_for(personas["locality"])
    home = client.get("/").content.decode()
    assert 'data-testid="notifications"' in home and ">1<" in home.replace(" ", "")
    item = Notification.objects.get()
    assert client.get(reverse("core:notification_open", args=[item.pk])).status_code == 302
    item.refresh_from_db()
    assert item.read_at is not None
    assert (
        client_for(personas["community"]).get(reverse("core:notification_open", args=[item.pk])).status_code
        == 404
    )
