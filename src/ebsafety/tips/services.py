"""State changes of tips and rewards: the only place a tip's or a reward's status moves.

Each function checks who may make the change, writes the change and a transition row (who, when, note),
and runs in one transaction. Views, the API, the CLI and the demo call these; none sets `status` itself.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ebsafety.core.audit import actor_label
from ebsafety.core.choices import Action, Role, UnitKind
from ebsafety.core.context import current_context
from ebsafety.core.models import Attachment, Campaign, Department, Unit
from ebsafety.core.scoping import can
from ebsafety.core.uploads import CleanFile, clean_image
from ebsafety.tips import notifications
from ebsafety.tips.choices import (
    OPEN_STATUSES,
    Handover,
    Outcome,
    RewardStatus,
    RewardTier,
    TipSource,
    TipStatus,
)
from ebsafety.tips.models import Reward, Tip, TipCategory, TipTransition

logger = logging.getLogger(__name__)

MAX_PHOTOS = 4
PUBLIC_UNIT_KINDS = (UnitKind.COMPOUND, UnitKind.BUILDING)

# Which status may follow which (anything else is refused).
TRANSITIONS: dict[str, set[str]] = {
    "": {TipStatus.NEW},
    TipStatus.NEW: {TipStatus.ACCEPTED, TipStatus.FORWARDED, TipStatus.DUPLICATE, TipStatus.REJECTED},
    TipStatus.ACCEPTED: {TipStatus.VERIFIED},
    TipStatus.FORWARDED: {TipStatus.VERIFIED},
    TipStatus.DUPLICATE: set(),
    TipStatus.REJECTED: set(),
    TipStatus.VERIFIED: set(),
}


class RateLimited(Exception):
    """Too many tips from one address or one phone number in the window (the API answers 429)."""


@dataclass
class Submission:
    """What a reporter (or the hotline officer on their behalf) gives: one tip before it is stored."""

    category: TipCategory
    description: str
    unit: Unit | None = None
    address: str = ""
    name: str = ""
    phone: str = ""
    contact_consent: bool = False


# ---------------------------------------------------------------------------------------------------------
# Submitting


def default_unit() -> Unit | None:
    """Where a tip with only a typed address is filed: the unit running the top-most active campaign."""
    campaign = Campaign.active_for(None)
    if campaign is not None:
        return campaign.unit
    return Unit.objects.filter(parent__isnull=True).order_by("code").first()


def clean_photos(photos: Iterable[Any]) -> list[CleanFile]:
    """Check and re-encode the photos before anything is stored (EXIF and GPS dropped)."""
    photos = [p for p in photos if p]
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": f"最多上传 {MAX_PHOTOS} 张照片。"})
    cleaned = []
    for photo in photos:
        try:
            cleaned.append(clean_image(photo, getattr(photo, "name", "photo") or "photo"))
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from exc
    return cleaned


def _attach_clean(tip: Tip, clean: CleanFile, original_name: str, user: Any) -> Attachment:
    """Store an already cleaned photo (cleaned outside the tip's write transaction; see submit_tip)."""
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(Tip),
        object_id=str(tip.pk),
        kind=clean.kind,
        original_name=original_name[:200],
        mime=clean.mime,
        size=len(clean.content),
        sha256=clean.sha256,
        width=clean.width,
        height=clean.height,
        uploaded_by=user if user is not None and getattr(user, "pk", None) else None,
    )
    attachment.file.save(clean.name, ContentFile(clean.content), save=False)
    attachment.save()
    return attachment


def validate_submission(data: Submission) -> None:
    """The cross-field rules of a new tip (field rules are the model's)."""
    errors: dict[str, str] = {}
    if not data.category.is_active:
        errors["category"] = "该类别已停用，请重新选择。"
    if data.unit is None and not data.address.strip():
        errors["unit"] = "请选择小区或楼栋，或填写详细地址。"
    if data.unit is not None and data.unit.kind not in PUBLIC_UNIT_KINDS:
        errors["unit"] = "请选择小区或楼栋。"
    if len(data.description.strip()) < 5:
        errors["description"] = "请简要描述隐患情况（至少 5 个字）。"
    if data.contact_consent and not data.phone.strip():
        errors["phone"] = "同意就奖励事宜联系时，请留下联系电话。"
    if errors:
        raise ValidationError(errors)


