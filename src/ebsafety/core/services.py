"""State changes of the core app: campaigns, accounts and memberships.

Views, the API and the CLI call these; none of them sets a status or a password by itself.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from ebsafety.core.choices import Action, CampaignStatus
from ebsafety.core.models import Campaign, User
from ebsafety.core.scoping import can


def _require(user: Any, action: str, obj: Any) -> None:
    if user is not None and not can(user, action, obj):
        raise PermissionDenied("无权对该对象执行此操作。")


@transaction.atomic
def activate_campaign(campaign: Campaign, by: Any = None) -> Campaign:
    """Make this campaign the active one of its unit; the one active before it is closed (stays readable)."""
    _require(by, Action.CHANGE, campaign)
    if campaign.status == CampaignStatus.ACTIVE:
        return campaign
    for previous in Campaign.objects.select_for_update().filter(
        unit=campaign.unit, status=CampaignStatus.ACTIVE
    ):
        previous.status = CampaignStatus.CLOSED
        previous.save(update_fields=["status", "updated"])
    campaign.status = CampaignStatus.ACTIVE
    campaign.save(update_fields=["status", "updated"])
    return campaign


@transaction.atomic
def close_campaign(campaign: Campaign, by: Any = None) -> Campaign:
    _require(by, Action.CHANGE, campaign)
    if campaign.status != CampaignStatus.ACTIVE:
        raise ValidationError("只有进行中的专项整治可以结束。")
    campaign.status = CampaignStatus.CLOSED
    campaign.save(update_fields=["status", "updated"])
    return campaign


@transaction.atomic
def update_campaign_parameters(campaign: Campaign, values: dict[str, Any], by: Any = None) -> Campaign:
    from ebsafety.core import parameters

    _require(by, Action.CHANGE, campaign)
    stored = dict(campaign.parameters or {})
    definitions = {p.key: p for p in parameters.definitions()}
    for key, value in values.items():
        stored[key] = definitions[key].to_json(value)
    campaign.parameters = parameters.clean_values(stored)
    campaign.save(update_fields=["parameters", "updated"])
    return campaign


def generate_password(length: int = 14) -> str:
    """A random temporary password that satisfies the password rules."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


@transaction.atomic
def reset_password(user: User, by: Any = None, new_password: str | None = None) -> str:
    """The office sets a temporary password; the user must change it at the next sign-in."""
    _require(by, Action.CHANGE, user)
    password = new_password or generate_password()
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    from axes.utils import reset as axes_reset

    axes_reset(username=user.get_username())
    return password


@transaction.atomic
def change_own_password(user: User, new_password: str) -> None:
    validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
