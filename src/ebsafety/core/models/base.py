"""The base every domain model inherits: timestamps, a scoped manager and change logging."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, ClassVar, Self, TypeVar

from django.db import models

from ebsafety.core.choices import Action, Role

ALL_ACTIONS = frozenset(Action.values)
READ = frozenset({Action.VIEW})
WRITE = frozenset({Action.VIEW, Action.ADD, Action.CHANGE})


_M = TypeVar("_M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[_M]):
    """QuerySet with the one scoping entry point of the platform."""

    def visible_to(self, user: Any, action: str = Action.VIEW) -> Self:
        from ebsafety.core.scoping import restrict

        return restrict(self, user, action)


class AuditedModel(models.Model):
    """Mixin: instances remember the values they were loaded with, so a save can log before/after
    without a second query (the pattern Django's docs give for Model.from_db)."""

    # Fields whose changes are not worth a change record on their own (and never their values).
    audit_exclude: ClassVar[frozenset[str]] = frozenset()

    class Meta:
        abstract = True

    # Set by from_db and refreshed by the audit after each save (not a field).
    _loaded_values: dict[str, Any]
    # The pks of a many-to-many relation before a change, kept by the m2m_changed audit handler.
    _m2m_before: list[Any]

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def audit_unit_path(self) -> str:
        """The org-tree path a change record is filed under (for the audit search by unit)."""
        unit = getattr(self, "unit", None)
        return getattr(unit, "path", "") if unit is not None else ""


class BaseModel(AuditedModel):
    """Every domain model inherits this: created/updated, a scoped manager, change logging.

    Scoping is declared, not coded per view: `scope_unit_path` names the relation to the Unit the record
    belongs to ("" for a Unit itself), `scope_department_path` the relation to its sector Department,
    `scope_sectors` the sectors it falls under, and `role_actions` what each role may do with it.
    """

    created = models.DateTimeField("创建时间", auto_now_add=True)
    updated = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    scope_unit_path: ClassVar[str | None] = "unit"
    scope_department_path: ClassVar[str | None] = None
    scope_sectors: ClassVar[frozenset[str]] = frozenset()
    role_actions: ClassVar[dict[str, frozenset[str]]] = {
        Role.OFFICE: ALL_ACTIONS,
        Role.LEADER: READ,
        Role.DEPARTMENT: WRITE,
        Role.LOCALITY: WRITE,
        Role.PROPERTY: WRITE,
        Role.INSPECTOR: frozenset({Action.VIEW, Action.ADD}),
        Role.VOLUNTEER: READ,
        Role.TIPS_OFFICER: READ,
        Role.PLATFORM: READ,
    }

    audit_exclude: ClassVar[frozenset[str]] = frozenset({"updated"})

    class Meta:
        abstract = True
