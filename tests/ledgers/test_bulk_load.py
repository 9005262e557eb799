"""The large-load machinery of the e-bike import: rows spilled to disk between check and write, indexes
built after a first census, owners shared across chunks, warnings kept as a frame, the streamed outcome
file. Small files stand in for a million rows by lowering the thresholds."""

from __future__ import annotations

import contextlib
import datetime
import gzip
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import connection

from ebsafety.ledgers import bulk, frames
from ebsafety.ledgers.importer import run_import
from ebsafety.ledgers.models import HAS_ID_NUMBER, EBike, ImportBatch, Person
from ebsafety.ledgers.parsing import Issue, IssueFrame
from tests.ledgers.builders import HEADER, bike_row, make_id, write_csv, write_xlsx


def run(town: dict, path: Path, unit: str = "a", **kwargs: Any) -> Any:
    kwargs.setdefault("commit", True)
    return run_import(kind="ebike", unit=town[unit], path=path, **kwargs)


def index_definitions(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        else:
            cursor.execute(
                "SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                [table],
            )
        return dict(cursor.fetchall())


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 3 rows, so a dozen rows cross several chunks (and spilled files)."""
    monkeypatch.setattr(frames, "CHUNK_ROWS", 3)


def test_first_census_rebuilds_every_index(
    town: dict, tmp_path: Path, monkeypatch: Any, small_chunks: None
) -> None:
    import contextlib

    monkeypatch.setattr(bulk, "REINDEX_MIN_ROWS", 5)
    tables = ("ledgers_ebike", "ledgers_person")
    before = {t: index_definitions(t) for t in tables}
    during: dict[str, tuple[bool, dict[str, str]]] = {}
    real = bulk.indexes_deferred

    @contextlib.contextmanager
    def spy(model: Any, incoming: int) -> Any:
        with real(model, incoming) as dropped:
            during[model._meta.db_table] = (dropped, index_definitions(model._meta.db_table))
            yield dropped

    monkeypatch.setattr(bulk, "indexes_deferred", spy)
    outcome = run(town, write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(1, 13)]))
    assert outcome.added == 12
    for table in tables:
        dropped, left = during[table]
        assert dropped is True
        # only what cannot be dropped stays: SQLite's inline UNIQUE, PostgreSQL's key and constraint indexes
        assert all(
            name.startswith("sqlite_autoindex") or name.endswith(("_pkey", "_key", "_uniq")) for name in left
        ), left
    # the frame numbers' unique index is built again with the others, not kept filled a row at a time
    assert "ebike_unique_frame_number" in before["ledgers_ebike"]
    assert not [name for name in during["ledgers_ebike"][1] if not name.endswith("_pkey")]
    assert {t: index_definitions(t) for t in tables} == before
    assert EBike.objects.count() == 12 and Person.objects.count() == 12
    assert "write_indexes_s" in outcome.timings


def test_a_failure_while_the_indexes_are_gone_leaves_everything_as_before(
    town: dict, tmp_path: Path, monkeypatch: Any, small_chunks: None
) -> None:
    run(town, write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(1, 4)]))
    monkeypatch.setattr(bulk, "REINDEX_MIN_ROWS", 5)
    tables = ("ledgers_ebike", "ledgers_person")
    before = {t: index_definitions(t) for t in tables}
    counts = (EBike.objects.count(), Person.objects.count(), ImportBatch.objects.count())
    real = bulk.insert_columns
    calls = []

    def failing(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) == 4:  # the second chunk's bikes, with the first chunk's rows already in
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(bulk, "insert_columns", failing)
    with pytest.raises(RuntimeError):
        run(town, write_csv(tmp_path / "b.csv", [bike_row(i) for i in range(10, 22)]))
    assert len(calls) == 4
    assert (EBike.objects.count(), Person.objects.count(), ImportBatch.objects.count()) == counts
    assert {t: index_definitions(t) for t in tables} == before


def test_a_first_census_that_also_changes_registered_bikes_owners(
    town: dict, tmp_path: Path, monkeypatch: Any, small_chunks: None
) -> None:
    """A load large enough to rebuild the indexes, in a file that also gives registered bikes new owners:
    the changes' pending key checks (PostgreSQL's deferred triggers) do not stop the indexes' drop, and
    every row lands as a smaller file would land it."""
    run(town, write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(1, 4)]))
    monkeypatch.setattr(bulk, "REINDEX_MIN_ROWS", 5)
    changed = [bike_row(i, 车主姓名=f"新车主{i}", 身份证号=make_id(100 + i)) for i in range(1, 4)]
    outcome = run(town, write_csv(tmp_path / "b.csv", changed + [bike_row(i) for i in range(10, 22)]))
    assert (outcome.rejected, outcome.changed, outcome.added) == (0, 3, 12)
    assert outcome.committed
    assert sorted(
        EBike.objects.filter(frame_number__in=["FRAME0000001", "FRAME0000003"]).values_list(
            "owner__name", flat=True
        )
    ) == ["新车主1", "新车主3"]
    assert EBike.objects.count() == 15 and Person.objects.count() == 18


def test_indexes_stay_for_a_load_smaller_than_the_table(town: dict, tmp_path: Path, monkeypatch: Any) -> None:
    run(town, write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(1, 11)]))
    monkeypatch.setattr(bulk, "REINDEX_MIN_ROWS", 1)
    with bulk.indexes_deferred(EBike, 3) as dropped:
        assert dropped is False
        assert index_definitions("ledgers_ebike")


def test_rebuilding_a_unique_index_still_refuses_a_duplicate(
    town: dict, tmp_path: Path, monkeypatch: Any
) -> None:
    """A duplicate slipped in while the indexes were gone fails the rebuild, and everything rolls back."""
    from django.db import IntegrityError, transaction

    monkeypatch.setattr(bulk, "REINDEX_MIN_ROWS", 1)
    before = index_definitions("ledgers_person")
    with pytest.raises(IntegrityError), transaction.atomic(), bulk.indexes_deferred(Person, 10):
        for pk in (1, 2):
            Person.objects.create(id=pk, name="甲", id_number=make_id(1), phone="", unit=town["a"])
    assert Person.objects.count() == 0
    assert index_definitions("ledgers_person") == before


def test_owners_are_shared_across_chunks(town: dict, tmp_path: Path, small_chunks: None) -> None:
    """An owner with bikes in the first and last chunks, one without an ID number likewise: a person each."""
    rows = [bike_row(i) for i in range(1, 11)]
    rows[0] = bike_row(1, 身份证号=make_id(500), 车主姓名="共同车主")
    rows[9] = bike_row(10, 身份证号=make_id(500), 车主姓名="共同车主")
    rows[1] = bike_row(2, 身份证号="", 车主姓名="无证车主", 手机号="13811112222")
    rows[8] = bike_row(9, 身份证号="", 车主姓名="无证车主", 手机号="13811112222")
    Person.objects.create(name="老车主", id_number=make_id(5), phone="", unit=town["a"])
    outcome = run(town, write_xlsx(tmp_path / "a.xlsx", rows))
    assert outcome.added == 10
    assert Person.objects.filter(id_number=make_id(500)).count() == 1
    assert EBike.objects.filter(owner__id_number=make_id(500)).count() == 2
    assert Person.objects.filter(name="无证车主", id_number="").count() == 1
    assert EBike.objects.filter(owner__name="无证车主").count() == 2
    assert EBike.objects.get(frame_number="FRAME0000005").owner.name == "老车主"  # registered before
    assert Person.objects.count() == 1 + 7  # the one registered before; two shared, five single owners


def test_spilled_rows_are_removed_after_the_import(
    town: dict, tmp_path: Path, small_chunks: None, settings: Any
) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spill)
    rows = [bike_row(i) for i in range(1, 8)]
    run(town, write_csv(tmp_path / "a.csv", rows), commit=False)  # a preview
    assert list(spill.iterdir()) == []
    run(town, write_csv(tmp_path / "b.csv", rows))
    assert list(spill.iterdir()) == []
    assert EBike.objects.count() == 7


def test_spilled_rows_are_removed_when_the_write_fails(
    town: dict, tmp_path: Path, monkeypatch: Any, small_chunks: None, settings: Any
) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spill)

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "insert_columns", boom)
    with pytest.raises(RuntimeError):
        run(town, write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(1, 8)]))
    assert list(spill.iterdir()) == []
    assert EBike.objects.count() == 0 and ImportBatch.objects.count() == 0


def test_warnings_in_row_order_and_in_the_outcome_file(
    town: dict, tmp_path: Path, small_chunks: None
) -> None:
    rows = [bike_row(i) for i in range(1, 9)]
    rows[1] = bike_row(2, 号牌类型="临时号牌", 是否超标="否", 小区名称="不存在小区", **{"电池电压(V)": 60})
    rows[6] = bike_row(7, 号牌类型="临时号牌")
    rows[4] = bike_row(5, 手机号="123")
    outcome = run(town, write_csv(tmp_path / "a.csv", rows))
    warnings = outcome.warning_list
    assert isinstance(warnings, IssueFrame)
    listed = [w.as_dict() for w in warnings]
    assert [w["row"] for w in listed] == sorted(w["row"] for w in listed)
    first_row = [w for w in listed if w["row"] == listed[0]["row"]]
    assert [w["column"] for w in first_row] == ["小区名称", "号牌类型", "电池电压(V)"]
    assert outcome.warnings == len(listed) == 4
    batch = ImportBatch.objects.get(pk=outcome.batch_id)
    full = json.loads(gzip.decompress(batch.outcome_file.read()))
    assert full["warnings"] == listed
    assert full["errors"] == [e.as_dict() for e in outcome.errors] and len(full["errors"]) == 1
    assert full["added"] == outcome.added_ids and len(full["added"]) == 7
    assert full["counts"]["warnings"] == 4 and full["retired"] == [] and full["changed"] == {}
    assert batch.warning_list == listed


def test_issue_frame_reads_like_a_list() -> None:
    import polars as pl

    issues = [Issue(3, "手机号", "不对"), Issue(5, "身份证号", "校验位错误"), Issue(9, "车架号", "重复")]
    frame = IssueFrame(
        pl.DataFrame(
            {
                "row": [i.row for i in issues],
                "column": [i.column for i in issues],
                "message": [i.message for i in issues],
            }
        )
    )
    assert len(frame) == 3 and frame[1] == issues[1] and frame[-1] == issues[-1]
    assert frame[:2] == issues[:2] and frame[::2] == issues[::2] and frame[5:] == []
    assert list(frame) == issues and frame == issues and frame != issues[:2]
    with pytest.raises(IndexError):
        frame[3]
    assert json.loads("".join(frame.json_parts())) == [i.as_dict() for i in issues]
    empty = IssueFrame(pl.DataFrame({"row": [], "column": [], "message": []}))
    assert json.loads("".join(empty.json_parts())) == [] and list(empty) == []


def test_stale_spills_are_removed_by_the_daily_job(db: None, settings: Any, tmp_path: Path) -> None:
    import os
    import time

    from ebsafety.core.scheduler import jobs, run_once
    from ebsafety.ledgers.jobs import cleanup_job

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    stale = tmp_path / f"{bulk.SPILL_PREFIX}killed"
    fresh = tmp_path / f"{bulk.SPILL_PREFIX}running"
    other = tmp_path / "someone-elses-dir"
    for path in (stale, fresh, other):
        path.mkdir()
        (path / "00000.arrow").write_bytes(b"x")
    stale_part = tmp_path / f"{bulk.SPILL_PREFIX}part.xlsx"  # a worksheet part (`sheet_parts`)
    stale_part.write_bytes(b"x")
    old = time.time() - bulk.SPILL_MAX_AGE_SECONDS - 60
    for path in (stale, other, stale_part):
        os.utime(path, (old, old))
    assert cleanup_job in jobs()
    assert run_once(cleanup_job, force_period="2026-11-30")
    assert not stale.exists() and not stale_part.exists() and fresh.exists() and other.exists()


def test_staged_rows_equal_rows_written_one_by_one(town: dict, tmp_path: Path, monkeypatch: Any) -> None:
    """SQLite: the staging path (ADBC, then INSERT … SELECT) stores exactly what executemany stores."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write path")
    variants = [
        {},
        {"号牌类型": "临时号牌", "是否超标": "", "电池电压(V)": "", "登记日期": "", "小区名称": "不存在小区"},
        {"身份证号": "", "手机号": "13811112222", "备注": "=SUM(A1)", "电池数量": ""},
    ]

    def rows(offset: int) -> list[list[Any]]:
        return [bike_row(offset + i, **variants[i % 3]) for i in range(1, 10)]

    staged = run(town, write_csv(tmp_path / "a.csv", rows(0)))
    monkeypatch.setattr(bulk.SqliteStaging, "usable", classmethod(lambda cls: False))
    plain = run(town, write_csv(tmp_path / "b.csv", rows(100)), unit="b")
    assert staged.added == plain.added == 9

    def stored(ids: list[int]) -> list[dict[str, Any]]:
        skip = {"id", "frame_number", "motor_number", "plate_number", "owner", "unit", "created", "updated"}
        skip |= {"last_batch", "building", "compound", "compound_text"}
        bikes = EBike.objects.filter(pk__in=ids).order_by("pk").select_related("owner")
        return [
            {f.name: getattr(b, f.name) for f in EBike._meta.concrete_fields if f.name not in skip}
            | {"owner_types": (type(b.owner.name), type(b.owner.id_number)), "created": type(b.created)}
            for b in bikes
        ]

    assert stored(staged.added_ids) == stored(plain.added_ids)
    bike = EBike.objects.filter(pk__in=staged.added_ids, battery_voltage__isnull=False).first()
    assert bike is not None and bike.battery_voltage == 48 and bike.is_compliant is True
    assert bike.registration_date is not None and bike.last_batch_id == staged.batch_id