def submit_tip(
    data: Submission,
    *,
    source: str = TipSource.WEB,
    address_key: str = "",
    photos: Iterable[Any] = (),
    received_by: Any = None,
) -> Tip:
    """Store a new tip and its photos; refuse (RateLimited) past the limits per client address and phone.

    The limits count the tips already stored inside the same write transaction, so every process of every
    server sees the same counts (SQLite serialises writers; PostgreSQL may let a few concurrent requests
    at the boundary through, never many). Photos are cleaned before the transaction so it stays short.
    """
    validate_submission(data)
    cleaned = clean_photos(photos)
    names = [getattr(p, "name", "photo") or "photo" for p in photos if p]
    tip = Tip(
        category=data.category,
        description=data.description.strip(),
        unit=data.unit or default_unit(),
        address=data.address.strip(),
        reporter_name=data.name.strip(),
        reporter_phone=data.phone.strip().replace(" ", ""),
        contact_consent=data.contact_consent,
        source=source,
        submitter_key=address_key,
        received_by=received_by,
    )
    if tip.unit_id is None:
        raise ValidationError({"unit": "平台尚未配置单位，暂不能受理举报。"})
    tip.full_clean()
    with transaction.atomic():
        if source != TipSource.HOTLINE:
            _check_rate_limits(tip)
        tip.save()
        _record_transition(tip, "", TipStatus.NEW, received_by, "电话受理" if received_by else "")
    for clean, name in zip(cleaned, names, strict=True):
        _attach_clean(tip, clean, name, received_by)
    notifications.new_tip_on_commit(tip, unit_given=data.unit is not None)
    return tip


def _check_rate_limits(tip: Tip) -> None:
    since = timezone.now() - datetime.timedelta(seconds=settings.TIPS_SUBMIT_WINDOW_SECONDS)
    recent = Tip.objects.filter(created__gte=since)
    if tip.submitter_key and (
        recent.filter(submitter_key=tip.submitter_key).count() >= settings.TIPS_SUBMIT_MAX_PER_ADDRESS
    ):
        raise RateLimited("address")
    if tip.reporter_phone and (
        recent.filter(reporter_phone=tip.reporter_phone).count() >= settings.TIPS_SUBMIT_MAX_PER_PHONE
    ):
        raise RateLimited("phone")


def record_hotline_tip(data: Submission, by: Any, photos: Iterable[Any] = ()) -> Tip:
    """A tip taken on the reporting phone, entered by staff on the caller's behalf."""
    if not (by.is_office or by.has_role(Role.TIPS_OFFICER)):
        raise PermissionDenied("只有举报受理员和整治办可以登记电话举报。")
    with transaction.atomic():  # a tip outside the caller's scope is not kept (nor notified)
        tip = submit_tip(data, source=TipSource.HOTLINE, photos=photos, received_by=by)
        if not can(by, Action.VIEW, tip):
            raise PermissionDenied("该举报所在单位不在您的管辖范围内。")
    return tip


# ---------------------------------------------------------------------------------------------------------
# Triage


def _actor(by: Any) -> Any:
    return by if by is not None and getattr(by, "pk", None) else None


def _record_transition(tip: Tip, old: str, new: str, by: Any, note: str = "") -> TipTransition:
    if new not in TRANSITIONS.get(old, set()):
        raise ValidationError(
            f"举报不能从“{TipStatus(old).label if old else '新建'}”变为“{TipStatus(new).label}”。"
        )
    label = by.get_username() if _actor(by) else actor_label(current_context())
    return TipTransition.objects.create(
        tip=tip, from_status=old, to_status=new, actor=_actor(by), actor_label=label[:150], note=note
    )


def _move(tip: Tip, new: str, by: Any, note: str = "", **fields: Any) -> Tip:
    old = tip.status
    _record_transition(tip, old, new, by, note)
    for name, value in fields.items():
        setattr(tip, name, value)
    tip.status = new
    tip.full_clean()
    tip.save()
    return tip


