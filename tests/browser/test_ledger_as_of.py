"""The campaign office, on a phone, looks at the shops' ledger as it stood at the end of a past period."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from ebsafety.core.models import Unit, User
from ebsafety.core.periods import SHANGHAI, HalfMonth, period_for
from ebsafety.ledgers.models import Shop
from tests.browser.test_phone_login import log_in
from tests.ledgers import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def last_period(town: dict[str, Unit]) -> HalfMonth:
    """Shops registered during the last period, and one today (the ORM before the browser opens)."""
    period = period_for(timezone.localdate()).previous()
    during = datetime.datetime.combine(period.start, datetime.time(12), tzinfo=SHANGHAI)
    for unit, name in ((town["a"], "甲村车行"), (town["a1"], "小区维修点"), (town["b"], "乙村车行")):
        f.ShopFactory(unit=unit, name=name)
    f.ShopFactory(unit=town["a"], name="期末之后开业")  # registered today: not in that period's ledger
    Shop.objects.exclude(name="期末之后开业").update(created=during)
    return period


def test_office_views_the_shops_ledger_as_of_last_period_on_a_phone(
    personas: dict[str, User], last_period: HalfMonth, live_server: Any, phone_page: Any
) -> None:
    period = last_period
    page = phone_page
    log_in(page, personas["office"].username)
    page.goto("/ledgers/submissions/as-of/")
    page.select_option("select[name=kind]", "shop")
    page.select_option("select[name=unit]", label="甲村")
    page.select_option("select[name=period]", period.key)
    with page.expect_navigation():
        page.get_by_role("button", name="查看").tap()

    assert "销售维修门店台账" in page.locator("h1").inner_text()
    assert page.locator("[data-testid=as-of-basis]").get_attribute("data-exact") == "0"  # derived
    assert page.locator("[data-testid=as-of-total]").inner_text() == "2"
    table = page.locator("[data-testid=as-of-table]").inner_text()
    assert "甲村车行" in table and "小区维修点" in table
    assert "乙村车行" not in table and "期末之后开业" not in table
    assert "联系电话" not in table  # no phone numbers in a ledger as of a period
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 XLSX").tap()
    assert download.value.suggested_filename.endswith(".xlsx")
