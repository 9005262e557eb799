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
from ebsafety.ledgers.choices import ChargingMethod, PlateKind
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
    # every ledger is frozen (the others are empty here)
    assert sorted(LedgerSnapshot.objects.values_list("kind", "rows")) == sorted(
        [("ebike", 4), ("shop", 0), ("recycler", 0), ("platform", 0), ("station", 0), ("rider", 0)]
    )
    snapshot = LedgerSnapshot.objects.get(kind="ebike")
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
    rows = {"ebike": 4, "shop": 0, "recycler": 0, "platform": 0, "station": 0, "rider": 0}
    assert as_of.freeze_due(at("2026-11-01", "00:05")) == {"period": OCT_2.key, "taken": True, "rows": rows}
    assert as_of.freeze_due(at("2026-11-01", "09:00"))["taken"] is False
    # a ledger whose snapshot is missing (removed, or a kind added later) is frozen on the next run
    LedgerSnapshot.objects.filter(kind="shop").delete()
    assert as_of.freeze_due(at("2026-11-01", "10:00")) == {
        "period": OCT_2.key,
        "taken": True,
        "rows": {"shop": 0},
    }
    LedgerSnapshot.objects.all().delete()
    # the scheduler was down for days: the period stays derived rather than frozen with later changes
    assert as_of.freeze_due(at("2026-11-05"))["taken"] is False
    assert not LedgerSnapshot.objects.exists()


