"""Catalogues the office edits: hazard categories, checklist templates per target kind, penalty rules.

They are data, seeded from DOMAIN.md by a migration, visible to every role and changed by the office only.
"""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from ebsafety.core.choices import Role, Sector
from ebsafety.core.models import BaseModel
from ebsafety.core.models.base import ALL_ACTIONS, READ
from ebsafety.inspections.choices import PenaltyKind, PenaltyParty, Severity, TargetKind

CATALOGUE_ACTIONS: dict[str, frozenset[str]] = {
    Role.OFFICE: ALL_ACTIONS,
    **{role: READ for role in Role.values if role != Role.OFFICE},
}


class CatalogueModel(BaseModel):
    """A row of a town-wide catalogue: every role reads it, the office edits it."""

    scope_unit_path: ClassVar[str | None] = None
    role_actions: ClassVar[dict[str, frozenset[str]]] = CATALOGUE_ACTIONS

    class Meta:
        abstract = True

    @classmethod
    def scope_q_for_unit_path(cls, path: str) -> Q:
        # Not tied to the org tree: the whole catalogue for anyone with a role. (An empty Q() would vanish
        # when OR-ed with the scoping function's other conditions.)
        return Q(pk__isnull=False)

    def audit_unit_path(self) -> str:
        return ""


class HazardCategory(CatalogueModel):
    """A kind of hazard (DOMAIN.md "Hazard categories") with its default rectification deadline.

    The tips app lists the active categories publicly (`code`, `name`, `is_active`).
    """

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    description = models.CharField("说明", max_length=300, blank=True)
    deadline_days = models.PositiveSmallIntegerField(
        "整改期限（工作日）", default=3, help_text="责令整改时默认的期限，按工作日计算（节假日顺延）"
    )
    default_severity = models.CharField(
        "默认等级", max_length=10, choices=Severity.choices, default=Severity.GENERAL
    )
    sector = models.CharField(
        "主管行业", max_length=20, choices=Sector.choices, blank=True, help_text="逾期升级时移交的行业"
    )
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "隐患类别"
        verbose_name_plural = "隐患类别"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inspections:hazardcategory_detail", args=[self.pk])


class ChecklistTemplate(CatalogueModel):
    """The checklist an inspector walks through for one kind of target."""

    name = models.CharField("名称", max_length=100)
    target_kind = models.CharField("检查对象类型", max_length=20, choices=TargetKind.choices)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "检查表模板"
        verbose_name_plural = "检查表模板"
        ordering = ["target_kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["target_kind"],
                condition=Q(is_active=True),
                name="checklist_one_active_per_kind",
                violation_error_message="每类检查对象只能有一个启用的检查表。",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inspections:checklisttemplate_detail", args=[self.pk])

    @classmethod
    def active_for(cls, target_kind: str) -> ChecklistTemplate | None:
        return cls.objects.filter(target_kind=target_kind, is_active=True).first()


class ChecklistItem(CatalogueModel):
    """One question of a checklist; a "有隐患" answer becomes a hazard of `category`."""

    template = models.ForeignKey(
        ChecklistTemplate, verbose_name="检查表", on_delete=models.CASCADE, related_name="items"
    )
    text = models.CharField("检查内容", max_length=200)
    category = models.ForeignKey(
        HazardCategory, verbose_name="对应隐患类别", on_delete=models.PROTECT, related_name="+"
    )
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "检查项"
        verbose_name_plural = "检查项"
        ordering = ["template", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.text

    def get_absolute_url(self) -> str:
        return reverse("inspections:checklisttemplate_detail", args=[self.template_id])


class PenaltyRule(CatalogueModel):
    """A violation with its legal basis and penalty range (DOMAIN.md "Penalties"); amounts change, so the
    office edits them here, and a fine imposed in a case is checked against the range."""

    code = models.SlugField("编码", max_length=40, unique=True)
    violation = models.CharField("违法行为", max_length=200)
    legal_basis = models.CharField("法律依据", max_length=200, blank=True)
    party = models.CharField(
        "适用对象", max_length=12, choices=PenaltyParty.choices, default=PenaltyParty.ANY
    )
    kind = models.CharField("处罚种类", max_length=30, choices=PenaltyKind.choices, default=PenaltyKind.FINE)
    min_amount = models.DecimalField("罚款下限（元）", max_digits=10, decimal_places=2, null=True, blank=True)
    max_amount = models.DecimalField("罚款上限（元）", max_digits=10, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "处罚依据"
        verbose_name_plural = "处罚依据"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.violation}（{self.get_party_display()}）"

    def get_absolute_url(self) -> str:
        return reverse("inspections:penaltyrule_detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise ValidationError({"max_amount": "罚款上限不能低于下限。"})
