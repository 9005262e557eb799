"""What a reporter sees of their tip (progress and reward status only), and who sees the reporter (tips
officers alone, each viewing written to the change log)."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from ebsafety.core.audit import write_record
from ebsafety.core.choices import Action, ChangeAction, Role
from ebsafety.core.privacy import mask_phone
from ebsafety.core.scoping import can
from ebsafety.tips.choices import Outcome, PublicRewardStatus, TipStatus
from ebsafety.tips.models import Reward, Tip

personal_data_log = logging.getLogger("ebsafety.personal_data")


def public_reward_status(tip: Tip) -> str:
    reward = Reward.objects.filter(tip=tip).only("status").first()
    return PublicRewardStatus(reward.status).value if reward else PublicRewardStatus.NONE.value


def public_status(tip: Tip) -> dict[str, Any]:
    """Progress and reward status of one tip, and nothing else (never the reporter, never other tips)."""
    display = TipStatus(tip.status).label
    if tip.status == TipStatus.REJECTED and tip.reject_reason:
        display = f"{display}：{tip.reject_reason}"
    elif tip.status == TipStatus.VERIFIED and tip.outcome:
        display = f"{display}：{Outcome(tip.outcome).label}"
    reward_status = public_reward_status(tip)
    return {
        "tracking_code": tip.tracking_code,
        "status": tip.status,
        "status_display": display,
        "reward_status": reward_status,
        "reward_status_display": PublicRewardStatus(reward_status).label,
        "updated": timezone.localtime(tip.updated).isoformat(timespec="seconds"),
    }


def may_see_reporter(user: Any) -> bool:
    """Reporter identities are for tips officers alone (not the office, not leaders, not superusers)."""
    return bool(user is not None and user.is_authenticated and user.has_role(Role.TIPS_OFFICER))


def masked_reporter(tip: Tip) -> dict[str, str]:
    return {
        "reporter_name": (tip.reporter_name[:1] + "**") if tip.reporter_name else "",
        "reporter_phone": mask_phone(tip.reporter_phone),
    }


def reporter_for(tip: Tip, user: Any) -> dict[str, str]:
    """The reporter's name and phone as this user may see them: in full for a tips officer who can see the
    tip (the viewing is written to the change log as a "view"), masked for everyone else."""
    if not may_see_reporter(user) or not can(user, Action.VIEW, tip):
        return masked_reporter(tip)
    shown = sorted(f for f in Tip.personal_fields if getattr(tip, f))
    if shown:
        write_record(tip, ChangeAction.VIEW, None, None, shown)
        personal_data_log.info(
            "tip reporter viewed: user=%s tip=%s fields=%s", user.get_username(), tip.pk, ",".join(shown)
        )
    return {"reporter_name": tip.reporter_name, "reporter_phone": tip.reporter_phone}