def test_cli_takes_a_snapshot(
    bikes: dict, town: dict, personas: dict, capsys: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(at("2026-11-02"), tick=False):
        call_command("ledger", "snapshot", "--period", "2026-10-20")
        out = capsys.readouterr().out
        assert "电动自行车台账快照：4 辆在册车辆" in out and "销售维修门店台账快照：0 条在册记录" in out
        with pytest.raises(CommandError, match="已有电动自行车台账的期末快照.*--replace"):
            call_command("ledger", "snapshot")
        with django_capture_on_commit_callbacks(execute=True):
            call_command("ledger", "snapshot", "--replace")
        assert LedgerSnapshot.objects.count() == 6  # every ledger, each once
        snapshot = LedgerSnapshot.objects.get(kind="ebike")
        assert snapshot.period_start == OCT_2.start and snapshot.file.name.endswith(".parquet")
        assert snapshot.file.storage.exists(snapshot.file.name)
        assert (
            len(list(snapshot.file.storage.listdir("ledgers/snapshots")[1])) == 6
        )  # the replaced files are gone
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


# -- the other ledgers ------------------------------------------------------------------------------------


@pytest.fixture
def shops(town: dict) -> dict[str, Any]:
    with time_machine.travel(at("2026-10-20"), tick=False):
        made = {
            "kept": f.ShopFactory(unit=town["a"], name="甲车行", businesses=["sales", "repair"]),
            "retired_later": f.ShopFactory(unit=town["a1"], name="乙车行"),
            "elsewhere": f.ShopFactory(unit=town["b"], name="丙车行"),
        }
        gone = f.ShopFactory(unit=town["a"], name="早已注销的车行")
        retire(gone, "moved_away")
    return made


def names(ledger: as_of.AsOfLedger) -> list[str]:
    return ledger.frame["name"].to_list()


def test_another_ledger_as_of_a_period_derived_then_frozen(
    shops: dict, bikes: dict, town: dict, personas: dict
) -> None:
    """The shops' ledger at the end of a period: registered before it ended and not retired by then; the
    snapshot keeps the values of then, the derived ledger shows today's (and says so)."""
    office = personas["office"]
    with time_machine.travel(at("2026-11-03"), tick=False):
        retire(shops["retired_later"], "moved_away")  # after the period's end: still in its ledger
        f.ShopFactory(unit=town["a"], name="期末之后开业")
    derived = as_of.ledger_as_of(office, town["a"], OCT_2, "shop")
    assert not derived.exact and "推算" in derived.basis and "记录" in derived.basis
    assert names(derived) == ["甲车行", "乙车行"]  # by unit path, then id
    kept = derived.frame.row(0, named=True)
    assert kept["businesses"] == "销售、维修" and kept["unit_code"] == "T-A"
    assert "phone" not in derived.frame.columns and "credit_code" in derived.frame.columns  # no phones
    by_unit = [(town["a"].name, 1), (town["a1"].name, 1)]  # in the tree's order: the village, its compound
    assert derived.summary() == {"total": 2, "by_unit": by_unit, "charging": []}
    # frozen: a later rename does not show
    as_of.take_snapshot(OCT_2, at("2026-11-01", "00:05"), kind="shop")
    shops["kept"].name = "甲车行（已更名）"
    shops["kept"].save()
    frozen = as_of.ledger_as_of(office, town["a"], OCT_2, "shop")
    assert frozen.exact and "在册记录" in frozen.basis
    assert names(frozen) == ["甲车行", "乙车行"]
    assert [r["status_now"] for r in frozen.rows()] == ["active", "retired"]
    # the e-bikes' snapshot is apart: not taken by the shops'
    assert not as_of.ledger_as_of(office, town["a"], OCT_2).exact


def test_another_ledger_is_narrowed_to_what_the_user_may_see(shops: dict, town: dict, personas: dict) -> None:
    as_of.take_snapshot(OCT_2, at("2026-11-01", "00:05"), kind="shop")
    assert names(as_of.ledger_as_of(personas["community"], town["b"], OCT_2, "shop")) == ["丙车行"]
    assert names(as_of.ledger_as_of(personas["community"], town["a"], OCT_2, "shop")) == []
    everyone = as_of.ledger_as_of(personas["office"], town["town"], OCT_2, "shop")
    assert sorted(names(everyone)) == ["丙车行", "乙车行", "甲车行"]


def test_riders_as_of_a_period_keep_no_id_or_phone(town: dict, personas: dict) -> None:
    with time_machine.travel(at("2026-10-20"), tick=False):
        platform = f.PlatformFactory(unit=town["town"], name="快送平台")
        rider = f.RiderFactory(unit=town["a"], platform=platform, housing_address="幸福里3号")
    ledger = as_of.ledger_as_of(personas["office"], town["town"], OCT_2, "rider")
    row = ledger.rows()[0]
    assert row["name"] == rider.person.name and row["platform"] == "快送平台"
    assert row["charging_method"] == ChargingMethod.CABINET.label  # its label, as the export writes it
    assert not {"id_number", "phone"} & set(ledger.frame.columns)
    assert rider.person.phone not in str(ledger.rows()) and rider.person.id_number not in str(ledger.rows())
    assert ledger.summary()["charging"] == [(row["charging_method"], 1)]
    exported = list(ledger.export_table())
    assert exported[0][0] == "所属单位" and exported[0][-1] == f"{OCT_2.label}期末状态"
    assert "身份证号" not in exported[0] and exported[1][-1] == "在册"


def test_page_export_api_and_cli_of_another_ledger(
    shops: dict, town: dict, personas: dict, client_for: Any, capsys: Any
) -> None:
    client = client_for(personas["office"])
    url = reverse("ledgers:ledger_as_of")
    page = client.get(url, {"kind": "shop", "unit": "T-A", "period": OCT_2.key})
    assert page.status_code == 200
    html = page.content.decode()
    assert "销售维修门店台账" in html and "甲车行" in html and "乙车行" in html and "丙车行" not in html
    assert 'data-testid="as-of-total">2<' in html
    exported = client.get(url, {"kind": "shop", "unit": "T-A", "period": OCT_2.key, "export": "csv"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    headers = [c.header for c in as_of.columns_of("shop")]
    assert rows[0] == ["所属单位", *headers, "录入时间", f"{OCT_2.label}期末状态"]
    assert not {"联系电话", "手机号"} & set(rows[0])
    assert sorted(r[1] for r in rows[1:]) == ["乙车行", "甲车行"]
    api = client.get(
        "/api/v1/ledger-submissions/as-of/", {"kind": "shop", "unit": "T-A", "period": "2026-10-20"}
    ).json()
    assert api["kind"] == "shop" and api["summary"] == {"total": 2} and not api["exact"]
    assert [item["values"]["name"] for item in api["results"]] == ["甲车行", "乙车行"]
    assert "phone" not in api["results"][0]["values"]
    refused = client.get(
        "/api/v1/ledger-submissions/as-of/", {"kind": "sale", "unit": "T-A", "period": "2026-10-20"}
    )
    assert refused.status_code == 400 and "kind" in refused.json()
    with time_machine.travel(at("2026-11-02"), tick=False):
        call_command("ledger", "snapshot", "--period", "2026-10-20", "--kind", "shop")
        assert "销售维修门店台账快照：3 条在册记录" in capsys.readouterr().out
        assert list(LedgerSnapshot.objects.values_list("kind", flat=True)) == ["shop"]
        with pytest.raises(CommandError, match="已有销售维修门店台账的期末快照.*--replace"):
            call_command("ledger", "snapshot", "--period", "2026-10-20", "--kind", "shop")
        # every ledger: the shops' is skipped with a note, the others are taken
        call_command("ledger", "snapshot", "--period", "2026-10-20")
        out = capsys.readouterr().out
        assert "跳过" in out and "电动自行车台账快照" in out
        assert LedgerSnapshot.objects.count() == 6


def test_the_page_offers_the_ledgers_the_user_may_see(
    shops: dict, town: dict, personas: dict, client_for: Any
) -> None:
    url = reverse("ledgers:ledger_as_of")
    page = client_for(personas["department"]).get(url)  # market regulation: the shops, not the e-bikes
    assert page.status_code == 200
    offered = [value for value, _ in page.context["form"].fields["kind"].choices]
    assert offered[0] == "shop" and "ebike" not in offered
    everything = client_for(personas["office"]).get(url).context["form"].fields["kind"].choices
    assert [value for value, _ in everything] == as_of.KINDS
    assert client_for(personas["norole"]).get(url).status_code == 403
    # a kind outside the choices is a form error, not another ledger
    wrong = client_for(personas["office"]).get(url, {"kind": "nonsense", "unit": "T-A", "period": OCT_2.key})
    assert wrong.status_code == 200 and "kind" in wrong.context["form"].errors
    assert "ledger" not in wrong.context
