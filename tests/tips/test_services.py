"""The life of a tip: triage (accept / forward / merge / reject), the hand-over to hazards (with and without
the inspections app), verification, the one reward per verified hazard, approval, payment, figures."""

from __future__ import annotations

import datetime
import sys
import types
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ebsafety.tips import disclosure, services
from ebsafety.tips.choices import Handover, Outcome, RewardStatus, RewardTier, TipStatus
from ebsafety.tips.models import Reward, Tip

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(personas: dict) -> Any:
    return personas["tips_officer"]


@pytest.fixture
def office(personas: dict) -> Any:
    return personas["office"]


def test_new_tip_records_its_first_transition(make_tip: Any) -> None:
    tip = make_tip()
    assert tip.status == TipStatus.NEW
    assert [(t.from_status, t.to_status) for t in tip.transitions.all()] == [("", "new")]


def test_accept_without_inspections_marks_the_hazard_pending(make_tip: Any, officer: Any) -> None:
    tip = make_tip()
    with mock.patch.object(services, "inspections_installed", return_value=False):
        services.accept(tip, officer)
    tip.refresh_from_db()
    assert tip.status == TipStatus.ACCEPTED
    assert tip.handover == Handover.PENDING and tip.hazard_ref == ""
    assert tip.triaged_by == officer


def test_accept_with_inspections_reports_a_hazard(make_tip: Any, officer: Any, departments: dict) -> None:
    tip = make_tip()
    fake = types.ModuleType("ebsafety.inspections.services")
    fake.report_hazard = mock.Mock(return_value=types.SimpleNamespace(pk=4242))  # type: ignore[attr-defined]
    with (
        mock.patch.object(services, "inspections_installed", return_value=True),
        mock.patch.dict(sys.modules, {"ebsafety.inspections.services": fake}),
    ):
        services.accept(tip, officer, department=departments["market"])
    tip.refresh_from_db()
    assert tip.handover == Handover.CREATED and tip.hazard_ref == "4242"
    kwargs = fake.report_hazard.call_args.kwargs  # type: ignore[attr-defined]
    assert kwargs["source"] == "tip" and kwargs["source_ref"] == str(tip.pk)
    assert kwargs["unit"] == tip.unit and kwargs["category_code"] == "corridor_parking"
    assert kwargs["department"] == departments["market"]


def test_pending_handovers_go_over_once_inspections_is_there(make_tip: Any, officer: Any) -> None:
    tip = make_tip()
    with mock.patch.object(services, "inspections_installed", return_value=False):
        services.accept(tip, officer)
    fake = types.ModuleType("ebsafety.inspections.services")
    fake.report_hazard = mock.Mock(return_value=types.SimpleNamespace(pk=7))  # type: ignore[attr-defined]
    with (
        mock.patch.object(services, "inspections_installed", return_value=True),
        mock.patch.dict(sys.modules, {"ebsafety.inspections.services": fake}),
    ):
        assert services.retry_pending_handovers(officer) == 1
        assert services.retry_pending_handovers(officer) == 0
    tip.refresh_from_db()
    assert (tip.handover, tip.hazard_ref) == (Handover.CREATED, "7")


def test_forward_needs_receiving_body_and_date(make_tip: Any, officer: Any) -> None:
    tip = make_tip()
    with pytest.raises(ValidationError):
        services.accept(tip, officer, forward=True)
    services.accept(
        tip, officer, forward=True, forwarded_to="区消防救援支队", forwarded_on=datetime.date.today()
    )
    tip.refresh_from_db()
    assert tip.status == TipStatus.FORWARDED and tip.forwarded_to == "区消防救援支队"
    assert tip.handover == ""


def test_only_tips_officers_and_the_office_triage(make_tip: Any, personas: dict) -> None:
    tip = make_tip()
    for persona in ("locality", "leader", "inspector"):
        with pytest.raises(PermissionDenied):
            services.reject(tip, personas[persona], "不是电动车")
    services.reject(tip, personas["office"], "照片与描述不符")