def test_postgresql_checks_the_new_rows_keys_once(town: dict, tmp_path: Path) -> None:
    """PostgreSQL: with the per-row triggers off for the load, a dangling key is still refused (one query
    per key afterwards) and nothing is kept; good rows go in."""
    from django.db import IntegrityError, transaction

    from ebsafety.core.models import Unit

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's foreign keys")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ledgers_person")
        first = cursor.fetchone()[0]
    with transaction.atomic(), bulk.foreign_keys_checked_once((Person,), {"ledgers_person": first}) as off:
        assert off is True  # the test database's role may switch the triggers off
        Person.objects.create(id=first, name="甲", id_number=make_id(1), unit=town["a"])
    assert Person.objects.filter(pk=first).exists()
    missing_unit = Unit.objects.order_by("-pk").first().pk + 1000
    checked = bulk.foreign_keys_checked_once((Person,), {"ledgers_person": first + 1})
    with (
        pytest.raises(IntegrityError, match="ledgers_person.unit_id"),
        transaction.atomic(),
        checked,
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledgers_person (id, created, updated, name, id_number, phone, address, unit_id) "
            "VALUES (%s, now(), now(), '乙', '', '', '', %s)",
            [first + 1, missing_unit],
        )
    assert not Person.objects.filter(pk=first + 1).exists()


