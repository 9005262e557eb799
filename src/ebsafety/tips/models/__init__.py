from ebsafety.tips.models.rewards import Reward
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
    "Tip",
    "TipCategory",
    "TipQuerySet",
    "TipTransition",
    "new_tracking_code",
]
