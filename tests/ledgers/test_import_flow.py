"""The web import flow: upload → preview → confirm or cancel; large files through the worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from ebsafety.core.jobs import execute
from ebsafety.core.models import Job
from ebsafety.ledgers.models import EBike, ImportBatch
from tests.ledgers.builders import bike_row, write_xlsx


def upload(client: Any, town: dict, path: Path, unit: str = "a", mode: str = "incremental") -> Any:
    with path.open("rb") as handle:
        return client.post(
            reverse("ledgers:import"), {"kind": "ebike", "unit": town[unit].pk, "mode": mode, "file": handle}
        )


def test_preview_then_confirm(
    personas: dict, town: dict, client_for: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(personas["locality"])
    path = write_xlsx(tmp_path / "村台账.xlsx", [bike_row(1), bike_row(2), bike_row(3, 手机号="123")])
    response = upload(client, town, path)
    batch = ImportBatch.objects.get()
    assert response["Location"] == batch.get_absolute_url()
    assert batch.status == "previewed" and batch.counts["added"] == 2 and batch.counts["rejected"] == 1
    assert not EBike.objects.exists()
    page = client.get(batch.get_absolute_url()).content.decode()
    assert "确认导入" in page and "下载错误报告" in page and "手机号应为" in page
    report = client.get(reverse("ledgers:importbatch_errors", args=[batch.pk]))
    assert report.status_code == 200
    assert "123" in _cells(report)  # the rejected row as submitted
    batch.refresh_from_db()
    previewed = [batch.error_report.name, batch.rejected_file.name]  # the report drawn once, kept
    assert all(previewed) and all(batch.error_report.storage.exists(name) for name in previewed)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("ledgers:importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "committed" and EBike.objects.count() == 2
    # the confirmed check's rejected rows replace the preview's, whose files are gone
    assert not batch.error_report and batch.rejected_file.name not in previewed
    assert not any(batch.rejected_file.storage.exists(name) for name in previewed)
    assert "123" in _cells(client.get(reverse("ledgers:importbatch_errors", args=[batch.pk])))
    # confirming twice does nothing more
    client.post(reverse("ledgers:importbatch_confirm", args=[batch.pk]))
    assert ImportBatch.objects.count() == 1 and EBike.objects.count() == 2


def test_cancel_writes_nothing(personas: dict, town: dict, client_for: Any, tmp_path: Path) -> None:
    client = client_for(personas["locality"])
    upload(client, town, write_xlsx(tmp_path / "a.xlsx", [bike_row(1)]))
    batch = ImportBatch.objects.get()
    client.post(reverse("ledgers:importbatch_cancel", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "cancelled" and not EBike.objects.exists()
    assert batch.original_file  # the submitted file is kept


def test_full_mode_retires_only_ticked_records(
    personas: dict, town: dict, client_for: Any, tmp_path: Path
) -> None:
    client = client_for(personas["locality"])
    upload(client, town, write_xlsx(tmp_path / "a.xlsx", [bike_row(i) for i in range(1, 5)]))
    client.post(reverse("ledgers:importbatch_confirm", args=[ImportBatch.objects.get().pk]))
    upload(client, town, write_xlsx(tmp_path / "b.xlsx", [bike_row(1), bike_row(2)]), mode="full")
    batch = ImportBatch.objects.latest("pk")
    assert batch.counts["to_retire"] == 2
    three = EBike.objects.get(frame_number="FRAME0000003")
    client.post(
        reverse("ledgers:importbatch_confirm", args=[batch.pk]), {"retire": [str(three.pk), "999999"]}
    )
    assert set(EBike.objects.filter(status="retired").values_list("frame_number", flat=True)) == {
        "FRAME0000003"
    }


def test_unit_out_of_scope_is_refused(personas: dict, town: dict, client_for: Any, tmp_path: Path) -> None:
    client = client_for(personas["locality"])
    response = upload(client, town, write_xlsx(tmp_path / "a.xlsx", [bike_row(1)]), unit="b")
    assert response.status_code == 200  # the form refuses a unit that is not offered
    assert not ImportBatch.objects.exists()


def test_batches_of_other_units_are_404(personas: dict, town: dict, client_for: Any, tmp_path: Path) -> None:
    upload(client_for(personas["community"]), town, write_xlsx(tmp_path / "a.xlsx", [bike_row(1)]), unit="b")
    batch = ImportBatch.objects.get()
    other = client_for(personas["locality"])
    assert other.get(batch.get_absolute_url()).status_code == 404
    assert other.post(reverse("ledgers:importbatch_confirm", args=[batch.pk])).status_code == 404
    assert other.get(reverse("ledgers:importbatch_original", args=[batch.pk])).status_code == 404
    assert client_for(personas["office"]).get(batch.get_absolute_url()).status_code == 200


def test_read_only_roles_cannot_import(personas: dict, town: dict, client_for: Any, tmp_path: Path) -> None:
    response = upload(client_for(personas["leader"]), town, write_xlsx(tmp_path / "a.xlsx", [bike_row(1)]))
    assert response.status_code == 200 and "无权" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_large_file_runs_in_the_background(
    personas: dict, town: dict, client_for: Any, tmp_path: Path, settings: Any
) -> None:
    settings.LEDGER_IMPORT_INLINE_MAX_BYTES = 10
    client = client_for(personas["locality"])
    upload(client, town, write_xlsx(tmp_path / "a.xlsx", [bike_row(i) for i in range(1, 30)]))
    batch = ImportBatch.objects.get()
    assert "正在后台检查" in client.get(batch.get_absolute_url()).content.decode()
    execute(Job.objects.get())
    batch.refresh_from_db()
    assert batch.counts["added"] == 29 and batch.status == "previewed"
    response = client.post(reverse("ledgers:importbatch_confirm", args=[batch.pk]))
    job = Job.objects.latest("created")
    assert response["Location"] == job.get_absolute_url()
    execute(job)
    batch.refresh_from_db()
    assert batch.status == "committed" and EBike.objects.count() == 29


def test_template_download(personas: dict, client_for: Any) -> None:
    response = client_for(personas["locality"]).get(reverse("ledgers:import_template", args=["shop"]))
    assert response.status_code == 200 and response.content[:2] == b"PK"


@pytest.mark.django_db(transaction=True)
def test_background_jobs_hold_no_transaction_while_they_check(
    personas: dict, town: dict, client_for: Any, tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    """The preview and commit jobs run outside a job-wide transaction: the check holds no write lock (on
    SQLite one writer at a time), and the commit is the import's own single transaction."""
    from django.db import connection

    from ebsafety.ledgers import importer

    seen: list[bool] = []
    real = importer._plan_columnwise

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "_plan_columnwise", spy)
    settings.LEDGER_IMPORT_INLINE_MAX_BYTES = 10
    client = client_for(personas["locality"])
    upload(client, town, write_xlsx(tmp_path / "a.xlsx", [bike_row(i) for i in range(1, 6)]))
    execute(Job.objects.get())
    batch = ImportBatch.objects.get()
    client.post(reverse("ledgers:importbatch_confirm", args=[batch.pk]))
    execute(Job.objects.latest("created"))
    batch.refresh_from_db()
    assert batch.status == "committed" and EBike.objects.count() == 5
    assert seen == [False, False]


def _cells(response: Any) -> list[Any]:
    """Every cell value of a downloaded xlsx."""
    import io

    from openpyxl import load_workbook

    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    return [value for row in sheet.iter_rows(values_only=True) for value in row]
