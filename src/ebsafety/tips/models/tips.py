"""Tips from the public (有奖举报), their categories and the row written for every change of status."""

from __future__ import annotations

import re
import secrets
import statistics
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q, Sum
from django.urls import reverse

from ebsafety.core.choices import Action, Role
from ebsafety.core.models import Department, Unit
from ebsafety.core.models.base import ALL_ACTIONS, READ, BaseModel, ScopedQuerySet
from ebsafety.tips.choices import Handover, Outcome, RewardStatus, TipSource, TipStatus

# 32 symbols without 0/O, 1/I: 16 of them carry 80 random bits, far beyond guessing at any request rate.
TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TRACKING_LENGTH = 16
PHONE_VALIDATOR = RegexValidator(
    r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$", "请填写 11 位手机号码或带区号的固定电话。"
)


def new_tracking_code() -> str:
    """A fresh random tracking code (secrets: unpredictable even to someone who saw many others)."""
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalise_tracking_code(raw: str) -> str:
    """What a person typed ("ab3k-…", with spaces or dashes) → the stored form."""
    return re.sub(r"[^0-9A-Z]", "", (raw or "").upper())[:32]


def format_tracking_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class TipCategory(BaseModel):
    """A kind of hazard the public may report, mapped to the inspections app's hazard category code.

    The public list comes from here (not from the inspections app), so the page works before that app is
    installed; the office edits names, order and which are offered."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    is_active = models.BooleanField("启用", default=True)
    hazard_category_code = models.CharField(
        "对应隐患类别编码", max_length=40, blank=True, help_text="受理后生成隐患时使用的隐患类别"
    )
    sort_order = models.PositiveSmallIntegerField("排序", default=100)

    scope_unit_path: ClassVar[str | None] = None
    role_actions: ClassVar[dict[str, frozenset[str]]] = {
        Role.OFFICE: ALL_ACTIONS,
        **{role: READ for role in Role.values if role != Role.OFFICE},
    }

    class Meta:
        verbose_name = "举报类别"
        verbose_name_plural = "举报类别"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tips:tipcategory_detail", args=[self.pk])

    @classmethod
    def scope_q_for_unit_path(cls, path: str) -> Q:
        """Categories are shared by the whole platform: anyone with a role may read them."""
        return Q(pk__isnull=False)


class TipQuerySet(ScopedQuerySet["Tip"]):
    """Tips, with the figures the ranking reads per unit."""

    def within(self, unit: Unit) -> Self:
        return self.filter(unit__path__startswith=unit.path)

    def verified_true(self) -> Self:
        return self.filter(status=TipStatus.VERIFIED, outcome=Outcome.TRUE)

    def median_days_to_verify(self) -> float | None:
        spans = [
            (verified - created).total_seconds() / 86400
            for created, verified in self.filter(verified_at__isnull=False).values_list(
                "created", "verified_at"
            )
            if verified is not None  # always so (the filter); narrows the nullable field's type
        ]
        return round(statistics.median(spans), 1) if spans else None

    def figures(self) -> dict[str, Any]:
        """Tips received, verified true, median days from receipt to verification, rewards paid."""
        from ebsafety.tips.models.rewards import Reward

        paid = Reward.objects.filter(status=RewardStatus.PAID, hazard_tip__in=self.values("pk")).aggregate(
            amount=Sum("amount"), count=models.Count("pk")
        )
        return {
            "received": self.count(),
            "verified_true": self.verified_true().count(),
            "median_days_to_verify": self.median_days_to_verify(),
            "rewards_paid": paid["count"] or 0,
            "rewards_paid_amount": paid["amount"] or Decimal("0"),
        }

    def figures_by_unit(self, units: Iterable[Unit]) -> dict[Unit, dict[str, Any]]:
        """`figures()` for each unit's subtree (the ranking's per-unit indicator values), in two queries
        whatever the number of units: the tips below the units' common ancestor path, then their paid
        rewards, counted per unit in Python."""
        from ebsafety.tips.models.rewards import Reward

        units = list(units)
        if not units:
            return {}
        scope = self.filter(unit__path__startswith=_common_path([u.path for u in units]))
        rows = list(scope.values_list("pk", "unit__path", "status", "outcome", "created", "verified_at"))
        paid = dict(
            Reward.objects.filter(status=RewardStatus.PAID, hazard_tip__in=scope.values("pk")).values_list(
                "hazard_tip_id", "amount"
            )
        )
        by_path: dict[str, list[Unit]] = {}
        for unit in units:
            by_path.setdefault(unit.path, []).append(unit)
        buckets: dict[int, list[tuple[Any, ...]]] = {id(unit): [] for unit in units}
        for row in rows:
            path = row[1]
            for end in (i + 1 for i, char in enumerate(path) if char == "/"):
                for unit in by_path.get(path[:end], ()):
                    buckets[id(unit)].append(row)
        return {unit: _figures_of(buckets[id(unit)], paid) for unit in units}


def _common_path(paths: list[str]) -> str:
    """The longest materialised path every one of `paths` starts with ("/" when they share nothing)."""
    prefix = paths[0]
    for path in paths[1:]:
        while not path.startswith(prefix):
            prefix = prefix[: prefix.rstrip("/").rfind("/") + 1]
    return prefix


def _figures_of(rows: list[tuple[Any, ...]], paid: dict[int, Decimal]) -> dict[str, Any]:
    """`TipQuerySet.figures()` from rows of (pk, unit path, status, outcome, created, verified_at)."""
    spans = [(verified - created).total_seconds() / 86400 for *_, created, verified in rows if verified]
    amounts = [paid[pk] for pk, *_ in rows if pk in paid]
    return {
        "received": len(rows),
        "verified_true": sum(
            1
            for _, _, status, outcome, *_ in rows
            if status == TipStatus.VERIFIED and outcome == Outcome.TRUE
        ),
        "median_days_to_verify": round(statistics.median(spans), 1) if spans else None,
        "rewards_paid": len(amounts),
        "rewards_paid_amount": sum(amounts, Decimal("0")),
    }


if TYPE_CHECKING:
    # The manager class `TipQuerySet.as_manager()` builds, as a type (the mypy plugin knows it).
    TipManager = models.Manager.from_queryset(TipQuerySet)


class Tip(BaseModel):
    """One tip from the public (web page, API or the hotline) about an e-bike fire hazard.

    The reporter's name and phone are optional; they are shown to tips officers alone (each view logged)
    and never enter the change log. A tip moves new → accepted (a hazard) or forwarded (to the district for
    verification) → verified; or new → duplicate (merged into an earlier tip) or rejected (with a reason the
    reporter sees). Only `ebsafety.tips.services` changes the status.
    """

    tracking_code = models.CharField("查询码", max_length=32, unique=True, default=new_tracking_code)
    category = models.ForeignKey(
        TipCategory, verbose_name="类别", on_delete=models.PROTECT, related_name="tips"
    )
    description = models.TextField("举报内容", validators=[MaxLengthValidator(2000)])
    unit = models.ForeignKey(Unit, verbose_name="所在单位", on_delete=models.PROTECT, related_name="tips")
    address = models.CharField("详细地址", max_length=200, blank=True)
    reporter_name = models.CharField("举报人姓名", max_length=50, blank=True)
    reporter_phone = models.CharField("举报人电话", max_length=20, blank=True, validators=[PHONE_VALIDATOR])
    contact_consent = models.BooleanField("同意就奖励事宜联系", default=False)
    source = models.CharField("来源", max_length=10, choices=TipSource.choices, default=TipSource.WEB)
    status = models.CharField("状态", max_length=12, choices=TipStatus.choices, default=TipStatus.NEW)
    # HMAC of the submitting client's address: rate limits without keeping anyone's IP address.
    submitter_key = models.CharField(max_length=64, blank=True, editable=False)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="电话受理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name="重复于",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    reject_reason = models.CharField("不予受理理由", max_length=300, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triaged_at = models.DateTimeField("分拣时间", null=True, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name="责任部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tips",
    )
    handover = models.CharField("转隐患", max_length=10, choices=Handover.choices, blank=True, default="")
    hazard_ref = models.CharField("隐患编号", max_length=40, blank=True)
    forwarded_to = models.CharField("接收核查单位", max_length=100, blank=True)
    forwarded_on = models.DateField("移交日期", null=True, blank=True)
    outcome = models.CharField("核查结果", max_length=8, choices=Outcome.choices, blank=True)
    verified_at = models.DateTimeField("核查时间", null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verification_note = models.TextField("核查情况", blank=True)

    objects: ClassVar[TipManager] = TipQuerySet.as_manager()

    personal_fields: ClassVar[tuple[str, ...]] = ("reporter_name", "reporter_phone")
    # The reporter's identity never goes into change records (the audit search is read by the office).
    audit_exclude: ClassVar[frozenset[str]] = frozenset(
        {"updated", "reporter_name", "reporter_phone", "submitter_key"}
    )
    role_actions: ClassVar[dict[str, frozenset[str]]] = {
        Role.OFFICE: ALL_ACTIONS,
        Role.LEADER: READ,
        Role.TIPS_OFFICER: frozenset({Action.VIEW, Action.ADD, Action.CHANGE}),
        Role.LOCALITY: READ,
    }

    class Meta:
        verbose_name = "举报"
        verbose_name_plural = "举报"
        ordering = ["-created", "-pk"]
        indexes = [
            # the triage queue and the lists filtered by status, newest first
            models.Index(fields=["status", "-created"], name="tip_status_created"),
            # duplicate candidates: same category within N days (then narrowed by unit path)
            models.Index(fields=["category", "created"], name="tip_category_created"),
            # the rate limit per client address
            models.Index(fields=["submitter_key", "created"], name="tip_submitter_created"),
            # the rate limit per phone number
            models.Index(fields=["reporter_phone", "created"], name="tip_phone_created"),
        ]
        constraints = [
            models.CheckConstraint(
                name="tip_duplicate_not_self",
                condition=~Q(duplicate_of=models.F("pk")),
                violation_error_message="举报不能与自身重复。",
            ),
        ]

    def __str__(self) -> str:
        return f"举报 {format_tracking_code(self.tracking_code)[:9]}…"

    def get_absolute_url(self) -> str:
        return reverse("tips:tip_detail", args=[self.pk])

    def public_url(self) -> str:
        return reverse("tips:public_status", args=[self.tracking_code])

    @property
    def display_code(self) -> str:
        return format_tracking_code(self.tracking_code)

    @property
    def is_anonymous(self) -> bool:
        return not (self.reporter_name or self.reporter_phone)

    def group_head(self) -> Tip:
        """The tip a duplicate was merged into (itself when it is not a duplicate)."""
        return self.duplicate_of or self


class TipTransition(models.Model):
    """That a tip changed status: who, when, from, to, and a note (Healthchecks' Flip)."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField("原状态", max_length=12, choices=TipStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=12, choices=TipStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField("操作人", max_length=150)
    at = models.DateTimeField("时间", auto_now_add=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "举报状态变化"
        verbose_name_plural = "举报状态变化"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.tip_id}: {self.from_status or '-'} → {self.to_status}"
