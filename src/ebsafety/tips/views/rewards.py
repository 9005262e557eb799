"""Reward pages: the list, one reward with its approval and payment forms, and the payout ledger with
monthly totals. The payee is the reporter of the rewarded tip: in full for tips officers only (logged)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from ebsafety.core.choices import Action
from ebsafety.core.forms import choice_field
from ebsafety.core.views import generic
from ebsafety.tips import disclosure, filters, forms, services, tables
from ebsafety.tips.choices import RewardStatus
from ebsafety.tips.models import Reward
from ebsafety.tips.views.staff import ReadOnlyHistoryView

DETAIL_FIELDS = (
    "hazard_tip",
    "tip",
    "unit",
    "tier",
    "is_major",
    "amount",
    "status",
    "decided_by",
    "decided_at",
    "decision_note",
    "paid_on",
    "payment_method",
    "payment_ref",
    "payee_confirmed",
    "paid_by",
)


class RewardListView(generic.ObjectListView):
    model = Reward
    filterset_class = filters.RewardFilterSet
    table_class = tables.RewardTable

    def base_queryset(self) -> QuerySet:
        return Reward.objects.select_related("unit", "tip")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_add"] = False  # rewards are proposed from a verified tip
        return context


class RewardDetailView(generic.ObjectDetailView):
    model = Reward
    template_name = "tips/reward_detail.html"
    detail_fields = DETAIL_FIELDS

    def base_queryset(self) -> QuerySet:
        return Reward.objects.select_related("unit", "tip", "hazard_tip")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        reward: Reward = self.object
        user = self.request.user
        context = super().get_context_data(**kwargs)
        may_change = context["can_edit_object"]
        context.update(can_edit_object=False, can_delete_object=False)
        group = [reward.hazard_tip, *reward.hazard_tip.duplicates.order_by("created")]
        approve = forms.ApproveRewardForm(
            initial={
                "tier": reward.tier,
                "is_major": reward.is_major,
                "amount": reward.amount,
                "recipient": reward.tip_id,
            }
        )
        choice_field(approve, "recipient").choices = [
            (t.pk, f"{t.display_code}（{t.created:%Y-%m-%d %H:%M}）") for t in group
        ]
        context.update(
            reward=reward,
            payee=disclosure.reporter_for(reward.tip, user),
            payee_visible=disclosure.may_see_reporter(user),
            may_decide=user.is_office and reward.status == RewardStatus.PROPOSED,
            may_decline=user.is_office and reward.status in (RewardStatus.PROPOSED, RewardStatus.APPROVED),
            may_pay=may_change and reward.status == RewardStatus.APPROVED,
            approve_form=approve,
            decline_form=forms.DeclineRewardForm(),
            payment_form=forms.PaymentForm(),
        )
        return context

    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        response = super().get(request, pk)
        response["Cache-Control"] = "no-store"
        return response


class RewardActionView(generic.ScopedMixin, View):
    """POST approve / decline / pay on a reward, then back to its page."""

    model = Reward
    action = Action.CHANGE

    def post(self, request: HttpRequest, pk: int, op: str) -> HttpResponse:
        reward = get_object_or_404(self.get_queryset().select_related("hazard_tip", "tip"), pk=pk)
        try:
            done = self.perform(op, reward, request.user, request.POST)
        except (ValidationError, PermissionDenied) as exc:
            text = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text or "操作未完成。")
        else:
            messages.success(request, done)
        return redirect(reward.get_absolute_url())

    def perform(self, op: str, reward: Reward, user: Any, data: Any) -> str:
        if op == "approve":
            form = forms.ApproveRewardForm(data)
            choice_field(form, "recipient").choices = [(str(data.get("recipient", "")), "")]
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            recipient = reward.hazard_tip.duplicates.filter(pk=form.cleaned_data["recipient"]).first()
            if str(reward.hazard_tip_id) == form.cleaned_data["recipient"]:
                recipient = reward.hazard_tip
            services.approve_reward(
                reward,
                user,
                amount=form.cleaned_data["amount"],
                tier=form.cleaned_data["tier"],
                is_major=form.cleaned_data["is_major"],
                recipient=recipient,
                note=form.cleaned_data["note"],
            )
            return "已批准奖励。"
        if op == "decline":
            services.decline_reward(reward, user, data.get("note", ""))
            return "已决定不予奖励。"
        if op == "pay":
            payment = forms.PaymentForm(data)
            if not payment.is_valid():
                raise ValidationError([e for errors in payment.errors.values() for e in errors])
            services.record_payment(
                reward,
                user,
                paid_on=payment.cleaned_data["paid_on"],
                method=payment.cleaned_data["method"],
                payee_confirmed=payment.cleaned_data["payee_confirmed"],
                payment_ref=payment.cleaned_data["payment_ref"],
            )
            return "已登记奖励发放。"
        raise Http404("未知操作")


class PayoutLedgerView(generic.ScopedMixin, View):
    """奖励发放台账: paid rewards by month (count and amount), each month linking to its rewards."""

    model = Reward

    def get(self, request: HttpRequest) -> HttpResponse:
        rewards = Reward.objects.visible_to(request.user, self.action)  # get_queryset(), as a RewardQuerySet
        return render(request, "tips/payout_ledger.html", rewards.payout_ledger())


class RewardHistoryView(ReadOnlyHistoryView):
    model = Reward