def test_reject_needs_a_reason_the_reporter_sees(make_tip: Any, officer: Any) -> None:
    tip = make_tip()
    with pytest.raises(ValidationError):
        services.reject(tip, officer, "  ")
    services.reject(tip, officer, "所述地点不在本镇")
    public = disclosure.public_status(tip)
    assert public["status"] == "rejected" and "所述地点不在本镇" in public["status_display"]


def test_no_transition_out_of_a_final_state(make_tip: Any, officer: Any) -> None:
    tip = make_tip()
    services.reject(tip, officer, "重复")
    with pytest.raises(ValidationError):
        services.accept(tip, officer)


def test_duplicate_candidates_same_compound_category_and_window(
    make_tip: Any, town: dict, officer: Any, campaign: Any
) -> None:
    first = make_tip(unit=town["a1"])
    in_building = make_tip(unit=town["a11"])
    other_compound = make_tip(unit=town["b1"])
    old = make_tip(unit=town["a1"])
    Tip.objects.filter(pk=old.pk).update(created=timezone.now() - datetime.timedelta(days=30))
    from ebsafety.tips.models import TipCategory

    other_category = make_tip(unit=town["a1"], category=TipCategory.objects.get(code="lift"))
    new = make_tip(unit=town["a1"])
    candidates = services.duplicate_candidates(new)
    assert {c.pk for c in candidates} == {first.pk, in_building.pk}
    assert other_compound not in candidates and other_category not in candidates


def test_merge_into_an_earlier_tip_and_reward_the_first_valid_reporter(
    make_tip: Any, officer: Any, office: Any
) -> None:
    first = make_tip(name="甲", phone="13800000001", contact_consent=True)
    second = make_tip(name="乙", phone="13800000002")
    with pytest.raises(ValidationError):
        services.merge_duplicate(first, second, officer)  # only into an earlier tip
    services.merge_duplicate(second, first, officer)
    second.refresh_from_db()
    assert second.status == TipStatus.DUPLICATE and second.duplicate_of == first

    services.accept(first, officer)
    services.record_verification(first, officer, Outcome.TRUE, "现场确认 3 辆车楼道充电")
    reward = Reward.objects.get(hazard_tip=first)
    assert reward.tip == first and reward.status == RewardStatus.PROPOSED
    assert reward.amount == Decimal("200")
    with pytest.raises(ValidationError):
        services.propose_reward(first, officer)  # one reward per verified hazard
    # the office may decide otherwise, with a reason
    with pytest.raises(ValidationError):
        services.approve_reward(reward, office, recipient=second)
    services.approve_reward(reward, office, recipient=second, note="首位举报人放弃奖励")
    reward.refresh_from_db()
    assert reward.tip == second
    assert disclosure.public_status(second)["reward_status"] == "approved"
    assert disclosure.public_status(first)["reward_status"] == "none"


def test_reward_tiers_and_major_amount_come_from_campaign_parameters(
    make_tip: Any, officer: Any, office: Any, campaign: Any
) -> None:
    campaign.parameters = {**campaign.parameters, "tip_reward_major_amount": "1000"}
    campaign.save()
    tip = make_tip()
    services.accept(tip, officer)
    services.record_verification(tip, officer, Outcome.PARTLY)
    assert not Reward.objects.exists()  # partly true: proposed by hand
    reward = services.propose_reward(tip, officer, tier=RewardTier.STOPPED)
    assert reward.amount == Decimal("300")
    services.approve_reward(reward, office, is_major=True)
    reward.refresh_from_db()
    assert reward.amount == Decimal("1000") and reward.is_major


def test_false_tips_get_no_reward(make_tip: Any, officer: Any) -> None:
    tip = make_tip()
    services.accept(tip, officer)
    services.record_verification(tip, officer, Outcome.FALSE, "现场未发现")
    with pytest.raises(ValidationError):
        services.propose_reward(tip, officer)