def _require_triage(tip: Tip, by: Any) -> None:
    if not (by.is_office or by.has_role(Role.TIPS_OFFICER)) or not can(by, Action.CHANGE, tip):
        raise PermissionDenied("只有举报受理员和整治办可以分拣、核查举报。")


def duplicate_window_days(tip: Tip) -> int:
    campaign = Campaign.active_for(tip.unit)
    return campaign.param("tip_duplicate_window_days") if campaign else 14


def duplicate_candidates(tip: Tip, limit: int = 10) -> list[Tip]:
    """Earlier or recent tips of the same category at the same compound or building within N days."""
    unit = tip.unit
    if unit.kind == UnitKind.BUILDING and unit.parent is not None:
        unit = unit.parent
    days = duplicate_window_days(tip)
    reference = tip.created or timezone.now()
    window = datetime.timedelta(days=days)
    queryset = (
        Tip.objects.filter(
            category_id=tip.category_id,
            created__gte=reference - window,
            created__lte=reference + window,
        )
        .exclude(pk=tip.pk)
        .exclude(status__in=[TipStatus.DUPLICATE, TipStatus.REJECTED])
        .select_related("unit", "category")
        .order_by("created")
    )
    if unit.kind in PUBLIC_UNIT_KINDS:
        queryset = queryset.filter(unit__path__startswith=unit.path)
    elif tip.address:  # only an address was typed: same unit and a similar address
        queryset = queryset.filter(unit=unit, address__icontains=tip.address[:6])
    else:
        return []
    return list(queryset[:limit])


@transaction.atomic
def accept(
    tip: Tip,
    by: Any,
    *,
    forward: bool = False,
    unit: Unit | None = None,
    department: Department | None = None,
    forwarded_to: str = "",
    forwarded_on: datetime.date | None = None,
    note: str = "",
) -> Tip:
    """Accept a new tip: it becomes a hazard for the responsible unit and department, or it is forwarded to
    the district department for verification (receiving body and date recorded)."""
    _require_triage(tip, by)
    fields: dict[str, Any] = {"triaged_by": _actor(by), "triaged_at": timezone.now()}
    if unit is not None:
        if not can(by, Action.VIEW, unit) and not by.is_office:
            raise PermissionDenied("该单位不在您的管辖范围内。")
        fields["unit"] = unit
    if department is not None:
        fields["department"] = department
    if forward:
        if not forwarded_to.strip() or forwarded_on is None:
            raise ValidationError({"forwarded_to": "移交核查须填写接收单位和移交日期。"})
        fields.update(forwarded_to=forwarded_to.strip(), forwarded_on=forwarded_on)
        return _move(tip, TipStatus.FORWARDED, by, note, **fields)
    _move(tip, TipStatus.ACCEPTED, by, note, **fields)
    hand_over_to_hazards(tip, by)
    return tip


@transaction.atomic
def merge_duplicate(tip: Tip, into: Tip, by: Any, note: str = "") -> Tip:
    """Merge a new tip into an earlier tip about the same hazard (its reporter keeps their place in line
    for the reward: the first valid reporter of the group is rewarded)."""
    _require_triage(tip, by)
    head = into.group_head()
    if head.pk == tip.pk:
        raise ValidationError("举报不能与自身合并。")
    if head.status == TipStatus.REJECTED:
        raise ValidationError("不能合并到不予受理的举报。")
    if head.created > tip.created:
        raise ValidationError("只能合并到更早的举报。")
    return _move(
        tip,
        TipStatus.DUPLICATE,
        by,
        note or f"与 {head.display_code} 重复",
        duplicate_of=head,
        triaged_by=_actor(by),
        triaged_at=timezone.now(),
    )


@transaction.atomic
def reject(tip: Tip, by: Any, reason: str) -> Tip:
    """Refuse a tip with a reason the reporter reads on the status page."""
    _require_triage(tip, by)
    if not reason.strip():
        raise ValidationError({"reject_reason": "请填写不予受理的理由（举报人可见）。"})
    return _move(
        tip,
        TipStatus.REJECTED,
        by,
        reason.strip(),
        reject_reason=reason.strip()[:300],
        triaged_by=_actor(by),
        triaged_at=timezone.now(),
    )


