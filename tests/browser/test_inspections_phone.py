"""An inspector walks a compound on a phone: records an inspection with a photo and a hazard; the compound's
property company then rectifies it on its phone, with a photo of the cleared corridor."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ebsafety.core.models import Unit, User
from ebsafety.inspections.seed import seed_catalogues
from tests.browser.test_phone_login import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogues(transactional_db: Any) -> None:
    seed_catalogues()  # a transactional test starts from a flushed database


@pytest.fixture
def photos(tmp_path: Path) -> list[str]:
    paths = []
    for name, colour in (("corridor.jpg", "red"), ("cleared.jpg", "green")):
        buffer = io.BytesIO()
        Image.new("RGB", (640, 480), colour).save(buffer, format="JPEG")
        path = tmp_path / name
        path.write_bytes(buffer.getvalue())
        paths.append(str(path))
    return paths


def test_inspector_records_and_property_rectifies_on_a_phone(
    personas: dict[str, User],
    town: dict[str, Unit],
    catalogues: None,
    photos: list[str],
    live_server: Any,
    phone_page: Any,
) -> None:
    page = phone_page

    # The inspector records an inspection of 甲一小区 with one hazard and a photo.
    log_in(page, personas["inspector"].username)
    page.goto("/inspections/inspections/add/")
    with page.expect_navigation():
        page.get_by_role("link", name="小区").tap()
    page.select_option("select[name=unit]", label="甲一小区")
    first_item = page.locator("[data-testid=checklist] li").first
    first_item.locator("label.btn", has_text="有隐患").tap()
    first_item.locator("input[type=text]").fill("2单元一层楼道停放三辆电动自行车")
    page.set_input_files("input[name=photos]", photos[0])
    with page.expect_navigation():
        page.locator("[data-testid=record-form] button[type=submit]").tap()
    assert "发现隐患 1 处" in page.locator("main").inner_text()
    hazards = page.locator("[data-testid=inspection-hazards] li")
    assert hazards.count() == 1 and "整改中" in hazards.first.inner_text()
    assert page.locator("[data-testid=photos] img").count() == 1

    # The property company signs in on its phone and rectifies it with a photo.
    page.context.clear_cookies()
    log_in(page, personas["property"].username)
    assert "待整改的隐患" in page.locator("main").inner_text()
    page.goto("/inspections/hazards/?status=ordered")
    with page.expect_navigation():
        page.locator("[data-testid=object-table] tbody a").first.tap()
    assert page.locator("[data-testid=hazard-status]").inner_text() == "整改中"
    with page.expect_navigation():
        page.get_by_role("link", name="提交整改").tap()
    page.set_input_files("input[name=evidence]", photos[1])
    page.fill("textarea[name=note]", "车辆已挪至集中停放点")
    with page.expect_navigation():
        page.get_by_role("button", name="提交整改").tap()
    assert page.locator("[data-testid=hazard-status]").inner_text() == "已整改待复查"
    history = page.locator("[data-testid=history]").inner_text()
    assert "车辆已挪至集中停放点" in history
    assert page.locator("[data-testid=history] img").count() == 2  # the inspector's photo and the fix
    # on a phone the page does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
