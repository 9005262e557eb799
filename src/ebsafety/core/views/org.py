"""Pages for the org tree, departments and the campaign."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from ebsafety.core import services
from ebsafety.core.choices import Action
from ebsafety.core.filters import DepartmentFilterSet, UnitFilterSet
from ebsafety.core.forms import CampaignForm, CampaignParametersForm, DepartmentForm, UnitForm, UnitImportForm
from ebsafety.core.jobs import job_handler, start_job
from ebsafety.core.models import Campaign, Department, Unit
from ebsafety.core.tables import CampaignTable, DepartmentTable, UnitTable
from ebsafety.core.views import generic


class UnitListView(generic.ObjectListView):
    model = Unit
    filterset_class = UnitFilterSet
    table_class = UnitTable

    def base_queryset(self) -> QuerySet:
        return Unit.objects.select_related("parent")


class UnitDetailView(generic.ObjectDetailView):
    model = Unit
    template_name = "core/unit_detail.html"
    detail_fields = ("code", "name", "kind", "parent", "households", "population", "is_fringe", "address")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        unit = self.object
        children = (
            Unit.objects.filter(parent=unit)
            .visible_to(self.request.user)
            .annotate(child_count=Count("children"))
            .order_by("kind", "code")
        )
        ancestors = Unit.objects.ancestors_of(unit).exclude(pk=unit.pk).visible_to(self.request.user)
        return super().get_context_data(children=children, ancestors=ancestors, **kwargs)


class UnitHistoryView(generic.ObjectHistoryView):
    model = Unit


class UnitEditView(generic.ObjectEditView):
    model = Unit
    form_class = UnitForm


class UnitDeleteView(generic.ObjectDeleteView):
    model = Unit


@job_handler
def unit_import_job(job: Any, progress: Any) -> dict[str, Any]:
    """Import an uploaded unit file in the worker."""
    from django.core.files.storage import default_storage

    from ebsafety.core.unit_import import import_units

    path = job.params["stored_file"]
    progress(0, 1, "正在读取文件")
    with default_storage.open(path, "rb") as handle:
        result = import_units(handle, filename=job.params["filename"])
    progress(1, 1, result.summary())
    return result.as_dict()


class UnitImportView(generic.ScopedMixin, View):
    """Upload a unit file; the import runs in the background and its page shows the outcome."""

    model = Unit
    action = Action.ADD

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "core/unit_import.html", {"form": UnitImportForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        from django.core.files.storage import default_storage
        from django.utils import timezone

        form = UnitImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, "core/unit_import.html", {"form": form})
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        stored = default_storage.save(f"imports/units/{timezone.now():%Y/%m}/units{suffix}", upload)
        job = start_job(
            unit_import_job,
            f"导入单位表：{upload.name}",
            request.user,
            {"stored_file": stored, "filename": upload.name},
        )
        return redirect(job.get_absolute_url())


def unit_template(request: HttpRequest) -> HttpResponse:
    """The unit import template (xlsx) with the columns of `ebsafety units import`."""
    from ebsafety.core import exports

    rows = [
        ["编码", "名称", "类型", "上级编码", "户数", "人口", "城乡结合部", "地址"],
        ["110115001", "示例镇", "镇", "", "", "", "否", ""],
        ["110115001201", "示例村", "村", "110115001", "820", "2300", "是", "示例镇示例村"],
    ]
    response = HttpResponse(exports.write_xlsx(rows, "单位"), content_type=exports.CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = 'attachment; filename="units-template.xlsx"'
    return response


class DepartmentListView(generic.ObjectListView):
    model = Department
    filterset_class = DepartmentFilterSet
    table_class = DepartmentTable

    def base_queryset(self) -> QuerySet:
        return Department.objects.select_related("unit")


class DepartmentDetailView(generic.ObjectDetailView):
    model = Department
    template_name = "core/department_detail.html"
    detail_fields = ("code", "name", "kind", "unit", "contact", "phone")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(served=self.object.served_units.all(), **kwargs)


class DepartmentHistoryView(generic.ObjectHistoryView):
    model = Department


class DepartmentEditView(generic.ObjectEditView):
    model = Department
    form_class = DepartmentForm


class DepartmentDeleteView(generic.ObjectDeleteView):
    model = Department


class CampaignListView(generic.ObjectListView):
    model = Campaign
    table_class = CampaignTable
    filterset_fields = ["status"]

    def base_queryset(self) -> QuerySet:
        return Campaign.objects.select_related("unit")


class CampaignDetailView(generic.ObjectDetailView):
    model = Campaign
    template_name = "core/campaign_detail.html"
    detail_fields = ("name", "unit", "start_date", "end_date", "status", "description")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = CampaignParametersForm(campaign=self.object)
        return super().get_context_data(parameter_groups=form.grouped(), **kwargs)


class CampaignHistoryView(generic.ObjectHistoryView):
    model = Campaign


class CampaignEditView(generic.ObjectEditView):
    model = Campaign
    form_class = CampaignForm


class CampaignDeleteView(generic.ObjectDeleteView):
    model = Campaign


class CampaignParametersView(generic.ScopedMixin, View):
    """The office edits the plan's values (deadlines, teams per compound, reward …)."""

    model = Campaign
    action = Action.CHANGE

    def get_campaign(self, pk: int) -> Campaign:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = self.get_campaign(pk)
        form = CampaignParametersForm(campaign=campaign)
        return render(request, "core/campaign_parameters.html", {"form": form, "object": campaign})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = self.get_campaign(pk)
        form = CampaignParametersForm(request.POST, campaign=campaign)
        if form.is_valid():
            try:
                services.update_campaign_parameters(campaign, form.cleaned_data, by=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "工作参数已保存。")
                return redirect(campaign.get_absolute_url())
        return render(request, "core/campaign_parameters.html", {"form": form, "object": campaign})


class CampaignTransitionView(generic.ScopedMixin, View):
    """Activate or close a campaign (through services)."""

    model = Campaign
    action = Action.CHANGE

    def post(self, request: HttpRequest, pk: int, transition: str) -> HttpResponse:
        campaign = get_object_or_404(self.get_queryset(), pk=pk)
        operations = {"activate": services.activate_campaign, "close": services.close_campaign}
        if transition not in operations:
            raise PermissionDenied
        try:
            operations[transition](campaign, by=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "专项整治状态已更新。")
        return redirect(campaign.get_absolute_url())
