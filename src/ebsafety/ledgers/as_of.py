"""The e-bike ledger as it stood at the end of a half-month period ("the ledger as of period P").

Exact when the period was frozen: shortly after each period ends, the scheduled job (`freeze_job`, daily at
00:05) writes every active bike as it stands then to a Parquet file (`LedgerSnapshot`), the way a
reporting system closes a period. `ebsafety ledger snapshot` takes one by hand (a period the scheduler
missed). A period without a snapshot (before the platform ran, or missed) is still shown, derived from the
current records and labelled as such (`ESTIMATE_BASIS`).

Both give the same frame (`COLUMNS`), so the page, its summary, its export and the API read one shape. The
rows a user sees are always narrowed through `EBike.objects.visible_to` (the bikes they may see now) and to
the chosen unit's subtree (by unit ids: a unit renamed since keeps its bikes).
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
from ebsafety.ledgers.models import EBike, LedgerSnapshot

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
# A snapshot is taken within this long after its period ends, else the period stays derived.
FREEZE_WITHIN = datetime.timedelta(days=3)

SNAPSHOT_BASIS = (
    "期末快照：{taken} 保存的期末（{end} 24:00）在册车辆，各字段为保存时的值{late}。"
    "该期实际上报的原始文件见右侧，可下载核对。"
)
# A snapshot taken later than this after the period's end says that the changes in between are in it.
ON_TIME = datetime.timedelta(hours=1)
ESTIMATE_BASIS = (
    "该期没有期末快照（系统启用前的期次，或当时未生成），依据现有台账推算：列出在期末（{end} 24:00）之前"
    "已录入系统、且当时尚未注销（未注销，或注销日期晚于期末）的车辆。各字段为当前值，期末之后的修改不回溯。"
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


@dataclass
class AsOfLedger:
    """One unit's e-bike ledger at the end of one period, as a user may see it."""

    unit: Unit
    period: HalfMonth
    frame: pl.DataFrame
    snapshot: LedgerSnapshot | None

    @property
    def exact(self) -> bool:
        return self.snapshot is not None

    @property
    def basis(self) -> str:
        end = self.period.end.strftime("%Y年%m月%d日")
        if self.snapshot is None:
            return ESTIMATE_BASIS.format(end=end)
        taken_at = self.snapshot.taken_at
        taken = timezone.localtime(taken_at).strftime("%Y年%m月%d日 %H:%M")
        late = (
            "（期末之后的修改不计入）"
            if taken_at - period_end_moment(self.period) <= ON_TIME
            else "（快照晚于期末保存：期末至保存时之间对字段的修改已计入，是否在册仍按期末判断）"
        )
        return SNAPSHOT_BASIS.format(taken=taken, end=end, late=late)

    def summary(self) -> dict[str, Any]:
        """Counts: total, non-compliant, by plate kind and by charging method (labels, sorted)."""
        plate_labels = dict(PlateKind.choices)
        charging_labels = dict(ChargingMethod.choices)

        def counts(column: str, labels: dict[str, str]) -> list[tuple[str, int]]:
            grouped = self.frame.group_by(column).len()
            return sorted(
                (str(labels.get(value, value) if value else "未填"), n) for value, n in grouped.iter_rows()
            )

        return {
            "total": self.frame.height,
            "plates": counts("plate_kind", plate_labels),
            "non_compliant": self.frame.filter(~pl.col("is_compliant")).height,
            "charging": counts("charging_method", charging_labels),
        }

    def rows(self, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Rows for a page, with the enumerations' labels."""
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


def ledger_as_of(user: Any, unit: Unit, period: HalfMonth) -> AsOfLedger:
    """The ledger of `unit` (and its subtree) at the end of `period`, narrowed to what `user` may see."""
    visible = EBike.objects.visible_to(user)
    snapshot = LedgerSnapshot.objects.filter(kind=LedgerKind.EBIKE, period_start=period.start).first()
    if snapshot is None:
        queryset = _at_period_end(visible.filter(unit__path__startswith=unit.path), period)
        frame = _frame(queryset.order_by("unit__path", "frame_number"))
        return AsOfLedger(unit, period, frame, None)
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
        .sort("unit_path", "frame_number")
    )
    return AsOfLedger(unit, period, frame, snapshot)


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
    period: HalfMonth, now: datetime.datetime | None = None, *, replace: bool = False
) -> LedgerSnapshot:
    """Freeze the ledger at the end of `period`: the bikes registered before it ended and not retired by
    then, with their values as they stand now (so: taken as soon as the period ends). Refuses a period that
    has not ended, and an existing snapshot unless `replace`. The file is written first and the record
    switched to it in one transaction; a replaced file is removed after the commit."""
    now = now or timezone.now()
    if now < period_end_moment(period):
        raise SnapshotRefused(f"{period.label}尚未结束，不能生成期末快照")
    existing = LedgerSnapshot.objects.filter(kind=LedgerKind.EBIKE, period_start=period.start).first()
    if existing is not None and not replace:
        taken = timezone.localtime(existing.taken_at).strftime("%Y-%m-%d %H:%M")
        raise SnapshotRefused(f"{period.label}已有期末快照（{taken} 保存）", exists=True)
    queryset = _at_period_end(EBike.objects.all(), period).order_by("unit__path", "frame_number")
    frame = _frame(queryset)
    storage = LedgerSnapshot._meta.get_field("file").storage  # type: ignore[attr-defined]
    with tempfile.TemporaryFile() as handle:
        frame.write_parquet(handle, compression="zstd")
        handle.seek(0)
        name = storage.save(f"ledgers/snapshots/ebike-{period.key}.parquet", File(handle))
    try:
        with transaction.atomic():
            snapshot, created = LedgerSnapshot.objects.select_for_update().get_or_create(
                kind=LedgerKind.EBIKE,
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
    logger.info("ledger snapshot of %s: %s bikes", period.key, frame.height)
    return snapshot


def freeze_due(now: datetime.datetime | None = None) -> dict[str, Any]:
    """The scheduled step: snapshot the period that ended last, if not done yet and it ended lately."""
    now = now or timezone.now()
    period = period_for(timezone.localtime(now)).previous()
    end = period_end_moment(period)
    if LedgerSnapshot.objects.filter(kind=LedgerKind.EBIKE, period_start=period.start).exists():
        return {"period": period.key, "taken": False}
    if not end <= now < end + FREEZE_WITHIN:
        logger.warning("ledger snapshot of %s not taken: %s is too long after its end", period.key, now)
        return {"period": period.key, "taken": False}
    snapshot = take_snapshot(period, now)
    return {"period": period.key, "taken": True, "rows": snapshot.rows}
