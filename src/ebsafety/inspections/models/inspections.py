"""Inspections (大检查): who looked at what, when, with which checklist, and what they found."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.urls import reverse
from django.utils import timezone

from ebsafety.core.choices import Action, Role
from ebsafety.core.models import BaseModel, Department, ScopedQuerySet, Unit
from ebsafety.core.models.base import ALL_ACTIONS, READ
from ebsafety.inspections.choices import CheckResult, TargetKind
from ebsafety.inspections.models.catalogue import ChecklistItem, ChecklistTemplate

INSPECTION_ACTIONS: dict[str, frozenset[str]] = {
    Role.OFFICE: ALL_ACTIONS,
    Role.LEADER: READ,
    Role.DEPARTMENT: frozenset({Action.VIEW, Action.ADD, Action.CHANGE}),
    Role.LOCALITY: frozenset({Action.VIEW, Action.ADD, Action.CHANGE}),
    Role.PROPERTY: frozenset({Action.VIEW, Action.ADD, Action.CHANGE}),
    Role.INSPECTOR: frozenset({Action.VIEW, Action.ADD, Action.CHANGE}),
}


class InspectionQuerySet(ScopedQuerySet["Inspection"]):
    """Inspections narrowed for figures; the ranking calls these."""

    @staticmethod
    def under_q(unit: Unit) -> Q:
        return Q(unit__path__startswith=unit.path)

    @staticmethod
    def department_q(department: Department) -> Q:
        """Inspections the department led or took part in."""
        joint = Inspection.departments.through.objects.filter(department=department)
        return Q(department=department) | Q(pk__in=joint.values("inspection_id"))

    def under(self, unit: Unit) -> Self:
        return self.filter(self.under_q(unit))

    def for_department(self, department: Department) -> Self:
        """Inspections the department led or took part in."""
        return self.filter(self.department_q(department))

    def between(self, start: datetime.date, end: datetime.date) -> Self:
        return self.filter(inspected_on__range=(start, end))

    def figures(self) -> dict[str, int]:
        """Inspections made and distinct targets covered (an inspection that found nothing counts)."""
        return {
            "inspections": self.count(),
            "targets_covered": self.order_by().values("target_key").distinct().count(),
        }

    def figures_by(self, groups: dict[Any, Q]) -> dict[Any, dict[str, int]]:
        """`figures()` of several groups of these inspections (e.g. `under_q(unit)` for each unit) in one
        query, each inspection flagged by the groups it belongs to and counted per (flags, target): {group
        key: figures}."""
        flags = {
            f"in_group{i}": ExpressionWrapper(q, output_field=BooleanField())
            for i, q in enumerate(groups.values())
        }
        if not flags:
            return {}
        inspections = [0 for _ in flags]
        targets: list[set[str]] = [set() for _ in flags]
        # Each inspection once, however many joins the caller's scope added.
        rows = (
            Inspection.objects.filter(pk__in=self.values("pk"))
            .order_by()
            .annotate(**flags)
            .values(*flags, "target_key")
            .annotate(n=models.Count("pk"))
        )
        for row in rows:
            for i, flag in enumerate(flags):
                if row[flag]:
                    inspections[i] += row["n"]
                    targets[i].add(row["target_key"])
        return {
            key: {"inspections": inspections[i], "targets_covered": len(targets[i])}
            for i, key in enumerate(groups)
        }


if TYPE_CHECKING:
    # The manager class `InspectionQuerySet.as_manager()` builds, as a type (the mypy plugin knows it).
    InspectionManager = models.Manager.from_queryset(InspectionQuerySet)


class Inspection(BaseModel):
    """One inspection of one target: a compound or building, a shop, a station, a recycling site or an
    address. A joint inspection (联合检查) lists every department that took part."""

    unit = models.ForeignKey(
        Unit, verbose_name="所在单位", on_delete=models.PROTECT, related_name="inspections"
    )
    target_kind = models.CharField("检查对象类型", max_length=20, choices=TargetKind.choices)
    shop = models.ForeignKey(
        "ledgers.Shop",
        verbose_name="门店",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    station = models.ForeignKey(
        "ledgers.Station",
        verbose_name="站点",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recycling_site = models.ForeignKey(
        "ledgers.RecyclingSite",
        verbose_name="回收场所",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    address = models.CharField("地址", max_length=200, blank=True)
    target_key = models.CharField(max_length=240, editable=False, db_index=True, default="")
    inspected_on = models.DateField("检查日期", default=timezone.localdate)
    department = models.ForeignKey(
        Department,
        verbose_name="牵头部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_inspections",
    )
    departments = models.ManyToManyField(
        Department, verbose_name="参加部门（联合检查）", blank=True, related_name="joint_inspections"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    participants = models.CharField("检查人员", max_length=200, blank=True)
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name="检查表", null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.TextField("检查情况", blank=True)

    objects: ClassVar[InspectionManager] = InspectionQuerySet.as_manager()

    scope_department_path: ClassVar[str | None] = "department"
    role_actions: ClassVar[dict[str, frozenset[str]]] = INSPECTION_ACTIONS
    scope_distinct: ClassVar[bool] = True

    class Meta:
        verbose_name = "检查记录"
        verbose_name_plural = "检查记录"
        ordering = ["-inspected_on", "-pk"]
        indexes = [
            # figures per unit and period: unit subtree + date range
            models.Index(fields=["inspected_on", "unit"], name="inspection_date_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.inspected_on:%Y-%m-%d} {self.target_label()}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:inspection_detail", args=[self.pk])

    @classmethod
    def scope_q_for_membership(cls, membership: Any) -> Q | None:
        """A department reaches the inspections it led or joined (and the core rules for the rest)."""
        if membership.role != Role.DEPARTMENT:
            return None
        return Q(department=membership.department) | Q(departments=membership.department)

    def target_label(self) -> str:
        for field in ("shop", "station", "recycling_site"):
            obj = getattr(self, field)
            if obj is not None:
                return str(obj)
        if self.target_kind in (TargetKind.COMPOUND, TargetKind.BUILDING) and self.unit_id:
            return self.unit.name
        return self.address or (self.unit.name if self.unit_id else "")

    def compute_target_key(self) -> str:
        """What makes two inspections "the same target" for the coverage figure."""
        if self.target_kind == TargetKind.SHOP and self.shop_id:
            return f"shop:{self.shop_id}"
        if self.target_kind == TargetKind.STATION and self.station_id:
            return f"station:{self.station_id}"
        if self.target_kind == TargetKind.RECYCLING_SITE and self.recycling_site_id:
            return f"site:{self.recycling_site_id}"
        if self.target_kind in (TargetKind.COMPOUND, TargetKind.BUILDING):
            return f"unit:{self.unit_id}"
        return f"address:{self.unit_id}:{''.join(self.address.split()).lower()}"[:240]

    def clean(self) -> None:
        super().clean()
        required: dict[str, str] = {
            TargetKind.SHOP: "shop",
            TargetKind.STATION: "station",
            TargetKind.RECYCLING_SITE: "recycling_site",
        }
        field = required.get(self.target_kind)
        if field and not getattr(self, f"{field}_id"):
            raise ValidationError({field: "请选择被检查的对象。"})
        if self.target_kind == TargetKind.ADDRESS and not self.address.strip():
            raise ValidationError({"address": "请填写检查地址。"})
        if self.inspected_on and self.inspected_on > timezone.localdate() + datetime.timedelta(days=1):
            raise ValidationError({"inspected_on": "检查日期不能晚于今天。"})

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.target_key = self.compute_target_key()
        super().save(*args, **kwargs)

    @property
    def is_joint(self) -> bool:
        return self.departments.exists()


class InspectionCheck(BaseModel):
    """The answer to one checklist item in one inspection."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="checks")
    item = models.ForeignKey(ChecklistItem, verbose_name="检查项", on_delete=models.PROTECT, related_name="+")
    result = models.CharField("结果", max_length=10, choices=CheckResult.choices, default=CheckResult.OK)
    note = models.CharField("说明", max_length=200, blank=True)

    scope_unit_path: ClassVar[str | None] = "inspection__unit"
    role_actions: ClassVar[dict[str, frozenset[str]]] = INSPECTION_ACTIONS

    class Meta:
        verbose_name = "检查项结果"
        verbose_name_plural = "检查项结果"
        ordering = ["inspection", "item__sort_order", "pk"]

    def __str__(self) -> str:
        return f"{self.item}: {self.get_result_display()}"

    def audit_unit_path(self) -> str:
        return self.inspection.unit.path

    def get_absolute_url(self) -> str:
        return self.inspection.get_absolute_url()
