"""The one place that decides what a user may see and do.

Every page, API endpoint, export, report and CLI path narrows its queryset through `restrict()` (reached as
`Model.objects.visible_to(user, action)`). Models declare *where* they sit (their unit, their department,
their sectors) and *what each role may do* with them; this module turns a user's memberships into one
filter. Nothing else in the code base compares a record's unit with a user's unit.

Rules:
- a superuser sees and does everything (platform administrators, not campaign staff);
- a role at a unit (office, leader, locality, property, inspector, volunteer, tips officer, platform) reaches
  the records of that unit and everything below it, for the actions `Model.role_actions[role]` allows;
- the department role reaches records filed under its department, and — where the model's sectors overlap
  the department's sectors, or the model has no sector at all (units) — records in the units it serves;
- a model may define `scope_q_for_unit_path(path)` when its link to the tree is not one foreign key,
  `scope_owner_field` for records that always stay visible to the user who made them (their own jobs), and
  `scope_q_for_membership(membership)` when a role reaches it by something other than the tree (a platform
  account reaches its own company's stations and riders): the hook returns a Q, or None for "the rules above".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from django.db import models
from django.db.models import Q

from ebsafety.core.choices import Action, Role

if TYPE_CHECKING:
    from ebsafety.core.models.accounts import User

NOTHING = Q(pk__in=[])
# "Every row": not Q(), which vanishes when OR-ed with another condition.
EVERYTHING = Q(pk__isnull=False)

_QS = TypeVar("_QS", bound=models.QuerySet[Any])


def unit_scope_q(model: type[models.Model], path: str) -> Q:
    """Records of `model` that sit at the unit with this path or below it."""
    hook = getattr(model, "scope_q_for_unit_path", None)
    if hook is not None:
        return hook(path)
    unit_path = getattr(model, "scope_unit_path", None)
    if unit_path is None:
        return NOTHING
    lookup = f"{unit_path}__path__startswith" if unit_path else "path__startswith"
    return Q(**{lookup: path})


def membership_q(model: type[models.Model], membership: Any) -> Q:
    """What one membership reaches of `model`."""
    hook = getattr(model, "scope_q_for_membership", None)
    if hook is not None:
        q = hook(membership)
        if q is not None:
            return q
    if membership.role != Role.DEPARTMENT:
        return unit_scope_q(model, membership.unit.path)

    department = membership.department
    q = NOTHING
    department_path = getattr(model, "scope_department_path", None)
    if department_path is not None:
        q |= Q(**{f"{department_path}__pk" if department_path else "pk": department.pk})
    sectors: frozenset[str] = getattr(model, "scope_sectors", frozenset())
    if (sectors and sectors & set(department.sectors or [])) or (not sectors and department_path is None):
        for path in department.served_paths():
            q |= unit_scope_q(model, path)
    return q


def restrict(queryset: _QS, user: Any, action: str = Action.VIEW) -> _QS:
    """Narrow `queryset` to the rows `user` may perform `action` on."""
    if action not in Action.values:
        raise ValueError(f"unknown action {action!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    model = queryset.model
    role_actions: dict[str, frozenset[str]] = getattr(model, "role_actions", {})
    q: Q | None = None
    for membership in user.active_memberships():
        if action not in role_actions.get(membership.role, frozenset()):
            continue
        mq = membership_q(model, membership)
        q = mq if q is None else q | mq
    owner_field = getattr(model, "scope_owner_field", None)
    if owner_field and user.active_memberships():
        owner_q = Q(**{owner_field: user.pk})
        q = owner_q if q is None else q | owner_q
    if q is None:
        return queryset.none()
    queryset = queryset.filter(q)
    if getattr(model, "scope_distinct", False):
        queryset = queryset.distinct()
    return queryset


def can(user: Any, action: str, obj: models.Model) -> bool:
    """May `user` perform `action` on this saved object?"""
    model = type(obj)
    return restrict(model._default_manager.filter(pk=obj.pk), user, action).exists()


def has_any_role(user: Any) -> TypeGuard[User]:
    """Is `user` signed in with some role (or a superuser)? Then it is a `User`, not the anonymous one."""
    return bool(
        user is not None and user.is_authenticated and (user.is_superuser or user.active_memberships())
    )


def may_reach(user: Any, model: type[models.Model], action: str = Action.VIEW) -> bool:
    """Could `restrict` give `user` any row of `model` for `action`? Decided from the memberships alone (no
    query): a role granting the action whose reach is not nothing — a department sees a ledger only through
    its sectors or its own records, which `allowed_actions` (the roles alone) does not tell."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    role_actions: dict[str, frozenset[str]] = getattr(model, "role_actions", {})
    if getattr(model, "scope_owner_field", None) and user.active_memberships():
        return True
    return any(
        action in role_actions.get(m.role, frozenset()) and membership_q(model, m) != NOTHING
        for m in user.active_memberships()
    )


def allowed_actions(user: Any, model: type[models.Model]) -> set[str]:
    """Actions any of the user's roles grants on `model` somewhere (for showing buttons and menus)."""
    if user is None or not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(Action.values)
    role_actions = getattr(model, "role_actions", {})
    actions: set[str] = set()
    for membership in user.active_memberships():
        actions |= set(role_actions.get(membership.role, ()))
    return actions