def test_the_batched_key_checks_find_a_dangling_key_of_each_kind(town: dict) -> None:
    """Loading people and bikes together: a bike naming no person (a table loaded alongside) and a bike
    naming no unit (a table not being loaded) each fail the load; good rows pass, their units locked."""
    from django.db import IntegrityError, transaction

    from ebsafety.core.models import Unit

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's foreign keys")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ledgers_person")
        person = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ledgers_ebike")
        bike = cursor.fetchone()[0]
    missing_unit = Unit.objects.order_by("-pk").first().pk + 1000
    bike_sql = (
        "INSERT INTO ledgers_ebike (id, created, updated, status, retire_reason, compound_text, building, "
        "plate_kind, plate_number, brand, model_name, frame_number, motor_number, battery_kind, "
        "battery_count, is_compliant, compliance_reason, use, parking_place, charging_method, remark, "
        "owner_id, unit_id, compound_id) VALUES (%s, now(), now(), 'active', '', '', '', 'formal', '', '', "
        "'', %s, '', 'lithium', 1, true, '', 'private', '', '', '', %s, %s, %s)"
    )
    first = {"ledgers_person": person, "ledgers_ebike": bike}
    cases = [
        ("ledgers_ebike.owner_id", [bike, "F-1", person + 5, town["a"].pk, None]),
        ("ledgers_ebike.unit_id", [bike, "F-1", person, missing_unit, None]),
        ("ledgers_ebike.compound_id", [bike, "F-1", person, town["a"].pk, missing_unit]),
    ]
    for message, values in cases:
        checked = bulk.foreign_keys_checked_once((Person, EBike), first)
        with (
            pytest.raises(IntegrityError, match=message),
            transaction.atomic(),
            checked,
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "INSERT INTO ledgers_person (id, created, updated, name, id_number, phone, address, "
                "unit_id) VALUES (%s, now(), now(), '甲', '', '13800000000', '', %s)",
                [person, town["a"].pk],
            )
            cursor.execute(bike_sql, values)
        assert not EBike.objects.filter(pk=bike).exists() and not Person.objects.filter(pk=person).exists()
    with transaction.atomic(), bulk.foreign_keys_checked_once((Person, EBike), first) as off:
        assert off is True
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledgers_person (id, created, updated, name, id_number, phone, address, "
                "unit_id) VALUES (%s, now(), now(), '甲', '', '13800000000', '', %s)",
                [person, town["a"].pk],
            )
            cursor.execute(bike_sql, [bike, "F-1", person, town["a"].pk, None])
    assert EBike.objects.get(pk=bike).owner_id == person


def test_an_import_on_postgresql_takes_the_batched_key_checks(town: dict, tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's foreign keys")
    outcome = run(town, write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(1, 6)]))
    assert outcome.added == 5 and "write_key_checks_s" in outcome.timings
    assert EBike.objects.filter(owner__unit=town["a"]).count() == 5


def test_a_first_census_reads_the_small_tables_whole(town: dict, tmp_path: Path, monkeypatch: Any) -> None:
    """Keys outnumbering the table's rows: the registered frame numbers and people are read whole, not
    looked up a slice at a time; matching comes out the same."""
    from ebsafety.ledgers import ebike_import

    run(town, write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(1, 3)]))
    monkeypatch.setattr(ebike_import, "LOOKUP_CHUNK", 2)
    scans = []
    real = ebike_import._scan_whole_table
    monkeypatch.setattr(ebike_import, "_scan_whole_table", lambda m, k: scans.append(real(m, k)) or scans[-1])
    rows = [bike_row(i) for i in range(1, 9)]
    rows[1] = bike_row(2, 充电方式="入户充电")  # registered bike, changed
    rows[5] = bike_row(6, 身份证号=make_id(1), 车主姓名="车主1")  # a new bike of a registered owner
    outcome = run(town, write_csv(tmp_path / "b.csv", rows))
    assert True in scans
    assert (outcome.added, outcome.changed, outcome.unchanged) == (6, 1, 1)
    assert (
        EBike.objects.get(frame_number="FRAME0000006").owner
        == EBike.objects.get(frame_number="FRAME0000001").owner
    )
    assert Person.objects.filter(id_number=make_id(1)).count() == 1


