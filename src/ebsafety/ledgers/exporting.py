"""Ledger exports in the template's own columns, so an export can be filled in and imported again."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from ebsafety.core.privacy import mask_id_number, mask_phone
from ebsafety.ledgers.choices import LedgerKind
from ebsafety.ledgers.models import EBike, Platform, RecyclingSite, Rider, Shop, Station
from ebsafety.ledgers.specs import spec_for

MODELS = {
    LedgerKind.EBIKE: EBike,
    LedgerKind.SHOP: Shop,
    LedgerKind.RECYCLER: RecyclingSite,
    LedgerKind.PLATFORM: Platform,
    LedgerKind.STATION: Station,
    LedgerKind.RIDER: Rider,
}
RELATED = {
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
    model = MODELS[kind]
    queryset = model.objects.select_related(*RELATED.get(kind, ()))
    if kind == LedgerKind.RIDER:
        queryset = queryset.prefetch_related("ebikes")
    return queryset.order_by("pk")


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


def export_rows(kind: str, queryset: QuerySet, *, masked: bool = True) -> Iterator[list[Any]]:
    """Header + one row per record, in the template's column order."""
    spec = spec_for(kind)
    yield [c.header for c in spec.columns]
    for obj in queryset.iterator(chunk_size=2000) if kind != LedgerKind.RIDER else queryset:
        values = cell_values(kind, obj)
        row = []
        for column in spec.columns:
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
            row.append("" if value is None else value)
        yield row
