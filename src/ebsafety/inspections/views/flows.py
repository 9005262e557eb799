"""The working pages: record an inspection on a phone, report a hazard (office, 红袖标), move a hazard through
its lifecycle, and the small forms of cases and supervision visits. Every state change is a service call."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.views import View

from ebsafety.core.choices import Action
from ebsafety.core.models import Attachment
from ebsafety.core.scoping import can
from ebsafety.core.views import generic
from ebsafety.inspections import forms, services
from ebsafety.inspections.choices import CheckResult, EscalationKind, HazardSource, TargetKind
from ebsafety.inspections.models import (
    ChecklistTemplate,
    EnforcementCase,
    Hazard,
    Inspection,
    InspectionCheck,
    SupervisionFinding,
    SupervisionVisit,
)


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


class RecordInspectionView(generic.ScopedMixin, View):
    """A phone-friendly inspection: pick the kind of target, then the target, the checklist and photos.
    Each "有隐患" answer becomes a hazard, confirmed and ordered for rectification at once (the inspector
    saw it) — or closed at once when marked fixed on the spot."""

    model = Inspection
    action = Action.ADD
    template_name = "inspections/record.html"

    def forms_for(self, kind: str) -> tuple[Any, Any, ChecklistTemplate | None]:
        template = ChecklistTemplate.active_for(kind)
        items = list(template.items.select_related("category")) if template else []
        data = self.request.POST if self.request.method == "POST" else None
        files = self.request.FILES if self.request.method == "POST" else None
        form = forms.InspectionForm(
            data, files, user=self.request.user, target_kind=kind, instance=Inspection()
        )
        answers = forms.ChecklistAnswersForm(data, items=items)
        return form, answers, template

    def get(self, request: HttpRequest, kind: str = "") -> HttpResponse:
        if not kind:
            return render(request, "inspections/record_choose.html", {"kinds": TargetKind.choices})
        if kind not in TargetKind.values:
            raise Http404
        form, answers, template = self.forms_for(kind)
        return self.render(kind, form, answers, template)

    def render(self, kind: str, form: Any, answers: Any, template: Any) -> HttpResponse:
        context = {
            "kind": kind,
            "kind_label": TargetKind(kind).label,
            "form": form,
            "answers": answers,
            "template": template,
        }
        return render(self.request, self.template_name, context)

    def post(self, request: HttpRequest, kind: str = "") -> HttpResponse:
        if kind not in TargetKind.values:
            raise Http404
        form, answers, template = self.forms_for(kind)
        if form.is_valid() and answers.is_valid():
            fixed = set(request.POST.getlist("fixed"))
            try:
                with transaction.atomic():
                    inspection = self.save(form, answers, template, fixed)
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(
                    None, _errors(exc) if isinstance(exc, ValidationError) else "超出您的管辖范围。"
                )
            else:
                found = inspection.hazards.count()
                messages.success(
                    request, f"已记录检查，发现隐患 {found} 处。" if found else "已记录检查，未发现隐患。"
                )
                return redirect(inspection.get_absolute_url())
        return self.render(kind, form, answers, template)

    def save(self, form: Any, answers: Any, template: Any, fixed: set[str]) -> Inspection:
        user = self.request.user
        inspection = form.save(commit=False)
        inspection.target_kind = form.instance.target_kind
        inspection.inspector = user
        inspection.template = template
        inspection.full_clean()
        inspection.save()
        form.save_m2m()
        if not Inspection.objects.filter(pk=inspection.pk).visible_to(user, Action.ADD).exists():
            raise PermissionDenied
        photos = [Attachment.attach(inspection, f, user=user) for f in form.cleaned_data["photos"]]
        place = inspection.address or inspection.target_label()
        for item, result, note in answers.answers():
            InspectionCheck.objects.create(inspection=inspection, item=item, result=result, note=note)
            if result != CheckResult.HAZARD:
                continue
            hazard = services.report_hazard(
                unit=inspection.unit,
                category_code=item.category.code,
                description=f"{item.text}：{note}" if note else item.text,
                source=HazardSource.INSPECTION,
                reported_by=user,
                address=place if place != inspection.unit.name else "",
                photos=photos,
                department=inspection.department,
                inspection=inspection,
                shop=inspection.shop,
                station=inspection.station,
            )
            if str(item.pk) in fixed:
                services.fix_on_spot(hazard, user, evidence=photos, note="检查时当场整改")
                continue
            services.confirm(hazard, user, note="检查发现")
            services.order_rectification(hazard, user, responsible_party=place)
        return inspection


class HazardReportView(generic.ScopedMixin, View):
    """交办隐患: staff report a hazard (source: office); it starts as 'reported'."""

    model = Hazard
    action = Action.ADD
    template_name = "inspections/report.html"
    volunteer = False

    def make_form(self) -> Any:
        data = self.request.POST if self.request.method == "POST" else None
        files = self.request.FILES if self.request.method == "POST" else None
        form_class = forms.VolunteerReportForm if self.volunteer else forms.HazardReportForm
        return form_class(data, files, user=self.request.user)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": self.make_form(), "volunteer": self.volunteer})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.make_form()
        if form.is_valid():
            data = form.cleaned_data
            try:
                hazard = services.report_hazard(
                    unit=data["unit"],
                    category_code=data["category"].code,
                    description=data["description"],
                    source=HazardSource.VOLUNTEER if self.volunteer else HazardSource.OFFICE,
                    reported_by=request.user,
                    address=data["address"],
                    photos=data["photos"],
                )
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(
                    request, "已上报，等待物业或属地确认。谢谢！" if self.volunteer else "已交办隐患。"
                )
                if self.volunteer:
                    return redirect("inspections:volunteer_report")
                return redirect(hazard.get_absolute_url())
        return render(request, self.template_name, {"form": form, "volunteer": self.volunteer})


class VolunteerReportView(HazardReportView):
    """红袖标随手拍: photo, category, place — three taps on a phone."""

    volunteer = True


class HazardTransitionView(generic.ScopedMixin, View):
    """One transition of one hazard: a short form (note, deadline, evidence) and the service call."""

    model = Hazard
    template_name = "inspections/transition.html"

    def setup_hazard(self, pk: int, name: str) -> tuple[Hazard, Any]:
        hazard = get_object_or_404(
            Hazard.objects.visible_to(self.request.user).select_related("category", "unit"), pk=pk
        )
        transition = services.TRANSITIONS.get(name)
        if transition is None or name == "mark_overdue":
            raise Http404
        return hazard, transition

    def make_form(self, hazard: Hazard, name: str) -> forms.TransitionForm:
        data = self.request.POST if self.request.method == "POST" else None
        files = self.request.FILES if self.request.method == "POST" else None
        return forms.TransitionForm(data, files, transition=name, user=self.request.user, hazard=hazard)

    def render(self, hazard: Hazard, transition: Any, form: Any) -> HttpResponse:
        reason = services.refusal(hazard, transition.name, self.request.user)
        context = {"object": hazard, "transition": transition, "form": form, "refusal": reason}
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        hazard, transition = self.setup_hazard(pk, name)
        return self.render(hazard, transition, self.make_form(hazard, name))

    def post(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        hazard, transition = self.setup_hazard(pk, name)
        form = self.make_form(hazard, name)
        if form.is_valid():
            try:
                self.perform(hazard, name, form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or "无权执行此操作。")
            else:
                messages.success(request, f"已{transition.label}。")
                return redirect(hazard.get_absolute_url())
        return self.render(hazard, transition, form)

    def perform(self, hazard: Hazard, name: str, data: dict[str, Any]) -> None:
        user = self.request.user
        note = data.get("note", "")
        evidence = data.get("evidence") or []
        if name == "order":
            services.order_rectification(
                hazard, user, responsible_party=data["responsible_party"], days=data.get("days"), note=note
            )
        elif name == "rectify":
            services.rectify(hazard, user, evidence=evidence, note=note)
        elif name in ("reinspect_pass", "reinspect_fail"):
            services.reinspect(
                hazard,
                user,
                passed=name == "reinspect_pass",
                note=note,
                days=data.get("days"),
                evidence=evidence,
            )
        elif name == "fix_on_spot":
            services.fix_on_spot(hazard, user, evidence=evidence, note=note)
        elif name == "escalate":
            self.escalate(hazard, data)
        elif name in ("close", "close_escalated"):
            services.close(hazard, user, note=note)
        else:
            getattr(services, name)(hazard, user, note=note)

    def escalate(self, hazard: Hazard, data: dict[str, Any]) -> None:
        user = self.request.user
        with transaction.atomic():
            if data.get("escalate_to") == EscalationKind.CASE:
                if data.get("department") is None:
                    raise ValidationError("移送执法须选择主办部门。")
                if reason := services.refusal(hazard, "escalate", user):
                    raise services.TransitionRefused(reason)
                services.open_case(
                    title=f"{hazard.category.name}逾期未整改",
                    unit=hazard.unit,
                    lead_department=data["department"],
                    hazards=[hazard],
                    violations=hazard.description,
                    by=user,
                )
            else:
                services.escalate(
                    hazard,
                    user,
                    to=EscalationKind.DEPARTMENT,
                    department=data.get("department"),
                    note=data["note"],
                )


# -- cases ------------------------------------------------------------------------------------------------


class CaseActionView(generic.ScopedMixin, View):
    """POST-only actions on a case: add a party, impose a penalty, attach a document, close it."""

    model = EnforcementCase
    action = Action.CHANGE

    def post(self, request: HttpRequest, pk: int, what: str) -> HttpResponse:
        case = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            if what == "party":
                form = forms.CasePartyForm(request.POST, user=request.user)
                if not form.is_valid():
                    raise ValidationError(
                        [
                            f"{form.fields[k].label}：{v[0]}"
                            for k, v in form.errors.items()
                            if k in form.fields
                        ]
                        or ["当事人信息有误。"]
                    )
                services.add_party(case, request.user, **form.cleaned_data)
            elif what == "penalty":
                penalty = forms.CasePenaltyForm(request.POST, user=request.user, case=case)
                if not penalty.is_valid():
                    raise ValidationError([e for errs in penalty.errors.values() for e in errs])
                services.impose_penalty(case, request.user, **penalty.cleaned_data)
            elif what == "document":
                upload = request.FILES.get("file")
                if upload is None:
                    raise ValidationError("请选择文件。")
                Attachment.attach(case, upload, user=request.user, caption=request.POST.get("caption", ""))
            elif what == "close":
                services.close_case(case, request.user, note=request.POST.get("note", ""))
            else:
                raise Http404
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "已保存。")
        return redirect(case.get_absolute_url())


# -- supervision ---------------------------------------------------------------------------------------


class FindingView(generic.ScopedMixin, View):
    model = SupervisionVisit
    action = Action.CHANGE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        visit = get_object_or_404(self.get_queryset(), pk=pk)
        form = forms.FindingForm(request.POST)
        if not form.is_valid():
            # an ErrorList yields its messages as text (the stubs type them as their ValidationErrors)
            messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
            return redirect(visit.get_absolute_url())
        data = form.cleaned_data
        try:
            services.add_finding(
                visit,
                request.user,
                kind=data["kind"],
                text=data["text"],
                category_code=data["category"].code if data.get("category") else "",
                due_on=data.get("due_on"),
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "已记录督查发现。")
        return redirect(visit.get_absolute_url())


def resolve_finding(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    finding = get_object_or_404(SupervisionFinding.objects.visible_to(request.user, Action.CHANGE), pk=pk)
    if not can(request.user, Action.CHANGE, finding.visit):
        raise Http404
    try:
        services.resolve_follow_up(finding, request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect(finding.visit.get_absolute_url())


urlpatterns: list[URLPattern] = [
    path("inspections/add/", RecordInspectionView.as_view(), name="inspection_add"),
    path("inspections/add/<str:kind>/", RecordInspectionView.as_view(), name="inspection_record"),
    path("hazards/add/", HazardReportView.as_view(), name="hazard_add"),
    path("report/", VolunteerReportView.as_view(), name="volunteer_report"),
    path("hazards/<int:pk>/<str:name>/", HazardTransitionView.as_view(), name="hazard_transition"),
    path("cases/<int:pk>/do/<str:what>/", CaseActionView.as_view(), name="case_action"),
    path("supervision/<int:pk>/findings/", FindingView.as_view(), name="finding_add"),
    path("findings/<int:pk>/resolve/", resolve_finding, name="finding_resolve"),
]
