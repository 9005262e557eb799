"""Staff pages of tips: the list and triage queue, a tip's page with its actions, the hotline entry and the
category settings. Views call `ebsafety.tips.services`; scoping and 404s come from core's generic views."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from ebsafety.core.choices import Action
from ebsafety.core.models import Attachment
from ebsafety.core.views import generic
from ebsafety.tips import disclosure, filters, forms, services, tables
from ebsafety.tips.choices import Outcome, TipStatus
from ebsafety.tips.models import Reward, Tip, TipCategory

DETAIL_FIELDS = (
    "tracking_code",
    "created",
    "source",
    "category",
    "unit",
    "address",
    "description",
    "status",
    "department",
    "handover",
    "hazard_ref",
    "forwarded_to",
    "forwarded_on",
    "reject_reason",
    "outcome",
    "verified_at",
    "verification_note",
)


class TipListView(generic.ObjectListView):
    model = Tip
    filterset_class = filters.TipFilterSet
    table_class = tables.TipTable

    def base_queryset(self) -> QuerySet:
        return Tip.objects.select_related("unit", "category")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_add"] = False  # new tips come through the hotline entry or the public page
        return context


def triage(request: HttpRequest) -> HttpResponse:
    """待分拣: the list of new tips, oldest first."""
    return redirect(reverse("tips:tip_list") + "?status=new&sort=created")


class TipDetailView(generic.ObjectDetailView):
    """A tip with its photos, history, the reporter (in full for tips officers only, each view logged) and
    the actions its status allows: triage (with duplicate candidates side by side), verification, reward."""

    model = Tip
    template_name = "tips/tip_detail.html"
    detail_fields = DETAIL_FIELDS

    def base_queryset(self) -> QuerySet:
        return Tip.objects.select_related("unit", "category", "department", "duplicate_of")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        tip: Tip = self.object
        user = self.request.user
        context = super().get_context_data(**kwargs)
        may_act = context["can_edit_object"] and (user.is_office or disclosure.may_see_reporter(user))
        # a tip changes only through its actions below: no generic edit or delete buttons
        context.update(can_edit_object=False, can_delete_object=False)
        candidates = services.duplicate_candidates(tip) if may_act and tip.status == TipStatus.NEW else []
        reward = Reward.objects.filter(hazard_tip=tip.group_head()).select_related("tip").first()
        context.update(
            tip=tip,
            display_code=tip.display_code,
            reporter=disclosure.reporter_for(tip, user),
            reporter_visible=disclosure.may_see_reporter(user),
            photos=list(Attachment.of(tip)),
            transitions=tip.transitions.select_related("actor"),
            duplicates=tip.duplicates.all(),
            candidates=[(c, list(Attachment.of(c))) for c in candidates],
            may_act=may_act,
            is_new=tip.status == TipStatus.NEW,
            is_open=tip.status in (TipStatus.ACCEPTED, TipStatus.FORWARDED),
            may_propose=may_act
            and reward is None
            and tip.status == TipStatus.VERIFIED
            and tip.outcome in (Outcome.TRUE, Outcome.PARTLY),
            reward=reward,
            accept_form=forms.AcceptForm(),
            reject_form=forms.RejectForm(),
            verify_form=forms.VerifyForm(),
            propose_form=forms.ProposeRewardForm(),
        )
        return context

    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        response = super().get(request, pk)
        response["Cache-Control"] = "no-store"  # the reporter's identity must not stay in caches
        return response


class TipActionView(generic.ScopedMixin, View):
    """POST one triage / verification / reward action on a tip, then back to its page."""

    model = Tip
    action = Action.CHANGE

    def post(self, request: HttpRequest, pk: int, op: str) -> HttpResponse:
        tip = get_object_or_404(self.get_queryset().select_related("unit", "category"), pk=pk)
        user = request.user
        try:
            done = self.perform(op, tip, user, request.POST)
        except (ValidationError, PermissionDenied) as exc:
            text = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text or "操作未完成。")
        else:
            messages.success(request, done)
        return redirect(tip.get_absolute_url())

    def perform(self, op: str, tip: Tip, user: Any, data: Any) -> str:
        if op == "accept":
            form = forms.AcceptForm(data)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            forward = form.cleaned_data["route"] == "forward"
            services.accept(
                tip,
                user,
                forward=forward,
                department=form.cleaned_data.get("department"),
                forwarded_to=form.cleaned_data.get("forwarded_to") or "",
                forwarded_on=form.cleaned_data.get("forwarded_on"),
                note=form.cleaned_data.get("note") or "",
            )
            return "已移交区级部门核查。" if forward else "已受理，转为隐患处置。"
        if op == "merge":
            into = Tip.objects.visible_to(user).filter(pk=data.get("into")).first()
            if into is None:
                raise ValidationError("请选择要合并到的举报。")
            services.merge_duplicate(tip, into, user)
            return f"已合并到举报 {into.display_code}。"
        if op == "reject":
            services.reject(tip, user, data.get("reason", ""))
            return "已不予受理，举报人可在进度页看到理由。"
        if op == "verify":
            verify = forms.VerifyForm(data)
            if not verify.is_valid():
                raise ValidationError("请选择核查结果。")
            services.record_verification(
                tip, user, verify.cleaned_data["outcome"], verify.cleaned_data["note"]
            )
            return "已登记核查结果。"
        if op == "propose":
            propose = forms.ProposeRewardForm(data)
            if not propose.is_valid():
                raise ValidationError("请选择奖励档次。")
            reward = services.propose_reward(
                tip, user, tier=propose.cleaned_data["tier"], is_major=propose.cleaned_data["is_major"]
            )
            return f"已提出奖励 {reward.amount} 元，待整治办审批。"
        raise Http404("未知操作")


class HotlineView(generic.ScopedMixin, View):
    """电话举报登记: staff record a tip taken on the reporting phone on the caller's behalf."""

    model = Tip
    action = Action.ADD
    template_name = "tips/hotline.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": forms.TipForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.TipForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                tip = services.record_hotline_tip(
                    form.submission(), request.user, photos=form.cleaned_data.get("photos", [])
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        field = {"reporter_phone": "phone", "unit": "compound"}.get(field, field)
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc.messages)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"已登记电话举报，查询码 {tip.display_code}（请告知来电人）。")
                return redirect(tip.get_absolute_url())
        return render(request, self.template_name, {"form": form})


class ReadOnlyHistoryView(generic.ObjectHistoryView):
    """A record's change history, without the generic edit/delete buttons (tips and rewards change only
    through their actions)."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(can_edit_object=False, can_delete_object=False)
        return context


class TipHistoryView(ReadOnlyHistoryView):
    model = Tip


class TipCategoryListView(generic.ObjectListView):
    model = TipCategory
    table_class = tables.TipCategoryTable
    filterset_fields: list[str] = []


class TipCategoryDetailView(generic.ObjectDetailView):
    model = TipCategory


class TipCategoryEditView(generic.ObjectEditView):
    model = TipCategory
    form_class = forms.TipCategoryForm


class TipCategoryDeleteView(generic.ObjectDeleteView):
    model = TipCategory


class TipCategoryHistoryView(generic.ObjectHistoryView):
    model = TipCategory