def test_an_import_pauses_the_cyclic_collector_and_restores_it() -> None:
    import gc

    from ebsafety.ledgers.bulk import collector_paused

    seen = []

    @collector_paused()
    def work() -> None:
        seen.append(gc.isenabled())
        raise RuntimeError("boom")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        work()
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_a_failed_background_ingest_stops_the_move(db: Any, tmp_path: Path) -> None:
    """The staging ingests on its own thread: a failure surfaces at the next append or at the move, never
    silently, and closing afterwards neither hangs nor leaves the file."""
    import polars as pl

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write path")

    from ebsafety.ledgers.models import Person

    staging = bulk.SqliteStaging(tmp_path)
    person = {
        "id": [1], "created": ["2026-11-30 00:00:00"], "updated": ["2026-11-30 00:00:00"], "name": ["甲"],
        "id_number": [""], "phone": ["13800000000"], "address": [""], "unit_id": [1],
    }  # fmt: skip
    try:
        with pytest.raises(pl.exceptions.ColumnNotFoundError):  # every column of the table, or nothing
            staging.append(Person, pl.DataFrame({"id": [1], "name": ["甲"]}))
        staging.append(Person, pl.DataFrame(person))
        staging._wait()
        staging._create("ledgers_ebike")  # the bikes' table too: its frame numbers' unique key is an index
        with connection.cursor() as cursor:  # no index to fill: the ingest appends
            cursor.execute(f"SELECT name FROM {staging.attach()}.sqlite_master WHERE type = 'index'")
            assert cursor.fetchall() == []
        # the staging table is the real one's copy; a frame with another column cannot be appended
        staging._submit(staging._ingest, "ledgers_person", pl.DataFrame({"id": [2], "nickname": ["乙"]}))
        with pytest.raises(Exception, match="nickname"):
            staging.move()
    finally:
        staging.close()
    assert not staging.path.exists()


@pytest.mark.django_db(transaction=True)
def test_postgresql_statistics_are_renewed_after_the_commit(
    town: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large import on PostgreSQL renews the tables' planner statistics once committed, on a thread with
    its own connection (the commit does not wait for it); a rolled-back one does not start it."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's statistics")
    from ebsafety.ledgers import ebike_import

    monkeypatch.setattr(ebike_import, "ANALYZE_AFTER", 3)

    def analyzed() -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'ledgers_ebike'")
            return cursor.fetchone()[0]

    before = analyzed()
    started: list[Any] = []
    real = bulk._start_after_commit
    monkeypatch.setattr(bulk, "_start_after_commit", lambda *args: started.append(args) or real(*args))
    with (
        pytest.raises(RuntimeError),
        mock.patch.object(ebike_import.EBikeImport, "write", side_effect=RuntimeError("the write failed")),
    ):
        run(town, write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(1, 6)]))
    assert started == []
    outcome = run(town, write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(1, 6)]))
    assert outcome.committed and len(started) == 1
    bulk.wait_for_checkpoints()
    after = analyzed()
    assert after is not None and (before is None or after > before)


def test_an_id_pool_hands_out_in_order_what_it_reserved_in_blocks() -> None:
    """Ids reserved on the caller's thread in blocks (at least what is asked), taken in order by a job."""
    reserved: list[int] = []

    def allocate(count: int) -> list[int]:
        first = len(reserved) + 1
        reserved.extend(range(first, first + count))
        return list(range(first, first + count))

    pool = bulk.IdPool(allocate)
    pool.BLOCK = 4
    pool.ensure(3)
    assert len(reserved) == 4  # a block
    assert pool.take(2) == [1, 2]
    pool.ensure(2)  # two left: nothing reserved
    assert len(reserved) == 4
    pool.ensure(5)  # two left, five wanted: a block more (three would do)
    assert len(reserved) == 8
    assert pool.take(5) == [3, 4, 5, 6, 7]
    with pytest.raises(RuntimeError, match="reserved"):
        pool.take(2)  # only what `ensure` made ready
    assert pool.take(1) == [8]


def test_a_background_job_runs_one_at_a_time_and_its_failure_surfaces() -> None:
    """The stager: jobs in order, one at a time; a failed job is raised at the next submit or wait."""
    order: list[int] = []
    worker = bulk.Background("test-stage")
    try:
        for number in range(3):
            worker.submit(order.append, number)
        worker.wait()
        assert order == [0, 1, 2]

        def fail() -> None:
            raise ValueError("job failed")

        worker.submit(fail)
        with pytest.raises(ValueError, match="job failed"):
            worker.wait()
        worker.submit(fail)
        with pytest.raises(ValueError, match="job failed"):
            worker.submit(order.append, 3)  # the next submit raises it: the job after it never runs
        worker.wait()
        assert order == [0, 1, 2]
    finally:
        worker.stop()


def test_prefetched_items_come_in_order_one_made_ahead() -> None:
    """The reader's thread makes the next item while the caller works on one: never more than that one."""
    made: list[int] = []
    taken: list[int] = []

    def items() -> Any:
        for number in range(5):
            made.append(number)
            yield number

    ahead = bulk.prefetched(items())
    for item in ahead:
        taken.append(item)
        deadline = threading.Event()
        deadline.wait(0.05)  # time for the thread to run ahead, as far as it may
        assert len(made) <= len(taken) + 1
    assert taken == [0, 1, 2, 3, 4]


def test_prefetched_raises_a_failure_where_taken_and_stops_when_left() -> None:
    def failing() -> Any:
        yield 1
        raise ValueError("unreadable block")

    ahead = bulk.prefetched(failing())
    assert next(ahead) == 1
    with pytest.raises(ValueError, match="unreadable block"):
        next(ahead)
    endless = bulk.prefetched(iter(range(10**9)))
    assert next(endless) == 0
    endless.close()  # the caller leaves the loop: its thread ends
    assert not any(t.name == "ebsafety-read" and t.is_alive() for t in threading.enumerate())