# ---------------------------------------------------------------------------------------------------------
# Hand-over to the hazards of the inspections app


def inspections_installed() -> bool:
    return apps.is_installed("ebsafety.inspections")


def hand_over_to_hazards(tip: Tip, by: Any = None) -> Tip:
    """Make the accepted tip a hazard of the inspections app; while that app is not installed, mark the
    tip "hazard pending" (`retry_pending_handovers` makes the hazards once it is)."""
    if not inspections_installed():
        tip.handover = Handover.PENDING
        tip.save(update_fields=["handover", "updated"])
        return tip
    from ebsafety.inspections.services import report_hazard  # the inspections app's hand-over

    try:
        with transaction.atomic():  # a savepoint: a refused hazard leaves the acceptance standing
            hazard = report_hazard(
                unit=tip.unit,
                category_code=tip.category.hazard_category_code or tip.category.code,
                description=tip.description,
                source="tip",
                reported_by=_actor(by),
                address=tip.address,
                photos=tuple(Attachment.of(tip)),
                source_ref=str(tip.pk),
                department=tip.department,
            )
    except ValidationError as exc:
        # e.g. the category's hazard category was switched off: the office fixes it, the retry hands over
        logger.warning("tip %s: hazard not created (%s); left pending", tip.pk, "; ".join(exc.messages))
        tip.handover = Handover.PENDING
        tip.save(update_fields=["handover", "updated"])
        return tip
    tip.handover = Handover.CREATED
    tip.hazard_ref = str(hazard.pk)
    tip.save(update_fields=["handover", "hazard_ref", "updated"])
    return tip


def retry_pending_handovers(by: Any = None) -> int:
    """Hand over the tips accepted while the inspections app was missing; returns how many went over."""
    if not inspections_installed():
        return 0
    done = 0
    for tip in Tip.objects.filter(handover=Handover.PENDING).select_related("unit", "category", "department"):
        with transaction.atomic():
            hand_over_to_hazards(tip, by)
        done += 1
    return done


# ---------------------------------------------------------------------------------------------------------
# Verification and rewards


@transaction.atomic
def record_verification(tip: Tip, by: Any, outcome: str, note: str = "") -> Tip:
    """The verification outcome (true / partly / false). A true tip gets a reward proposed at once."""
    _require_triage(tip, by)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "请选择核查结果。"})
    if tip.status not in OPEN_STATUSES:
        raise ValidationError("只有已受理或已移交核查的举报可以登记核查结果。")
    _move(
        tip,
        TipStatus.VERIFIED,
        by,
        note,
        outcome=outcome,
        verification_note=note,
        verified_at=timezone.now(),
        verified_by=_actor(by),
    )
    if outcome == Outcome.TRUE:
        propose_reward(tip, by)
    return tip


def first_valid_reporter(head: Tip) -> Tip:
    """The earliest tip of a hazard's group (the verified tip and the tips merged into it)."""
    group = [head, *head.duplicates.exclude(status=TipStatus.REJECTED)]
    return min(group, key=lambda t: (t.created, t.pk))


def reward_amount(tip: Tip, tier: str, is_major: bool) -> Decimal:
    """The campaign's amount for a tier (a major hazard's amount when higher)."""
    campaign = Campaign.active_for(tip.unit)

    def param(key: str, default: str) -> Decimal:
        return Decimal(str(campaign.param(key))) if campaign else Decimal(default)

    amounts = {
        RewardTier.REPORTED: param("tip_reward_amount", "200"),
        RewardTier.STOPPED: param("tip_reward_stopped_amount", "300"),
        RewardTier.HELPED: param("tip_reward_helped_amount", "400"),
    }
    amount = amounts[RewardTier(tier)]
    if is_major:
        amount = max(amount, param("tip_reward_major_amount", "500"))
    return amount


