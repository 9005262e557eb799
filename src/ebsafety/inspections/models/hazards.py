"""Hazards (隐患) from discovery to closure, and the transition rows that record each move.

A hazard's `status` changes only in `ebsafety.inspections.services`, which writes a `HazardTransition` for
every move (who, when, note, evidence) — the Healthchecks `Flip` pattern.
"""

from __future__ import annotations

import datetime
import statistics
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.urls import reverse
from django.utils import timezone

from ebsafety.core.choices import Action, Role, Sector
from ebsafety.core.models import BaseModel, Department, ScopedQuerySet, Unit
from ebsafety.core.models.base import ALL_ACTIONS, READ
from ebsafety.core.scoping import NOTHING
from ebsafety.inspections.choices import (
    RECTIFYING_STATUSES,
    HazardSource,
    HazardStatus,
    Severity,
)
from ebsafety.inspections.models.catalogue import HazardCategory
from ebsafety.inspections.models.inspections import Inspection

WRITE_ADD = frozenset({Action.VIEW, Action.ADD, Action.CHANGE})


def overdue_q(today: datetime.date) -> Q:
    """Past the deadline and not rectified (escalated ones included) — whether or not the daily job has
    marked them yet."""
    return Q(status__in=(*RECTIFYING_STATUSES, HazardStatus.ESCALATED), deadline__lt=today)


def on_time_q() -> Q:
    """Fixed on the spot, or rectified no later than the deadline in force, and not sent back since."""
    return Q(status__in=(HazardStatus.RECTIFIED, HazardStatus.REINSPECTED, HazardStatus.CLOSED)) & (
        Q(fixed_on_spot=True) | Q(rectified_on__lte=F("deadline"))
    )


class HazardQuerySet(ScopedQuerySet["Hazard"]):
    """Hazards narrowed for queues and figures; the ranking calls these methods."""

    @staticmethod
    def under_q(unit: Unit) -> Q:
        return Q(unit__path__startswith=unit.path)

    @staticmethod
    def department_q(department: Department) -> Q:
        """Hazards filed under the department (its sector, or escalated to it)."""
        return Q(department=department)

    def under(self, unit: Unit) -> Self:
        return self.filter(self.under_q(unit))

    def for_department(self, department: Department) -> Self:
        """Hazards filed under the department (its sector, or escalated to it)."""
        return self.filter(self.department_q(department))

    def found_between(self, start: datetime.date, end: datetime.date) -> Self:
        return self.filter(found_on__range=(start, end))

    def open(self) -> Self:
        return self.exclude(status__in=(HazardStatus.CLOSED, HazardStatus.DISMISSED))

    def closed(self) -> Self:
        return self.filter(status=HazardStatus.CLOSED)

    def overdue_now(self, today: datetime.date | None = None) -> Self:
        """Past the deadline and not rectified (escalated ones included) — whether or not the daily job has
        marked them yet."""
        return self.filter(overdue_q(today or timezone.localdate()))

    def rectified_on_time(self) -> Self:
        """Fixed on the spot, or rectified no later than the deadline in force, and not sent back since."""
        return self.filter(on_time_q())

    def figures(self, today: datetime.date | None = None) -> dict[str, Any]:
        """Found, rectified on time, overdue now, closed, closure rate and median days to close.

        The closure rate counts hazards that were not dismissed as unfounded.
        """
        rows = self.aggregate(
            found=models.Count("pk"),
            dismissed=models.Count("pk", filter=Q(status=HazardStatus.DISMISSED)),
            closed=models.Count("pk", filter=Q(status=HazardStatus.CLOSED)),
        )
        durations = [
            _days_to_close(found_on, closed_at)
            for found_on, closed_at in self.closed().values_list("found_on", "closed_at")
            if closed_at is not None
        ]
        return _hazard_figures(
            rows["found"] - rows["dismissed"],
            rows["closed"],
            self.rectified_on_time().count(),
            self.overdue_now(today).count(),
            durations,
        )

    def figures_by(self, groups: dict[Any, Q], today: datetime.date | None = None) -> dict[Any, dict]:
        """`figures()` of several groups of these hazards (e.g. `under_q(unit)` for each unit) in two
        queries, each hazard flagged by the groups it belongs to: the counts grouped by (flags, status, on
        time, overdue), then the closed hazards' days to close. Returns {group key: figures}."""
        today = today or timezone.localdate()
        flags = {
            f"in_group{i}": ExpressionWrapper(q, output_field=BooleanField())
            for i, q in enumerate(groups.values())
        }
        counts = [{"found": 0, "closed": 0, "on_time": 0, "overdue": 0} for _ in flags]
        durations: list[list[int]] = [[] for _ in flags]
        if not flags:
            return {}
        rows = (
            self.order_by()
            .annotate(
                **flags,
                is_on_time=ExpressionWrapper(on_time_q(), output_field=BooleanField()),
                is_overdue_now=ExpressionWrapper(overdue_q(today), output_field=BooleanField()),
            )
            .values(*flags, "status", "is_on_time", "is_overdue_now")
            .annotate(n=models.Count("pk"))
        )
        for row in rows:
            for i, flag in enumerate(flags):
                if row[flag]:
                    tally = counts[i]
                    tally["found"] += row["n"] if row["status"] != HazardStatus.DISMISSED else 0
                    tally["closed"] += row["n"] if row["status"] == HazardStatus.CLOSED else 0
                    tally["on_time"] += row["n"] if row["is_on_time"] else 0
                    tally["overdue"] += row["n"] if row["is_overdue_now"] else 0
        closed = self.closed().filter(closed_at__isnull=False).order_by().annotate(**flags)
        for found_on, closed_at, *member in closed.values_list("found_on", "closed_at", *flags):
            days = _days_to_close(found_on, closed_at)
            for i, inside in enumerate(member):
                if inside:
                    durations[i].append(days)
        return {
            key: _hazard_figures(
                counts[i]["found"],
                counts[i]["closed"],
                counts[i]["on_time"],
                counts[i]["overdue"],
                durations[i],
            )
            for i, key in enumerate(groups)
        }