def test_people_are_found_by_hash_then_by_their_text() -> None:
    """`People.among` compares hashes first, then the text of the rows they pick: a row whose hash matches
    but whose text does not (a collision, forced here) is not returned; the first registered wins."""
    import polars as pl

    from ebsafety.ledgers.ebike_import import People

    people = People().add(
        pl.DataFrame({"id_number": ["A", "B"], "id": [1, 2]}),
        pl.DataFrame({"name": ["甲", "甲"], "phone": ["139", "139"], "id": [3, 4]}),
    )
    people.add(
        pl.DataFrame({"id_number": ["A"], "id": [5]}),  # looked up twice: the first stays
        pl.DataFrame(schema={"name": pl.String, "phone": pl.String, "id": pl.Int64}),
    )
    people.by_id_number[1] = people.by_id_number[1].with_columns(_h=pl.lit(pl.Series(["A"]).hash()[0]))
    by_id, by_name = people.among(pl.Series(["A", "C"]), pl.Series(["139"]))
    assert by_id.rows() == [("A", 1)]  # "B" shares A's hash now, not its text
    assert by_name.rows() == [("甲", "139", 3)]
    none_by_id, none_by_name = People().among(pl.Series(["A"]), pl.Series(["139"]))
    assert none_by_id.is_empty() and none_by_name.is_empty()


def test_postgres_copier_reserves_ids_ahead_and_surfaces_a_failed_copy(town: dict) -> None:
    """PostgreSQL: rows are COPYed on a thread of the import's own connection (same transaction); ids come
    from a pool reserved in blocks; a failed COPY raises at the next step, never silently."""
    import polars as pl

    from ebsafety.ledgers.models import Person

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's write path")
    copier = bulk.PostgresCopier()
    copier.ID_BLOCK = 5
    try:
        first, second = copier.allocate_ids(Person, 3), copier.allocate_ids(Person, 4)
        assert len(set(first + second)) == 7 and first == sorted(first) and min(second) > max(first)
        now = connection.ops.adapt_datetimefield_value(datetime.datetime.now(datetime.UTC))
        frame = pl.DataFrame(
            {
                "id": first,
                "created": [now] * 3,
                "updated": [now] * 3,
                "name": ["甲", "乙", "丙"],
                "id_number": ["", "", ""],
                "phone": ["", "", ""],
                "address": ["", "", ""],
                "unit_id": [town["a"].pk] * 3,
            }
        )
        copier.append(Person, frame)
        copier.move()
        assert set(Person.objects.filter(pk__in=first).values_list("name", flat=True)) == {"甲", "乙", "丙"}
        copier.append(Person, frame.rename({"name": "nickname"}))
        with pytest.raises(Exception, match="nickname"):
            copier.move()
    finally:
        copier.close()


def _column_defaults(table: str, columns: list[str]) -> dict[str, str | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = %s::regclass AND a.attname = ANY(%s)",
            [table, columns],
        )
        return dict(cursor.fetchall())


def test_postgres_copier_sends_constants_as_defaults_only_to_tables_it_holds_alone(town: dict) -> None:
    """PostgreSQL: in a table the load holds alone, the columns with one value for every row default to it
    while the COPYs run (a chunk with other values changes the defaults); `move()` puts the defaults back as
    they were (none, or the column's own). Elsewhere the constants are sent with every row, the table's
    definition untouched."""
    import polars as pl
    from django.db import transaction

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's write path")
    columns = ["created", "updated", "address", "unit_id"]
    with connection.cursor() as cursor:  # a column with a default of its own keeps it
        cursor.execute("ALTER TABLE ledgers_person ALTER COLUMN address SET DEFAULT '无'")
    before = _column_defaults("ledgers_person", columns)
    now = datetime.datetime(2026, 11, 30, 8, 0, tzinfo=datetime.UTC)
    later = now + datetime.timedelta(hours=1)
    for alone in (True, False):
        with transaction.atomic():
            copier = bulk.PostgresCopier(exclusive=[Person] if alone else [])
            try:
                ids = copier.allocate_ids(Person, 4)
                for part, (at, unit) in enumerate([(now, town["a"]), (later, town["b"])]):
                    frame = pl.DataFrame(
                        {"id": ids[2 * part : 2 * part + 2], "name": ["甲", "乙"], "id_number": ["", ""]}
                    ).with_columns(phone=pl.lit(""))
                    constants = {"created": at, "updated": at, "address": "", "unit_id": unit.pk}
                    copier.append(Person, frame, constants)
                    if alone:
                        copier._wait()
                        assert _column_defaults("ledgers_person", ["unit_id"]) == {"unit_id": str(unit.pk)}
                copier.move()
            finally:
                copier.close()
            assert _column_defaults("ledgers_person", columns) == before
            rows = Person.objects.filter(pk__in=ids).order_by("pk")
            assert [(p.created, p.address, p.unit_id) for p in rows] == [
                (now, "", town["a"].pk),
                (now, "", town["a"].pk),
                (later, "", town["b"].pk),
                (later, "", town["b"].pk),
            ]
    assert before == {"created": None, "updated": None, "address": "'无'::character varying", "unit_id": None}


def test_reserved_ids_are_not_taken_by_other_writers(town: dict) -> None:
    """SQLite: ids reserved for rows staged before the import's transaction move the AUTOINCREMENT counter
    past them, so a row another writer adds meanwhile takes an id above the block."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's id reservation")
    block = bulk.allocate_ids(Person, 10)
    other = Person.objects.create(name="乙", phone="13800000000", unit=town["a"])
    assert block == list(range(block[0], block[0] + 10)) and other.pk > block[-1]
    assert bulk.allocate_ids(Person, 1)[0] > other.pk


def test_staged_rows_whose_ids_another_writer_took_are_refused(town: dict, tmp_path: Path) -> None:
    """A writer that ignores the reservation (raw SQL with explicit ids) is noticed before the move."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's staging")
    staging = bulk.SqliteStaging(tmp_path)
    try:
        ids = staging.allocate_ids(Person, 3)
        assert staging.ids_taken() == []
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledgers_person (id, created, updated, name, id_number, phone, address, unit_id) "
                "VALUES (%s, '2026-11-30', '2026-11-30', '丙', '', '', '', %s)",
                [ids[1], town["a"].pk],
            )
        assert staging.ids_taken() == ["ledgers_person"]
    finally:
        staging.close()


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_checks_foreign_keys_once_before_its_commit(town: dict) -> None:
    """SQLite, outside any transaction: foreign keys off for the load, then checked over the whole database
    before the commit; a dangling key rolls everything back, and enforcement is on again afterwards."""
    from django.db import IntegrityError

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's foreign keys")
    missing_unit = town["a"].pk + 1000
    with pytest.raises(IntegrityError), bulk.atomic_load(True) as unchecked:
        assert unchecked is True
        Person.objects.create(name="甲", phone="13800000000", unit=town["a"])
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledgers_person (created, updated, name, id_number, phone, address, unit_id) "
                "VALUES ('2026-11-30', '2026-11-30', '乙', '', '', '', %s)",
                [missing_unit],
            )
    assert not Person.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    with bulk.atomic_load(False) as unchecked:
        assert unchecked is False


