"""Ledger exports in the template's own columns, so an export can be filled in and imported again.

The e-bike ledger (up to a million rows) is read with one SQL query in chunks and shaped a column at a time
(polars): `export_rows` then returns an `ExportTable`, which iterates as the usual header-then-lists rows (CSV
and any other consumer) and also hands its chunks as frames to the xlsx writer (`core.exports`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import polars as pl
from django.db.models import QuerySet

from ebsafety.core.exports import ExportTable
from ebsafety.core.fetching import INTEGER, TEXT, query_frames
from ebsafety.core.privacy import mask_id_number, mask_phone
from ebsafety.ledgers.choices import LedgerKind
from ebsafety.ledgers.models import EBike, Platform, RecyclingSite, RetirableModel, Rider, Shop, Station
from ebsafety.ledgers.specs import spec_for

MODELS: dict[str, type[RetirableModel]] = {
    LedgerKind.EBIKE: EBike,
    LedgerKind.SHOP: Shop,
    LedgerKind.RECYCLER: RecyclingSite,
    LedgerKind.PLATFORM: Platform,
    LedgerKind.STATION: Station,
    LedgerKind.RIDER: Rider,
}
RELATED: dict[str, tuple[str, ...]] = {
    LedgerKind.EBIKE: ("owner", "compound"),
    LedgerKind.STATION: ("platform",),
    LedgerKind.RIDER: ("person", "platform", "station"),
}
PERSONAL_KEYS = {
    "owner_id_number": "id",
    "owner_phone": "phone",
    "id_number": "id",
    "phone": "phone",
    "manager_phone": "phone",
}


def base_queryset(kind: str) -> QuerySet:
    related = RELATED.get(kind, ())
    if kind == LedgerKind.RIDER:
        return Rider.objects.select_related(*related).prefetch_related("ebikes").order_by("pk")
    return MODELS[kind].objects.select_related(*related).order_by("pk")


def _label(enumeration: Any, value: Any) -> str:
    if not value:
        return ""
    return enumeration.labels.get(value, value)


def cell_values(kind: str, obj: Any) -> dict[str, Any]:
    """The record as the template's columns (enumerations as their Chinese labels)."""
    if kind == LedgerKind.EBIKE:
        owner = obj.owner
        values = {
            "compound": obj.compound.name if obj.compound_id else obj.compound_text,
            "building": obj.building,
            "owner_name": owner.name,
            "owner_id_number": owner.id_number,
            "owner_phone": owner.phone,
            "over_standard": None
            if obj.declared_compliant is None
            else ("否" if obj.declared_compliant else "是"),
        }
        for key in (
            "plate_kind",
            "plate_number",
            "brand",
            "model_name",
            "frame_number",
            "motor_number",
            "battery_kind",
            "battery_count",
            "battery_voltage",
            "use",
            "parking_place",
            "charging_method",
            "registration_date",
            "remark",
        ):
            values[key] = getattr(obj, key)
        return values
    if kind == LedgerKind.RIDER:
        return {
            "name": obj.person.name,
            "id_number": obj.person.id_number,
            "phone": obj.person.phone,
            "platform": obj.platform.name,
            "station": obj.station.name if obj.station_id else "",
            "frame_numbers": "、".join(b.frame_number for b in obj.ebikes.all()),
            "battery_count": obj.battery_count,
            "charging_method": obj.charging_method,
            "housing_address": obj.housing_address,
            "is_group_rental": "是" if obj.is_group_rental else "否",
            "uses_centralised_charging": "是" if obj.uses_centralised_charging else "否",
        }
    if kind == LedgerKind.STATION:
        return {
            "platform": obj.platform.name,
            "name": obj.name,
            "address": obj.address,
            "manager": obj.manager,
            "manager_phone": obj.manager_phone,
        }
    return {column.key: getattr(obj, column.key, "") for column in spec_for(kind).columns}


def export_rows(kind: str, queryset: QuerySet, *, masked: bool = True) -> Iterator[list[Any]] | ExportTable:
    """Header + one row per record, in the template's column order."""
    if kind == LedgerKind.EBIKE:
        return ExportTable(
            [c.header for c in spec_for(kind).columns], lambda: _ebike_frames(queryset, masked)
        )
    return _rows(kind, queryset, masked=masked)


def kind_of(model: type) -> str | None:
    """The ledger kind whose export shape `model` has (None for models without one, e.g. Person)."""
    return next((kind for kind, ledger_model in MODELS.items() if ledger_model is model), None)


def export_unit_path(user: Any, unit_code: str = "") -> str:
    """The unit an unmasked export is filed under in the change log, so that the office over the exporter
    finds it: the unit the export was narrowed to when it lies within one of the user's own units that may
    unmask, else the broadest such unit of the user ("" only for the system or a superuser without one)."""
    from ebsafety.core.privacy import UNMASK_ROLES

    if user is None:
        return ""
    own = sorted(
        (m.unit.path for m in user.active_memberships() if m.role in UNMASK_ROLES and m.unit_id),
        key=len,
    )
    code = unit_code.strip()
    if code:
        from ebsafety.core.models import Unit

        unit = Unit.objects.filter(code=code).only("path").first()
        if unit is not None and any(unit.path.startswith(path) for path in own):
            return unit.path
    return own[0] if own else ""


