"""Ledger pages: the import flow (upload → preview → confirm or cancel), batches, templates and reports."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.views import View

from ebsafety.core.choices import Action, UnitKind
from ebsafety.core.forms import model_choice_field
from ebsafety.core.models import Unit
from ebsafety.core.scoping import has_any_role
from ebsafety.ledgers import import_services
from ebsafety.ledgers.choices import ImportMode, ImportStatus, LedgerKind
from ebsafety.ledgers.models import ImportBatch
from ebsafety.ledgers.report import error_report_of
from ebsafety.ledgers.specs import spec_for
from ebsafety.ledgers.templates_xlsx import template

SUBMITTING_KINDS = [
    UnitKind.TOWN,
    UnitKind.STREET,
    UnitKind.VILLAGE,
    UnitKind.COMMUNITY,
    UnitKind.PARK,
    UnitKind.COMPOUND,
]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="台账类型", choices=LedgerKind.choices)
    unit = forms.ModelChoiceField(label="填报单位", queryset=Unit.objects.none())
    mode = forms.ChoiceField(
        label="导入方式",
        choices=ImportMode.choices,
        initial=ImportMode.INCREMENTAL,
        help_text="全量：文件就是本单位该类台账的全部，文件中没有的记录将列出供确认注销；增量：只新增和更新。",
    )
    file = forms.FileField(label="台账文件（xlsx / xls / csv）")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "unit").queryset = (
            Unit.objects.visible_to(user).filter(kind__in=SUBMITTING_KINDS).order_by("path")
        )
        for name, field in self.fields.items():
            field.widget.attrs.setdefault(
                "class", "form-select" if name in ("kind", "unit", "mode") else "form-control"
            )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".xlsm", ".xls", ".csv", ".ods")):
            raise forms.ValidationError("请上传 xlsx、xls 或 csv 文件。")
        return upload


def _require_role(request: HttpRequest) -> None:
    if not has_any_role(request.user):
        raise PermissionDenied("您的账号尚未分配角色，请联系整治办。")


class ImportView(View):
    """Upload a ledger file; small files are checked at once, large ones in the worker."""

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_role(request)
        initial: dict[str, Any] = {k: request.GET[k] for k in ("kind", "mode") if k in request.GET}
        if "unit" in request.GET:
            unit = Unit.objects.visible_to(request.user).filter(code=request.GET["unit"]).first()
            if unit is not None:
                initial["unit"] = unit.pk
        return render(
            request, "ledgers/imports/upload.html", {"form": ImportForm(initial=initial, user=request.user)}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        _require_role(request)
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return render(request, "ledgers/imports/upload.html", {"form": form})
        try:
            batch = import_services.create_batch(
                kind=form.cleaned_data["kind"],
                unit=form.cleaned_data["unit"],
                mode=form.cleaned_data["mode"],
                upload=form.cleaned_data["file"],
                user=request.user,
            )
        except (PermissionDenied, ValidationError) as exc:
            form.add_error(None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
            return render(request, "ledgers/imports/upload.html", {"form": form})
        job = import_services.preview(batch, request.user)
        if job is not None:
            messages.info(request, "文件较大，正在后台检查，完成后刷新本页查看预览。")
        return redirect(batch.get_absolute_url())


def batch_for(request: HttpRequest, pk: int, action: str = Action.VIEW) -> ImportBatch:
    _require_role(request)
    queryset = ImportBatch.objects.select_related("unit", "uploaded_by", "job").visible_to(
        request.user, action
    )
    return get_object_or_404(queryset, pk=pk)


class BatchView(View):
    """The preview (before confirming) or the outcome (after) of one submitted file."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = batch_for(request, pk)
        context = {
            "batch": batch,
            "counts": batch.counts or {},
            "errors": (batch.errors or [])[:100],
            "warnings": (batch.warning_list or [])[:100],
            "conflicts": (batch.conflicts or [])[:100],
            "to_retire": batch.to_retire or [],
            "can_confirm": batch.status == ImportStatus.PREVIEWED
            and bool(batch.counts)
            and import_services.may_import(request.user, batch.kind, batch.unit),
            "pending": batch.status == ImportStatus.PREVIEWED and not batch.counts,
        }
        return render(request, "ledgers/imports/batch.html", context)


class ConfirmView(View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = batch_for(request, pk, Action.ADD)
        retire_ids = {int(v) for v in request.POST.getlist("retire") if v.isdigit()}
        try:
            job = import_services.confirm(batch, request.user, retire_ids)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
            return redirect(batch.get_absolute_url())
        if job is not None:
            return redirect(job.get_absolute_url())
        batch.refresh_from_db()
        if batch.status == ImportStatus.COMMITTED:
            messages.success(request, "台账已导入。")
        else:
            messages.error(request, f"导入失败：{batch.message}")
        return redirect(batch.get_absolute_url())


class CancelView(View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = batch_for(request, pk, Action.ADD)
        try:
            import_services.cancel(batch, request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.info(request, "已取消本次导入，数据未做任何修改。")
        return redirect(batch.get_absolute_url())


def _download(field: Any, filename: str) -> FileResponse:
    if not field:
        raise Http404("文件不存在")
    return FileResponse(field.open("rb"), as_attachment=True, filename=filename)


def error_report(request: HttpRequest, pk: int) -> FileResponse:
    batch = batch_for(request, pk)
    return _download(error_report_of(batch), f"错误报告-{batch.pk}.xlsx")


def original_file(request: HttpRequest, pk: int) -> FileResponse:
    batch = batch_for(request, pk)
    return _download(batch.original_file, batch.original_name)


def template_download(request: HttpRequest, kind: str) -> HttpResponse:
    _require_role(request)
    try:
        spec = spec_for(kind)
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    from ebsafety.core.exports import CONTENT_TYPES

    response = HttpResponse(template(kind), content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(spec.title)}.xlsx"
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


urlpatterns: list[URLPattern] = [
    path("import/", ImportView.as_view(), name="import"),
    path("import/template/<str:kind>.xlsx", template_download, name="import_template"),
    path("imports/<int:pk>/", BatchView.as_view(), name="importbatch_detail"),
    path("imports/<int:pk>/confirm/", ConfirmView.as_view(), name="importbatch_confirm"),
    path("imports/<int:pk>/cancel/", CancelView.as_view(), name="importbatch_cancel"),
    path("imports/<int:pk>/errors.xlsx", error_report, name="importbatch_errors"),
    path("imports/<int:pk>/original/", original_file, name="importbatch_original"),
]
