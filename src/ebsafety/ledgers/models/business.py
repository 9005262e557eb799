"""Businesses in the ledgers: shops, battery recycling sites, delivery/courier platforms, their stations."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from ebsafety.core.choices import Role, Sector
from ebsafety.core.fields import CodeField
from ebsafety.core.models import BaseModel, Department, Membership, Unit
from ebsafety.core.models.base import ALL_ACTIONS, READ
from ebsafety.ledgers import scoping as ledger_scoping
from ebsafety.ledgers.choices import PlatformKind, RecordStatus, RetireReason


class RetirableModel(BaseModel):
    """Ledger rows are never hard-deleted by users: they are retired with a reason and a date."""

    status = models.CharField(
        "状态", max_length=10, choices=RecordStatus.choices, default=RecordStatus.ACTIVE
    )
    retire_reason = models.CharField("注销原因", max_length=20, choices=RetireReason.choices, blank=True)
    retired_on = models.DateField("注销日期", null=True, blank=True)
    # No index: nothing looks records up by their last batch (no reverse accessor; the detail page follows
    # the key the other way), and batches are kept, never deleted. The index cost every import's update
    # of a record a write, and a first census of a million bikes 0.4 s to build.
    last_batch = models.ForeignKey(
        "ledgers.ImportBatch",
        verbose_name="最近导入批次",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    if TYPE_CHECKING:
        # What every ledger declares itself (each its own unit foreign key, with its own related name).
        unit: Unit
        unit_id: int

        def get_absolute_url(self) -> str: ...

    class Meta:
        abstract = True


class Business(RetirableModel):
    """What a shop and a recycling site both are: a named business with its credit code, address and
    contact, watched by one sector's department. Each declares its own unit and department keys (their
    reverse names differ) and its own constraints."""

    name = models.CharField("名称", max_length=100)
    credit_code = CodeField("统一社会信用代码", max_length=18, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    contact = models.CharField("联系人", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)

    scope_department_path: ClassVar[str | None] = "department"
    personal_fields: ClassVar[tuple[str, ...]] = ("phone",)

    scope_q_for_membership = ledger_scoping.platform_nothing  # platform accounts (see ledgers/scoping.py)

    class Meta:
        abstract = True
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Shop(Business):
    """A shop that sells, repairs or modifies e-bikes or sells batteries."""

    unit = models.ForeignKey(Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="shops")
    department = models.ForeignKey(
        Department,
        verbose_name="行业部门",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shops",
    )
    businesses = models.JSONField("经营范围", default=list, blank=True)

    scope_sectors: ClassVar[frozenset[str]] = frozenset({Sector.MARKET})

    class Meta(Business.Meta):
        verbose_name = "门店"
        verbose_name_plural = "门店"
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="shop_unique_credit_code",
                violation_error_message="该统一社会信用代码已登记。",
            ),
        ]
        indexes = [models.Index(fields=["unit", "status"], name="shop_unit_status")]  # scoped lists

    def get_absolute_url(self) -> str:
        return reverse("ledgers:shop_detail", args=[self.pk])


class RecyclingSite(Business):
    """A site that collects or stores used e-bike batteries."""

    unit = models.ForeignKey(
        Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="recycling_sites"
    )
    department = models.ForeignKey(
        Department,
        verbose_name="行业部门",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    licence_number = models.CharField("危险废物经营许可证编号", max_length=50, blank=True)
    licence_valid_until = models.DateField("许可证有效期至", null=True, blank=True)

    scope_sectors: ClassVar[frozenset[str]] = frozenset({Sector.RECYCLING})

    class Meta(Business.Meta):
        verbose_name = "蓄电池回收储存场所"
        verbose_name_plural = "蓄电池回收储存场所"
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="recycler_unique_credit_code",
                violation_error_message="该统一社会信用代码已登记。",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("ledgers:recyclingsite_detail", args=[self.pk])


class Platform(RetirableModel):
    """A delivery or courier company operating in the area."""

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=10, choices=PlatformKind.choices)
    credit_code = CodeField("统一社会信用代码", max_length=18, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="platforms"
    )
    contact = models.CharField("联系人", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)

    scope_sectors: ClassVar[frozenset[str]] = frozenset({Sector.DELIVERY, Sector.COURIER})
    personal_fields: ClassVar[tuple[str, ...]] = ("phone",)

    scope_q_for_membership = ledger_scoping.platform_itself  # platform accounts (see ledgers/scoping.py)

    class Meta:
        verbose_name = "外卖快递平台"
        verbose_name_plural = "外卖快递平台"
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="platform_unique_credit_code",
                violation_error_message="该统一社会信用代码已登记。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("ledgers:platform_detail", args=[self.pk])


class PlatformAccount(BaseModel):
    """The platform a platform-role account acts for. The office links the account's membership to the
    platform on the platform's page; the account then reaches, within its membership's unit subtree, that
    platform, its stations and riders, the e-bikes they ride and the people behind them (ledgers/scoping.py),
    and may push them through the platform's bulk endpoint."""

    platform = models.ForeignKey(
        Platform, verbose_name="平台", on_delete=models.CASCADE, related_name="accounts"
    )
    membership = models.OneToOneField(
        Membership,
        verbose_name="账号授权",
        on_delete=models.CASCADE,
        related_name="platform_account",
        limit_choices_to={"role": Role.PLATFORM, "is_active": True},
        help_text="“平台”角色的账号授权；其所属单位即该账号可见的范围。",
    )

    scope_unit_path: ClassVar[str | None] = "platform__unit"
    role_actions: ClassVar[dict[str, frozenset[str]]] = {Role.OFFICE: ALL_ACTIONS, Role.LEADER: READ}

    class Meta:
        verbose_name = "平台账号"
        verbose_name_plural = "平台账号"
        ordering = ["platform", "membership"]

    def __str__(self) -> str:
        return f"{self.membership.user} → {self.platform}"

    def clean(self) -> None:
        if self.membership_id is not None and self.membership.role != Role.PLATFORM:
            raise ValidationError({"membership": "只有“平台”角色的账号授权可以关联平台。"})

    def get_absolute_url(self) -> str:
        return self.platform.get_absolute_url()


class Station(RetirableModel):
    """A platform's station (站点): where riders pick up, park and charge."""

    platform = models.ForeignKey(
        Platform, verbose_name="平台", on_delete=models.PROTECT, related_name="stations"
    )
    name = models.CharField("名称", max_length=100)
    unit = models.ForeignKey(Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="stations")
    address = models.CharField("地址", max_length=200, blank=True)
    manager = models.CharField("站长", max_length=50, blank=True)
    manager_phone = models.CharField("站长电话", max_length=20, blank=True)

    scope_sectors: ClassVar[frozenset[str]] = frozenset({Sector.DELIVERY, Sector.COURIER})
    personal_fields: ClassVar[tuple[str, ...]] = ("manager_phone",)

    scope_q_for_membership = ledger_scoping.platform_rows  # platform accounts (see ledgers/scoping.py)

    class Meta:
        verbose_name = "外卖快递站点"
        verbose_name_plural = "外卖快递站点"
        ordering = ["platform__name", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "name"],
                name="station_unique_platform_name",
                violation_error_message="该平台已有同名站点。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform} · {self.name}" if self.platform_id else self.name

    def get_absolute_url(self) -> str:
        return reverse("ledgers:station_detail", args=[self.pk])
