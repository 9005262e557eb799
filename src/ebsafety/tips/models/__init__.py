from ebsafety.tips.models.rewards import Reward, RewardQuerySet
from ebsafety.tips.models.tips import (
    PHONE_VALIDATOR,
    Tip,
    TipCategory,
    TipQuerySet,
    TipTransition,
    new_tracking_code,
)

__all__ = [
    "PHONE_VALIDATOR",
    "Reward",
    "RewardQuerySet",
    "Tip",
    "TipCategory",
    "TipQuerySet",
    "TipTransition",
    "new_tracking_code",
]
