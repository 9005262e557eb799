"""A village clerk on a phone uploads the village's e-bike ledger, reads the preview and confirms it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ebsafety.core.models import Unit, User
from tests.browser.test_phone_login import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "village_ebikes.xlsx"


@pytest.mark.skipif(not SAMPLE.exists(), reason="../shared/samples is not beside the checkout")
def test_clerk_imports_the_village_ledger_on_a_phone(
    personas: dict[str, User], town: dict[str, Unit], live_server: Any, phone_page: Any
) -> None:
    page = phone_page
    log_in(page, personas["locality"].username)
    page.goto("/ledgers/import/")
    page.select_option("select[name=kind]", "ebike")
    page.select_option("select[name=unit]", label="甲村")
    page.set_input_files("input[name=file]", str(SAMPLE))
    with page.expect_navigation():
        page.click("[data-testid=import-form] button[type=submit]")

    # The preview: nothing written yet, counts and the first errors inline.
    assert page.locator("[data-testid=batch-status]").inner_text() == "待确认"
    counts = page.locator("[data-testid=batch-counts]").inner_text()
    assert "101" in counts and "19" in counts
    assert page.get_by_text("身份证号校验位错误").first.is_visible()
    assert page.get_by_role("link", name="下载错误报告").is_visible()

    with page.expect_navigation():
        page.get_by_role("button", name="确认导入").tap()
    assert page.locator("[data-testid=batch-status]").inner_text() == "已导入"
    assert page.get_by_text("台账已导入").is_visible()
