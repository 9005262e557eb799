"""Fixtures of the tips tests: an active campaign with a reporting phone, and a helper to build tips."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from ebsafety.core.choices import CampaignStatus
from ebsafety.core.models import Campaign, Unit
from ebsafety.tips import services
from ebsafety.tips.models import Tip, TipCategory


def seed_catalogues() -> None:
    """The rows the data migrations seed (a transactional test elsewhere in the run may have flushed them)."""
    import importlib

    from django.apps import apps

    importlib.import_module("ebsafety.tips.migrations.0002_seed_categories").seed(apps, None)
    if apps.is_installed("ebsafety.inspections"):
        importlib.import_module("ebsafety.inspections.seed").seed_catalogues()


@pytest.fixture(autouse=True)
def _catalogues(db: Any) -> None:
    seed_catalogues()


@pytest.fixture(autouse=True)
def _tips_settings(settings: Any) -> None:
    settings.TIPS_MIN_FILL_SECONDS = 0
    settings.TIPS_SUBMIT_MAX_PER_ADDRESS = 20
    settings.TIPS_SUBMIT_MAX_PER_PHONE = 5


@pytest.fixture
def campaign(town: dict[str, Unit]) -> Campaign:
    today = datetime.date.today()
    return Campaign.objects.create(
        name="测试镇专项整治",
        unit=town["town"],
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=150),
        status=CampaignStatus.ACTIVE,
        parameters={"tip_phone": "010-12345678", "tip_reward_amount": "200", "tip_duplicate_window_days": 7},
    )


@pytest.fixture
def category(db: Any) -> TipCategory:
    return TipCategory.objects.get(code="corridor_parking")


@pytest.fixture
def make_tip(campaign: Campaign, category: TipCategory, town: dict[str, Unit]) -> Callable[..., Tip]:
    def make(unit: Unit | None = None, **extra: Any) -> Tip:
        data = services.Submission(
            category=extra.pop("category", category),
            description=extra.pop("description", "3 单元楼道里有电动车在充电"),
            unit=unit if unit is not None else town["a1"],
            address=extra.pop("address", ""),
            name=extra.pop("name", ""),
            phone=extra.pop("phone", ""),
            contact_consent=extra.pop("contact_consent", False),
        )
        return services.submit_tip(data, **extra)

    return make
