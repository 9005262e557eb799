"""Demo tips: about 400 tips over the campaign so far, in every state, with rewards proposed, approved,
declined and paid. Deterministic for a seed (registered in settings.DEMO_BUILDERS).

Rows are written in bulk (the demo builds a whole town in well under a second per app); the states and
their transition rows are what the services would have written.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ebsafety.core.choices import UnitKind
from ebsafety.core.demo import person_name
from ebsafety.core.models import Campaign, Unit, User
from ebsafety.tips.choices import (
    Handover,
    Outcome,
    PaymentMethod,
    RewardStatus,
    RewardTier,
    TipSource,
    TipStatus,
)
from ebsafety.tips.models import Reward, Tip, TipCategory, TipTransition
from ebsafety.tips.models.tips import TRACKING_ALPHABET, TRACKING_LENGTH

TIPS_PER_TOWN = {"town": 400, "district": 60}
DESCRIPTIONS = {
    "indoor_charging": ["{b}有住户把电动车推进家里充电", "{b}住户把电池拎回家充电，每晚都充"],
    "corridor_parking": ["{b}一楼楼道停了三辆电动车", "{b}楼梯间有电动车在充电，堵住了通道"],
    "flying_lead": ["{b}有人从窗户拉电线下来给电动车充电", "{b}楼下飞线充电，插线板放在地上"],
    "lift": ["{b}每天早上有人推电动车进电梯", "{b}有人拎着电池坐电梯"],
    "illegal_modification": ["小区门口修车铺给电动车换大电池", "有人把电动车限速拆了，还加了车篷"],
    "non_compliant": ["{b}门口停着好几辆超标车，挂着黄牌", "外卖骑手用的电池是 72V 的"],
    "group_rental": ["{b}地下室群租，十几辆电动车在里面充电", "{b}出租屋住了很多外卖骑手，屋里充电"],
    "blocked_evacuation": ["{b}安全出口被电动车堵死了", "消防通道停满电动车"],
}
REJECT_REASONS = [
    "所述地点不在本镇辖区",
    "照片和描述不足以确定地点，请补充后再次举报",
    "反映的是交通违法，已告知拨打 122",
]
FORWARD_BODIES = ["区消防救援支队", "区市场监管局", "区城市管理委员会"]


def _code(rng: random.Random) -> str:
    return "".join(rng.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    moment = datetime.datetime.combine(day, datetime.time(rng.randrange(7, 22), rng.randrange(60)))
    return timezone.make_aware(moment)


def build_tips_demo(towns: list[Unit], rng: random.Random, scale: str) -> None:
    """Tips in every state for the compounds of each town; rewards paid for most true tips."""
    categories = list(TipCategory.objects.filter(is_active=True).order_by("sort_order"))
    officer = User.objects.filter(username="tips").first()
    office = User.objects.filter(username="office").first()
    if not categories:
        return
    for town in towns:
        campaign = Campaign.active_for(town)
        if campaign is None:
            continue
        _build_town(town, campaign, categories, officer, office, rng, TIPS_PER_TOWN.get(scale, 400))
    from ebsafety.tips import services

    if services.inspections_installed():
        try:
            with transaction.atomic():  # a savepoint: a failing hand-over leaves the tips pending
                services.retry_pending_handovers(officer)
        except Exception:
            pass


def _build_town(
    town: Unit,
    campaign: Campaign,
    categories: list[TipCategory],
    officer: Any,
    office: Any,
    rng: random.Random,
    count: int,
) -> None:
    units = list(
        Unit.objects.subtree(town).filter(kind__in=[UnitKind.COMPOUND, UnitKind.BUILDING]).order_by("path")
    )
    if not units:
        return
    start = campaign.start_date
    today = min(campaign.start_date + datetime.timedelta(days=85), campaign.end_date)
    span = (today - start).days
    tips: list[Tip] = []
    plans: list[tuple[str, str]] = []  # (final status, outcome)
    for index in range(count):
        unit = rng.choice(units)
        category = rng.choice(categories)
        age = rng.random()
        day = start + datetime.timedelta(days=int(span * (1 - age * age)))  # more tips lately
        roll = rng.random()
        recent = (today - day).days < 3
        if recent or roll < 0.08:
            plan = (TipStatus.NEW, "")
        elif roll < 0.15:
            plan = (TipStatus.REJECTED, "")
        elif roll < 0.27:
            plan = (TipStatus.DUPLICATE, "")
        elif roll < 0.40:
            plan = (TipStatus.ACCEPTED, "")
        elif roll < 0.47:
            plan = (TipStatus.FORWARDED, "")
        else:
            o = rng.random()
            plan = (
                TipStatus.VERIFIED,
                Outcome.TRUE if o < 0.7 else Outcome.PARTLY if o < 0.8 else Outcome.FALSE,
            )
        named = rng.random() < 0.5
        building = unit.name if unit.kind == UnitKind.BUILDING else f"{unit.name}{rng.randrange(1, 9)}号楼"
        text = rng.choice(DESCRIPTIONS.get(category.code, ["{b}发现电动自行车消防隐患"])).format(b=building)
        source = rng.choices([TipSource.WEB, TipSource.HOTLINE, TipSource.API], weights=[7, 2, 1])[0]
        tips.append(
            Tip(
                tracking_code=_code(rng),
                category=category,
                description=text,
                unit=unit,
                reporter_name=person_name(rng) if named else "",
                reporter_phone=f"1{rng.choice('3589')}{rng.randrange(100000000, 999999999)}" if named else "",
                contact_consent=named and rng.random() < 0.8,
                source=source,
                received_by=officer if source == TipSource.HOTLINE else None,
                status=TipStatus.NEW,
                submitter_key=f"demo{index}",
            )
        )
        tips[-1]._demo_created = _at(day, rng)  # type: ignore[attr-defined]
        plans.append(plan)
    Tip.objects.bulk_create(tips, batch_size=500)
    for tip in tips:
        tip.created = tip._demo_created  # type: ignore[attr-defined]
    _apply_states(tips, plans, officer, office, rng, today)


def _apply_states(
    tips: list[Tip],
    plans: list[tuple[str, str]],
    officer: Any,
    office: Any,
    rng: random.Random,
    today: datetime.date,
) -> None:
    transitions: list[TipTransition] = []
    rewards: list[Reward] = []
    label = officer.get_username() if officer else "demo"
    by_key: dict[tuple[int | None, int], list[Tip]] = {}

    def move(tip: Tip, new: str, at: datetime.datetime, note: str = "") -> None:
        transitions.append(
            TipTransition(
                tip=tip, from_status=tip.status, to_status=new, actor=officer, actor_label=label, note=note
            )
        )
        transitions[-1]._demo_at = at  # type: ignore[attr-defined]
        tip.status = new

    order = sorted(range(len(tips)), key=lambda i: tips[i].created)
    for i in order:
        tip, (final, outcome) = tips[i], plans[i]
        transitions.append(
            TipTransition(tip=tip, from_status="", to_status=TipStatus.NEW, actor_label="公众举报")
        )
        transitions[-1]._demo_at = tip.created  # type: ignore[attr-defined]
        triaged = tip.created + datetime.timedelta(hours=rng.randrange(2, 48))
        key = (tip.unit.parent_id if tip.unit.kind == UnitKind.BUILDING else tip.unit_id, tip.category_id)
        earlier = by_key.setdefault(key, [])
        if final == TipStatus.DUPLICATE and earlier:
            tip.duplicate_of = earlier[0]
            move(tip, TipStatus.DUPLICATE, triaged, "与先前举报重复")
        elif final == TipStatus.DUPLICATE:
            final = TipStatus.ACCEPTED
        if final == TipStatus.REJECTED:
            tip.reject_reason = rng.choice(REJECT_REASONS)
            move(tip, TipStatus.REJECTED, triaged, tip.reject_reason)
        if (
            final in (TipStatus.ACCEPTED, TipStatus.VERIFIED)
            and rng.random() < 0.85
            or final == TipStatus.ACCEPTED
        ):
            move(tip, TipStatus.ACCEPTED, triaged)
            tip.handover = Handover.PENDING
        elif final in (TipStatus.FORWARDED, TipStatus.VERIFIED):
            tip.forwarded_to = rng.choice(FORWARD_BODIES)
            tip.forwarded_on = triaged.date()
            move(tip, TipStatus.FORWARDED, triaged, f"移交{tip.forwarded_to}")
        if final not in (TipStatus.NEW, TipStatus.REJECTED, TipStatus.DUPLICATE):
            tip.triaged_by, tip.triaged_at = officer, triaged
            earlier.append(tip)
        if final == TipStatus.VERIFIED:
            verified = triaged + datetime.timedelta(days=rng.randrange(1, 12), hours=rng.randrange(0, 8))
            if verified.date() >= today:
                continue
            tip.outcome, tip.verified_at, tip.verified_by = outcome, verified, officer
            tip.verification_note = {
                "true": "现场核实属实，已督促整改",
                "partly": "部分属实",
                "false": "现场未发现",
            }[outcome]
            move(tip, TipStatus.VERIFIED, verified, tip.verification_note)
            if outcome == Outcome.TRUE:
                rewards.append(_reward(tip, verified, officer, office, rng, today))
    Tip.objects.bulk_update(
        tips,
        [
            "status",
            "duplicate_of",
            "reject_reason",
            "handover",
            "forwarded_to",
            "forwarded_on",
            "triaged_by",
            "triaged_at",
            "outcome",
            "verified_at",
            "verified_by",
            "verification_note",
            "created",
        ],
        batch_size=500,
    )
    TipTransition.objects.bulk_create(transitions, batch_size=1000)
    # the transitions' times (auto_now_add on insert) become the demo's story
    stamped = [t for t in transitions if t.pk]
    for t in stamped:
        t.at = t._demo_at  # type: ignore[attr-defined]
    TipTransition.objects.bulk_update(stamped, ["at"], batch_size=1000)
    Reward.objects.bulk_create(rewards, batch_size=500)


def _reward(
    tip: Tip, verified: datetime.datetime, officer: Any, office: Any, rng: random.Random, today: datetime.date
) -> Reward:
    major = rng.random() < 0.08
    tier = rng.choices(list(RewardTier), weights=[8, 1, 1])[0]
    amount = {RewardTier.REPORTED: 200, RewardTier.STOPPED: 300, RewardTier.HELPED: 400}[tier]
    reward = Reward(
        unit=tip.unit,
        hazard_tip=tip,
        tip=tip,
        tier=tier,
        is_major=major,
        amount=Decimal(max(amount, 500) if major else amount),
        proposed_by=officer,
        status=RewardStatus.PROPOSED,
    )
    roll = rng.random()
    decided = verified + datetime.timedelta(days=rng.randrange(1, 5))
    if roll < 0.08 or decided.date() >= today:
        return reward
    reward.decided_by, reward.decided_at = office, decided
    if roll < 0.16:
        reward.status, reward.decision_note = RewardStatus.DECLINED, "举报人系物业工作人员，依职责应当报告"
        return reward
    reward.status = RewardStatus.APPROVED
    paid = decided.date() + datetime.timedelta(days=rng.randrange(1, 10))
    if roll < 0.3 or paid >= today:
        return reward
    reward.status = RewardStatus.PAID
    reward.paid_on = paid
    reward.payment_method = rng.choices(list(PaymentMethod)[:4], weights=[2, 3, 4, 1])[0]
    reward.payment_ref = f"JL{paid:%Y%m%d}{rng.randrange(100, 999)}"
    reward.payee_confirmed = True
    reward.paid_by = officer
    return reward