@transaction.atomic
def propose_reward(
    tip: Tip, by: Any, *, tier: str = RewardTier.REPORTED, is_major: bool = False, note: str = ""
) -> Reward:
    """Propose the one reward of a verified hazard, to the group's first valid reporter."""
    _require_triage(tip, by)
    head = tip.group_head()
    if head.status != TipStatus.VERIFIED or head.outcome not in (Outcome.TRUE, Outcome.PARTLY):
        raise ValidationError("只有核查属实（或部分属实）的举报可以提出奖励。")
    if Reward.objects.filter(hazard_tip=head).exists():
        raise ValidationError("该隐患已有奖励记录（每个核查属实的隐患只奖励一次）。")
    reward = Reward(
        unit=head.unit,
        hazard_tip=head,
        tip=first_valid_reporter(head),
        tier=tier,
        is_major=is_major,
        amount=reward_amount(head, tier, is_major),
        proposed_by=_actor(by),
        decision_note=note[:300],
    )
    reward.full_clean()
    reward.save()
    return reward


def _require_office(by: Any) -> None:
    if not by.is_office:
        raise PermissionDenied("奖励由整治办审批。")


@transaction.atomic
def approve_reward(
    reward: Reward,
    by: Any,
    *,
    amount: Decimal | None = None,
    tier: str | None = None,
    is_major: bool | None = None,
    recipient: Tip | None = None,
    note: str = "",
) -> Reward:
    """The office approves a proposed reward, possibly with another amount, tier or recipient (a recipient
    other than the first valid reporter needs a reason)."""
    _require_office(by)
    if reward.status != RewardStatus.PROPOSED:
        raise ValidationError("只有待审批的奖励可以批准。")
    if recipient is not None and recipient.pk != reward.tip_id:
        if recipient.group_head().pk != reward.hazard_tip_id:
            raise ValidationError("获奖举报须是该隐患的举报之一。")
        if not note.strip():
            raise ValidationError({"decision_note": "改为奖励其他举报人时，请写明理由。"})
        reward.tip = recipient
    if tier is not None:
        reward.tier = tier
    if is_major is not None:
        reward.is_major = is_major
    if amount is None and (tier is not None or is_major is not None):
        amount = reward_amount(reward.hazard_tip, reward.tier, reward.is_major)
    if amount is not None:
        reward.amount = amount
    reward.status = RewardStatus.APPROVED
    reward.decided_by = _actor(by)
    reward.decided_at = timezone.now()
    reward.decision_note = note.strip()[:300]
    reward.full_clean()
    reward.save()
    return reward


@transaction.atomic
def decline_reward(reward: Reward, by: Any, note: str) -> Reward:
    """The office decides that no reward is paid (the reason stays on the record)."""
    _require_office(by)
    if reward.status not in (RewardStatus.PROPOSED, RewardStatus.APPROVED):
        raise ValidationError("已发放或已否决的奖励不能再否决。")
    if not note.strip():
        raise ValidationError({"decision_note": "请写明不予奖励的理由。"})
    reward.status = RewardStatus.DECLINED
    reward.decided_by = _actor(by)
    reward.decided_at = timezone.now()
    reward.decision_note = note.strip()[:300]
    reward.save()
    return reward


@transaction.atomic
def record_payment(
    reward: Reward,
    by: Any,
    *,
    paid_on: datetime.date,
    method: str,
    payee_confirmed: bool,
    payment_ref: str = "",
) -> Reward:
    """The reward was paid: date, method, the payee's confirmation and a voucher number."""
    if not (by.is_office or by.has_role(Role.TIPS_OFFICER)) or not can(by, Action.CHANGE, reward):
        raise PermissionDenied("只有整治办和举报受理员可以登记奖励发放。")
    if reward.status != RewardStatus.APPROVED:
        raise ValidationError("只有已批准的奖励可以登记发放。")
    if not payee_confirmed:
        raise ValidationError({"payee_confirmed": "请在领奖人确认（签字或回执）后再登记发放。"})
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": "发放日期不能晚于今天。"})
    reward.status = RewardStatus.PAID
    reward.paid_on = paid_on
    reward.payment_method = method
    reward.payee_confirmed = True
    reward.payment_ref = payment_ref.strip()[:60]
    reward.paid_by = _actor(by)
    reward.full_clean()
    reward.save()
    return reward
