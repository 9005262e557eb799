"""Abuse guards of the public tip page and API: the client's address (as a keyed hash), fixed-window
counters in the shared cache for status lookups, and the page's spam traps (honeypot, minimum fill time).

Submissions are limited by counting the tips already stored for the same address or phone inside the
write transaction (services.submit_tip), which is exact across processes on SQLite and needs no extra store;
lookups write nothing, so they are counted in the cache — a file cache shared by all processes of one host
by default, Redis in larger deployments (settings.CACHES).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache

FORM_SALT = "ebsafety.tips.form-started"


def client_address(request: Any) -> str:
    """The client's IP address: REMOTE_ADDR, or the address the N trusted proxies in front saw."""
    proxies = settings.TIPS_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def submitter_key(address: str) -> str:
    """A keyed hash of the address: enough to count submissions, useless for finding the person."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:40]


def hit(scope: str, ident: str, limit: int, window: int) -> bool:
    """Count one event for (scope, ident) in the current window; False when the limit is exceeded."""
    bucket = int(time.time() // window)
    key = f"tips:rl:{scope}:{submitter_key(ident)[:24]}:{bucket}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    return count <= limit


def lookup_allowed(request: Any) -> bool:
    return hit(
        "lookup",
        client_address(request),
        settings.TIPS_LOOKUP_MAX_PER_ADDRESS,
        settings.TIPS_LOOKUP_WINDOW_SECONDS,
    )


def form_token() -> str:
    """A signed timestamp put in the public form when it is shown (for the minimum fill time)."""
    return signing.dumps(int(time.time()), salt=FORM_SALT)


def looks_like_spam(data: Any) -> bool:
    """True when the honeypot field is filled, or the form came back faster than a person can fill it
    (or without a valid token at all)."""
    if data.get("website"):
        return True
    try:
        started = signing.loads(data.get("started", ""), salt=FORM_SALT, max_age=24 * 3600)
    except signing.BadSignature:
        return True
    return time.time() - int(started) < settings.TIPS_MIN_FILL_SECONDS
