"""The ledger as of a period: frozen by the scheduler after the period ends (exact), derived when there is
no snapshot; narrowed to what the user may see; the same through the page, its export, the API and the CLI."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from ebsafety.core.models import ChangeRecord
from ebsafety.core.periods import SHANGHAI, HalfMonth
from ebsafety.core.scheduler import tick
from ebsafety.ledgers import as_of
from ebsafety.ledgers.choices import PlateKind
from ebsafety.ledgers.models import EBike, LedgerSnapshot
from ebsafety.ledgers.services import retire
from tests.ledgers import factories as f

OCT_2 = HalfMonth.parse("2026-10-16")


def at(day: str, clock: str = "12:00") -> datetime.datetime:
    return datetime.datetime.combine(
        datetime.date.fromisoformat(day), datetime.time.fromisoformat(clock), tzinfo=SHANGHAI
    )


@pytest.fixture
def bikes(town: dict) -> dict[str, EBike]:
    with time_machine.travel(at("2026-10-20"), tick=False):
        made = {
            "kept": f.EBikeFactory(unit=town["a"], frame_number="KEPT", plate_kind=PlateKind.FORMAL),
            "changed": f.EBikeFactory(unit=town["a"], frame_number="CHANGED", plate_kind=PlateKind.TEMPORARY),
            "retired_later": f.EBikeFactory(unit=town["a1"], frame_number="RETIRED-LATER"),
            "elsewhere": f.EBikeFactory(unit=town["b"], frame_number="ELSEWHERE"),
        }
        retired = f.EBikeFactory(unit=town["a"], frame_number="RETIRED-BEFORE")
        retire(retired, "scrapped")
    return made


def frame_numbers(ledger: as_of.AsOfLedger) -> list[str]:
    return list(ledger.frame["frame_number"])


def test_the_scheduler_freezes_the_period_that_ended_and_later_changes_do_not_show(
    bikes: dict, town: dict, personas: dict, client_for: Any
) -> None:
    with time_machine.travel(at("2026-11-01", "00:06"), tick=False):
        tick()
    snapshot = LedgerSnapshot.objects.get()
    assert snapshot.period_start == OCT_2.start and snapshot.rows == 4
    # after the period: one bike changes plate, one is retired, one is added
    with time_machine.travel(at("2026-11-03"), tick=False):
        EBike.objects.filter(pk=bikes["changed"].pk).update(plate_kind=PlateKind.FORMAL)
        retire(bikes["retired_later"], "moved_away")
        f.EBikeFactory(unit=town["a"], frame_number="ADDED-LATER")
    village = personas["locality"]
    ledger = as_of.ledger_as_of(village, town["a"], OCT_2)
    assert ledger.exact and "期末快照" in ledger.basis and "之后的修改不计入" in ledger.basis
    assert frame_numbers(ledger) == ["CHANGED", "KEPT", "RETIRED-LATER"]  # by unit path, then frame
    changed = ledger.frame.filter(ledger.frame["frame_number"] == "CHANGED").row(0, named=True)
    assert changed["plate_kind"] == PlateKind.TEMPORARY  # as it was at the end of the period
    summary = ledger.summary()
    assert summary["total"] == 3 and ("临时标识", 1) in summary["plates"]
    # the derived ledger of the same period would show the current plate and miss the retired bike
    LedgerSnapshot.objects.all().delete()
    derived = as_of.ledger_as_of(village, town["a"], OCT_2)
    assert not derived.exact and "推算" in derived.basis
    assert "临时标识" not in dict(derived.summary()["plates"])


def test_page_export_and_api_read_the_snapshot(
    bikes: dict, town: dict, personas: dict, client_for: Any
) -> None:
    as_of.take_snapshot(OCT_2, at("2026-11-01", "00:05"))
    EBike.objects.filter(pk=bikes["kept"].pk).update(frame_number="RENAMED")
    client = client_for(personas["locality"])
    page = client.get(reverse("ledgers:ledger_as_of"), {"unit": "T-A", "period": OCT_2.key})
    assert page.status_code == 200 and page.context["exact"] is True
    html = page.content.decode()
    assert 'data-frame="KEPT"' in html and "RENAMED" not in html and "2026年11月01日 00:05" in html
    export = client.get(
        reverse("ledgers:ledger_as_of"), {"unit": "T-A", "period": OCT_2.key, "export": "csv"}
    )
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert sorted(r[5] for r in rows[1:]) == ["CHANGED", "KEPT", "RETIRED-LATER"]
    assert rows[0][-1] == f"{OCT_2.label}期末状态" and all("身份证" not in h for h in rows[0])
    response = client.get("/api/v1/ledger-submissions/as-of/", {"unit": "T-A-1", "period": "2026-10-20"})
    api = response.json()
    assert response.status_code == 200, api
    assert api["exact"] is True and api["snapshot_taken_at"].startswith("2026-10-31T16:05")
    assert [(r["frame_number"], r["status_now"]) for r in api["results"]] == [("RETIRED-LATER", "active")]
    assert api["summary"] == {"total": 1, "non_compliant": 0}


def test_a_snapshot_shows_only_what_the_user_may_see(bikes: dict, town: dict, personas: dict) -> None:
    as_of.take_snapshot(OCT_2)
    assert frame_numbers(as_of.ledger_as_of(personas["community"], town["a"], OCT_2)) == []
    assert frame_numbers(as_of.ledger_as_of(personas["community"], town["b"], OCT_2)) == ["ELSEWHERE"]
    office = as_of.ledger_as_of(personas["office"], town["town"], OCT_2)
    assert sorted(frame_numbers(office)) == ["CHANGED", "ELSEWHERE", "KEPT", "RETIRED-LATER"]


def test_freezing_happens_once_and_only_soon_after_the_end(bikes: dict) -> None:
    assert as_of.freeze_due(at("2026-11-01", "00:05")) == {"period": OCT_2.key, "taken": True, "rows": 4}
    assert as_of.freeze_due(at("2026-11-01", "09:00"))["taken"] is False
    LedgerSnapshot.objects.all().delete()
    # the scheduler was down for days: the period stays derived rather than frozen with later changes
    assert as_of.freeze_due(at("2026-11-05"))["taken"] is False
    assert not LedgerSnapshot.objects.exists()


def test_cli_takes_a_snapshot(
    bikes: dict, town: dict, personas: dict, capsys: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(at("2026-11-02"), tick=False):
        call_command("ledger", "snapshot", "--period", "2026-10-20")
        assert "4 辆在册车辆" in capsys.readouterr().out
        with pytest.raises(CommandError, match="已有期末快照.*--replace"):
            call_command("ledger", "snapshot")
        with django_capture_on_commit_callbacks(execute=True):
            call_command("ledger", "snapshot", "--replace")
        snapshot = LedgerSnapshot.objects.get()
        assert snapshot.period_start == OCT_2.start and snapshot.file.name.endswith(".parquet")
        assert snapshot.file.storage.exists(snapshot.file.name)
        assert (
            len(list(snapshot.file.storage.listdir("ledgers/snapshots")[1])) == 1
        )  # the replaced file is gone
        records = ChangeRecord.objects.filter(object_id=str(snapshot.pk), object_repr=str(snapshot))
        assert sorted(records.values_list("action", flat=True)) == ["create", "update"]
        assert records.get(action="update").source == "cli"
        basis = as_of.ledger_as_of(personas["office"], town["town"], OCT_2).basis
        assert "快照晚于期末保存" in basis
        for day in ("2026-12-01", "2026-11-02"):  # a period to come, the period still running
            with pytest.raises(CommandError, match="尚未结束"):
                call_command("ledger", "snapshot", "--period", day)
        with pytest.raises(CommandError, match="YYYY-MM-DD"):
            call_command("ledger", "snapshot", "--period", "soon")


def test_a_late_snapshot_keeps_the_period_ends_membership(bikes: dict, town: dict, personas: dict) -> None:
    """Taken days late, a snapshot still lists the bikes registered and not retired at the period's end."""
    with time_machine.travel(at("2026-11-01", "10:00"), tick=False):
        retire(bikes["retired_later"], "moved_away")
        f.EBikeFactory(unit=town["a"], frame_number="ADDED-LATER")
    as_of.take_snapshot(OCT_2, at("2026-11-04"))
    ledger = as_of.ledger_as_of(personas["office"], town["town"], OCT_2)
    assert sorted(frame_numbers(ledger)) == ["CHANGED", "ELSEWHERE", "KEPT", "RETIRED-LATER"]
    with pytest.raises(as_of.SnapshotRefused, match="尚未结束"):
        as_of.take_snapshot(HalfMonth.parse("2026-11-16"), at("2026-11-30", "23:59"))


