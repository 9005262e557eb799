"""A ledger as it stood at the end of a half-month period ("the ledger as of period P"): the e-bikes, and
the smaller ledgers (shops, recycling sites, platforms, stations, riders) alike.

Exact when the period was frozen: shortly after each period ends, the scheduled job (`freeze_job`, daily at
00:05) writes every active record of each ledger as it stands then to a Parquet file per ledger
(`LedgerSnapshot`), the way a reporting system closes a period. `ebsafety ledger snapshot` takes them by
hand (a period the scheduler missed). A period without a snapshot (before the platform ran, or missed) is
still shown, derived from the current records and labelled as such (`ESTIMATE_BASIS`).

Both give the same frame for a ledger, so the page, its summary, its export and the API read one shape:
`COLUMNS` for the e-bikes (a million rows: read by one SQL query), and for the smaller ledgers (a town's
hundreds of shops or thousands of riders) the common columns (`COMMON`) and the template's own columns as
their text, as the export writes them — without ID or phone numbers, as the e-bikes' frame has only the
owner's name. The rows a user sees are always narrowed through the model's `visible_to` (the records they
may see now) and to the chosen unit's subtree (by unit ids: a unit renamed since keeps its records).
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ebsafety.core.exports import ExportTable
from ebsafety.core.fetching import INTEGER, TEXT, query_frames
from ebsafety.core.models import Unit
from ebsafety.core.periods import HalfMonth, period_for
from ebsafety.ledgers.choices import BatteryKind, ChargingMethod, LedgerKind, PlateKind, RecordStatus
from ebsafety.ledgers.exporting import MODELS, PERSONAL_KEYS, base_queryset, cell_texts
from ebsafety.ledgers.models import LedgerSnapshot
from ebsafety.ledgers.specs import Column, spec_for

logger = logging.getLogger(__name__)

# field path → the frame's column name
FIELDS = {
    "id": "id",
    "unit_id": "unit_id",
    "unit__path": "unit_path",
    "unit__code": "unit_code",
    "unit__name": "unit_name",
    "compound__name": "compound_name",
    "compound_text": "compound_text",
    "owner__name": "owner_name",
    "plate_kind": "plate_kind",
    "plate_number": "plate_number",
    "frame_number": "frame_number",
    "battery_kind": "battery_kind",
    "is_compliant": "is_compliant",
    "charging_method": "charging_method",
    "created": "created",
    "status": "status_now",  # replaced by the current status when a snapshot is read
}
INTEGER_FIELDS = {"id", "unit_id", "is_compliant"}
COLUMNS = list(FIELDS.values())
# The smaller ledgers' frames: these, then one text column per template column (`columns_of`).
COMMON = ["id", "unit_id", "unit_path", "unit_code", "unit_name", "created", "status_now"]
KINDS = list(MODELS)  # the ledgers with an "as of" view and snapshots, e-bikes first
# A snapshot is taken within this long after its period ends, else the period stays derived.
FREEZE_WITHIN = datetime.timedelta(days=3)

SNAPSHOT_BASIS = (
    "期末快照：{taken} 保存的期末（{end} 24:00）在册{things}，各字段为保存时的值{late}。"
    "该期实际上报的原始文件见右侧，可下载核对。"
)
# A snapshot taken later than this after the period's end says that the changes in between are in it.
ON_TIME = datetime.timedelta(hours=1)
ESTIMATE_BASIS = (
    "该期没有期末快照（系统启用前的期次，或当时未生成），依据现有台账推算：列出在期末（{end} 24:00）之前"
    "已录入系统、且当时尚未注销（未注销，或注销日期晚于期末）的{things}。各字段为当前值，期末之后的修改不回溯。"
    "该期实际上报的原始文件见右侧，可下载核对。"
)


def period_end_moment(period: HalfMonth, tz: datetime.tzinfo | None = None) -> datetime.datetime:
    """The first moment after the period (00:00 of the next day, local time)."""
    tz = tz or timezone.get_default_timezone()
    return datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time(0), tzinfo=tz)


# -- reading ----------------------------------------------------------------------------------------------


def _frame(queryset: Any) -> pl.DataFrame:
    """`queryset`'s bikes as the frame's columns, `created` as local time."""
    columns = {f: INTEGER if f in INTEGER_FIELDS else TEXT for f in FIELDS}
    parts = list(query_frames(queryset, columns))
    raw = pl.concat(parts) if parts else pl.DataFrame(schema=columns)
    local = str(timezone.get_default_timezone())
    # stored in UTC: SQLite writes "2026-11-30 07:01:16.123456", PostgreSQL "2026-11-30 07:01:16.123456+00"
    created = (
        pl.col("created")
        .str.slice(0, 19)
        .str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC", strict=False)
        .dt.convert_time_zone(local)
    )
    return raw.rename(FIELDS).with_columns(created, pl.col("is_compliant").cast(pl.Boolean))


def columns_of(kind: str) -> list[Column]:
    """The template's columns a smaller ledger's frame keeps: all but ID and phone numbers."""
    return [c for c in spec_for(kind).columns if c.key not in PERSONAL_KEYS]


def _records_frame(kind: str, queryset: Any) -> pl.DataFrame:
    """A smaller ledger's records as its frame: `COMMON`, then each kept template column as the text the
    export writes (enumerations as their labels)."""
    columns = columns_of(kind)
    local = timezone.get_default_timezone()
    data: dict[str, list[Any]] = {name: [] for name in COMMON + [c.key for c in columns]}
    for record in queryset.select_related("unit"):
        texts = cell_texts(kind, record)
        unit = record.unit
        for name, value in zip(
            COMMON,
            (record.pk, unit.pk, unit.path, unit.code, unit.name, record.created, record.status),
            strict=True,
        ):
            data[name].append(value)
        for column in columns:
            data[column.key].append(str(texts[column.key]))
    typed: dict[str, pl.DataType] = {
        "id": pl.Int64(),
        "unit_id": pl.Int64(),
        "created": pl.Datetime("us", time_zone=str(local)),
    }
    return pl.DataFrame(data, schema={name: typed.get(name, pl.String()) for name in data})


@dataclass
class AsOfLedger:
    """One unit's ledger of one kind at the end of one period, as a user may see it."""

    unit: Unit
    period: HalfMonth
    frame: pl.DataFrame
    snapshot: LedgerSnapshot | None
    kind: str = LedgerKind.EBIKE

    @property
    def kind_label(self) -> str:
        return str(LedgerKind(self.kind).label)

    @property
    def things(self) -> str:
        return "车辆" if self.kind == LedgerKind.EBIKE else "记录"

    @property
    def columns(self) -> list[Column]:
        """A smaller ledger's template columns in the frame (none for the e-bikes: their own shape). A
        snapshot taken before a column joined the template lacks it: only those it has."""
        if self.kind == LedgerKind.EBIKE:
            return []
        return [c for c in columns_of(self.kind) if c.key in self.frame.columns]

    @property
    def exact(self) -> bool:
        return self.snapshot is not None

    @property
    def basis(self) -> str:
        end = self.period.end.strftime("%Y年%m月%d日")
        if self.snapshot is None:
            return ESTIMATE_BASIS.format(end=end, things=self.things)
        taken_at = self.snapshot.taken_at
        taken = timezone.localtime(taken_at).strftime("%Y年%m月%d日 %H:%M")
        late = (
            "（期末之后的修改不计入）"
            if taken_at - period_end_moment(self.period) <= ON_TIME
            else "（快照晚于期末保存：期末至保存时之间对字段的修改已计入，是否在册仍按期末判断）"
        )
        return SNAPSHOT_BASIS.format(taken=taken, end=end, late=late, things=self.things)

    def summary(self) -> dict[str, Any]:
        """Counts: total and by unit; for the e-bikes also non-compliant, by plate kind and by charging
        method; for the riders by charging method (labels, sorted)."""
        # by unit (two units may share a name), in the tree's order
        grouped = self.frame.group_by("unit_path", "unit_name").len().sort("unit_path")
        by_unit = [(name, n) for _, name, n in grouped.iter_rows()]
        if self.kind != LedgerKind.EBIKE:
            charging = []
            if "charging_method" in self.frame.columns:  # the riders'
                grouped = self.frame.group_by("charging_method").len()
                charging = sorted((value or "未填", n) for value, n in grouped.iter_rows())
            return {"total": self.frame.height, "by_unit": by_unit, "charging": charging}
        plate_labels = dict(PlateKind.choices)
        charging_labels = dict(ChargingMethod.choices)

        def counts(column: str, labels: dict[str, str]) -> list[tuple[str, int]]:
            grouped = self.frame.group_by(column).len()
            return sorted(
                (str(labels.get(value, value) if value else "未填"), n) for value, n in grouped.iter_rows()
            )

        return {
            "total": self.frame.height,
            "by_unit": by_unit,
            "plates": counts("plate_kind", plate_labels),
            "non_compliant": self.frame.filter(~pl.col("is_compliant")).height,
            "charging": counts("charging_method", charging_labels),
        }

    def rows(self, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Rows for a page, with the enumerations' labels (a smaller ledger's: `cells`, its columns' texts in
        the template's order)."""
        if self.kind != LedgerKind.EBIKE:
            keys = [c.key for c in self.columns]
            return [
                {**row, "cells": [row[key] for key in keys]}
                for row in self.frame.slice(offset, limit).iter_rows(named=True)
            ]
        labels = {
            "plate_kind": dict(PlateKind.choices),
            "battery_kind": dict(BatteryKind.choices),
            "charging_method": dict(ChargingMethod.choices),
        }
        rows = []
        for row in self.frame.slice(offset, limit).iter_rows(named=True):
            for column, names in labels.items():
                row[f"{column}_label"] = str(names.get(row[column], row[column] or ""))
            row["compound"] = row["compound_name"] or row["compound_text"]
            rows.append(row)
        return rows

    def export_table(self) -> ExportTable:
        """The export (no ID or phone numbers: the owner's name only)."""
        if self.kind != LedgerKind.EBIKE:
            status = f"{self.period.label}期末状态"
            header = ["所属单位", *(c.header for c in self.columns), "录入时间", status]
            exprs = [
                pl.col("unit_name"),
                *(pl.col(c.key) for c in self.columns),
                pl.col("created").dt.strftime("%Y-%m-%d %H:%M").fill_null(""),
                pl.lit("在册"),
            ]
            frame = self.frame.select(e.alias(h) for e, h in zip(exprs, header, strict=True))
            return ExportTable(header, lambda: iter([frame]))
        header = [
            "所属单位",
            "小区",
            "车主姓名",
            "号牌类型",
            "车牌号",
            "车架号",
            "电池类型",
            "合规",
            "充电方式",
            "录入时间",
            f"{self.period.label}期末状态",
        ]

        def label(column: str, choices: Any) -> pl.Expr:
            value = pl.col(column)
            return value.replace_strict(dict(choices), default=value, return_dtype=pl.String)

        columns = [
            pl.col("unit_name"),
            pl.when(pl.col("compound_name") != "")
            .then(pl.col("compound_name"))
            .otherwise(pl.col("compound_text")),
            pl.col("owner_name"),
            label("plate_kind", PlateKind.choices),
            pl.col("plate_number"),
            pl.col("frame_number"),
            label("battery_kind", BatteryKind.choices),
            pl.when(pl.col("is_compliant")).then(pl.lit("是")).otherwise(pl.lit("否")),
            label("charging_method", ChargingMethod.choices),
            pl.col("created").dt.strftime("%Y-%m-%d %H:%M").fill_null(""),
            pl.lit("在册"),
        ]
        shaped = self.frame.select(expr.alias(name) for expr, name in zip(columns, header, strict=True))
        return ExportTable(header, lambda: iter([shaped]))


def ledger_as_of(user: Any, unit: Unit, period: HalfMonth, kind: str = LedgerKind.EBIKE) -> AsOfLedger:
    """The `kind` ledger of `unit` (and its subtree) at the end of `period`, narrowed to what `user` may
    see."""
    visible: Any = MODELS[kind].objects.visible_to(user)  # every ledger model has a unit
    snapshot = LedgerSnapshot.objects.filter(kind=kind, period_start=period.start).first()
    if snapshot is None:
        queryset = _at_period_end(visible.filter(unit__path__startswith=unit.path), period)
        return AsOfLedger(unit, period, _current_frame(kind, queryset), None, kind)
    with snapshot.file.open("rb") as handle:
        frame = pl.read_parquet(handle)
    # The unit's subtree by unit ids, not paths: a unit renamed or moved since keeps its bikes.
    units = Unit.objects.filter(path__startswith=unit.path).values_list("id", flat=True)
    subtree = pl.Series("unit_id", list(units), dtype=pl.Int64)
    parts = list(query_frames(visible.order_by(), {"id": INTEGER, "status": TEXT}))
    seen = pl.concat(parts) if parts else pl.DataFrame(schema={"id": pl.Int64, "status": pl.String})
    frame = (
        frame.drop("status_now")
        .filter(pl.col("unit_id").is_in(subtree.implode()))
        .join(seen.rename({"status": "status_now"}), on="id", how="inner")
        .sort("unit_path", "frame_number" if kind == LedgerKind.EBIKE else "id")
    )
    return AsOfLedger(unit, period, frame, snapshot, kind)


def _current_frame(kind: str, queryset: Any) -> pl.DataFrame:
    """The frame of `queryset`'s records, with their values as they stand now."""
    if kind == LedgerKind.EBIKE:
        return _frame(queryset.order_by("unit__path", "frame_number"))
    # the export's own queryset (its related rows fetched with it), narrowed to these records
    records = base_queryset(kind).filter(pk__in=queryset.values("pk")).order_by("unit__path", "pk")
    return _records_frame(kind, records)


def _at_period_end(queryset: Any, period: HalfMonth) -> Any:
    """The bikes registered before the period ended and not retired by then."""
    return queryset.filter(
        Q(status=RecordStatus.ACTIVE) | Q(status=RecordStatus.RETIRED, retired_on__gt=period.end),
        created__lt=period_end_moment(period),
    )


# -- writing ----------------------------------------------------------------------------------------------


class SnapshotRefused(ValueError):
    def __init__(self, message: str, *, exists: bool = False) -> None:
        super().__init__(message)
        self.exists = exists  # refused because the period has one already


def take_snapshot(
    period: HalfMonth,
    now: datetime.datetime | None = None,
    *,
    replace: bool = False,
    kind: str = LedgerKind.EBIKE,
) -> LedgerSnapshot:
    """Freeze the `kind` ledger at the end of `period`: the records registered before it ended and not
    retired by then, with their values as they stand now (so: taken as soon as the period ends). Refuses a
    period that has not ended, and an existing snapshot unless `replace`. The file is written first and the
    record switched to it in one transaction; a replaced file is removed after the commit."""
    now = now or timezone.now()
    label = LedgerKind(kind).label
    if now < period_end_moment(period):
        raise SnapshotRefused(f"{period.label}尚未结束，不能生成期末快照")
    existing = LedgerSnapshot.objects.filter(kind=kind, period_start=period.start).first()
    if existing is not None and not replace:
        taken = timezone.localtime(existing.taken_at).strftime("%Y-%m-%d %H:%M")
        raise SnapshotRefused(f"{period.label}已有{label}台账的期末快照（{taken} 保存）", exists=True)
    frame = _current_frame(kind, _at_period_end(MODELS[kind].objects.all(), period))
    storage = LedgerSnapshot._meta.get_field("file").storage  # type: ignore[attr-defined]
    with tempfile.TemporaryFile() as handle:
        frame.write_parquet(handle, compression="zstd")
        handle.seek(0)
        name = storage.save(f"ledgers/snapshots/{kind}-{period.key}.parquet", File(handle))
    try:
        with transaction.atomic():
            snapshot, created = LedgerSnapshot.objects.select_for_update().get_or_create(
                kind=kind,
                period_start=period.start,
                defaults={"taken_at": now, "rows": frame.height, "file": name},
            )
            if not created:
                old = snapshot.file.name
                snapshot.taken_at, snapshot.rows, snapshot.file.name = now, frame.height, name
                snapshot.save()
                if old:
                    transaction.on_commit(lambda: storage.delete(old))
    except BaseException:
        storage.delete(name)
        raise
    logger.info("%s ledger snapshot of %s: %s records", kind, period.key, frame.height)
    return snapshot


def freeze_due(now: datetime.datetime | None = None) -> dict[str, Any]:
    """The scheduled step: snapshot every ledger of the period that ended last, if not done yet and it
    ended lately. Returns the period, whether any was taken, and the rows of each one taken."""
    now = now or timezone.now()
    period = period_for(timezone.localtime(now)).previous()
    end = period_end_moment(period)
    done = set(LedgerSnapshot.objects.filter(period_start=period.start).values_list("kind", flat=True))
    due = [kind for kind in KINDS if kind not in done]
    if not due:
        return {"period": period.key, "taken": False, "rows": {}}
    if not end <= now < end + FREEZE_WITHIN:
        # a warning when the period was missed altogether; a ledger frozen later than the others (added to
        # the platform since) is only noted, not warned about every day until the next period
        log = logger.info if done else logger.warning
        log("ledger snapshots %s of %s not taken: %s is too long after its end", due, period.key, now)
        return {"period": period.key, "taken": False, "rows": {}}
    rows = {kind: take_snapshot(period, now, kind=kind).rows for kind in due}
    return {"period": period.key, "taken": True, "rows": rows}
