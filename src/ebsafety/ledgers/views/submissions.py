"""Ledger pages: half-month submissions.

- the completeness and timeliness table (reporters × periods, rates per reporter), exportable;
- the reporters still missing before the next deadline (or any period), exportable;
- one unit's (or department's) submission page for a period, with its files and upload links;
- every submission with all the files that counted for it and their diffs;
- the e-bike ledger as it stood at the end of a period;
- the office's reporting rules (who must report which ledger).

Every query goes through `visible_to`; objects out of scope are 404 (core's generic views and ScopedMixin).
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views import View

from ebsafety.core import exports
from ebsafety.core.periods import HalfMonth, period_for
from ebsafety.core.scoping import may_reach
from ebsafety.core.views import generic
from ebsafety.ledgers import as_of, completeness
from ebsafety.ledgers.choices import LedgerKind, PeriodStatus
from ebsafety.ledgers.exporting import MODELS
from ebsafety.ledgers.models import (
    EBike,
    ImportBatch,
    ReportingDepartment,
    ReportingUnit,
    Submission,
    SubmissionRule,
)
from ebsafety.ledgers.submission_filters import SubmissionFilterSet
from ebsafety.ledgers.submission_forms import AsOfForm, PeriodFilterForm, SubmissionRuleForm, TableFilterForm
from ebsafety.ledgers.submission_tables import SubmissionRuleTable, SubmissionTable
from ebsafety.ledgers.submissions import Reporting

DIFF_LISTED = 50  # records named per list in a batch's diff; the rest are counted


def export_response(rows: Any, fmt: str, title: str, filename: str) -> HttpResponse:
    if fmt not in exports.CONTENT_TYPES:
        raise Http404("不支持的导出格式")
    response = HttpResponse(exports.render(rows, fmt, title), content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


class SubmissionPage(generic.ScopedMixin, View):
    """Base of the submission pages: refuses users whose roles may not read submissions (403)."""

    model = Submission


# -- the completeness and timeliness table ----------------------------------------------------------------


class CompletenessTableView(SubmissionPage):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = TableFilterForm(request.GET or None, user=request.user)
        valid = form.is_valid() if form.is_bound else True
        data = form.cleaned_data if form.is_bound and valid else {}
        date_from, date_to = form.range()
        table = completeness.build_table(
            request.user, root=data.get("unit"), first=date_from, last=date_to, kind=data.get("kind") or None
        )
        fmt = request.GET.get("export")
        if fmt:
            return export_response(table.export_rows(), fmt, "半月报完成情况", "submission-completeness")
        query = request.GET.copy()
        query.pop("export", None)
        columns = list(zip(table.periods, table.totals(), strict=True))
        return render(
            request,
            "ledgers/submissions/table.html",
            {
                "form": form,
                "table": table,
                "columns": columns,
                "overall": table.overall(),
                "date_from": date_from,
                "date_to": date_to,
                "export_query": query.urlencode(),
            },
        )


# -- who is still missing ---------------------------------------------------------------------------------


class MissingListView(SubmissionPage):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = PeriodFilterForm(request.GET or None, user=request.user)
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        previous = request.GET.get("previous") == "1"
        entries = completeness.missing_entries(
            request.user,
            root=data.get("unit"),
            kind=data.get("kind") or None,
            period=data.get("period"),
            previous=previous,
        )
        fmt = request.GET.get("export")
        if fmt:
            rows = [["编码", "单位/部门", "类型", "台账", "半月期", "截止时间", "状态"]] + [
                [
                    e.reporter.code,
                    e.reporter.name,
                    e.reporter.kind_label,
                    e.kind_label,
                    e.period.label,
                    timezone.localtime(e.due_at).strftime("%Y-%m-%d %H:%M"),
                    "逾期未报" if e.overdue else "待报",
                ]
                for e in entries
            ]
            return export_response(rows, fmt, "未报单位", "submission-missing")
        query = request.GET.copy()
        query.pop("export", None)
        reporters = {e.reporter_key for e in entries}
        return render(
            request,
            "ledgers/submissions/missing.html",
            {
                "form": form,
                "entries": entries,
                "reporter_count": len(reporters),
                "previous": previous,
                "now": timezone.now(),
                "export_query": query.urlencode(),
            },
        )


# -- one reporter's page ----------------------------------------------------------------------------------


def requested_period(request: HttpRequest, default: HalfMonth) -> HalfMonth:
    value = request.GET.get("period")
    if not value:
        return default
    try:
        return HalfMonth.parse(value)
    except ValueError as exc:
        raise Http404("半月期无效") from exc


class ReporterPageMixin(SubmissionPage):
    """A reporter's submissions for one period and a strip of its recent periods."""

    history_length = 6

    def reporter_context(
        self,
        request: HttpRequest,
        reporter: completeness.Reporter | None,
        reporting: Reporting,
        **filters: Any,
    ) -> dict[str, Any]:
        schedule = reporting.schedule
        now = timezone.now()
        default = schedule.window_period(now) or schedule.last_period or period_for(timezone.localdate())
        period = requested_period(request, default)
        submissions = {
            s.kind: s
            for s in Submission.objects.visible_to(request.user)
            .filter(period_start=period.start, **filters)
            .select_related("batch", "submitted_by")
            .annotate(revision_count=Count("batches"))
        }
        required = reporter.kinds if reporter is not None else []
        kinds = [k for k in LedgerKind.values if k in required or k in submissions]
        due_at = schedule.due_at(period)
        rows = []
        for kind in kinds:
            submission = submissions.get(kind)
            if submission is not None:
                status = submission.status
            elif not schedule.is_reporting(period) or kind not in required:
                status = ""
            else:
                status = PeriodStatus.MISSING if now > due_at else PeriodStatus.OPEN
            rows.append(
                {
                    "kind": kind,
                    "kind_label": completeness.KIND_LABELS[kind],
                    "required": kind in required,
                    "submission": submission,
                    "status": status,
                    "status_label": completeness.STATUS_LABELS.get(status, "不需上报"),
                    "upload_url": completeness.upload_url(reporter, kind) if reporter else "",
                }
            )
        history = []
        if reporter is not None:
            first = period
            for _ in range(self.history_length - 1):
                first = first.previous()
            table = completeness.build_table(
                request.user, first=first.start, last=period.end, now=now, reporters=[reporter]
            )
            history_row = next((r for r in table.rows if r.reporter.key == reporter.key), None)
            if history_row is not None:
                history = list(zip(table.periods, history_row.cells, strict=True))
        return {
            "period": period,
            "previous_period": period.previous(),
            "next_period": period.next(),
            "due_at": due_at,
            "is_reporting": schedule.is_reporting(period),
            "is_census": schedule.is_census(period),
            "campaign": reporting.campaign,
            "rows": rows,
            "history": history,
            "reporter": reporter,
        }