def wal_database(path: Path, rows: int) -> sqlite3.Connection:
    """A WAL database holding `rows` rows, all of them still in its write-ahead log."""
    database = sqlite3.connect(path, isolation_level=None)
    database.execute("PRAGMA journal_mode = WAL")
    database.execute("PRAGMA wal_autocheckpoint = 0")
    database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    database.execute("BEGIN")
    database.executemany("INSERT INTO t (v) VALUES (?)", [(f"row {i}",) for i in range(rows)])
    database.execute("COMMIT")
    return database


def autocheckpoint() -> int:
    """The test connection's `wal_autocheckpoint`."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        return int(cursor.fetchone()[0])


def rows_in_the_database_file(path: Path, copy: Path) -> int:
    """The rows the database file itself holds (its WAL left out)."""
    copy.write_bytes(path.read_bytes())
    with contextlib.closing(sqlite3.connect(copy)) as database:
        try:
            return int(database.execute("SELECT COUNT(*) FROM t").fetchone()[0])
        except sqlite3.OperationalError:  # no such table: it is in the WAL only
            return 0


def test_a_background_checkpoint_copies_the_wal_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    database = wal_database(path, 5000)
    try:
        assert rows_in_the_database_file(path, tmp_path / "before.sqlite3") == 0
        bulk.checkpoint_in_background(str(path))
        assert bulk.wait_for_checkpoints() > 0
        assert rows_in_the_database_file(path, tmp_path / "after.sqlite3") == 5000
        assert bulk.wait_for_checkpoints() == 0  # nothing left to wait for
    finally:
        database.close()


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_leaves_its_checkpoint_to_a_thread_after_the_commit(
    town: dict, tmp_path: Path, monkeypatch: Any
) -> None:
    """SQLite in WAL mode: no automatic checkpoint inside the load's commit, then one in the background
    once it is committed (none after a rollback). The load's connection checkpoints nothing itself until
    that one has ended (else its next commit could copy the whole WAL inline first)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    path = tmp_path / "db.sqlite3"  # the test database is in memory: a WAL file stands in for it
    database = wal_database(path, 100)
    monkeypatch.setattr(bulk, "_wal_path", lambda: str(path))
    started: list[str] = []
    monkeypatch.setattr(bulk, "checkpoint_in_background", started.append)
    before = autocheckpoint()
    try:
        with pytest.raises(RuntimeError), bulk.atomic_load(True):
            Person.objects.create(name="甲", phone="13800000000", unit=town["a"])
            assert autocheckpoint() == 0
            raise RuntimeError("the load failed")
        assert started == [] and autocheckpoint() == before
        with bulk.atomic_load(True):
            Person.objects.create(name="甲", phone="13800000000", unit=town["a"])
            assert autocheckpoint() == 0
            assert started == []
        assert started == [str(path)]
        Person.objects.create(name="乙", phone="13800000001", unit=town["a"])  # e.g. the job's status
        assert autocheckpoint() == 0  # still: the background checkpoint may not hold its lock yet
        assert bulk.wait_for_checkpoints() == 0  # (the thread was stubbed: nothing to wait for)
        assert autocheckpoint() == before
        with bulk.atomic_load(False):  # not a bulk load: the commit checkpoints as usual
            assert autocheckpoint() == before
        assert started == [str(path)]
    finally:
        database.close()


@pytest.mark.django_db(transaction=True)
def test_the_loads_connection_checkpoints_again_once_the_background_one_ended(
    town: dict, tmp_path: Path, monkeypatch: Any
) -> None:
    """A real thread on a real WAL file: while it runs the load's connection keeps from checkpointing;
    the next load (or `wait_for_checkpoints`) finds it ended and restores the connection's setting."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    path = tmp_path / "db.sqlite3"
    database = wal_database(path, 20_000)
    monkeypatch.setattr(bulk, "_wal_path", lambda: str(path))
    release = threading.Event()
    real_connect = sqlite3.connect

    def slow_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        release.wait(10)  # the checkpoint "runs" until the test lets it go on
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(bulk.sqlite3, "connect", slow_connect)
    try:
        before = autocheckpoint()
        with bulk.atomic_load(True):
            Person.objects.create(name="甲", phone="13800000000", unit=town["a"])
        bulk.restore_autocheckpoint()  # the checkpoint is still running: nothing changes
        assert autocheckpoint() == 0
        release.set()
        assert bulk.wait_for_checkpoints() > 0
        assert autocheckpoint() == before
        assert rows_in_the_database_file(path, tmp_path / "after.sqlite3") == 20_000
    finally:
        release.set()
        bulk.wait_for_checkpoints()
        database.close()


def test_a_checkpoint_of_a_database_gone_creates_no_empty_file(tmp_path: Path, caplog: Any) -> None:
    missing = tmp_path / "moved.sqlite3"
    bulk.checkpoint_in_background(str(missing))
    bulk.wait_for_checkpoints()
    assert not missing.exists() and "checkpoint of" in caplog.text


def test_the_wal_path_of_a_file_database(db: None, tmp_path: Path) -> None:
    """`_wal_path` on a real WAL file (the test database is in memory), through Django's own backend."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    path = tmp_path / "db.sqlite3"
    wal_database(path, 1).close()
    wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": str(path)})
    try:
        with mock.patch.object(bulk, "connection", wrapper):
            assert bulk._wal_path() == str(path)
    finally:
        wrapper.close()


