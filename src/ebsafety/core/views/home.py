"""The home page (per role), audit search and background job pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from ebsafety.core.filters import ChangeRecordFilterSet
from ebsafety.core.models import Campaign, ChangeRecord, Job, Unit
from ebsafety.core.scoping import has_any_role
from ebsafety.core.tables import ChangeRecordTable, JobTable
from ebsafety.core.todos import todos_for
from ebsafety.core.views import generic


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any_role(user):
        return render(request, "core/no_role.html", status=403)
    memberships = user.active_memberships()
    units = Unit.objects.visible_to(user)
    first_unit = next((m.unit for m in memberships if m.unit_id), None)
    context = {
        "memberships": memberships,
        "todos": todos_for(user),
        "campaign": Campaign.active_for(first_unit) if first_unit else Campaign.active_for(None),
        "unit_count": units.count(),
        "top_units": units.order_by("depth", "code")[:1],
    }
    return render(request, "core/home.html", context)


class ChangeRecordListView(generic.ObjectListView):
    """The office's audit search: by user, object type, unit (with its subtree), date, request or job."""

    model = ChangeRecord
    filterset_class = ChangeRecordFilterSet
    table_class = ChangeRecordTable
    template_name = "core/changerecord_list.html"

    def base_queryset(self) -> QuerySet:
        return ChangeRecord.objects.select_related("content_type")


class ChangeRecordDetailView(generic.ObjectDetailView):
    model = ChangeRecord
    template_name = "core/changerecord_detail.html"


def _job_for(request: HttpRequest, pk: Any) -> Job:
    if not has_any_role(request.user):
        raise PermissionDenied
    return get_object_or_404(Job.objects.visible_to(request.user), pk=pk)


class JobListView(generic.ObjectListView):
    model = Job
    table_class = JobTable
    filterset_fields = ["status"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Everyone with a role sees their own jobs (the owner rule of scoping); skip the role-action gate.
        if not has_any_role(request.user):
            raise PermissionDenied
        return super(generic.ScopedMixin, self).dispatch(request, *args, **kwargs)

    def base_queryset(self) -> QuerySet:
        return Job.objects.select_related("created_by")


def job_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    job = _job_for(request, pk)
    template = "core/job_progress.html" if request.htmx else "core/job_detail.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job, "progress": job.live_progress()})


def job_status(request: HttpRequest, pk: Any) -> JsonResponse:
    job = _job_for(request, pk)
    return JsonResponse(job_status_payload(job))


def job_status_payload(job: Job) -> dict[str, Any]:
    return {
        "id": str(job.pk),
        "title": job.title,
        "status": job.status,
        "status_display": job.get_status_display(),
        "progress": job.live_progress(),
        "result": job.result,
        "error": job.message if job.status == "failed" else "",
        "result_file": reverse("core:job_download", args=[job.pk]) if job.result_file else None,
        "created": job.created.isoformat(),
        "started": job.started.isoformat() if job.started else None,
        "finished": job.finished.isoformat() if job.finished else None,
    }


class JobDownloadView(View):
    def get(self, request: HttpRequest, pk: Any) -> FileResponse:
        job = _job_for(request, pk)
        if not job.result_file:
            raise Http404
        if job.params.get("personal") and job.created_by_id != request.user.pk:
            # whole ID and phone numbers: the export was logged for its creator, the file is theirs alone
            raise PermissionDenied("该导出文件含完整号码，仅导出人本人可以下载。")
        name = job.result_file.name
        assert name is not None  # a file is attached (checked above)
        return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=name.rsplit("/", 1)[-1])