class UnitSubmissionsView(ReporterPageMixin):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        unit = get_object_or_404(ReportingUnit.objects.visible_to(request.user), code=code)
        reporter = next(
            (r for r in completeness.reporters_for(request.user, unit) if r.key == ("u", unit.pk)), None
        )
        reporting = reporter.reporting if reporter is not None else Reporting.for_unit(unit)
        context = self.reporter_context(request, reporter, reporting, unit=unit, department__isnull=True)
        context.update(
            subject=unit, subject_label=unit.get_kind_display(), page_name="ledgers:submission_unit"
        )
        return render(request, "ledgers/submissions/reporter.html", context)


class DepartmentSubmissionsView(ReporterPageMixin):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        department = get_object_or_404(ReportingDepartment.objects.visible_to(request.user), code=code)
        reporter = next(
            (
                r
                for r in completeness.reporters_for(request.user, department.unit)
                if r.key == ("d", department.pk)
            ),
            None,
        )
        reporting = reporter.reporting if reporter is not None else Reporting.for_unit(department.unit)
        context = self.reporter_context(request, reporter, reporting, department=department)
        context.update(
            subject=department, subject_label="行业部门", page_name="ledgers:submission_department"
        )
        return render(request, "ledgers/submissions/reporter.html", context)


class MySubmissionsView(SubmissionPage):
    """The user's own reporter page (their unit or department), or the table when they report for none."""

    def get(self, request: HttpRequest) -> HttpResponse:
        own = completeness.own_reporters(request.user)
        if len(own) == 1:
            return redirect(own[0].page_url())
        if own:
            return render(request, "ledgers/submissions/mine.html", {"reporters": own})
        return redirect("ledgers:submission_table")


