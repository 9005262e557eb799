"""Rewards for tips found true: proposed, approved by the office, paid (the payout ledger)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse

from ebsafety.core.choices import Role
from ebsafety.core.models import Unit
from ebsafety.core.models.base import ALL_ACTIONS, READ, WRITE, BaseModel, ScopedQuerySet
from ebsafety.tips.choices import PaymentMethod, RewardStatus, RewardTier
from ebsafety.tips.models.tips import Tip


class RewardQuerySet(ScopedQuerySet["Reward"]):
    """Rewards, with the payout ledger's totals (the page and the API read the same numbers)."""

    def payout_ledger(self) -> dict[str, Any]:
        """Paid rewards by month, newest first (count and amount), their overall totals, and the approved
        rewards still to be paid."""
        paid = self.filter(status=RewardStatus.PAID)
        months = list(
            paid.annotate(month=TruncMonth("paid_on"))
            .values("month")
            .annotate(count=Count("pk"), amount=Sum("amount"))
            .order_by("-month")
        )
        return {
            "months": months,
            "totals": paid.aggregate(count=Count("pk"), amount=Sum("amount")),
            "pending": self.filter(status=RewardStatus.APPROVED).aggregate(
                count=Count("pk"), amount=Sum("amount")
            ),
        }


if TYPE_CHECKING:
    # The manager class `RewardQuerySet.as_manager()` builds, as a type (the mypy plugin knows it).
    RewardManager = models.Manager.from_queryset(RewardQuerySet)


class Reward(BaseModel):
    """The one reward of a verified hazard (`hazard_tip`, the tip its duplicates were merged into), to the
    first valid reporter among that tip and its duplicates (`tip`) unless the office decides otherwise."""

    unit = models.ForeignKey(Unit, verbose_name="所在单位", on_delete=models.PROTECT, related_name="+")
    hazard_tip = models.OneToOneField(
        Tip, verbose_name="核查属实的举报", on_delete=models.PROTECT, related_name="group_reward"
    )
    tip = models.ForeignKey(Tip, verbose_name="获奖举报", on_delete=models.PROTECT, related_name="rewards")
    tier = models.CharField(
        "奖励档次", max_length=10, choices=RewardTier.choices, default=RewardTier.REPORTED
    )
    is_major = models.BooleanField("重大隐患", default=False)
    amount = models.DecimalField("金额（元）", max_digits=10, decimal_places=2)
    status = models.CharField(
        "状态", max_length=10, choices=RewardStatus.choices, default=RewardStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=300, blank=True)
    paid_on = models.DateField("发放日期", null=True, blank=True)
    payment_method = models.CharField("发放方式", max_length=10, choices=PaymentMethod.choices, blank=True)
    payment_ref = models.CharField("凭证号", max_length=60, blank=True)
    payee_confirmed = models.BooleanField("领奖人已确认", default=False)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发放人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects: ClassVar[RewardManager] = RewardQuerySet.as_manager()

    role_actions: ClassVar[dict[str, frozenset[str]]] = {
        Role.OFFICE: ALL_ACTIONS,
        Role.LEADER: READ,
        Role.TIPS_OFFICER: WRITE,
    }

    class Meta:
        verbose_name = "举报奖励"
        verbose_name_plural = "举报奖励"
        ordering = ["-created", "-pk"]
        indexes = [
            # the payout ledger and its monthly totals
            models.Index(fields=["status", "paid_on"], name="reward_status_paid"),
        ]
        constraints = [
            models.CheckConstraint(
                name="reward_amount_not_negative",
                condition=Q(amount__gte=0),
                violation_error_message="奖励金额不能为负。",
            ),
            models.CheckConstraint(
                name="reward_paid_complete",
                condition=~Q(status=RewardStatus.PAID)
                | (Q(paid_on__isnull=False) & Q(payee_confirmed=True) & ~Q(payment_method="")),
                violation_error_message="已发放的奖励须有发放日期、发放方式和领奖人确认。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tip} 奖励 {self.amount} 元"

    def get_absolute_url(self) -> str:
        return reverse("tips:reward_detail", args=[self.pk])
