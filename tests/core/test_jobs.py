"""Background jobs: progress while running, a clean failure, scoped status pages, the real worker."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from ebsafety.core.jobs import execute, job_handler, start_job
from ebsafety.core.models import ChangeRecord, Job, Unit


@job_handler
def create_then_fail(job: Any, progress: Any) -> dict:
    progress(0, 2, "开始")
    Unit.objects.create(code="T-FAIL", name="不应留下", kind="village", parent=Unit.objects.get(code="T"))
    progress(1, 2)
    raise ValueError("第 2 行数据有误")


@job_handler(atomic=False)
def read_only_then_fail(job: Any, progress: Any) -> dict:
    Unit.objects.create(code="T-KEPT", name="无事务的任务", kind="village", parent=Unit.objects.get(code="T"))
    raise ValueError("导出文件写入失败")


seen_progress: list[dict] = []


@job_handler
def report_progress(job: Any, progress: Any) -> dict:
    from django.test import Client

    for done in range(1, 4):
        progress(done, 3, f"第 {done} 步")
    client = Client()
    client.force_login(job.created_by)
    seen_progress.append(client.get(reverse("core:job_status", args=[job.pk])).json())
    return {"steps": 3}


def test_failed_job_leaves_database_unchanged(personas: dict) -> None:
    records_before = ChangeRecord.objects.count()
    job = execute(start_job(create_then_fail, "fail", personas["office"]))
    assert job.status == "failed"
    assert "第 2 行数据有误" in job.message
    assert not Unit.objects.filter(code="T-FAIL").exists()
    assert ChangeRecord.objects.count() == records_before
    assert job.finished is not None


def test_a_job_outside_a_transaction_keeps_what_it_wrote(personas: dict) -> None:
    """Read-only jobs (exports) run outside a transaction: nothing to roll back but the change record of an
    unmasked export, which stays as the trace of the attempt."""
    from ebsafety.core.jobs import _OUTSIDE_TRANSACTION
    from ebsafety.core.views.generic import export_job

    job = execute(start_job(read_only_then_fail, "fail", personas["office"]))
    assert job.status == "failed" and "导出文件写入失败" in job.message
    assert Unit.objects.filter(code="T-KEPT").exists()
    assert export_job in _OUTSIDE_TRANSACTION and create_then_fail not in _OUTSIDE_TRANSACTION


def test_progress_is_visible_while_the_job_runs(personas: dict) -> None:
    seen_progress.clear()
    job = execute(start_job(report_progress, "progress", personas["office"]))
    assert job.status == "succeeded" and job.result == {"steps": 3}
    running = seen_progress[0]
    assert running["status"] == "running"
    assert running["progress"] == {"done": 3, "total": 3, "message": "第 3 步", "percent": 100}


def test_job_pages_are_scoped_to_their_owner_and_the_office(personas: dict, client_for: Any) -> None:
    job = start_job(report_progress, "mine", personas["locality"])
    owner = client_for(personas["locality"])
    assert owner.get(reverse("core:job_detail", args=[job.pk])).status_code == 200
    assert owner.get(reverse("core:job_status", args=[job.pk])).json()["status"] == "queued"
    assert client_for(personas["office"]).get(reverse("core:job_status", args=[job.pk])).status_code == 200
    assert client_for(personas["community"]).get(reverse("core:job_status", args=[job.pk])).status_code == 404
    assert client_for(personas["community"]).get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert client_for(personas["locality"]).get(f"/api/v1/jobs/{job.pk}/").json()["status"] == "queued"


def test_job_detail_page_polls_until_finished(personas: dict, client_for: Any) -> None:
    client = client_for(personas["office"])
    job = start_job(report_progress, "poll", personas["office"])
    page = client.get(reverse("core:job_detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    execute(job)
    fragment = client.get(reverse("core:job_detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment and "已完成" in fragment


def test_unknown_job_kind_is_refused(personas: dict) -> None:
    with pytest.raises(LookupError):
        start_job("ebsafety.core.nothing_here", "x", personas["office"])
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_queued_jobs(personas: dict, settings: Any) -> None:
    """Through the real database task backend and `ebsafety worker --batch`."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    job = start_job(report_progress, "worker", personas["office"])
    assert job.task_result_id
    call_command("worker", "--batch", verbosity=0)
    job.refresh_from_db()
    assert job.status == "succeeded"


def test_large_export_runs_in_the_background(personas: dict, client_for: Any, settings: Any) -> None:
    settings.EXPORT_INLINE_MAX_ROWS = 1
    client = client_for(personas["office"])
    response = client.get(reverse("core:unit_list"), {"export": "xlsx", "kind": "compound"})
    assert response.status_code == 302
    job = execute(Job.objects.get())
    assert job.status == "succeeded", job.error
    assert job.result == {"rows": 2}
    download = client.get(reverse("core:job_download", args=[job.pk]))
    assert download.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(b"".join(download.streaming_content))).active
    names = sorted(row[1] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert names == sorted(["甲一小区", "乙一小区"])
