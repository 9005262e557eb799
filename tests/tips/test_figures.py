"""举报统计: the figures per unit in the user's scope (exact numbers), the drill-down lists that count the
same records, the CSV/XLSX export, the menu entry, and the figures the ranking reads (`figures_by_unit`)."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from ebsafety.core.navigation import menu_for
from ebsafety.tips import services
from ebsafety.tips.choices import Outcome
from ebsafety.tips.models import Reward, Tip

pytestmark = pytest.mark.django_db
URL = reverse("tips:figures")


def days_ago(tip: Tip, received: int, verified: int | None = None) -> None:
    """Receipt `received` days ago; verification `verified` days after receipt."""
    created = timezone.now() - datetime.timedelta(days=received)
    values: dict[str, Any] = {"created": created}
    if verified is not None:
        values["verified_at"] = created + datetime.timedelta(days=verified)
    Tip.objects.filter(pk=tip.pk).update(**values)
    tip.refresh_from_db()


@pytest.fixture
def world(make_tip: Any, personas: dict, town: dict) -> dict[str, Tip]:
    """Village A: a true tip with its reward paid (4 days to verify), a false one (2 days), a new one;
    community B: a true tip whose reward is still proposed (1 day); the town: a tip with only an address."""
    officer, office = personas["tips_officer"], personas["office"]
    paid, false, new = make_tip(unit=town["a1"]), make_tip(unit=town["a11"]), make_tip(unit=town["a1"])
    proposed = make_tip(unit=town["b1"])
    address_only = services.submit_tip(
        services.Submission(
            category=paid.category, description="镇东街 8 号院内有人飞线充电", address="镇东街 8 号"
        )
    )
    assert address_only.unit == town["town"]
    for tip, outcome in ((paid, Outcome.TRUE), (false, Outcome.FALSE), (proposed, Outcome.TRUE)):
        services.accept(tip, officer)
        services.record_verification(tip, officer, outcome)
    reward = Reward.objects.get(hazard_tip=paid)
    services.approve_reward(reward, office)
    services.record_payment(
        reward, office, paid_on=datetime.date.today(), method="cash", payee_confirmed=True
    )
    days_ago(paid, 6, verified=4)
    days_ago(false, 5, verified=2)
    days_ago(new, 1)
    days_ago(proposed, 3, verified=1)
    return {"paid": paid, "false": false, "new": new, "proposed": proposed, "address_only": address_only}


def table(response: Any) -> dict[str, list[str]]:
    """The figures table as {unit name: [cells]} (text only)."""
    rows = {}
    for row in response.context["rows"] + [response.context["total"]]:
        rows[row["unit"].code] = [value for value, _ in row["cells"]]
    return rows


def test_figures_per_unit_for_the_town(world: dict, client_for: Any, personas: dict) -> None:
    response = client_for(personas["tips_officer"]).get(URL)
    assert response.status_code == 200
    assert table(response) == {
        "T-A": [3, 1, 3.0, 1, Decimal("200.00")],
        "T-B": [1, 1, 1.0, 0, Decimal("0")],
        "T-P": [0, 0, None, 0, Decimal("0")],
        "T": [5, 2, 2.0, 1, Decimal("200.00")],  # the total counts the address-only tip filed at the town
    }
    text = response.content.decode()
    assert "甲村" in text and "物流园区" in text and "测试镇（合计）" in text


def test_a_date_range_counts_tips_received_in_it(world: dict, client_for: Any, personas: dict) -> None:
    start = (timezone.localdate() - datetime.timedelta(days=5)).isoformat()
    end = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = client_for(personas["office"]).get(URL, {"start": start, "end": end})
    assert table(response) == {
        "T-A": [2, 0, 2.0, 0, Decimal("0")],
        "T-B": [1, 1, 1.0, 0, Decimal("0")],
        "T-P": [0, 0, None, 0, Decimal("0")],
        "T": [3, 1, 1.5, 0, Decimal("0")],
    }


def test_every_figure_links_to_the_records_it_counts(world: dict, client_for: Any, personas: dict) -> None:
    client = client_for(personas["tips_officer"])
    start = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    response = client.get(URL, {"start": start})
    for row in [*response.context["rows"], response.context["total"]]:
        (received, received_url), (true, true_url), (_, verified_url), (paid, paid_url), _ = row["cells"]
        for count, url in ((received, received_url), (true, true_url), (paid, paid_url)):
            listed = client.get(f"{url}&per_page=1000")
            assert listed.status_code == 200
            assert len(listed.context["table"].data) == count, url
        verified = client.get(verified_url).context["table"].data
        assert {t.status for t in verified} <= {"verified"}


def test_scoped_to_the_users_units(world: dict, client_for: Any, personas: dict) -> None:
    village = client_for(personas["locality"])
    response = village.get(URL)
    assert response.status_code == 200
    assert table(response) == {
        "T-A-1": [3, 1, 3.0, 1, Decimal("200.00")],
        "T-A": [3, 1, 3.0, 1, Decimal("200.00")],
    }
    # a locality does not see rewards: no links to them
    assert all(link is None for _, link in response.context["total"]["cells"][3:])
    assert village.get(URL, {"unit": "T-B"}).status_code == 404
    assert village.get(URL, {"unit": "T"}).status_code == 404
    assert table(village.get(URL, {"unit": "T-A-1"})) == {"T-A-1": [3, 1, 3.0, 1, Decimal("200.00")]}
    community = client_for(personas["community"]).get(URL)
    assert table(community) == {"T-B-1": [1, 1, 1.0, 0, Decimal("0")], "T-B": [1, 1, 1.0, 0, Decimal("0")]}


@pytest.mark.parametrize(
    "persona", ["property", "department", "inspector", "volunteer", "platform", "norole"]
)
def test_roles_without_tips_have_no_figures(
    world: dict, client_for: Any, personas: dict, persona: str
) -> None:
    assert client_for(personas[persona]).get(URL).status_code == 403
    assert "举报统计" not in str(menu_for(personas[persona]))


def test_anonymous_goes_to_login(client: Any) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_menu_offers_the_figures(personas: dict) -> None:
    for persona in ("office", "leader", "tips_officer", "locality"):
        items = [item for group in menu_for(personas[persona]) for item in group["items"]]
        assert {"label": "举报统计", "url": URL} in items, persona


def test_export_csv_and_xlsx(world: dict, client_for: Any, personas: dict) -> None:
    client = client_for(personas["office"])
    response = client.get(URL, {"export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        [
            "单位",
            "单位编码",
            "收到举报",
            "核查属实",
            "核查用时中位数（天）",
            "已发放奖励（笔）",
            "已发放奖励金额（元）",
        ],
        ["甲村", "T-A", "3", "1", "3.0", "1", "200.00"],
        ["乙社区", "T-B", "1", "1", "1.0", "0", "0"],
        ["物流园区", "T-P", "0", "0", "", "0", "0"],
        ["测试镇（合计）", "T", "5", "2", "2.0", "1", "200.00"],
    ]
    xlsx = client.get(URL, {"export": "xlsx", "unit": "T-A"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1] == ["甲一小区", "T-A-1", 3, 1, 3, 1, 200]
    assert values[2] == ["甲村（合计）", "T-A", 3, 1, 3, 1, 200]
    assert client.get(URL, {"export": "pdf"}).status_code == 404


def test_figures_by_unit_agree_with_figures_per_unit(world: dict, town: dict) -> None:
    units = [town[key] for key in ("town", "a", "a1", "a11", "b", "b1", "p")]
    together = Tip.objects.figures_by_unit(units)
    for unit in units:
        assert together[unit] == Tip.objects.within(unit).figures(), unit.code
    assert together[town["a11"]]["received"] == 1
    assert Tip.objects.figures_by_unit([]) == {}


def test_figures_by_unit_take_two_queries(world: dict, town: dict, django_assert_num_queries: Any) -> None:
    units = [town[key] for key in ("a", "a1", "b", "b1", "p")]
    with django_assert_num_queries(2):
        Tip.objects.figures_by_unit(units)
