"""Sending reminders: in-app notifications to users and, where the campaign sets a webhook URL, a message to
the government chat bot. Each message has a dedupe key, so a daily job that runs twice sends nothing twice.
Webhook messages are delivered by the scheduler, never in the user's request, and retried with back-off."""

from __future__ import annotations

import datetime
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ebsafety.core.models import Notification, WebhookDelivery, WebhookStatus

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 5


def notify(
    users: Iterable[Any],
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str,
    webhook_url: str = "",
    unit_path: str = "",
) -> int:
    """Notify each user once per dedupe key; queue one webhook message per dedupe key. Returns new notices."""
    created = 0
    for user in {u.pk: u for u in users if u is not None}.values():
        try:
            with transaction.atomic():
                Notification.objects.create(
                    user=user,
                    kind=kind,
                    title=title[:200],
                    body=body,
                    url=url[:300],
                    dedupe_key=dedupe_key[:200],
                )
            created += 1
        except IntegrityError:
            continue  # already sent
    if webhook_url:
        payload = {
            "msgtype": "text",
            "title": title,
            "text": {"content": f"{title}\n{body}".strip()},
            "url": url,
        }
        try:
            with transaction.atomic():
                WebhookDelivery.objects.create(
                    url=webhook_url,
                    payload=payload,
                    dedupe_key=dedupe_key[:200],
                    next_attempt_at=timezone.now(),
                    unit_path=unit_path,
                )
        except IntegrityError:
            pass
    return created


def post_json(url: str, payload: dict[str, Any]) -> None:
    """POST the payload; raise on a network error or a non-2xx answer."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, "non-2xx", response.headers, None)


def deliver_webhooks(now: datetime.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send the messages that are due; a failure schedules the next attempt (1, 2, 4 … minutes)."""
    now = now or timezone.now()
    sent = failed = 0
    due = WebhookDelivery.objects.filter(status=WebhookStatus.PENDING, next_attempt_at__lte=now).order_by(
        "pk"
    )
    for delivery in due[:limit]:
        try:
            post_json(delivery.url, delivery.payload)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            delivery.attempts += 1
            delivery.last_error = str(exc)[:300]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = WebhookStatus.FAILED
            delivery.next_attempt_at = now + datetime.timedelta(minutes=2 ** (delivery.attempts - 1))
            failed += 1
            logger.warning("webhook %s failed (attempt %s): %s", delivery.pk, delivery.attempts, exc)
        else:
            delivery.attempts += 1
            delivery.status = WebhookStatus.SENT
            delivery.sent_at = now
            delivery.last_error = ""
            sent += 1
        delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at", "sent_at"])
    return {"sent": sent, "failed": failed}


def retry(delivery: WebhookDelivery) -> WebhookDelivery:
    """The office sends a failed message again."""
    delivery.status = WebhookStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    return delivery
