"""The campaign record and its parameters (the plan's "x" values)."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from ebsafety.core import services
from ebsafety.core.models import Campaign


@pytest.fixture
def campaign(town: dict) -> Campaign:
    return Campaign.objects.create(
        name="专项整治",
        unit=town["town"],
        start_date=datetime.date(2026, 9, 1),
        end_date=datetime.date(2027, 2, 28),
    )


def test_parameters_have_defaults_and_types(campaign: Campaign) -> None:
    assert campaign.param("tip_reward_amount") == decimal.Decimal("200")
    assert campaign.param("supervision_visits_per_month") == 2
    assert campaign.param("workday_end") == datetime.time(17, 30)
    assert campaign.param("census_deadline") is None


def test_office_edits_parameters_on_the_page(personas: dict, campaign: Campaign, client_for: Any) -> None:
    client = client_for(personas["office"])
    page = client.get(reverse("core:campaign_parameters", args=[campaign.pk]))
    assert "每起属实举报奖励" in page.content.decode()
    response = client.post(
        reverse("core:campaign_parameters", args=[campaign.pk]),
        {"tip_reward_amount": "300", "min_teams_per_compound": "2", "census_deadline": "2026-10-15"},
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.param("tip_reward_amount") == decimal.Decimal("300")
    assert campaign.param("min_teams_per_compound") == 2
    assert campaign.param("census_deadline") == datetime.date(2026, 10, 15)
    assert campaign.param("supervision_visits_per_month") == 2


def test_bad_parameter_values_are_refused(personas: dict, campaign: Campaign, client_for: Any) -> None:
    client = client_for(personas["office"])
    response = client.post(
        reverse("core:campaign_parameters", args=[campaign.pk]),
        {"min_teams_per_compound": "-1", "census_deadline": "明天"},
    )
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.parameters == {}
    with pytest.raises(ValidationError):
        Campaign(
            name="x",
            unit=campaign.unit,
            start_date=campaign.start_date,
            end_date=campaign.end_date,
            parameters={"ledger_update_day_1": 40},
        ).full_clean()


def test_only_the_office_edits_parameters(personas: dict, campaign: Campaign, client_for: Any) -> None:
    for persona in ("leader", "locality", "department"):
        response = client_for(personas[persona]).post(
            reverse("core:campaign_parameters", args=[campaign.pk]), {"tip_reward_amount": "1"}
        )
        assert response.status_code == 403


def test_one_active_campaign_per_unit(campaign: Campaign, personas: dict) -> None:
    services.activate_campaign(campaign, by=personas["office"])
    second = Campaign.objects.create(
        name="第二轮",
        unit=campaign.unit,
        start_date=datetime.date(2027, 3, 1),
        end_date=datetime.date(2027, 6, 30),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=second.pk).update(status="active")
    services.activate_campaign(second, by=personas["office"])
    campaign.refresh_from_db()
    assert campaign.status == "closed" and second.status == "active"
    # the earlier one stays readable
    assert Campaign.objects.visible_to(personas["locality"]).filter(pk=campaign.pk).exists()
    assert Campaign.active_for(personas["locality"].active_memberships()[0].unit) == second


def test_end_before_start_is_refused(town: dict) -> None:
    with pytest.raises(ValidationError):
        Campaign(
            name="x",
            unit=town["town"],
            start_date=datetime.date(2026, 9, 1),
            end_date=datetime.date(2026, 8, 1),
        ).full_clean()


def test_transition_buttons_go_through_services(personas: dict, campaign: Campaign, client_for: Any) -> None:
    client = client_for(personas["office"])
    client.post(reverse("core:campaign_transition", args=[campaign.pk, "activate"]))
    campaign.refresh_from_db()
    assert campaign.status == "active"
    assert (
        client_for(personas["leader"])
        .post(reverse("core:campaign_transition", args=[campaign.pk, "close"]))
        .status_code
        == 403
    )
    client.post(reverse("core:campaign_transition", args=[campaign.pk, "close"]))
    campaign.refresh_from_db()
    assert campaign.status == "closed"
