"""Enforcement cases (联合执法): parties, violations, penalties imposed, lead and joint departments."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from ebsafety.core.choices import Action, Role, Sector
from ebsafety.core.models import BaseModel, Department, ScopedQuerySet, Unit
from ebsafety.core.models.base import ALL_ACTIONS, READ
from ebsafety.inspections.choices import CaseStatus, PartyKind, PenaltyKind
from ebsafety.inspections.models.catalogue import PenaltyRule
from ebsafety.inspections.models.hazards import Hazard

CASE_ACTIONS: dict[str, frozenset[str]] = {
    Role.OFFICE: ALL_ACTIONS,
    Role.LEADER: READ,
    Role.DEPARTMENT: frozenset({Action.VIEW, Action.ADD, Action.CHANGE}),
    Role.LOCALITY: READ,
}
# A party entered by mistake may be removed by the department running the case; a penalty is withdrawn by
# the office only (it was a decision).
PARTY_ACTIONS: dict[str, frozenset[str]] = {**CASE_ACTIONS, Role.DEPARTMENT: ALL_ACTIONS}


class CaseQuerySet(ScopedQuerySet["EnforcementCase"]):
    @staticmethod
    def under_q(unit: Unit) -> Q:
        return Q(unit__path__startswith=unit.path)

    @staticmethod
    def department_q(department: Department) -> Q:
        """Cases the department leads or joins."""
        joint = EnforcementCase.departments.through.objects.filter(department=department)
        return Q(lead_department=department) | Q(pk__in=joint.values("enforcementcase_id"))

    def under(self, unit: Unit) -> Self:
        return self.filter(self.under_q(unit))

    def for_department(self, department: Department) -> Self:
        """Cases the department leads or joins."""
        return self.filter(self.department_q(department))

    def opened_between(self, start: datetime.date, end: datetime.date) -> Self:
        return self.filter(opened_on__range=(start, end))

    def fines_total(self, start: datetime.date, end: datetime.date) -> Decimal:
        """Fines imposed in the period in these cases (whenever the case was opened)."""
        total = CasePenalty.objects.filter(
            case__in=self.values("pk"), kind=PenaltyKind.FINE, imposed_on__range=(start, end)
        ).aggregate(total=Sum("amount"))["total"]
        return total or Decimal("0")

    def figures_by(
        self, groups: dict[Any, Q], start: datetime.date, end: datetime.date
    ) -> dict[Any, dict[str, Any]]:
        """Cases opened and fines imposed in the period (`opened_between().count()` and `fines_total()`) of
        several groups of these cases in two queries: {group key: {"cases_opened", "fines_total"}}."""
        conditions = list(groups.values())
        if not conditions:
            return {}
        opened = self.opened_between(start, end).aggregate(
            **{f"c{i}": Count("pk", filter=q) for i, q in enumerate(conditions)}
        )
        fines = CasePenalty.objects.filter(kind=PenaltyKind.FINE, imposed_on__range=(start, end)).aggregate(
            **{
                f"f{i}": Sum("amount", filter=Q(case__in=self.filter(q).values("pk")))
                for i, q in enumerate(conditions)
            }
        )
        return {
            key: {"cases_opened": opened[f"c{i}"], "fines_total": fines[f"f{i}"] or Decimal("0")}
            for i, key in enumerate(groups)
        }


if TYPE_CHECKING:
    # The manager class `CaseQuerySet.as_manager()` builds, as a type (the mypy plugin knows it).
    CaseManager = models.Manager.from_queryset(CaseQuerySet)


class EnforcementCase(BaseModel):
    """A case opened against one or more parties, often from hazards that were not fixed in time."""

    number = models.CharField("案件编号", max_length=40, unique=True, editable=False)
    title = models.CharField("案由", max_length=200)
    unit = models.ForeignKey(Unit, verbose_name="发生地", on_delete=models.PROTECT, related_name="cases")
    lead_department = models.ForeignKey(
        Department, verbose_name="主办部门", on_delete=models.PROTECT, related_name="led_cases"
    )
    departments = models.ManyToManyField(
        Department, verbose_name="协办部门", blank=True, related_name="joint_cases"
    )
    hazards = models.ManyToManyField(Hazard, verbose_name="关联隐患", blank=True, related_name="cases")
    violations = models.TextField("违法事实", blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN, editable=False
    )
    opened_on = models.DateField("立案日期", default=timezone.localdate)
    closed_on = models.DateField("结案日期", null=True, blank=True, editable=False)
    summary = models.TextField("处理情况", blank=True)

    objects: ClassVar[CaseManager] = CaseQuerySet.as_manager()

    scope_department_path: ClassVar[str | None] = "lead_department"
    scope_sectors: ClassVar[frozenset[str]] = frozenset({Sector.ENFORCEMENT})
    role_actions: ClassVar[dict[str, frozenset[str]]] = CASE_ACTIONS
    scope_distinct: ClassVar[bool] = True

    class Meta:
        verbose_name = "执法案件"
        verbose_name_plural = "执法案件"
        ordering = ["-opened_on", "-pk"]
        indexes = [models.Index(fields=["opened_on", "unit"], name="case_opened_unit")]  # figures

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:enforcementcase_detail", args=[self.pk])

    @classmethod
    def scope_q_for_membership(cls, membership: Any) -> Q | None:
        """A department also reaches the cases it joins."""
        if membership.role != Role.DEPARTMENT:
            return None
        from ebsafety.core.scoping import unit_scope_q

        department = membership.department
        q = Q(lead_department=department) | Q(departments=department)
        if Sector.ENFORCEMENT in (department.sectors or []):
            for path in department.served_paths():
                q |= unit_scope_q(cls, path)
        return q

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.number:
            year = (self.opened_on or timezone.localdate()).year
            count = EnforcementCase.objects.filter(number__startswith=f"AJ{year}-").count()
            self.number = f"AJ{year}-{count + 1:05d}"
            while EnforcementCase.objects.filter(number=self.number).exists():
                count += 1
                self.number = f"AJ{year}-{count + 1:05d}"
        super().save(*args, **kwargs)

    def fines(self) -> Decimal:
        """The fines imposed in this case; from the prefetched penalties when a list prefetched them (the
        API's case list), else one query."""
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("penalties")
        if prefetched is not None:
            return sum(
                (p.amount or Decimal("0") for p in prefetched if p.kind == PenaltyKind.FINE), Decimal("0")
            )
        total = self.penalties.filter(kind=PenaltyKind.FINE).aggregate(total=Sum("amount"))["total"]
        return total or Decimal("0")


class CasePart(BaseModel):
    """What parties and penalties share: they sit in their case's unit and are reached exactly as the case
    is — a department reaches them through the cases it leads or joins, not through the units it serves."""

    scope_unit_path: ClassVar[str | None] = "case__unit"
    # Each part declares its own foreign key to the case (with its own related name).
    case: EnforcementCase

    class Meta:
        abstract = True

    @classmethod
    def scope_q_for_membership(cls, membership: Any) -> Q | None:
        if membership.role != Role.DEPARTMENT:
            return None  # the unit rule on case__unit, the same as the case's
        from ebsafety.core.scoping import membership_q

        cases = EnforcementCase.objects.filter(membership_q(EnforcementCase, membership))
        return Q(case__in=cases.values("pk"))

    def audit_unit_path(self) -> str:
        return self.case.unit.path

    def get_absolute_url(self) -> str:
        return self.case.get_absolute_url()


class CaseParty(CasePart):
    """A person or organisation a case is against, linked to the ledgers where known."""

    case = models.ForeignKey(EnforcementCase, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField("类型", max_length=12, choices=PartyKind.choices)
    name = models.CharField("名称/姓名", max_length=100)
    identifier = models.CharField("证件号/统一社会信用代码", max_length=30, blank=True)
    person = models.ForeignKey(
        "ledgers.Person",
        verbose_name="台账人员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    shop = models.ForeignKey(
        "ledgers.Shop",
        verbose_name="台账门店",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    platform = models.ForeignKey(
        "ledgers.Platform",
        verbose_name="台账平台",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    role_actions: ClassVar[dict[str, frozenset[str]]] = PARTY_ACTIONS

    class Meta:
        verbose_name = "当事人"
        verbose_name_plural = "当事人"
        ordering = ["case", "pk"]

    def __str__(self) -> str:
        return self.name


class CasePenalty(CasePart):
    """A penalty imposed in a case: its kind, the rule it rests on, the amount of a fine, and for a referral
    the police station that received the case."""

    case = models.ForeignKey(EnforcementCase, on_delete=models.CASCADE, related_name="penalties")
    party = models.ForeignKey(
        CaseParty, verbose_name="当事人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.ForeignKey(
        PenaltyRule,
        verbose_name="处罚依据",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField("处罚种类", max_length=30, choices=PenaltyKind.choices)
    amount = models.DecimalField("罚款金额（元）", max_digits=10, decimal_places=2, null=True, blank=True)
    police_station = models.ForeignKey(
        Department,
        verbose_name="接收派出所",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    imposed_on = models.DateField("决定日期", default=timezone.localdate)
    note = models.CharField("说明", max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    role_actions: ClassVar[dict[str, frozenset[str]]] = CASE_ACTIONS

    class Meta:
        verbose_name = "处罚"
        verbose_name_plural = "处罚"
        ordering = ["case", "imposed_on", "pk"]
        indexes = [models.Index(fields=["kind", "imposed_on"], name="penalty_kind_date")]  # fines per period

    def __str__(self) -> str:
        if self.kind == PenaltyKind.FINE and self.amount is not None:
            return f"{self.get_kind_display()} {self.amount} 元"
        return self.get_kind_display()

    def clean(self) -> None:
        super().clean()
        if self.case_id is not None and self.party is not None and self.party.case_id != self.case_id:
            raise ValidationError({"party": "当事人不属于本案件。"})
        if self.kind == PenaltyKind.FINE:
            if self.amount is None or self.amount <= 0:
                raise ValidationError({"amount": "罚款须填写金额。"})
            rule = self.rule
            if rule is not None and rule.min_amount is not None and self.amount < rule.min_amount:
                raise ValidationError({"amount": f"罚款金额低于处罚依据的下限 {rule.min_amount} 元。"})
            if rule is not None and rule.max_amount is not None and self.amount > rule.max_amount:
                raise ValidationError({"amount": f"罚款金额超过处罚依据的上限 {rule.max_amount} 元。"})
        elif self.amount is not None:
            raise ValidationError({"amount": "只有罚款填写金额。"})
        if self.kind == PenaltyKind.POLICE_REFERRAL and not self.police_station_id:
            raise ValidationError({"police_station": "移交公安须指明接收的派出所。"})


class CaseEvent(models.Model):
    """A move of a case between states (who, when, note)."""

    case = models.ForeignKey(EnforcementCase, on_delete=models.CASCADE, related_name="events")
    name = models.CharField("操作", max_length=20)
    from_status = models.CharField("原状态", max_length=10, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=10, choices=CaseStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField("时间", default=timezone.now)
    note = models.TextField("说明", blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} → {self.to_status}"
