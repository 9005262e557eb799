"""The unmasked ledger export: only for roles that may see whole numbers, in the import template's shape,
and every such export in the change log (who, how many rows, the filters; never the values)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from ebsafety.core.choices import ChangeAction
from ebsafety.core.models import ChangeRecord
from ebsafety.ledgers.models import EBike


def sheet_rows(content: bytes) -> list[list[Any]]:
    return [list(r) for r in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]


def export_records() -> Any:
    return ChangeRecord.objects.filter(action=ChangeAction.EXPORT)


def test_office_exports_the_whole_numbers_and_it_is_logged(
    ledgers: dict, personas: dict, client_for: Any, town: dict
) -> None:
    office = client_for(personas["office"])
    page = office.get("/ledgers/ebikes/")
    assert 'data-testid="full-export"' in page.content.decode()
    response = office.get("/ledgers/ebikes/?unit=T-A&export=xlsx&full=1")
    assert response.status_code == 200
    rows = sheet_rows(response.content)
    header = rows[0]
    assert "身份证号" in header and "车架号" in header  # the import template's columns
    frames = {row[header.index("车架号")] for row in rows[1:]}
    expected = EBike.objects.filter(unit__path__startswith=town["a"].path, status="active")
    assert frames == set(expected.values_list("frame_number", flat=True)) == {"FA0001", "FA1001", "FS0001"}
    bike = EBike.objects.get(frame_number="FA0001")
    row = next(r for r in rows[1:] if r[header.index("车架号")] == "FA0001")
    assert row[header.index("身份证号")] == bike.owner.id_number  # whole, not masked
    record = export_records().get()
    assert record.actor == personas["office"] and record.after["rows"] == len(rows) - 1
    assert "unit=T-A" in record.after["filters"]
    assert "身份证号" in record.changed_fields
    assert bike.owner.id_number not in str(record.after) + record.object_repr


def test_masked_export_is_not_logged_and_stays_masked(ledgers: dict, personas: dict, client_for: Any) -> None:
    response = client_for(personas["office"]).get("/ledgers/ebikes/?export=xlsx")
    assert response.status_code == 200
    text = str(sheet_rows(response.content))
    assert ledgers["bike_a"].owner.id_number not in text
    assert not export_records().exists()


@pytest.mark.parametrize("persona", ["leader", "department", "inspector"])
def test_roles_that_may_not_unmask_get_no_full_export(
    ledgers: dict, personas: dict, client_for: Any, persona: str
) -> None:
    client = client_for(personas[persona])
    page = client.get("/ledgers/ebikes/")
    assert 'data-testid="full-export"' not in page.content.decode()
    assert client.get("/ledgers/ebikes/?export=xlsx&full=1").status_code == 403
    assert not export_records().exists()


def test_a_locality_exports_only_its_own_records(ledgers: dict, personas: dict, client_for: Any) -> None:
    response = client_for(personas["locality"]).get("/ledgers/ebikes/?export=csv&full=1")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "FA0001" in text and "FB0001" not in text and "FP0001" not in text
    assert export_records().get().actor == personas["locality"]


def test_cli_unmasked_export_is_logged(ledgers: dict, personas: dict, tmp_path: Path) -> None:
    target = tmp_path / "bikes.xlsx"
    call_command(
        "ledger", "export", "--kind", "ebike", "--unit", "T-A", "-o", str(target), "--user", "office"
    )
    rows = sheet_rows(target.read_bytes())
    header = rows[0]
    assert ledgers["bike_a"].owner.id_number in [r[header.index("身份证号")] for r in rows[1:]]
    record = export_records().get()
    assert record.source == "cli" and record.actor == personas["office"]
    masked = tmp_path / "masked.xlsx"
    call_command("ledger", "export", "--kind", "ebike", "-o", str(masked), "--user", "office", "--mask")
    assert export_records().count() == 1


def test_the_export_shows_in_the_office_audit(ledgers: dict, personas: dict, client_for: Any) -> None:
    office = client_for(personas["office"])
    office.get("/ledgers/ebikes/?export=xlsx&full=1")
    record = export_records().get()
    listing = office.get("/core/audit/?action=export")
    assert listing.status_code == 200 and "导出个人信息" in listing.content.decode()
    detail = office.get(f"/core/audit/{record.pk}/")
    assert detail.status_code == 200 and "完整号码" in detail.content.decode()


def test_the_record_is_filed_under_the_exporters_own_unit(
    ledgers: dict, personas: dict, client_for: Any, town: dict
) -> None:
    """A locality naming a unit above its own (which narrows nothing) still files the export under its own
    unit, where the office over it finds it; a unit inside its own is kept as the more precise place."""
    locality = client_for(personas["locality"])
    assert locality.get(f"/ledgers/ebikes/?unit={town['town'].code}&export=csv&full=1").status_code == 200
    assert export_records().get().unit_path == town["a"].path
    export_records().delete()
    assert locality.get(f"/ledgers/ebikes/?unit={town['a1'].code}&export=csv&full=1").status_code == 200
    assert export_records().get().unit_path == town["a1"].path


def test_cli_export_without_a_unit_is_filed_under_the_exporters_unit(
    ledgers: dict, personas: dict, tmp_path: Path, town: dict
) -> None:
    call_command("ledger", "export", "--kind", "shop", "-o", str(tmp_path / "s.csv"), "--user", "office")
    assert export_records().get().unit_path == town["town"].path


def test_a_large_full_export_runs_in_the_background_for_its_creator_only(
    ledgers: dict, personas: dict, client_for: Any, settings: Any, make_user: Any, town: dict
) -> None:
    from django.urls import reverse

    from ebsafety.core.choices import Role
    from ebsafety.core.jobs import execute
    from ebsafety.core.models import Job

    settings.EXPORT_INLINE_MAX_ROWS = 1
    office = client_for(personas["office"])
    response = office.get("/ledgers/ebikes/?export=xlsx&full=1")
    assert response.status_code == 302
    job = execute(Job.objects.get())
    assert job.status == "succeeded", job.error
    assert job.params["personal"] is True
    record = export_records().get()
    assert record.actor == personas["office"] and record.source == "task"
    download = office.get(reverse("core:job_download", args=[job.pk]))
    assert download.status_code == 200
    rows = sheet_rows(b"".join(download.streaming_content))
    assert ledgers["bike_a"].owner.id_number in {r[rows[0].index("身份证号")] for r in rows[1:]}
    colleague = make_user("office2", Role.OFFICE, unit=town["town"])
    assert client_for(colleague).get(reverse("core:job_download", args=[job.pk])).status_code == 403
    # a role that may not unmask is refused before any job starts
    assert client_for(personas["leader"]).get("/ledgers/ebikes/?export=xlsx&full=1").status_code == 403
    assert Job.objects.count() == 1