# -- every submission, with its files and diffs ---------------------------------------------------------


class SubmissionListView(generic.ObjectListView):
    model = Submission
    filterset_class = SubmissionFilterSet
    table_class = SubmissionTable

    def base_queryset(self) -> QuerySet:
        return (
            Submission.objects.select_related("unit", "department", "batch", "submitted_by")
            .annotate(revision_count=Count("batches"))
            .order_by("-period_start", "unit__path", "kind", "pk")
        )


class SubmissionDetailView(generic.ObjectDetailView):
    model = Submission
    template_name = "ledgers/submissions/detail.html"
    detail_fields = (
        "unit",
        "department",
        "kind",
        "status",
        "due_at",
        "submitted_at",
        "submitted_by",
        "last_submitted_at",
    )

    def base_queryset(self) -> QuerySet:
        return Submission.objects.select_related("unit", "department", "submitted_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        batches = (
            self.object.batches.visible_to(self.request.user)
            .select_related("uploaded_by")
            .order_by("-committed_at", "-pk")
        )
        diffs = [(batch, batch_diff(batch, self.request.user)) for batch in batches]
        return super().get_context_data(period=self.object.period, diffs=diffs, **kwargs)


class SubmissionHistoryView(generic.ObjectHistoryView):
    model = Submission


def batch_diff(batch: ImportBatch, user: Any) -> dict[str, Any]:
    """What one committed batch changed: the records added, changed (with the values before) and retired,
    named as far as the user may see them; the full lists are in the batch's outcome file."""
    changes = batch.changes or {}
    before = outcome_changes(batch)
    model = MODELS.get(batch.kind)
    wanted = [int(i) for key in ("added", "changed", "retired") for i in changes.get(key, [])[:DIFF_LISTED]]
    visible = model.objects.visible_to(user).in_bulk(wanted) if model is not None and wanted else {}
    result: dict[str, Any] = {}
    for key in ("added", "changed", "retired"):
        ids = [int(i) for i in changes.get(key, [])]
        listed = []
        for pk in ids[:DIFF_LISTED]:
            obj = visible.get(pk)
            if obj is None:
                continue
            fields = changed_fields(obj, before.get(str(pk), {})) if key == "changed" else []
            listed.append({"object": obj, "fields": fields})
        result[key] = {"listed": listed, "total": (batch.counts or {}).get(key, len(ids))}
    return result


def changed_fields(obj: Any, before: dict[str, Any]) -> list[str]:
    """The names (verbose) of the fields a batch changed on a record, from the values it kept from before.
    The importer always keeps the owner with them; the owner counts only when it differs now."""
    names = []
    for key, value in before.items():
        if key.startswith("_") or (key == "owner_id" and value == getattr(obj, "owner_id", value)):
            continue
        try:
            names.append(str(type(obj)._meta.get_field(key.removesuffix("_id")).verbose_name))
        except Exception:
            names.append(key)
    return names


def outcome_changes(batch: ImportBatch) -> dict[str, dict[str, Any]]:
    """The values before, per changed record id, from the batch's outcome file (empty when unreadable)."""
    if not batch.outcome_file:
        return {}
    try:
        with batch.outcome_file.open("rb") as handle:
            data = json.loads(gzip.decompress(handle.read()))
    except (OSError, ValueError):
        return {}
    changed = data.get("changed") or {}
    return changed if isinstance(changed, dict) else {}


# -- the ledger as of a period ---------------------------------------------------------------------------


