"""The tips app's items of the home page's "我的待办"."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ebsafety.core.choices import Action, Role
from ebsafety.core.todos import TodoItem
from ebsafety.tips.choices import RewardStatus, TipStatus
from ebsafety.tips.models import Reward, Tip


def tips_todos(user: Any) -> list[TodoItem]:
    items: list[TodoItem] = []
    roles = user.roles()
    if Role.TIPS_OFFICER in roles or user.is_office:
        tips = Tip.objects.visible_to(user, Action.CHANGE)
        items.append(
            TodoItem(
                "待分拣的举报",
                tips.filter(status=TipStatus.NEW).count(),
                reverse("tips:triage"),
                "warning",
                "受理、合并重复或不予受理。",
            )
        )
        rewards = Reward.objects.visible_to(user, Action.CHANGE)
        if user.is_office:
            items.append(
                TodoItem(
                    "待审批的举报奖励",
                    rewards.filter(status=RewardStatus.PROPOSED).count(),
                    reverse("tips:reward_list") + "?status=proposed",
                    "info",
                )
            )
        items.append(
            TodoItem(
                "已批准待发放的举报奖励",
                rewards.filter(status=RewardStatus.APPROVED).count(),
                reverse("tips:reward_list") + "?status=approved",
                "info",
            )
        )
    return items
