"""`core.fetching.query_frames`: the same frames through ADBC (a SQLite file), COPY (PostgreSQL) and the
cursor, whatever the nulls and however many rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.db import connection

from ebsafety.core import fetching
from ebsafety.core.fetching import INTEGER, TEXT, query_frames
from ebsafety.ledgers.models import EBike
from tests.ledgers import factories as f

COLUMNS = {
    "frame_number": TEXT,
    "compound__name": TEXT,  # null for bikes without a compound (an outer join)
    "remark": TEXT,
    "registration_date": TEXT,
    "battery_voltage": INTEGER,
    "declared_compliant": INTEGER,
    "owner__name": TEXT,
}


@pytest.fixture
def bikes(town: dict) -> list[EBike]:
    """1,500 bikes whose first 1,200 have no compound, date, voltage or declaration: ADBC infers a column's
    type from the first rows (1,024 by default), and a text column of nulls would come back as integers."""
    owner = f.PersonFactory(unit=town["a"])
    made = [
        EBike(
            unit=town["a"],
            owner=owner,
            frame_number=f"F{index:06d}",
            compound=town["a1"] if index >= 1200 else None,
            remark="=1+1" if index == 1400 else "",
            registration_date=None if index < 1200 else "2026-03-0" + str(index % 9 + 1),
            battery_voltage=None if index < 1200 else 48,
            declared_compliant=None if index < 1200 else index % 2 == 0,
        )
        for index in range(1500)
    ]
    return EBike.objects.bulk_create(made)


def cursor_frames(queryset: Any) -> pl.DataFrame:
    """The reference: the rows through the DB-API cursor."""
    aliases = {f"_c{i}": name for i, name in enumerate(COLUMNS)}
    frames = [
        frame.rename(aliases)
        for frame in fetching._cursor(
            *_sql(queryset), {a: COLUMNS[n] for a, n in aliases.items()}, fetching.CHUNK_ROWS
        )
    ]
    return pl.concat(frames)


def _sql(queryset: Any) -> tuple[str, tuple]:
    from django.db.models import CharField, F, IntegerField, Value
    from django.db.models.functions import Cast, Coalesce

    annotations: dict[str, Any] = {}
    for index, (name, dtype) in enumerate(COLUMNS.items()):
        annotations[f"_c{index}"] = (
            Coalesce(Cast(F(name), CharField()), Value(""), output_field=CharField())
            if dtype == TEXT
            else Cast(F(name), IntegerField())
        )
    return queryset.annotate(**annotations).values_list(*annotations).query.sql_with_params()


def test_frames_have_the_columns_types_and_order_asked_for(bikes: list[EBike]) -> None:
    queryset = EBike.objects.order_by("-frame_number")
    frames = list(query_frames(queryset, COLUMNS, chunk_rows=400))
    assert [frame.height for frame in frames] == [400, 400, 400, 300]
    table = pl.concat(frames)
    assert table.schema == pl.Schema(COLUMNS)
    assert table["frame_number"][0] == "F001499" and table["frame_number"][-1] == "F000000"
    no_compound = table.filter(pl.col("frame_number") == "F000000").row(0, named=True)
    assert no_compound["compound__name"] == "" and no_compound["battery_voltage"] is None
    assert no_compound["registration_date"] == "" and no_compound["declared_compliant"] is None
    dated = table.filter(pl.col("frame_number") == "F001400").row(0, named=True)
    assert dated["registration_date"] == "2026-03-06" and dated["declared_compliant"] == 1
    assert dated["remark"] == "=1+1" and dated["battery_voltage"] == 48
    assert table.equals(cursor_frames(queryset))


def test_empty_result(bikes: list[EBike]) -> None:
    assert list(query_frames(EBike.objects.filter(frame_number="none"), COLUMNS)) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's ADBC path")
def test_adbc_reads_a_sqlite_file_as_the_cursor_does(bikes: list[EBike], tmp_path: Path) -> None:
    """The test database lives in memory inside the test's transaction, so it is dumped to a file (the
    backup API would wait for that transaction) and read there through ADBC."""
    copy = tmp_path / "copy.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    target.executescript("\n".join(connection.connection.iterdump()))
    target.close()
    queryset = EBike.objects.order_by("pk")
    sql, params = _sql(queryset)
    schema = {f"_c{i}": dtype for i, dtype in enumerate(COLUMNS.values())}
    through_adbc = pl.concat(list(fetching._sqlite_adbc(copy, sql, params, schema, 1000)))
    through_cursor = pl.concat(list(fetching._cursor(sql, params, schema, 1000)))
    assert through_adbc.height == 1500 and through_adbc.equals(through_cursor)
    nothing = fetching._sqlite_adbc(copy, *_sql(queryset.filter(pk=-1)), schema, 1000)
    assert list(nothing) == []


def test_the_adbc_path_is_taken_only_for_a_file_outside_a_transaction(
    bikes: list[EBike], tmp_path: Path, monkeypatch: Any
) -> None:
    taken: list[str] = []
    monkeypatch.setattr(fetching, "_sqlite_file", lambda: tmp_path / "db.sqlite3")
    monkeypatch.setattr(fetching, "_sqlite_adbc", lambda *a: taken.append("adbc") or iter(()))
    list(query_frames(EBike.objects.all(), COLUMNS))  # tests run inside a transaction
    assert taken == []
    if connection.vendor == "sqlite":
        monkeypatch.setattr(fetching, "_outside_transaction", lambda: True)
        list(query_frames(EBike.objects.all(), COLUMNS))
        assert taken == ["adbc"]


def test_only_text_and_integer_columns(bikes: list[EBike]) -> None:
    with pytest.raises(ValueError, match="battery_voltage"):
        list(query_frames(EBike.objects.all(), {"battery_voltage": pl.Float64}))


def test_an_empty_scope_reads_nothing(bikes: list[EBike]) -> None:
    """A filter that can match nothing (a role without e-bikes in its scope) runs no query at all."""
    assert list(query_frames(EBike.objects.filter(pk__in=[]), COLUMNS)) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's ADBC path")
def test_adbc_path_quirks(bikes: list[EBike], tmp_path: Path) -> None:
    """A file whose path has URI characters opens read-only as itself; a query the plain SQLite connection
    cannot run (Django's own SQL functions, here a year lookup) is read through the cursor instead."""
    odd = tmp_path / "村 #1?x"
    odd.mkdir()
    copy = odd / "copy.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    target.executescript("\n".join(connection.connection.iterdump()))
    target.close()
    schema = {f"_c{i}": dtype for i, dtype in enumerate(COLUMNS.values())}
    plain = pl.concat(list(fetching._sqlite_adbc(copy, *_sql(EBike.objects.order_by("pk")), schema, 1000)))
    assert plain.height == 1500 and sorted(p.name for p in odd.iterdir()) == ["copy.sqlite3"]
    dated = EBike.objects.filter(registration_date__year=2026).order_by("pk")
    through_fallback = pl.concat(list(fetching._sqlite_adbc(copy, *_sql(dated), schema, 1000)))
    assert through_fallback.height == 300
    assert through_fallback.equals(pl.concat(list(fetching._cursor(*_sql(dated), schema, 1000))))