def _days_to_close(found_on: datetime.date, closed_at: datetime.datetime) -> int:
    return (timezone.localtime(closed_at).date() - found_on).days


def _hazard_figures(
    found: int, closed: int, on_time: int, overdue: int, durations: list[int]
) -> dict[str, Any]:
    """The hazard figures of one group; `found` leaves out the hazards dismissed as unfounded."""
    return {
        "hazards_found": found,
        "rectified_on_time": on_time,
        "overdue_now": overdue,
        "hazards_closed": closed,
        "closure_rate": round(closed / found, 4) if found else None,
        "median_days_to_close": statistics.median(durations) if durations else None,
    }


if TYPE_CHECKING:
    # The manager class `HazardQuerySet.as_manager()` builds, as a type (the mypy plugin knows it).
    HazardManager = models.Manager.from_queryset(HazardQuerySet)


class Hazard(BaseModel):
    """A fire hazard at a place: what, where, how serious, who must fix it by when, and where it stands.

    Sources: an inspection, a volunteer (红袖标), a public tip, a device alarm, the office or a supervision
    visit. Links to the ledgers (e-bike, shop, station, rider) are kept when the record is known.
    """

    unit = models.ForeignKey(Unit, verbose_name="所在单位", on_delete=models.PROTECT, related_name="hazards")
    address = models.CharField("地址", max_length=200, blank=True)
    place = models.CharField("具体位置", max_length=100, blank=True, help_text="如：3单元一层楼道")
    category = models.ForeignKey(
        HazardCategory, verbose_name="隐患类别", on_delete=models.PROTECT, related_name="hazards"
    )
    severity = models.CharField("等级", max_length=10, choices=Severity.choices, default=Severity.GENERAL)
    description = models.TextField("隐患描述", blank=True)
    source = models.CharField("来源", max_length=12, choices=HazardSource.choices)
    source_ref = models.CharField("来源编号", max_length=64, blank=True)
    inspection = models.ForeignKey(
        Inspection,
        verbose_name="检查记录",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards",
    )
    supervision_visit = models.ForeignKey(
        "inspections.SupervisionVisit",
        verbose_name="督查记录",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上报人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_hazards",
    )
    department = models.ForeignKey(
        Department,
        verbose_name="行业部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    ebike = models.ForeignKey(
        "ledgers.EBike",
        verbose_name="电动自行车",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
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
    rider = models.ForeignKey(
        "ledgers.Rider",
        verbose_name="骑手",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # -- lifecycle (written by services only) ---------------------------------------------------------------
    status = models.CharField(
        "状态", max_length=12, choices=HazardStatus.choices, default=HazardStatus.REPORTED, editable=False
    )
    found_on = models.DateField("发现日期", default=timezone.localdate, editable=False)
    responsible_party = models.CharField("整改责任方", max_length=100, blank=True, editable=False)
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="整改责任人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_hazards",
        editable=False,
    )
    deadline = models.DateField("整改期限", null=True, blank=True, editable=False)
    rectified_on = models.DateField("整改日期", null=True, blank=True, editable=False)
    fixed_on_spot = models.BooleanField("当场整改", default=False, editable=False)
    escalation = models.CharField("升级方式", max_length=12, blank=True, editable=False)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True, editable=False)
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True, editable=False)

    objects: ClassVar[HazardManager] = HazardQuerySet.as_manager()

    scope_department_path: ClassVar[str | None] = "department"
    # The fire station, the enforcement team and the property office answer for every hazard in their units.
    scope_sectors: ClassVar[frozenset[str]] = frozenset(
        {Sector.FIRE_SAFETY, Sector.ENFORCEMENT, Sector.PROPERTY}
    )
    role_actions: ClassVar[dict[str, frozenset[str]]] = {
        Role.OFFICE: ALL_ACTIONS,
        Role.LEADER: READ,
        Role.DEPARTMENT: WRITE_ADD,
        Role.LOCALITY: WRITE_ADD,
        Role.PROPERTY: WRITE_ADD,
        Role.INSPECTOR: WRITE_ADD,
        Role.VOLUNTEER: frozenset({Action.VIEW, Action.ADD}),
        Role.TIPS_OFFICER: frozenset({Action.VIEW, Action.ADD}),
    }

    class Meta:
        verbose_name = "隐患"
        verbose_name_plural = "隐患"
        ordering = ["-found_on", "-pk"]
        indexes = [
            # figures per unit and period
            models.Index(fields=["found_on", "unit"], name="hazard_found_unit"),
            # queues and the daily overdue job: status + deadline
            models.Index(fields=["status", "deadline"], name="hazard_status_deadline"),
        ]

    def __str__(self) -> str:
        name = self.category.name if self.category_id else "隐患"
        return f"#{self.pk} {name}" if self.pk else name

    def get_absolute_url(self) -> str:
        return reverse("inspections:hazard_detail", args=[self.pk])

    @classmethod
    def scope_q_for_membership(cls, membership: Any) -> Q | None:
        """A volunteer (红袖标) sees only the hazards they reported, within their unit."""
        if membership.role != Role.VOLUNTEER:
            return None
        if membership.unit is None:
            return NOTHING
        return Q(reported_by_id=membership.user_id, unit__path__startswith=membership.unit.path)

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in RECTIFYING_STATUSES
            and self.deadline is not None
            and self.deadline < timezone.localdate()
        )

    def location(self) -> str:
        parts = [self.unit.name if self.unit_id else "", self.address, self.place]
        return " ".join(p for p in parts if p)


class HazardTransition(models.Model):
    """One move of a hazard: from which state to which, by whom, when, with what note and evidence.

    Evidence files are attachments of the hazard (so they share its scope); `evidence` lists their ids.
    """

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="transitions")
    name = models.CharField("操作", max_length=20)
    from_status = models.CharField("原状态", max_length=12, choices=HazardStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=12, choices=HazardStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("时间", default=timezone.now)
    note = models.TextField("说明", blank=True)
    deadline = models.DateField("整改期限", null=True, blank=True)
    evidence = models.JSONField("证据附件", default=list, blank=True)

    class Meta:
        verbose_name = "隐患流转记录"
        verbose_name_plural = "隐患流转记录"
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["hazard", "at"], name="hazard_transition_at")]  # a hazard's history

    def __str__(self) -> str:
        return f"{self.hazard_id}: {self.from_status} → {self.to_status}"