def unmasked_export_rows(
    kind: str, queryset: QuerySet, by: Any, *, filters: str = "", unit_path: str = ""
) -> Iterator[list[Any]] | ExportTable:
    """The ledger with whole ID and phone numbers, for a role that may see them; the export is written to the
    change log (who, when, how many rows, the filters, which personal columns; never the values) and to the
    `ebsafety.personal_data` log. Raises PermissionDenied for anyone else."""
    from django.core.exceptions import PermissionDenied

    from ebsafety.core.audit import write_export_record
    from ebsafety.core.privacy import may_unmask
    from ebsafety.ledgers.services import personal_data_log

    if not may_unmask(by):
        raise PermissionDenied("您的角色无权导出完整号码。")
    rows = queryset.count()
    personal = [c.header for c in spec_for(kind).columns if c.key in PERSONAL_KEYS]
    write_export_record(MODELS[kind], rows, filters, unit_path, personal)
    personal_data_log.info(
        "personal data exported: user=%s kind=%s rows=%s filters=%s",
        getattr(by, "username", "system"),
        kind,
        rows,
        filters,
    )
    return export_rows(kind, queryset, masked=False)


def _rows(kind: str, queryset: QuerySet, *, masked: bool = True) -> Iterator[list[Any]]:
    spec = spec_for(kind)
    yield [c.header for c in spec.columns]
    for obj in queryset.iterator(chunk_size=2000) if kind != LedgerKind.RIDER else queryset:
        texts = cell_texts(kind, obj, masked=masked)
        yield [texts[column.key] for column in spec.columns]


def cell_texts(kind: str, obj: Any, *, masked: bool = True) -> dict[str, Any]:
    """The record's cells as the export writes them: enumerations as their labels, dates ISO, empty as "",
    ID and phone numbers masked (unless not `masked`); numbers stay numbers."""
    values = cell_values(kind, obj)
    texts: dict[str, Any] = {}
    for column in spec_for(kind).columns:
        value = values.get(column.key)
        if column.enumeration is not None:
            value = (
                "、".join(_label(column.enumeration, v) for v in value or [])
                if column.many
                else _label(column.enumeration, value)
            )
        elif masked and column.key in PERSONAL_KEYS and value:
            value = mask_id_number(value) if PERSONAL_KEYS[column.key] == "id" else mask_phone(value)
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        texts[column.key] = "" if value is None else value
    return texts


EBIKE_EXPORT_FIELDS = (
    "compound__name",
    "compound_text",
    "building",
    "owner__name",
    "owner__id_number",
    "owner__phone",
    "plate_kind",
    "plate_number",
    "brand",
    "model_name",
    "frame_number",
    "motor_number",
    "battery_kind",
    "battery_count",
    "battery_voltage",
    "declared_compliant",
    "use",
    "parking_place",
    "charging_method",
    "registration_date",
    "remark",
)


def _ebike_frames(queryset: QuerySet, masked: bool) -> Iterator[pl.DataFrame]:
    """The bikes of `queryset` as the template's columns, a chunk at a time, as `cell_values` and `_rows`
    shape them: enumerations as labels, ID and phone masked, dates ISO, the declaration as 是/否. The rows
    come as frames (`core.fetching`): no Python object per cell, no Django converter per cell."""
    spec = spec_for(LedgerKind.EBIKE)
    columns = dict.fromkeys(EBIKE_EXPORT_FIELDS, TEXT) | {
        "battery_count": INTEGER,
        "battery_voltage": INTEGER,
        "declared_compliant": INTEGER,
    }
    for raw in query_frames(queryset, columns):
        yield raw.select(_ebike_columns(spec, masked))


def _ebike_columns(spec: Any, masked: bool) -> list[pl.Expr]:
    def label(name: str, key: str) -> pl.Expr:
        labels = spec.column(key).enumeration.labels
        value = pl.col(name)
        return pl.when(value.is_null() | (value == "")).then(pl.lit("")).otherwise(value.replace(labels))

    def personal(name: str, minimum: int) -> pl.Expr:
        value = pl.col(name).fill_null("")
        length = value.str.len_chars().cast(pl.Int64)
        stars = (length - 7).clip(lower_bound=0)
        hidden = pl.concat_str(
            value.str.slice(0, 3), pl.lit("*").repeat_by(stars).list.join(""), value.str.slice(-4)
        )
        return pl.when(length < minimum).then(value).otherwise(hidden) if masked else value

    declared = pl.col("declared_compliant") == 1
    columns = {
        "compound": pl.when(pl.col("compound__name") != "")
        .then(pl.col("compound__name"))
        .otherwise(pl.col("compound_text")),
        "building": pl.col("building"),
        "owner_name": pl.col("owner__name"),
        "owner_id_number": personal("owner__id_number", 8),
        "owner_phone": personal("owner__phone", 7),
        "plate_kind": label("plate_kind", "plate_kind"),
        "plate_number": pl.col("plate_number"),
        "brand": pl.col("brand"),
        "model_name": pl.col("model_name"),
        "frame_number": pl.col("frame_number"),
        "motor_number": pl.col("motor_number"),
        "battery_kind": label("battery_kind", "battery_kind"),
        "battery_count": pl.col("battery_count"),
        "battery_voltage": pl.col("battery_voltage"),
        "over_standard": pl.when(declared.is_null())
        .then(pl.lit(""))
        .when(declared)
        .then(pl.lit("否"))
        .otherwise(pl.lit("是")),
        "use": label("use", "use"),
        "parking_place": label("parking_place", "parking_place"),
        "charging_method": label("charging_method", "charging_method"),
        "registration_date": pl.col("registration_date").str.slice(0, 10),
        "remark": pl.col("remark"),
    }
    return [columns[column.key].alias(column.header) for column in spec.columns]