class LedgerAsOfView(generic.ScopedMixin, View):
    """A ledger of a unit as it stood at the end of a period (`ledgers.as_of`): the e-bikes by default, or
    any other ledger the user may see."""

    model: type[Any] = EBike
    paginate_by = 100

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Any ledger the user may see opens the page (a department may see shops and not e-bikes).
        self.kinds = [k for k in as_of.KINDS if may_reach(request.user, MODELS[k])]
        if self.kinds and request.user.is_authenticated:
            self.model = MODELS[self.kinds[0]]
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {"period": period_for(timezone.localdate()).previous().key, "kind": self.kinds[0]}
        data = request.GET if "unit" in request.GET else None
        form = AsOfForm(data, user=request.user, kinds=self.kinds, initial=initial)
        context: dict[str, Any] = {"form": form}
        if form.is_bound and form.is_valid():
            unit, period = form.cleaned_data["unit"], form.cleaned_data["period"]
            kind = form.cleaned_data["kind"]
            ledger = as_of.ledger_as_of(request.user, unit, period, kind)
            fmt = request.GET.get("export")
            if fmt:
                return export_response(
                    ledger.export_table(),
                    fmt,
                    f"{ledger.kind_label}台账截至{period.label}",
                    f"{kind}s-{period.key}",
                )
            page = Paginator(range(ledger.frame.height), self.paginate_by).get_page(request.GET.get("page"))
            submissions = (
                Submission.objects.visible_to(request.user)
                .filter(period_start=period.start, kind=kind, unit__path__startswith=unit.path)
                .select_related("unit", "batch")
                .order_by("unit__path")
            )
            query = request.GET.copy()
            query.pop("page", None)
            query.pop("export", None)
            context.update(
                ledger=ledger,
                unit=unit,
                period=period,
                page=page,
                rows=ledger.rows(page.start_index() - 1 if page.object_list else 0, self.paginate_by),
                summary=ledger.summary(),
                basis=ledger.basis,
                exact=ledger.exact,
                submissions=submissions,
                query=query.urlencode(),
            )
        return render(request, "ledgers/submissions/as_of.html", context)


# -- the reporting rules ----------------------------------------------------------------------------------


class SubmissionRuleListView(generic.ObjectListView):
    model = SubmissionRule
    table_class = SubmissionRuleTable
    filterset_fields = ["kind"]

    def base_queryset(self) -> QuerySet:
        return SubmissionRule.objects.select_related("campaign").prefetch_related("departments")


class SubmissionRuleDetailView(generic.ObjectDetailView):
    model = SubmissionRule
    template_name = "ledgers/submissions/rule_detail.html"
    detail_fields = ("campaign", "kind", "note")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            unit_kinds=self.object.unit_kind_labels(), departments=self.object.departments.all(), **kwargs
        )


class SubmissionRuleHistoryView(generic.ObjectHistoryView):
    model = SubmissionRule


class SubmissionRuleEditView(generic.ObjectEditView):
    model = SubmissionRule
    form_class = SubmissionRuleForm

    def get_success_url(self, obj: Any) -> str:
        return reverse("ledgers:submissionrule_detail", args=[obj.pk])


class SubmissionRuleDeleteView(generic.ObjectDeleteView):
    model = SubmissionRule


urlpatterns: list[URLPattern] = [
    path("submissions/", SubmissionListView.as_view(), name="submission_list"),
    path("submissions/table/", CompletenessTableView.as_view(), name="submission_table"),
    path("submissions/missing/", MissingListView.as_view(), name="submission_missing"),
    path("submissions/mine/", MySubmissionsView.as_view(), name="submission_mine"),
    path("submissions/as-of/", LedgerAsOfView.as_view(), name="ledger_as_of"),
    path("submissions/unit/<str:code>/", UnitSubmissionsView.as_view(), name="submission_unit"),
    path(
        "submissions/department/<str:code>/",
        DepartmentSubmissionsView.as_view(),
        name="submission_department",
    ),
    path("submissions/<int:pk>/", SubmissionDetailView.as_view(), name="submission_detail"),
    path("submissions/<int:pk>/history/", SubmissionHistoryView.as_view(), name="submission_history"),
    path("submission-rules/", SubmissionRuleListView.as_view(), name="submissionrule_list"),
    path("submission-rules/add/", SubmissionRuleEditView.as_view(), name="submissionrule_add"),
    path("submission-rules/<int:pk>/", SubmissionRuleDetailView.as_view(), name="submissionrule_detail"),
    path("submission-rules/<int:pk>/edit/", SubmissionRuleEditView.as_view(), name="submissionrule_edit"),
    path(
        "submission-rules/<int:pk>/history/",
        SubmissionRuleHistoryView.as_view(),
        name="submissionrule_history",
    ),
    path(
        "submission-rules/<int:pk>/delete/", SubmissionRuleDeleteView.as_view(), name="submissionrule_delete"
    ),
]
