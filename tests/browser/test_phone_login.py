"""A locality user on a phone: real login form, collapsed navbar, and only its own units.

Runs in Debian's chromium (see conftest.py); skipped only where /usr/bin/chromium is missing.
"""

from __future__ import annotations

from typing import Any

import pytest

from ebsafety.core.models import Unit, User
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWN_UNITS = {"甲村", "甲一小区", "甲一小区1号楼"}
OTHER_UNITS = {"测试镇", "乙社区", "乙一小区", "物流园区"}


def log_in(page: Any, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")


def test_locality_user_logs_in_on_a_phone_and_sees_only_its_units(
    personas: dict[str, User], town: dict[str, Unit], live_server: Any, phone_page: Any
) -> None:
    page = phone_page
    stylesheets: dict[str, int] = {}

    def record_stylesheet(response: Any) -> None:
        if response.request.resource_type == "stylesheet":
            stylesheets[response.url] = response.status

    page.on("response", record_stylesheet)

    log_in(page, personas["locality"].username)

    # Landed on the home page, logged in as the village user.
    assert page.url == f"{live_server.url}/"
    assert page.locator("h1").first.inner_text() == f"您好，{personas['locality']}"

    # The CSS (Bootstrap and ours) was served and applied.
    assert stylesheets, "the page linked no stylesheet"
    assert all(status == 200 for status in stylesheets.values()), stylesheets
    navbar_bg = page.locator("nav.navbar").evaluate("el => getComputedStyle(el).backgroundColor")
    assert navbar_bg == "rgb(220, 53, 69)", f"Bootstrap's bg-danger not applied: {navbar_bg}"

    # On a phone the menu is collapsed behind the toggler.
    toggler = page.locator("button.navbar-toggler")
    menu = page.locator("#mainnav")
    assert toggler.is_visible()
    assert not menu.is_visible()
    toggler.tap()
    menu.wait_for(state="visible")
    menu.get_by_role("button", name="组织架构").tap()
    with page.expect_navigation():
        menu.get_by_role("link", name="单位", exact=True).tap()
    assert page.url.endswith("/core/units/")

    # Exactly its own three units (count, names, codes); the others appear nowhere but as 甲村's parent.
    assert page.get_by_test_id("row-count").inner_text().strip() == "3"
    table = page.locator("[data-testid=object-table] table")
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    rows = [
        dict(zip(headers, (cell.strip() for cell in row.locator("td").all_inner_texts()), strict=True))
        for row in table.locator("tbody tr").all()
    ]
    assert sorted(row["名称"] for row in rows) == sorted(OWN_UNITS)
    assert sorted(row["编码"] for row in rows) == ["T-A", "T-A-1", "T-A-1-1"]
    links = set(table.locator("tbody a").all_inner_texts())
    assert not links & OTHER_UNITS
    assert {row["上级单位"] for row in rows} == {"测试镇", "甲村", "甲一小区"}


def test_out_of_scope_unit_detail_is_404_for_a_locality_user(
    personas: dict[str, User], town: dict[str, Unit], phone_page: Any
) -> None:
    page = phone_page
    inside, outside = town["a1"].pk, town["town"].pk
    log_in(page, personas["locality"].username)
    assert "/login/" not in page.url

    response = page.goto(f"/core/units/{inside}/")
    assert response is not None and response.status == 200
    assert "甲一小区" in page.locator("main").inner_text()

    response = page.goto(f"/core/units/{outside}/")
    assert response is not None and response.status == 404
    assert "测试镇" not in page.locator("body").inner_text()