def test_the_wal_path_is_none_for_a_database_in_memory(db: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    assert bulk._wal_path() is None  # pytest-django's SQLite test database is in memory


@pytest.mark.django_db(transaction=True)
def test_a_first_census_outside_a_transaction_moves_the_staged_tables_whole(
    town: dict, tmp_path: Path, monkeypatch: Any, small_chunks: None
) -> None:
    """The path of a real first census (no test transaction around it): rows staged while the file is
    checked, indexes dropped, foreign keys off, the staging tables copied into identical ones, indexes and
    keys checked after. The outcome is the row-by-row one; the database's checks hold afterwards."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write path")
    monkeypatch.setattr(bulk, "REINDEX_MIN_ROWS", 5)
    before = index_definitions("ledgers_ebike")
    rows = [bike_row(i) for i in range(1, 13)]
    rows[4] = bike_row(5, 身份证号=make_id(1), 车主姓名="车主1", 手机号="13900000001")  # row 1 owner
    outcome = run(town, write_csv(tmp_path / "a.csv", rows))
    assert outcome.committed and outcome.added == 12 and outcome.rejected == 0
    assert "write_key_checks_s" in outcome.timings and "write_staging_s" in outcome.timings
    assert index_definitions("ledgers_ebike") == before
    batch = ImportBatch.objects.get(pk=outcome.batch_id)
    bikes = EBike.objects.all()
    assert bikes.count() == 12 and all(b.last_batch_id == batch.pk for b in bikes)
    assert Person.objects.count() == 11
    assert bikes.get(frame_number="FRAME0000005").owner == bikes.get(frame_number="FRAME0000001").owner
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA foreign_key_check")
        assert cursor.fetchall() == []
        cursor.execute("PRAGMA integrity_check")
        assert cursor.fetchall() == [("ok",)]
    again = run(town, write_csv(tmp_path / "a.csv", rows))  # re-submitting it changes nothing
    assert (again.added, again.changed, again.unchanged) == (0, 0, 12)


def test_postgresql_id_reservation_returns_the_values_taken(town: dict) -> None:
    """PostgreSQL: a block of ids comes back as a range when it is one run, else value by value (another
    session's nextval between ours; here a sequence stepping by 2 stands in for it)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's sequences")
    block = bulk.allocate_ids(Person, 1000)
    assert block == list(range(block[0], block[0] + 1000))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('ledgers_person', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 2")  # rolled back with the test
    stepped = bulk.allocate_ids(Person, 5)
    assert stepped == list(range(stepped[0], stepped[0] + 10, 2))
    assert Person.objects.create(name="甲", phone="13800000000", unit=town["a"]).pk > stepped[-1]


@pytest.mark.django_db(transaction=True)  # no test transaction: the import stages early
def test_a_changed_bike_and_a_new_bike_share_a_new_owner(town: dict, tmp_path: Path) -> None:
    """The file moves a registered bike to a new owner who also has a new bike in it: one person is
    created (the staged owners are written before the handler's changes look owners up)."""
    run(town, write_csv(tmp_path / "a.csv", [bike_row(1)]))
    new_owner = {"身份证号": make_id(50), "车主姓名": "新车主", "手机号": "13900000050"}
    outcome = run(town, write_csv(tmp_path / "b.csv", [bike_row(1, **new_owner), bike_row(2, **new_owner)]))
    assert (outcome.added, outcome.changed) == (1, 1)
    owner = Person.objects.get(id_number=make_id(50))
    assert set(EBike.objects.values_list("frame_number", flat=True).filter(owner=owner)) == {
        "FRAME0000001",
        "FRAME0000002",
    }
    no_id = {"身份证号": "", "车主姓名": "无证车主", "手机号": "13900000060"}
    outcome = run(town, write_csv(tmp_path / "c.csv", [bike_row(2, **no_id), bike_row(3, **no_id)]))
    assert (outcome.added, outcome.changed) == (1, 1)
    assert Person.objects.filter(name="无证车主", phone="13900000060").count() == 1


@pytest.mark.django_db(transaction=True)  # no test transaction: the import stages early
def test_owners_without_id_number_or_phone_are_not_matched_across_units(town: dict, tmp_path: Path) -> None:
    """A file without a phone column: an owner without an ID number is a new person in each unit, never
    someone of the same name elsewhere (nothing identifies them)."""
    header = [h for h in HEADER if h != "手机号"]
    phone_at = HEADER.index("手机号")

    def rows(start: int) -> list[list[Any]]:
        found = [bike_row(start, 身份证号="", 车主姓名="张三")]
        return [r[:phone_at] + r[phone_at + 1 :] for r in found]

    run(town, write_csv(tmp_path / "a.csv", rows(1), header=header), unit="a")
    run(town, write_csv(tmp_path / "b.csv", rows(2), header=header), unit="b")
    owners = {b.unit.code: b.owner_id for b in EBike.objects.select_related("unit")}
    assert len(set(owners.values())) == 2, owners


@pytest.mark.django_db(transaction=True)  # no test transaction: the import stages as in production
def test_a_frame_number_registered_while_the_file_was_checked_stops_the_import(
    town: dict, tmp_path: Path, monkeypatch: Any
) -> None:
    """Another import registers one of the file's new frame numbers between this file's check and its
    write: the import stops with a clear message and writes nothing (no unique-index failure)."""
    from ebsafety.ledgers import ebike_import
    from ebsafety.ledgers.importer import ImportRefused

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's early staging")
    owner = Person.objects.create(name="乙", phone="13800000000", unit=town["b"])
    real = ebike_import.EBikeImport.match

    def meanwhile(self: Any, *args: Any) -> None:
        real(self, *args)
        EBike.objects.create(
            frame_number="FRAME0000002",
            unit=town["b"],
            owner=owner,
            plate_kind="formal",
            battery_kind="lithium",
        )

    monkeypatch.setattr(ebike_import.EBikeImport, "match", meanwhile)
    assert bulk.SqliteStaging.usable()
    with pytest.raises(ImportRefused, match="检查期间其他导入登记了"):
        run(town, write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(1, 4)]))
    assert list(EBike.objects.values_list("frame_number", flat=True)) == ["FRAME0000002"]
    assert not ImportBatch.objects.exists() and Person.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # no test transaction: the import stages early
def test_rows_staged_before_midnight_and_written_after_it_carry_the_write_time(
    town: dict, tmp_path: Path, monkeypatch: Any
) -> None:
    """A half-month period ends at midnight: rows checked (and staged) before it and committed after it
    entered the ledger after it, like their submission."""
    import time_machine
    from django.utils import timezone

    from ebsafety.ledgers import ebike_import

    tz = timezone.get_default_timezone()
    with time_machine.travel(datetime.datetime(2026, 11, 15, 23, 59, 50, tzinfo=tz), tick=False) as clock:
        real = ebike_import.EBikeImport.match

        def after_midnight(self: Any, *args: Any) -> None:
            real(self, *args)
            clock.move_to(datetime.datetime(2026, 11, 16, 0, 0, 10, tzinfo=tz))

        monkeypatch.setattr(ebike_import.EBikeImport, "match", after_midnight)
        run(town, write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(1, 4)]))
    created = {timezone.localtime(b.created).date() for b in EBike.objects.all()}
    created |= {timezone.localtime(p.created).date() for p in Person.objects.all()}
    assert created == {datetime.date(2026, 11, 16)}