def test_a_renamed_unit_keeps_its_snapshot(bikes: dict, town: dict, personas: dict) -> None:
    """Snapshots match units by id: a unit whose code (so its path) changed since still finds its bikes."""
    as_of.take_snapshot(OCT_2, at("2026-11-01", "00:05"))
    unit = town["a"]
    unit.code = "T-A-NEW"
    unit.save()
    unit.refresh_from_db()
    ledger = as_of.ledger_as_of(personas["office"], unit, OCT_2)
    assert frame_numbers(ledger) == ["CHANGED", "KEPT", "RETIRED-LATER"]


def test_an_empty_scope_sees_an_empty_ledger(bikes: dict, town: dict, personas: dict) -> None:
    """A role whose scope holds no e-bikes (the police's sectors) gets an empty ledger, not an error."""
    as_of.take_snapshot(OCT_2, at("2026-11-01", "00:05"))
    assert as_of.ledger_as_of(personas["police"], town["b"], OCT_2).frame.height == 0
    LedgerSnapshot.objects.all().delete()
    assert as_of.ledger_as_of(personas["police"], town["b"], OCT_2).frame.height == 0


def test_an_empty_snapshot(db: Any, town: dict, personas: dict) -> None:
    as_of.take_snapshot(OCT_2)
    ledger = as_of.ledger_as_of(personas["office"], town["town"], OCT_2)
    assert ledger.exact and ledger.frame.height == 0 and ledger.summary()["total"] == 0
    assert ledger.rows() == [] and list(ledger.export_table())[1:] == []
