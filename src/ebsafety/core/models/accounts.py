"""Users and their memberships (a unit or a department + a role)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from ebsafety.core.choices import Role
from ebsafety.core.models.base import ALL_ACTIONS, WRITE, AuditedModel, BaseModel, ScopedQuerySet
from ebsafety.core.models.org import Department, Unit

OFFICE_ONLY: dict[str, frozenset[str]] = {Role.OFFICE: ALL_ACTIONS}


class UserQuerySet(ScopedQuerySet["User"]):
    pass


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AuditedModel, AbstractUser):
    """A person who signs in. What they may see comes from their memberships, never from the user row."""

    display_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)

    objects: ClassVar[ScopedUserManager] = ScopedUserManager()

    # Office staff manage the users that belong to their subtree, and users not yet given a membership.
    # Users are deactivated, never deleted: their change records keep pointing at them.
    scope_unit_path: ClassVar[str | None] = None
    role_actions: ClassVar[dict[str, frozenset[str]]] = {Role.OFFICE: WRITE}
    scope_distinct: ClassVar[bool] = True
    audit_exclude: ClassVar[frozenset[str]] = frozenset({"last_login", "password"})

    class Meta(AbstractUser.Meta):
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.display_name or self.username

    def get_absolute_url(self) -> str:
        return reverse("core:user_detail", args=[self.pk])

    @classmethod
    def scope_q_for_unit_path(cls, path: str) -> Q:
        return (
            Q(memberships__unit__path__startswith=path)
            | Q(memberships__department__unit__path__startswith=path)
            | Q(memberships__isnull=True)
        )

    def audit_unit_path(self) -> str:
        return ""

    def active_memberships(self) -> list[Membership]:
        """Memberships with their unit/department, cached on the instance for the request."""
        if not hasattr(self, "_memberships_cache"):
            self._memberships_cache = list(
                self.memberships.select_related("unit", "department", "department__unit")
                .prefetch_related("department__served_units")
                .filter(is_active=True)
            )
        return self._memberships_cache

    def roles(self) -> set[str]:
        return {m.role for m in self.active_memberships()}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles() & set(roles)) or (self.is_superuser and Role.OFFICE in roles)

    @property
    def is_office(self) -> bool:
        return self.is_superuser or Role.OFFICE in self.roles()

    def clear_scope_cache(self) -> None:
        self.__dict__.pop("_memberships_cache", None)


class Membership(BaseModel):
    """A user's role at a unit (office, locality, property …) or in a department (department role)."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        Unit, verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    department = models.ForeignKey(
        Department,
        verbose_name="部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    is_active = models.BooleanField("有效", default=True)
    note = models.CharField("备注", max_length=200, blank=True)

    scope_unit_path: ClassVar[str | None] = None  # scoped through scope_q_for_unit_path below
    role_actions: ClassVar[dict[str, frozenset[str]]] = OFFICE_ONLY

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        ordering = ["user__username", "role"]
        constraints = [
            models.CheckConstraint(
                name="membership_unit_xor_department",
                condition=(
                    Q(unit__isnull=False, department__isnull=True)
                    | Q(unit__isnull=True, department__isnull=False)
                ),
                violation_error_message="角色授权须指定单位或部门之一。",
            ),
            # Two partial constraints: NULLs are distinct in a plain unique index on every backend.
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                condition=Q(department__isnull=True),
                name="membership_unique_unit",
                violation_error_message="该用户在该单位已有相同的角色。",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=Q(unit__isnull=True),
                name="membership_unique_department",
                violation_error_message="该用户在该部门已有相同的角色。",
            ),
        ]

    def __str__(self) -> str:
        where = self.department or self.unit
        return f"{self.user} · {self.get_role_display()} · {where}"

    def get_absolute_url(self) -> str:
        return reverse("core:membership_detail", args=[self.pk])

    @classmethod
    def scope_q_for_unit_path(cls, path: str) -> Q:
        return Q(unit__path__startswith=path) | Q(department__unit__path__startswith=path)

    def audit_unit_path(self) -> str:
        # A relation whose id is None reads as None without a query.
        if self.unit is not None:
            return self.unit.path
        if self.department is not None:
            return self.department.unit.path
        return ""

    def clean(self) -> None:
        super().clean()
        if self.role == Role.DEPARTMENT:
            if not self.department_id or self.unit_id:
                raise ValidationError({"department": "行业部门角色须指定部门（不指定单位）。"})
        elif not self.unit_id or self.department_id:
            raise ValidationError({"unit": "该角色须指定单位（不指定部门）。"})

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self.user.clear_scope_cache()