def test_postgresql_new_bikes_of_registered_owners_only(town: dict, tmp_path: Path) -> None:
    """Every owner of the new bikes is registered: no person is added, and the batched key checks have
    nothing to check in the people's table."""
    run(town, write_csv(tmp_path / "a.csv", [bike_row(1)]))
    outcome = run(town, write_csv(tmp_path / "b.csv", [bike_row(2, 身份证号=make_id(1), 车主姓名="车主1")]))
    assert outcome.added == 1 and Person.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_postgresql_registered_owners_of_new_bikes_are_locked_until_the_commit(town: dict) -> None:
    """With the per-row triggers off, the batched checks lock what the triggers would have: a registered
    owner of a new bike cannot be deleted (or locked for update) by another session before the commit."""
    import psycopg
    from django.db import transaction

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's foreign keys")
    owner = Person.objects.create(name="甲", phone="13800000000", unit=town["a"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ledgers_ebike")
        bike = cursor.fetchone()[0]
    params = connection.get_connection_params()
    with transaction.atomic():
        with bulk.foreign_keys_checked_once((Person, EBike), {"ledgers_ebike": bike}) as off:
            assert off is True
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO ledgers_ebike (id, created, updated, status, retire_reason, compound_text, "
                    "building, plate_kind, plate_number, brand, model_name, frame_number, motor_number, "
                    "battery_kind, battery_count, is_compliant, compliance_reason, use, parking_place, "
                    "charging_method, remark, owner_id, unit_id) VALUES (%s, now(), now(), 'active', '', '', "
                    "'', 'formal', '', '', '', 'F-LOCK', '', 'lithium', 1, true, '', 'private', '', '', '', "
                    "%s, %s)",
                    [bike, owner.pk, town["a"].pk],
                )
        with psycopg.connect(**params) as other, pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("SELECT 1 FROM ledgers_person WHERE id = %s FOR UPDATE NOWAIT", [owner.pk])
    assert EBike.objects.get(pk=bike).owner_id == owner.pk


@pytest.mark.django_db(transaction=True)  # no test transaction: the import stages early
@pytest.mark.parametrize("whole", [True, False])
def test_staged_owners_are_found_alike_read_whole_or_chunk_by_chunk(
    town: dict, tmp_path: Path, monkeypatch: Any, small_chunks: None, whole: bool
) -> None:
    """Registered owners (by ID number; without one, by name and phone) are found whether the register is
    read at once or looked up for each chunk, and an owner new to the file is created once across chunks."""
    from ebsafety.ledgers import ebike_import

    if not whole:
        monkeypatch.setattr(ebike_import, "WHOLE_PEOPLE_MAX", 0)
    no_id = {"身份证号": "", "车主姓名": "无证车主", "手机号": "13900000060"}
    run(town, write_csv(tmp_path / "a.csv", [bike_row(1), bike_row(2, **no_id)]))
    rows = [bike_row(i) for i in range(3, 11)]
    rows[0] = bike_row(3, 身份证号=make_id(1), 车主姓名="车主1", 手机号="13900000001")  # registered
    rows[4] = bike_row(7, **no_id)  # registered, no ID number
    rows[6] = bike_row(9, 身份证号=make_id(4), 车主姓名="车主4", 手机号="13900000004")  # = row of bike 4
    outcome = run(town, write_csv(tmp_path / "b.csv", rows))
    assert outcome.added == 8
    owner = {b.frame_number: b.owner_id for b in EBike.objects.all()}
    assert owner["FRAME0000003"] == owner["FRAME0000001"]
    assert owner["FRAME0000007"] == owner["FRAME0000002"]
    assert owner["FRAME0000009"] == owner["FRAME0000004"]
    assert Person.objects.count() == 2 + 5  # two registered, five new (bikes 4, 5, 6, 8, 10)


@pytest.mark.django_db
def test_index_builds_use_the_sorter_threads_and_restore_the_settings() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's sorter")

    def pragma(name: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA {name}")
            return int(cursor.fetchone()[0])

    before = (pragma("threads"), pragma("cache_size"))
    with bulk.index_build_settings():
        assert pragma("threads") == min(4, os.cpu_count() or 1)
        assert pragma("cache_size") == -bulk.SQLITE_SORT_CACHE_KIB
    assert (pragma("threads"), pragma("cache_size")) == before


def _plan(queryset: Any) -> str:
    """The database's plan for `queryset`'s look-up alone (no ordering, no joins), with sequential scans
    discouraged (the test tables are tiny)."""
    from django.db import transaction

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
        return str(queryset.order_by().values("pk").explain())


def test_the_ledgers_look_ups_use_their_indexes(town: dict) -> None:
    """The code columns (byte order on PostgreSQL) and the partial indexes serve the look-ups they are for:
    a frame number, an ID number, name + phone of people without one, a compound's bikes."""
    owner = Person.objects.create(name="甲", phone="13900000001", unit=town["a"])
    EBike.objects.create(
        unit=town["a"], owner=owner, frame_number="F1", plate_kind="formal", battery_kind="lithium",
        compound=town["a1"],
    )  # fmt: skip
    assert "ebike_unique_frame_number" in _plan(EBike.objects.filter(frame_number="F1"))
    assert "person_unique_id_number" in _plan(Person.objects.filter(HAS_ID_NUMBER, id_number=make_id(1)))
    assert "person_phone_name" in _plan(Person.objects.filter(phone__in=["13900000001"], id_number=""))
    assert "ebike_compound" in _plan(EBike.objects.filter(compound=town["a1"]))


def test_code_columns_compare_bytes_on_postgresql(town: dict) -> None:
    """PostgreSQL: the identifier columns are collated "C" (byte comparisons: their indexes build and
    search without the C library's `strcoll`); names keep the database's collation."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's collations")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname || '.' || a.attname, a.attcollation::regcollation::text FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid WHERE (c.relname, a.attname) IN (('ledgers_ebike', "
            "'frame_number'), ('ledgers_ebike', 'plate_number'), ('ledgers_person', 'id_number'), "
            "('ledgers_person', 'phone'), ('ledgers_shop', 'credit_code'), ('ledgers_platform', "
            "'credit_code'), ('ledgers_person', 'name'))"
        )
        collations = dict(cursor.fetchall())
    assert collations.pop("ledgers_person.name") == '"default"'
    assert set(collations.values()) == {'"C"'}, collations
    assert len(collations) == 6
    # the ORM's look-ups on them work as before, the case-insensitive ones included
    Person.objects.create(name="乙", id_number=make_id(2)[:-1] + "X", unit=town["a"])
    assert Person.objects.filter(id_number__iexact=make_id(2)[:-1] + "x").count() == 1
    assert Person.objects.filter(id_number__icontains="x").count() == 1
