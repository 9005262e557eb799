"""List, detail, edit and history pages of the inspections app: core's generic views with the model, queryset,
filterset, table and form declared. Hazards, inspections and cases are never deleted from a page."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Count, ProtectedError, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path

from ebsafety.core.choices import Action
from ebsafety.core.models import Attachment
from ebsafety.core.scoping import allowed_actions
from ebsafety.core.views import generic
from ebsafety.inspections import filters, forms, services, tables
from ebsafety.inspections.choices import CaseStatus
from ebsafety.inspections.models import (
    CaseParty,
    CasePenalty,
    ChecklistItem,
    ChecklistTemplate,
    EnforcementCase,
    Hazard,
    HazardCategory,
    HazardTransition,
    Inspection,
    PenaltyRule,
    SupervisionVisit,
)


class NoDeleteDetail(generic.ObjectDetailView):
    related: ClassVar[tuple[str, ...]] = ()

    def base_queryset(self) -> QuerySet:
        return self.model._default_manager.select_related(*self.related)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_delete_object"] = False
        context["attachments"] = Attachment.of(self.object)
        return context


class NoDeleteHistory(generic.ObjectHistoryView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_delete_object"] = False
        return context


# -- inspections ------------------------------------------------------------------------------------------


class InspectionListView(generic.ObjectListView):
    model = Inspection
    filterset_class = filters.InspectionFilterSet
    table_class = tables.InspectionTable
    template_name = "inspections/list.html"

    def base_queryset(self) -> QuerySet:
        return Inspection.objects.select_related(
            "unit", "department", "shop", "station", "recycling_site"
        ).annotate(hazard_count=Count("hazards", distinct=True))


class InspectionDetailView(NoDeleteDetail):
    model = Inspection
    template_name = "inspections/inspection_detail.html"
    related = ("unit", "department", "shop", "station", "recycling_site", "inspector", "template")
    detail_fields = ("inspected_on", "target_kind", "unit", "address", "department", "participants", "note")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        obj = self.object
        return super().get_context_data(
            checks=obj.checks.select_related("item"),
            hazards=obj.hazards.visible_to(self.request.user).select_related("category", "unit"),
            joint=list(obj.departments.all()),
            target=obj.target_label(),
            **kwargs,
        )


class InspectionEditView(generic.ObjectEditView):
    """Editing an inspection's details afterwards (recording a new one goes through RecordInspectionView)."""

    model = Inspection

    def get_form(self, obj: Any) -> Any:
        data = self.request.POST if self.request.method == "POST" else None
        form = forms.InspectionForm(
            data,
            self.request.FILES or None,
            instance=obj,
            user=self.request.user,
            target_kind=obj.target_kind,
        )
        del form.fields["photos"]
        return form


# -- hazards ------------------------------------------------------------------------------------------------


class HazardListView(generic.ObjectListView):
    model = Hazard
    filterset_class = filters.HazardFilterSet
    table_class = tables.HazardTable
    template_name = "inspections/list.html"

    def base_queryset(self) -> QuerySet:
        return Hazard.objects.select_related("unit", "category")