def test_approval_is_the_office_s_and_payment_needs_confirmation(
    make_tip: Any, officer: Any, office: Any
) -> None:
    tip = make_tip()
    services.accept(tip, officer)
    services.record_verification(tip, officer, Outcome.TRUE)
    reward = Reward.objects.get()
    with pytest.raises(PermissionDenied):
        services.approve_reward(reward, officer)
    with pytest.raises(ValidationError):
        services.record_payment(
            reward, officer, paid_on=datetime.date.today(), method="cash", payee_confirmed=True
        )
    services.approve_reward(reward, office)
    with pytest.raises(ValidationError):
        services.record_payment(
            reward, officer, paid_on=datetime.date.today(), method="cash", payee_confirmed=False
        )
    services.record_payment(
        reward,
        officer,
        paid_on=datetime.date.today(),
        method="wechat",
        payee_confirmed=True,
        payment_ref="P-1",
    )
    reward.refresh_from_db()
    assert reward.status == RewardStatus.PAID and reward.paid_by == officer
    public = disclosure.public_status(tip)
    assert (public["status"], public["reward_status"]) == ("verified", "paid")
    assert public["status_display"] == "核查完毕：属实"


def test_decline_needs_a_reason(make_tip: Any, officer: Any, office: Any) -> None:
    tip = make_tip()
    services.accept(tip, officer)
    services.record_verification(tip, officer, Outcome.TRUE)
    reward = Reward.objects.get()
    with pytest.raises(ValidationError):
        services.decline_reward(reward, office, "")
    services.decline_reward(reward, office, "举报人系物业工作人员，依职责应当报告")
    assert disclosure.public_status(tip)["reward_status"] == "declined"


def test_hotline_tips_are_entered_by_staff_without_rate_limits(
    campaign: Any, category: Any, town: dict, officer: Any, personas: dict, settings: Any
) -> None:
    settings.TIPS_SUBMIT_MAX_PER_PHONE = 1
    data = services.Submission(
        category=category, description="电话反映：地下室有人集中充电", unit=town["b1"], phone="13911112222"
    )
    first = services.record_hotline_tip(data, officer)
    second = services.record_hotline_tip(data, officer)
    assert first.source == second.source == "hotline" and first.received_by == officer
    with pytest.raises(PermissionDenied):
        services.record_hotline_tip(data, personas["locality"])


def test_figures_per_unit(make_tip: Any, officer: Any, office: Any, town: dict) -> None:
    tips = [make_tip(unit=town["a1"]) for _ in range(3)] + [make_tip(unit=town["b1"])]
    for tip in tips[:2]:
        services.accept(tip, officer)
    Tip.objects.filter(pk=tips[0].pk).update(created=timezone.now() - datetime.timedelta(days=4))
    tips[0].refresh_from_db()
    services.record_verification(tips[0], officer, Outcome.TRUE)
    services.record_verification(tips[1], officer, Outcome.FALSE)
    reward = Reward.objects.get()
    services.approve_reward(reward, office)
    services.record_payment(
        reward, office, paid_on=datetime.date.today(), method="cash", payee_confirmed=True
    )
    figures = Tip.objects.figures_by_unit([town["a"], town["b"], town["town"]])
    assert figures[town["a"]]["received"] == 3 and figures[town["b"]]["received"] == 1
    assert figures[town["a"]]["verified_true"] == 1
    assert figures[town["a"]]["rewards_paid"] == 1 and figures[town["a"]]["rewards_paid_amount"] == Decimal(
        "200"
    )
    assert figures[town["b"]]["rewards_paid"] == 0 and figures[town["b"]]["median_days_to_verify"] is None
    assert 1.9 < figures[town["a"]]["median_days_to_verify"] < 2.1  # median of ~4 days and ~0 days
    assert figures[town["town"]]["received"] == 4
