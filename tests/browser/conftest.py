"""Fixtures for the browser tests: Debian's chromium driven by Playwright (sync API) on a phone viewport."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Mobile Safari/537.36"
    ),
}


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip browser tests where Debian's chromium is missing, before any fixture (live server, DB) runs."""
    if item.get_closest_marker("browser") and not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")


def _no_static_handler(app: Callable[..., Any]) -> Callable[..., Any]:
    return app


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """pytest-django's live server, but with static files served as in production.

    pytest-django wraps the live server in staticfiles' StaticFilesHandler, which answers every
    /static/ request from the finders (the unhashed source files) and so 404s the hashed names that
    CompressedManifestStaticFilesStorage writes into the pages. Here the request goes on to Django,
    where WhiteNoiseMiddleware serves the collected files from STATIC_ROOT (`ebsafety collectstatic`,
    which `make test` runs through the migrate target).
    """
    from django.conf import settings
    from pytest_django.live_server_helper import LiveServer

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        pytest.fail(f"{manifest} is missing: run `ebsafety collectstatic --noinput` (or `make test`) first")
    addr = (
        request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.static_handler = _no_static_handler
    server.start()
    yield server
    server.stop()


@pytest.fixture
def phone_page(live_server: Any) -> Iterator[Any]:
    """A fresh page of a phone-sized, touch-enabled chromium context, its base URL the live server's.

    Function-scoped on purpose: the sync Playwright API runs an event loop in this thread, and Django
    refuses ORM calls from such a thread, so the browser must be closed before the test database is
    flushed. Request data fixtures before this one, and do not use the ORM while the page is open.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=live_server.url, **PHONE)
            context.set_default_timeout(15_000)
            yield context.new_page()
            context.close()
        finally:
            browser.close()
