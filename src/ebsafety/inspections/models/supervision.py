"""Supervision visits (大督查): the office visits departments and units; findings become hazards or
follow-up items. The minimum visits per month is the campaign parameter `supervision_visits_per_month`."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ebsafety.core.choices import Role
from ebsafety.core.models import BaseModel, Department, ScopedQuerySet, Unit
from ebsafety.core.models.base import ALL_ACTIONS, READ
from ebsafety.inspections.choices import FindingKind

SUPERVISION_ACTIONS: dict[str, frozenset[str]] = {
    Role.OFFICE: ALL_ACTIONS,
    Role.LEADER: READ,
    Role.DEPARTMENT: READ,
    Role.LOCALITY: READ,
}


class SupervisionVisitQuerySet(ScopedQuerySet["SupervisionVisit"]):
    def between(self, start: datetime.date, end: datetime.date) -> Self:
        return self.filter(visited_on__range=(start, end))


if TYPE_CHECKING:
    # The manager class `SupervisionVisitQuerySet.as_manager()` builds, as a type (the mypy plugin knows it).
    SupervisionVisitManager = models.Manager.from_queryset(SupervisionVisitQuerySet)


class SupervisionVisit(BaseModel):
    """One supervision visit of the office to a unit (and, where it applies, a department)."""

    unit = models.ForeignKey(
        Unit, verbose_name="督查单位", on_delete=models.PROTECT, related_name="supervision_visits"
    )
    department = models.ForeignKey(
        Department,
        verbose_name="督查部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_visits",
    )
    visited_on = models.DateField("督查日期", default=timezone.localdate)
    visitors = models.CharField("督查人员", max_length=200, blank=True)
    led_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", null=True, blank=True, on_delete=models.SET_NULL
    )
    summary = models.TextField("督查情况", blank=True)

    objects: ClassVar[SupervisionVisitManager] = SupervisionVisitQuerySet.as_manager()

    scope_department_path: ClassVar[str | None] = "department"
    role_actions: ClassVar[dict[str, frozenset[str]]] = SUPERVISION_ACTIONS

    class Meta:
        verbose_name = "督查记录"
        verbose_name_plural = "督查记录"
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["visited_on", "unit"], name="visit_date_unit")]  # shortfall table

    def __str__(self) -> str:
        target = self.department or self.unit
        return f"{self.visited_on:%Y-%m-%d} 督查{target}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:supervisionvisit_detail", args=[self.pk])

    @classmethod
    def scope_q_for_membership(cls, membership: Any) -> Q | None:
        """A department sees the visits made to it, nothing else."""
        if membership.role != Role.DEPARTMENT:
            return None
        return Q(department=membership.department)


class SupervisionFinding(BaseModel):
    """A finding of a visit: a hazard (linked) or a follow-up item with a due date."""

    visit = models.ForeignKey(SupervisionVisit, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField("类型", max_length=10, choices=FindingKind.choices)
    text = models.CharField("问题", max_length=300)
    hazard = models.ForeignKey(
        "inspections.Hazard",
        verbose_name="隐患",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_on = models.DateField("办结期限", null=True, blank=True)
    resolved_on = models.DateField("办结日期", null=True, blank=True, editable=False)

    scope_unit_path: ClassVar[str | None] = "visit__unit"
    role_actions: ClassVar[dict[str, frozenset[str]]] = SUPERVISION_ACTIONS

    class Meta:
        verbose_name = "督查发现"
        verbose_name_plural = "督查发现"
        ordering = ["visit", "pk"]

    def __str__(self) -> str:
        return self.text

    def audit_unit_path(self) -> str:
        return self.visit.unit.path

    def get_absolute_url(self) -> str:
        return self.visit.get_absolute_url()
