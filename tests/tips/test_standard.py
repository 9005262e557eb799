"""Standard tests for the tips models: scoping through pages and exports, bounded queries (tests/standard.py).

Tips are seen by the office, leaders, tips officers and the locality they sit in — never by property
companies (a tip may be about them), departments, inspectors, volunteers or platforms. Rewards are the
office's, the leaders' and the tips officers'. Categories are read by everyone with a role."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.apps import apps

from ebsafety.tips import services
from ebsafety.tips.choices import Outcome
from ebsafety.tips.models import Reward, Tip, TipCategory
from tests.standard import StandardModelTests


class TipsWorld(StandardModelTests):
    objects_made: ClassVar[dict[str, Any]]

    def make_objects(self, town: dict, departments: dict, personas: dict) -> None:
        category = TipCategory.objects.get(code="corridor_parking")

        def tip(unit: Any, text: str) -> Tip:
            return services.submit_tip(services.Submission(category=category, description=text, unit=unit))

        a = tip(town["a1"], "甲一小区楼道充电")
        a1 = tip(town["a11"], "甲一小区1号楼楼道停车")
        b = tip(town["b1"], "乙一小区飞线充电")
        officer = personas["tips_officer"]
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(services, "inspections_installed", lambda: False)
            for each in (a, b):
                services.accept(each, officer)
                services.record_verification(each, officer, Outcome.TRUE)
        type(self).objects_made = {"a": a, "a1": a1, "b": b}


class TestTipStandard(TipsWorld):
    model = Tip
    url_prefix = "tips:tip"
    api_list_url = "/api/v1/tips/"
    api_key = "tracking_code"
    export_key_column = "查询码"
    key_field = "tracking_code"
    personas_to_check = (
        "office",
        "leader",
        "tips_officer",
        "locality",
        "community",
        "property",
        "department",
        "inspector",
        "volunteer",
        "platform",
    )

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        made = self.objects_made
        if persona in {"office", "leader", "tips_officer"}:
            return self.all_keys()
        if persona == "locality":
            return {made["a"].tracking_code, made["a1"].tracking_code}
        if persona == "community":
            return {made["b"].tracking_code}
        return None


class TestRewardStandard(TipsWorld):
    model = Reward
    url_prefix = "tips:reward"
    api_list_url = "/api/v1/tip-rewards/"
    export_key_column = "编号"
    personas_to_check = ("office", "leader", "tips_officer", "locality", "property", "department")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        if persona in {"office", "leader", "tips_officer"}:
            return self.all_keys()
        return None


class TestTipCategoryStandard(TipsWorld):
    model = TipCategory
    url_prefix = "tips:tipcategory"
    export_key_column = "编码"
    key_field = "code"
    personas_to_check = ("office", "locality", "department", "tips_officer", "platform")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        return self.all_keys()


@pytest.mark.skipif(
    not apps.is_installed("ebsafety.inspections"), reason="the inspections app is not installed"
)
def test_accepting_makes_a_real_hazard_when_inspections_is_installed(personas: dict, town: dict) -> None:
    from ebsafety.inspections.models import Hazard

    category = TipCategory.objects.get(code="flying_lead")
    tip = services.submit_tip(
        services.Submission(category=category, description="三楼窗口飞线充电", unit=town["a1"])
    )
    services.accept(tip, personas["tips_officer"])
    tip.refresh_from_db()
    hazard = Hazard.objects.get(pk=tip.hazard_ref)
    assert (hazard.source, hazard.source_ref, hazard.unit) == ("tip", str(tip.pk), town["a1"])


def test_every_seeded_category_maps_to_a_hazard_category_when_inspections_is_installed(db: Any) -> None:
    if not apps.is_installed("ebsafety.inspections"):
        pytest.skip("the inspections app is not installed")
    from ebsafety.inspections.models import HazardCategory

    known = set(HazardCategory.objects.values_list("code", flat=True))
    assert set(TipCategory.objects.values_list("hazard_category_code", flat=True)) <= known
