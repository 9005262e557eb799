"""Personal data: masking of ID and phone numbers, and who may see them unmasked."""

from __future__ import annotations

from typing import Any

from ebsafety.core.choices import Role

# Roles that may reveal ID and phone numbers of the people in their scope (each reveal is logged).
UNMASK_ROLES = frozenset({Role.OFFICE, Role.LOCALITY, Role.PROPERTY})


def mask_id_number(value: str) -> str:
    """110115198409223675 → 110***********3675"""
    if not value or len(value) < 8:
        return value
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678"""
    if not value or len(value) < 7:
        return value
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def may_unmask(user: Any) -> bool:
    """May this user see ID and phone numbers unmasked (in their scope)? The system (None) may."""
    if user is None:
        return True
    return bool(user.is_superuser or (user.roles() & UNMASK_ROLES))