class HazardDetailView(NoDeleteDetail):
    model = Hazard
    template_name = "inspections/hazard_detail.html"
    related = ("unit", "category", "department", "reported_by", "responsible_user", "inspection")
    detail_fields = (
        "status",
        "category",
        "severity",
        "unit",
        "address",
        "place",
        "description",
        "source",
        "found_on",
        "reported_by",
        "department",
        "responsible_party",
        "deadline",
        "rectified_on",
        "fixed_on_spot",
        "closed_at",
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        hazard = self.object
        files = {a.pk: a for a in Attachment.of(hazard)}
        history = [
            (t, [files[i] for i in t.evidence if i in files])
            for t in HazardTransition.objects.filter(hazard=hazard).select_related("by")
        ]
        links = [
            (label, getattr(hazard, name))
            for name, label in (
                ("ebike", "电动自行车"),
                ("shop", "门店"),
                ("station", "站点"),
                ("rider", "骑手"),
                ("inspection", "检查记录"),
                ("supervision_visit", "督查记录"),
            )
            if getattr(hazard, f"{name}_id")
        ]
        return super().get_context_data(
            history=history,
            transitions=services.available(hazard, self.request.user),
            links=links,
            cases=hazard.cases.visible_to(self.request.user),
            **kwargs,
        )


class HazardEditView(generic.ObjectEditView):
    """Correcting a hazard's description, place or ledger links; reporting one is HazardReportView."""

    model = Hazard
    form_class = forms.HazardForm


# -- enforcement cases --------------------------------------------------------------------------------------


class CaseListView(generic.ObjectListView):
    model = EnforcementCase
    filterset_class = filters.EnforcementCaseFilterSet
    table_class = tables.EnforcementCaseTable

    def base_queryset(self) -> QuerySet:
        return EnforcementCase.objects.select_related("unit", "lead_department")


class CaseDetailView(NoDeleteDetail):
    model = EnforcementCase
    template_name = "inspections/case_detail.html"
    related = ("unit", "lead_department")
    detail_fields = (
        "number",
        "title",
        "status",
        "unit",
        "lead_department",
        "opened_on",
        "closed_on",
        "violations",
        "summary",
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        case = self.object
        context = super().get_context_data(
            joint=list(case.departments.all()),
            parties=case.parties.select_related("person", "shop", "platform"),
            penalties=case.penalties.select_related("party", "rule", "police_station"),
            hazards=case.hazards.visible_to(self.request.user).select_related("category", "unit"),
            events=case.events.select_related("by"),
            party_form=forms.CasePartyForm(user=self.request.user),
            penalty_form=forms.CasePenaltyForm(user=self.request.user, case=case),
            fines=case.fines(),
            # Edit/delete links of the parts; the pages check scope again and refuse a closed case's parts.
            can_delete_party=Action.DELETE in allowed_actions(self.request.user, CaseParty),
            can_delete_penalty=Action.DELETE in allowed_actions(self.request.user, CasePenalty),
            **kwargs,
        )
        context["parts_editable"] = context["can_edit_object"] and case.status != CaseStatus.CLOSED
        return context


class CaseEditView(generic.ObjectEditView):
    model = EnforcementCase
    form_class = forms.CaseForm

    def save_form(self, form: Any) -> Any:
        if not self.is_create:
            return form.save()
        data = form.cleaned_data
        return services.open_case(
            title=data["title"],
            unit=data["unit"],
            lead_department=data["lead_department"],
            departments=data["departments"],
            hazards=data["hazards"],
            violations=data["violations"],
            opened_on=data["opened_on"],
            by=self.request.user,
        )


# -- supervision ---------------------------------------------------------------------------------------------


class VisitListView(generic.ObjectListView):
    model = SupervisionVisit
    filterset_class = filters.SupervisionVisitFilterSet
    table_class = tables.SupervisionVisitTable

    def base_queryset(self) -> QuerySet:
        return SupervisionVisit.objects.select_related("unit", "department")


class VisitDetailView(NoDeleteDetail):
    model = SupervisionVisit
    template_name = "inspections/visit_detail.html"
    related = ("unit", "department", "led_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            findings=self.object.findings.select_related("hazard", "hazard__category"),
            finding_form=forms.FindingForm(),
            **kwargs,
        )


class VisitEditView(generic.ObjectEditView):
    model = SupervisionVisit
    form_class = forms.SupervisionVisitForm

    def save_form(self, form: Any) -> Any:
        if self.is_create:
            form.instance.led_by = self.request.user
        return form.save()


# -- catalogues ----------------------------------------------------------------------------------------------


def catalogue_views(model: type, table: type, filterset: type, form: type, detail_template: str = "") -> dict:
    attrs = {"model": model}
    views = {
        "list": type(
            f"{model.__name__}List",
            (generic.ObjectListView,),
            {**attrs, "table_class": table, "filterset_class": filterset},
        ),
        "detail": type(
            f"{model.__name__}Detail",
            (generic.ObjectDetailView,),
            {**attrs, **({"template_name": detail_template} if detail_template else {})},
        ),
        "history": type(f"{model.__name__}History", (generic.ObjectHistoryView,), attrs),
        "edit": type(f"{model.__name__}Edit", (generic.ObjectEditView,), {**attrs, "form_class": form}),
        "delete": type(f"{model.__name__}Delete", (generic.ObjectDeleteView,), attrs),
    }
    return views


class ChecklistDetailView(generic.ObjectDetailView):
    model = ChecklistTemplate
    template_name = "inspections/checklist_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(items=self.object.items.select_related("category"), **kwargs)


CATEGORY = catalogue_views(
    HazardCategory, tables.HazardCategoryTable, filters.HazardCategoryFilterSet, forms.HazardCategoryForm
)
CHECKLIST = catalogue_views(
    ChecklistTemplate,
    tables.ChecklistTemplateTable,
    filters.ChecklistTemplateFilterSet,
    forms.ChecklistTemplateForm,
)
CHECKLIST["detail"] = ChecklistDetailView
PENALTY = catalogue_views(
    PenaltyRule, tables.PenaltyRuleTable, filters.PenaltyRuleFilterSet, forms.PenaltyRuleForm
)


class ChecklistItemEditView(generic.ObjectEditView):
    model = ChecklistItem
    form_class = forms.ChecklistItemForm


class ChecklistItemDeleteView(generic.ObjectDeleteView):
    """Removing an item returns to its checklist (items have no list page of their own)."""

    model = ChecklistItem

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        item = get_object_or_404(self.get_queryset(), pk=pk)
        template_url = item.template.get_absolute_url()
        try:
            item.delete()
        except ProtectedError:
            from django.contrib import messages

            messages.error(request, "该检查项已有检查结果，不能删除；可停用整个检查表后新建。")
        return redirect(template_url)


def crud(prefix: str, name: str, views: dict) -> list[URLPattern]:
    patterns = [
        path(f"{prefix}/", views["list"].as_view(), name=f"{name}_list"),
        path(f"{prefix}/<int:pk>/", views["detail"].as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/history/", views["history"].as_view(), name=f"{name}_history"),
        path(f"{prefix}/<int:pk>/edit/", views["edit"].as_view(), name=f"{name}_edit"),
    ]
    if "add" in views:
        patterns.append(path(f"{prefix}/add/", views["add"].as_view(), name=f"{name}_add"))
    if "delete" in views:
        patterns.append(path(f"{prefix}/<int:pk>/delete/", views["delete"].as_view(), name=f"{name}_delete"))
    return patterns


INSPECTION = {
    "list": InspectionListView,
    "detail": InspectionDetailView,
    "history": type("InspectionHistory", (NoDeleteHistory,), {"model": Inspection}),
    "edit": InspectionEditView,
}
HAZARD = {
    "list": HazardListView,
    "detail": HazardDetailView,
    "history": type("HazardHistory", (NoDeleteHistory,), {"model": Hazard}),
    "edit": HazardEditView,
}
CASE = {
    "list": CaseListView,
    "detail": CaseDetailView,
    "history": type("CaseHistory", (NoDeleteHistory,), {"model": EnforcementCase}),
    "edit": CaseEditView,
    "add": CaseEditView,
}
VISIT = {
    "list": VisitListView,
    "detail": VisitDetailView,
    "history": type("VisitHistory", (NoDeleteHistory,), {"model": SupervisionVisit}),
    "edit": VisitEditView,
    "add": VisitEditView,
}

urlpatterns = [
    *crud("inspections", "inspection", INSPECTION),
    *crud("hazards", "hazard", HAZARD),
    *crud("cases", "enforcementcase", CASE),
    *crud("supervision", "supervisionvisit", VISIT),
    *crud("categories", "hazardcategory", {**CATEGORY, "add": CATEGORY["edit"]}),
    *crud("checklists", "checklisttemplate", {**CHECKLIST, "add": CHECKLIST["edit"]}),
    *crud("penalties", "penaltyrule", {**PENALTY, "add": PENALTY["edit"]}),
    path("checklist-items/add/", ChecklistItemEditView.as_view(), name="checklistitem_add"),
    path("checklist-items/<int:pk>/edit/", ChecklistItemEditView.as_view(), name="checklistitem_edit"),
    path("checklist-items/<int:pk>/delete/", ChecklistItemDeleteView.as_view(), name="checklistitem_delete"),
]
