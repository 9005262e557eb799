"""Half-month submissions: who must report which ledger, and what each reporter submitted for each period.

A reporter is a unit (village, community, park … as the office chooses) or a sector department. A
`Submission` row says which import batch counted as a reporter's update of one ledger kind for one half-month
period, when it first came in and whether that was on time. A missing submission is the absence of a row:
it is computed against the deadlines (`ebsafety.core.periods.Schedule`), never stored.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from ebsafety.core.choices import Role, UnitKind
from ebsafety.core.models import BaseModel, Campaign, Department, Unit
from ebsafety.core.models.base import ALL_ACTIONS, READ
from ebsafety.core.periods import HalfMonth
from ebsafety.ledgers.choices import LedgerKind, SubmissionStatus
from ebsafety.ledgers.models.imports import ImportBatch

# Who may read reporting status; nobody writes submissions by hand (only `ledgers.submissions` does).
REPORTING_READERS: dict[str, frozenset[str]] = {
    Role.OFFICE: READ,
    Role.LEADER: READ,
    Role.DEPARTMENT: READ,
    Role.LOCALITY: READ,
    Role.PROPERTY: READ,
}


class SubmissionRule(BaseModel):
    """Which unit kinds and which departments must submit one ledger kind every half month, in one campaign.

    The office edits these. A ledger kind without a rule falls back to
    `ledgers.submissions.DEFAULT_UNIT_KINDS` (the e-bike ledger from villages, communities and parks; nothing
    from departments).
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name="专项整治", on_delete=models.CASCADE, related_name="submission_rules"
    )
    kind = models.CharField("台账类型", max_length=10, choices=LedgerKind.choices)
    unit_kinds = models.JSONField("须上报的单位类型", default=list, blank=True)
    departments = models.ManyToManyField(
        Department, verbose_name="须上报的行业部门", blank=True, related_name="submission_rules"
    )
    note = models.CharField("说明", max_length=200, blank=True)

    scope_unit_path: ClassVar[str | None] = "campaign__unit"
    role_actions: ClassVar[dict[str, frozenset[str]]] = {Role.OFFICE: ALL_ACTIONS, Role.LEADER: READ}

    class Meta:
        verbose_name = "半月报上报要求"
        verbose_name_plural = "半月报上报要求"
        ordering = ["campaign", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "kind"],
                name="submissionrule_unique_campaign_kind",
                violation_error_message="该专项整治已设置了这类台账的上报要求。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}台账上报要求"

    def get_absolute_url(self) -> str:
        return reverse("ledgers:submissionrule_detail", args=[self.pk])

    def audit_unit_path(self) -> str:
        return self.campaign.unit.path if self.campaign_id else ""

    def clean(self) -> None:
        super().clean()
        unknown = [k for k in self.unit_kinds or [] if k not in UnitKind.values]
        if unknown:
            raise ValidationError({"unit_kinds": f"未知的单位类型：{'、'.join(map(str, unknown))}"})

    def unit_kind_labels(self) -> list[str]:
        labels = dict(UnitKind.choices)
        return [str(labels.get(k, k)) for k in self.unit_kinds or []]

    def department_names(self) -> list[str]:
        return [d.name for d in self.departments.all()]


class Submission(BaseModel):
    """One reporter's half-month update of one ledger kind: the import batch that counts for the period.

    The first batch decides timeliness (`submitted_at`, `submitted_by`, `status`, against `due_at`); a later
    batch for the same period replaces `batch` and is added to `batches`, so every file submitted stays
    listable with its outcome and diff (kept on the batch). Unique per reporter, kind and period.
    """

    unit = models.ForeignKey(
        Unit, verbose_name="填报单位", on_delete=models.PROTECT, related_name="ledger_submissions"
    )
    department = models.ForeignKey(
        Department,
        verbose_name="填报部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_submissions",
        help_text="部门上报时填写；为空表示由填报单位上报。",
    )
    kind = models.CharField("台账类型", max_length=10, choices=LedgerKind.choices)
    period_start = models.DateField("半月期（起）")
    status = models.CharField("上报情况", max_length=10, choices=SubmissionStatus.choices)
    due_at = models.DateTimeField("截止时间")
    submitted_at = models.DateTimeField("首次上报时间")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上报人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_submitted_at = models.DateTimeField("最近上报时间")
    batch = models.ForeignKey(
        ImportBatch, verbose_name="最近一次上报的文件", on_delete=models.PROTECT, related_name="+"
    )
    batches = models.ManyToManyField(
        ImportBatch, verbose_name="本期上报的全部文件", related_name="submissions", blank=True
    )

    scope_department_path: ClassVar[str | None] = "department"
    role_actions: ClassVar[dict[str, frozenset[str]]] = REPORTING_READERS

    class Meta:
        verbose_name = "半月报"
        verbose_name_plural = "半月报"
        ordering = ["-period_start", "unit__path", "kind"]
        constraints = [
            # Two partial constraints: NULL departments are distinct in a plain unique index.
            models.UniqueConstraint(
                fields=["unit", "kind", "period_start"],
                condition=Q(department__isnull=True),
                name="submission_unique_unit_kind_period",
                violation_error_message="该单位本期已有此类台账的上报记录。",
            ),
            models.UniqueConstraint(
                fields=["department", "kind", "period_start"],
                condition=Q(department__isnull=False),
                name="submission_unique_department_kind_period",
                violation_error_message="该部门本期已有此类台账的上报记录。",
            ),
        ]
        indexes = [
            # the completeness table and the missing list: all submissions of a range of periods
            models.Index(fields=["period_start", "kind"], name="submission_period_kind"),
            # one unit's submission page and history
            models.Index(fields=["unit", "period_start"], name="submission_unit_period"),
        ]

    def __str__(self) -> str:
        reporter = self.department if self.department_id else self.unit
        return f"{reporter} · {self.get_kind_display()} · {self.period.label}"

    def get_absolute_url(self) -> str:
        return reverse("ledgers:submission_detail", args=[self.pk])

    @property
    def period(self) -> HalfMonth:
        return HalfMonth.containing(self.period_start)

    @property
    def reporter(self) -> Unit | Department:
        return self.department if self.department_id else self.unit  # type: ignore[return-value]

    def clean(self) -> None:
        super().clean()
        if self.period_start and self.period_start.day not in (1, 16):
            raise ValidationError({"period_start": "半月期应从每月1日或16日开始。"})


class ReportingUnit(Unit):
    """Units seen as reporters: who may see a unit's reporting status, including the periods it missed.

    A missing submission has no row to scope, so the tables list the reporters a user may see through this
    proxy. Its roles are those that may read submissions of units; a department reads only the submissions
    filed under itself, so it gets no unit rows.
    """

    role_actions: ClassVar[dict[str, frozenset[str]]] = {
        role: actions for role, actions in REPORTING_READERS.items() if role != Role.DEPARTMENT
    }

    class Meta:
        proxy = True
        verbose_name = "上报单位"
        verbose_name_plural = "上报单位"


class ReportingDepartment(Department):
    """Departments seen as reporters: who may see a department's reporting status (the roles that read
    submissions; a department sees itself). Roles that cannot read submissions get no department rows."""

    role_actions: ClassVar[dict[str, frozenset[str]]] = REPORTING_READERS

    class Meta:
        proxy = True
        verbose_name = "上报部门"
        verbose_name_plural = "上报部门"
