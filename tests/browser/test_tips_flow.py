"""A resident reports a hazard from a phone with a photo; the tips officer triages and verifies it, the
office approves and pays the reward, and the resident's status page shows it paid — all on a phone.

Runs in Debian's chromium (see conftest.py); skipped only where /usr/bin/chromium is missing.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.apps import apps
from PIL import Image

from ebsafety.core.choices import CampaignStatus
from ebsafety.core.models import Campaign, Unit, User
from tests.browser.test_phone_login import log_in
from tests.tips.conftest import seed_catalogues

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def photo_bytes() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    Image.new("RGB", (320, 240), (180, 60, 60)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def tips_town(personas: dict[str, User], town: dict[str, Unit], settings: Any) -> dict[str, Any]:
    settings.TIPS_MIN_FILL_SECONDS = 0
    seed_catalogues()
    today = datetime.date.today()
    Campaign.objects.create(
        name="测试镇专项整治",
        unit=town["town"],
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=150),
        status=CampaignStatus.ACTIVE,
        parameters={"tip_phone": "010-12345678", "tip_reward_amount": "200"},
    )
    return {"hazards": apps.is_installed("ebsafety.inspections")}


def test_tip_from_a_phone_to_a_paid_reward(
    tips_town: dict[str, Any], personas: dict[str, User], live_server: Any, phone_page: Any
) -> None:
    page = phone_page

    # 1. A resident scans the compound's poster: the public page opens with the compound chosen.
    page.goto("/tips/report/?unit=T-A-1")
    assert page.locator("select[name=compound]").input_value() == "T-A-1"
    assert page.get_by_test_id("privacy-note").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # fits the phone, no sideways scroll
    page.select_option("select[name=category]", "corridor_parking")
    page.fill("textarea[name=description]", "2 单元一楼楼道有电动车插着线充电")
    page.wait_for_selector("#id_building option[value='T-A-1-1']", state="attached")
    page.select_option("select[name=building]", "T-A-1-1")
    page.set_input_files(
        "input[name=photos]",
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}],
    )
    page.fill("input[name=phone]", "13712345678")
    page.check("input[name=contact_consent]")
    with page.expect_navigation():
        page.get_by_role("button", name="提交举报").tap()
    assert page.get_by_test_id("tip-received").is_visible()
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    status_url = page.url.split("?")[0]
    assert page.get_by_test_id("tip-status").inner_text() == "待分拣"

    # 2. The tips officer triages it: accept → a hazard (or "hazard pending" without the inspections app).
    log_in(page, personas["tips_officer"].username)
    page.goto("/tips/triage/")
    with page.expect_navigation():
        page.get_by_role("link", name=code).tap()
    assert "13712345678" in page.get_by_test_id("reporter").inner_text()
    assert page.get_by_test_id("tip-photo").count() == 1
    with page.expect_navigation():
        page.locator("[data-testid=accept-form] button[type=submit]").tap()
    fields = page.get_by_test_id("tip-fields").inner_text()
    assert "已受理，转隐患处置" in fields
    assert ("已生成隐患" if tips_town["hazards"] else "待转隐患") in fields

    # 3. Verified true → a reward is proposed.
    page.select_option("[data-testid=verify-form] select[name=outcome]", "true")
    with page.expect_navigation():
        page.locator("[data-testid=verify-form] button[type=submit]").tap()
    reward_link = page.get_by_test_id("reward-link")
    assert "200.00 元 · 待审批" in reward_link.inner_text()
    reward_url = reward_link.get_attribute("href")

    # 4. The office approves and pays (payee confirmed).
    page.context.clear_cookies()
    log_in(page, personas["office"].username)
    page.goto(reward_url)
    assert "13712345678" not in page.get_by_test_id("payee").inner_text()  # the office sees it masked
    with page.expect_navigation():
        page.locator("[data-testid=approve-form] button[type=submit]").tap()
    page.select_option("[data-testid=pay-form] select[name=method]", "wechat")
    page.check("[data-testid=pay-form] input[name=payee_confirmed]")
    with page.expect_navigation():
        page.locator("[data-testid=pay-form] button[type=submit]").tap()
    assert "已发放" in page.get_by_test_id("reward-fields").inner_text()

    # 5. The resident's status page (no login) shows the reward paid.
    page.context.clear_cookies()
    page.goto(status_url)
    assert page.get_by_test_id("tip-status").inner_text() == "核查完毕：属实"
    assert page.get_by_test_id("reward-status").inner_text() == "奖励已发放"
    assert "13712345678" not in page.content()
