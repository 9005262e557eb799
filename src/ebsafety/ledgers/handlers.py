"""Per-ledger rules and writes for the import engine.

The e-bike ledger (up to a million rows) matches in chunks and writes through `bulk` (executemany/COPY);
the smaller ledgers (shops, recycling sites, platforms, stations, riders) go through the ORM, so every record
they touch also gets its own change record.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from ebsafety.core.choices import UnitKind
from ebsafety.core.models import Unit
from ebsafety.ledgers import bulk
from ebsafety.ledgers.choices import (
    BikeUse,
    ImportMode,
    LedgerKind,
    PlateKind,
    RecordStatus,
    RetireReason,
)
from ebsafety.ledgers.models import (
    HAS_ID_NUMBER,
    EBike,
    Person,
    Platform,
    RecyclingSite,
    RetirableModel,
    Rider,
    Shop,
    Station,
)
from ebsafety.ledgers.parsing import Issue, ParsedRow
from ebsafety.ledgers.specs import LedgerSpec

MAX_COMPLIANT_VOLTAGE = 48
TEXT_DEFAULT = ""

_M = TypeVar("_M", bound=models.Model)
_R = TypeVar("_R", bound=RetirableModel)


class Handler(ABC, Generic[_M]):
    model: type[_M]

    def __init__(self, spec: LedgerSpec, unit: Unit, mode: str, today: datetime.date | None = None) -> None:
        self.spec = spec
        self.unit = unit
        self.mode = mode
        self.today = today or timezone.localdate()
        self.batch: Any = None

    def header_text(self, key: str) -> str:
        return self.spec.column(key).header

    def error(self, parsed: ParsedRow, key: str, message: str) -> None:
        parsed.errors.append(Issue(parsed.row, self.header_text(key), message))

    def warn(self, parsed: ParsedRow, key: str, message: str) -> None:
        parsed.warnings.append(Issue(parsed.row, self.header_text(key), message))

    def row_rules(self, parsed: ParsedRow) -> None:  # an optional hook: most ledgers have none
        """Cross-column rules of one row (after every cell passed its own checks)."""

    def key(self, parsed: ParsedRow) -> Any:
        return parsed.values[self.spec.key]

    def unit_label(self, unit_id: int) -> str:
        unit = Unit.objects.filter(pk=unit_id).only("name").first()
        return unit.name if unit else str(unit_id)

    @abstractmethod
    def match(self, plans: list[Any]) -> None:
        """Set each plan's action (add / change / unchanged / conflict) against the stored records."""

    @abstractmethod
    def missing_from_file(self, plans: list[Any]) -> list[dict[str, Any]]:
        """The unit's active records the file no longer lists (proposed for retirement in full mode)."""

    @abstractmethod
    def write(self, plans: list[Any], retire_ids: list[int], progress: Callable[..., None]) -> dict[str, Any]:
        """Write the plans (and the confirmed retirements); return the ids added, changed and retired."""


# --------------------------------------------------------------------------------------------------------
# E-bikes: the large ledger, written in bulk.

EBIKE_FIELDS = (
    "compound_id",
    "compound_text",
    "building",
    "plate_kind",
    "plate_number",
    "brand",
    "model_name",
    "motor_number",
    "battery_kind",
    "battery_count",
    "battery_voltage",
    "declared_compliant",
    "is_compliant",
    "compliance_reason",
    "use",
    "parking_place",
    "charging_method",
    "registration_date",
    "remark",
)
OWNER_FIELDS = ("owner_name", "owner_id_number", "owner_phone")
# file column → the model fields it sets
EBIKE_COLUMN_FIELDS = {
    "compound": ("compound_id", "compound_text"),
    "over_standard": ("declared_compliant",),
    "owner_name": ("owner_name",),
    "owner_id_number": ("owner_id_number",),
    "owner_phone": ("owner_phone",),
}
DERIVED = ("is_compliant", "compliance_reason")


class EBikeHandler(Handler[EBike]):
    model = EBike

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        compounds = Unit.objects.filter(path__startswith=self.unit.path, kind=UnitKind.COMPOUND)
        self.compounds = {name: pk for pk, name in compounds.values_list("pk", "name")}
        self.present: list[str] | None = None

    def row_rules(self, parsed: ParsedRow) -> None:
        v = parsed.values
        if (
            not v.get("owner_id_number")
            and not v.get("owner_phone")
            and "owner_id_number" in v
            and "owner_phone" in v
        ):
            self.error(parsed, "owner_id_number", "身份证号和手机号至少填写一项")
            return
        if "compound" in v:
            compound = v.pop("compound")
            compound_id = self.compounds.get(compound) if compound else None
            if self.unit.kind == UnitKind.COMPOUND and (not compound or compound == self.unit.name):
                compound_id = self.unit.pk
            v["compound_id"] = compound_id
            v["compound_text"] = "" if compound_id or not compound else compound
            if compound and compound_id is None:
                self.warn(parsed, "compound", f"小区“{compound}”不在{self.unit.name}下，已按文字保存")
        if "over_standard" in v:
            over = v.pop("over_standard")
            v["declared_compliant"] = None if over is None else not over
        if "battery_count" in v and v["battery_count"] is None:
            v["battery_count"] = 1
        if "use" in v and not v["use"]:
            v["use"] = BikeUse.PRIVATE
        reasons = []
        if v.get("plate_kind") == PlateKind.TEMPORARY:
            reasons.append("临时标识车辆（超标车）")
            self.warn(parsed, "plate_kind", "临时标识（黄牌）车辆为超标车，应按计划淘汰")
        voltage = v.get("battery_voltage")
        if voltage is not None and voltage > MAX_COMPLIANT_VOLTAGE:
            reasons.append(f"电池电压 {voltage}V 超过 {MAX_COMPLIANT_VOLTAGE}V")
            if v.get("declared_compliant") is True:
                self.warn(
                    parsed,
                    "battery_voltage",
                    f"电池电压 {voltage}V 超过 {MAX_COMPLIANT_VOLTAGE}V，申报为不超标，已标为不合规",
                )
        if v.get("declared_compliant") is False:
            reasons.append("申报为超标车")
        # Compliance is derived from the plate, the voltage and the declaration; a file lacking the voltage or
        # the declaration column re-derives it only for new bikes, never over a stored judgement.
        derived = {"is_compliant": not reasons, "compliance_reason": "；".join(reasons)}
        if "battery_voltage" in v and "declared_compliant" in v:
            v.update(derived)
        else:
            v["_derived"] = derived

    def _present_fields(self, parsed: ParsedRow) -> list[str]:
        if self.present is None:
            fields: list[str] = []
            for key in parsed.values:
                fields.extend(EBIKE_COLUMN_FIELDS.get(key, (key,)))
            if "compound_id" not in fields and "compound_id" in parsed.values:
                fields += ["compound_id", "compound_text"]
            if "is_compliant" in parsed.values:
                fields += list(DERIVED)
            self.present = [f for f in dict.fromkeys(fields) if f in EBIKE_FIELDS or f in OWNER_FIELDS]
        return self.present

    @staticmethod
    def _value(values: dict[str, Any], name: str) -> Any:
        value = values.get(name)
        if value is None and name in TEXT_FIELDS:
            return TEXT_DEFAULT
        return value

    def match(self, plans: list[Any]) -> None:
        if not plans:
            return
        fields = self._present_fields(plans[0].parsed)
        by_key = {p.key: p for p in plans}
        lookups = [
            "id",
            "unit_id",
            "frame_number",
            "status",
            *EBIKE_FIELDS,
            "owner__name",
            "owner__id_number",
            "owner__phone",
            "owner_id",
        ]
        unit_names: dict[int, str] = {}
        for chunk in bulk.chunks(list(by_key)):
            for row in EBike.objects.filter(frame_number__in=chunk).values(*lookups):
                plan = by_key[row["frame_number"]]
                plan.existing_id = row["id"]
                current = {
                    **row,
                    "owner_name": row["owner__name"],
                    "owner_id_number": row["owner__id_number"],
                    "owner_phone": row["owner__phone"],
                }
                if row["unit_id"] != self.unit.pk:
                    if row["unit_id"] not in unit_names:
                        unit_names[row["unit_id"]] = self.unit_label(row["unit_id"])
                    plan.action = "conflict"
                    plan.before = {"_conflict": f"车架号 {plan.key} 已由“{unit_names[row['unit_id']]}”登记"}
                    continue
                changed = [
                    f
                    for f in fields
                    if self._value(plan.parsed.values, f)
                    != (current[f] if current[f] is not None or f not in TEXT_FIELDS else "")
                ]
                if row["status"] != RecordStatus.ACTIVE:
                    changed.append("status")
                plan.changed_fields = changed
                plan.before = {f: _jsonable(current.get(f)) for f in changed}
                plan.before["owner_id"] = row["owner_id"]
                plan.action = "change" if changed else "unchanged"
        for plan in plans:
            if not plan.action:
                plan.action = "add"

    def missing_from_file(self, plans: list[Any]) -> list[dict[str, Any]]:
        in_file = {p.key for p in plans}
        rows = EBike.objects.filter(unit=self.unit, status=RecordStatus.ACTIVE).values_list(
            "id", "frame_number", "plate_number"
        )
        return [
            {"id": pk, "key": frame, "label": plate or frame}
            for pk, frame, plate in rows.iterator(chunk_size=5000)
            if frame not in in_file
        ]

    # -- writing ------------------------------------------------------------------------------------------
    def _owner_ids(self, plans: list[Any]) -> dict[int, int]:
        """Person id for each plan that adds a bike or changes its owner (people created as needed)."""
        needing = [
            p
            for p in plans
            if p.action == "add" or (p.action == "change" and set(p.changed_fields) & set(OWNER_FIELDS))
        ]
        if not needing:
            return {}
        by_id_number: dict[str, int] = {}
        by_name_phone: dict[tuple[str, str], int] = {}
        id_numbers = sorted({p.parsed.values.get("owner_id_number") for p in needing} - {None, ""})
        for chunk in bulk.chunks(id_numbers):
            by_id_number.update(
                Person.objects.filter(HAS_ID_NUMBER, id_number__in=chunk).values_list("id_number", "id")
            )
        phones = sorted(
            {
                p.parsed.values.get("owner_phone")
                for p in needing
                if not p.parsed.values.get("owner_id_number")
            }
            - {None, ""}
        )
        for chunk in bulk.chunks(phones):
            for pk, name, phone in Person.objects.filter(phone__in=chunk, id_number="").values_list(
                "id", "name", "phone"
            ):
                by_name_phone.setdefault((name, phone), pk)
        new_people: dict[Any, tuple[str, str, str]] = {}
        for p in needing:
            v = p.parsed.values
            key = v.get("owner_id_number") or (v.get("owner_name"), v.get("owner_phone") or "")
            if (isinstance(key, str) and key in by_id_number) or (
                isinstance(key, tuple) and key in by_name_phone
            ):
                continue
            new_people.setdefault(
                key, (v.get("owner_name") or "", v.get("owner_id_number") or "", v.get("owner_phone") or "")
            )
        ids = bulk.allocate_ids(Person, len(new_people))
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = []
        for pk, (key, (name, id_number, phone)) in zip(ids, new_people.items(), strict=True):
            rows.append((pk, now, now, name, id_number, phone, "", self.unit.pk))
            if id_number:
                by_id_number[id_number] = pk
            else:
                by_name_phone[key] = pk
        bulk.insert_rows(
            Person, ("id", "created", "updated", "name", "id_number", "phone", "address", "unit_id"), rows
        )
        result = {}
        for p in needing:
            v = p.parsed.values
            id_number = v.get("owner_id_number")
            result[id(p)] = (
                by_id_number[id_number]
                if id_number
                else by_name_phone[(v.get("owner_name"), v.get("owner_phone") or "")]
            )
        return result

    def write(self, plans: list[Any], retire_ids: list[int], progress: Callable[..., None]) -> dict[str, Any]:
        ops = connection.ops
        now = ops.adapt_datetimefield_value(timezone.now())
        owners = self._owner_ids(plans)
        batch_id = self.batch.pk if self.batch is not None else None

        def row_values(plan: Any, names: tuple[str, ...] | list[str]) -> list[Any]:
            v = plan.parsed.values
            defaults = {**INSERT_DEFAULTS, **v.get("_derived", {})}
            values = []
            for name in names:
                value = self._value(v, name) if name in v or name not in defaults else defaults[name]
                if name == "registration_date":
                    value = ops.adapt_datefield_value(value)
                values.append(value)
            return values

        adds = [p for p in plans if p.action == "add"]
        ids = bulk.allocate_ids(EBike, len(adds))
        insert_columns = (
            "id",
            "created",
            "updated",
            "status",
            "retire_reason",
            "retired_on",
            "last_batch_id",
            "unit_id",
            "owner_id",
            "frame_number",
            "shop_id",
            *EBIKE_FIELDS,
        )
        bulk.insert_rows(
            EBike,
            insert_columns,
            (
                (
                    pk,
                    now,
                    now,
                    RecordStatus.ACTIVE,
                    "",
                    None,
                    batch_id,
                    self.unit.pk,
                    owners[id(p)],
                    p.key,
                    None,
                    *row_values(p, EBIKE_FIELDS),
                )
                for pk, p in zip(ids, adds, strict=True)
            ),
        )
        progress(len(adds), len(plans))
        changes = [p for p in plans if p.action == "change"]
        present = [f for f in (self.present or []) if f in EBIKE_FIELDS]  # absent columns are left alone
        update_columns = [
            "updated",
            "status",
            "retire_reason",
            "retired_on",
            "last_batch_id",
            "owner_id",
            *present,
        ]
        bulk.update_rows(
            EBike,
            update_columns,
            (
                (
                    now,
                    RecordStatus.ACTIVE,
                    "",
                    None,
                    batch_id,
                    owners.get(id(p), p.before["owner_id"]),
                    *row_values(p, present),
                    p.existing_id,
                )
                for p in changes
            ),
        )
        retired_on = ops.adapt_datefield_value(self.today)
        bulk.update_rows(
            EBike,
            ["updated", "status", "retire_reason", "retired_on", "last_batch_id"],
            ((now, RecordStatus.RETIRED, RetireReason.OTHER, retired_on, batch_id, pk) for pk in retire_ids),
        )
        progress(len(plans), len(plans))
        return {
            "added": ids,
            "changed": {p.existing_id: p.before for p in changes},
            "retired": list(retire_ids),
        }


INSERT_DEFAULTS: dict[str, Any] = {
    "battery_count": 1,
    "use": BikeUse.PRIVATE,
    "is_compliant": True,
    "compliance_reason": "",
}
TEXT_FIELDS = {f.attname for f in EBike._meta.concrete_fields if isinstance(f, models.CharField)} | {
    "owner_name",
    "owner_id_number",
    "owner_phone",
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------------------------------------
# Smaller ledgers through the ORM.


class OrmHandler(Handler[_R]):
    """Shops, recycling sites, platforms, stations, riders: hundreds of rows, saved one by one (audited)."""

    key_field: str = "credit_code"

    def records(self) -> models.QuerySet[_R]:
        """The ledger's rows (its model's one manager, `objects`)."""
        # The plugin types a manager reached through `type[_R]` by the bound, RetirableModel, not by _R.
        return cast("models.QuerySet[_R]", self.model.objects.all())

    def lookup(self, keys: list[Any]) -> dict[Any, _R]:
        found: dict[Any, _R] = {}
        for chunk in bulk.chunks(keys):
            for obj in self.records().filter(**{f"{self.key_field}__in": chunk}):
                found[getattr(obj, self.key_field)] = obj
        return found

    def fields(self, parsed: ParsedRow) -> dict[str, Any]:
        """Model field values from the row's present columns."""
        v = parsed.values
        names = [f.name for f in self.model._meta.concrete_fields]
        result = {}
        for key, value in v.items():
            if key in names:
                field = self.model._meta.get_field(key)
                if value is None and isinstance(field, models.CharField):
                    value = ""
                if value is None and isinstance(field, models.JSONField):
                    value = []
                result[key] = value
        return result

    def match(self, plans: list[Any]) -> None:
        existing = self.lookup([p.key for p in plans])
        for plan in plans:
            plan.wanted = self.fields(plan.parsed)
            obj = existing.get(plan.key)
            if obj is None:
                plan.action = "add"
                continue
            plan.existing_id = obj.pk
            if obj.unit_id != self.unit.pk:
                plan.action = "conflict"
                plan.before = {
                    "_conflict": f"{self.spec.column(self.spec.key).header} {plan.key} 已由“{obj.unit}”登记"
                }
                continue
            changed = [k for k, value in plan.wanted.items() if getattr(obj, k) != value]
            if obj.status != RecordStatus.ACTIVE:
                changed.append("status")
            plan.changed_fields = changed
            plan.before = {k: _jsonable(getattr(obj, k)) for k in changed}
            plan.action = "change" if changed else "unchanged"

    def missing_from_file(self, plans: list[Any]) -> list[dict[str, Any]]:
        in_file = {p.key for p in plans}
        return [
            {"id": obj.pk, "key": str(getattr(obj, self.key_field)), "label": str(obj)}
            for obj in self.records().filter(unit=self.unit, status=RecordStatus.ACTIVE)
            if getattr(obj, self.key_field) not in in_file
        ]

    def save_new(self, plan: Any) -> _R:
        obj = self.model(**plan.wanted, unit=self.unit, last_batch=self.batch)
        obj.save()
        return obj

    def write(self, plans: list[Any], retire_ids: list[int], progress: Callable[..., None]) -> dict[str, Any]:
        added, changed = [], {}
        for index, plan in enumerate(plans):
            if plan.action == "add":
                added.append(self.save_new(plan).pk)
            elif plan.action == "change":
                obj = self.records().get(pk=plan.existing_id)
                for key, value in plan.wanted.items():
                    setattr(obj, key, value)
                obj.status, obj.retire_reason, obj.retired_on, obj.last_batch = (
                    RecordStatus.ACTIVE,
                    "",
                    None,
                    self.batch,
                )
                obj.save()
                self.after_save(obj, plan)
                changed[obj.pk] = plan.before
            if index % 200 == 0:
                progress(index, len(plans))
        for obj in self.records().filter(pk__in=retire_ids):
            obj.status, obj.retire_reason, obj.retired_on = (
                RecordStatus.RETIRED,
                RetireReason.OTHER,
                self.today,
            )
            obj.last_batch = self.batch
            obj.save()
        return {"added": added, "changed": changed, "retired": list(retire_ids)}

    def after_save(self, obj: _R, plan: Any) -> None:
        """Relations written after the row itself (riders' e-bikes)."""


class ShopHandler(OrmHandler[Shop]):
    model = Shop


class RecyclerHandler(OrmHandler[RecyclingSite]):
    model = RecyclingSite


class PlatformHandler(OrmHandler[Platform]):
    model = Platform


class PlatformLookupMixin:
    """Stations and riders name their platform by name or credit code; it must be registered already."""

    def platform_for(self, parsed: ParsedRow) -> Platform | None:
        cache: dict[str, Platform | None] = self.__dict__.setdefault("_platforms", {})
        name = parsed.values.get("platform") or ""
        if name not in cache:
            cache[name] = Platform.objects.filter(Q(name=name) | Q(credit_code=name.upper())).first()
        return cache[name]


class StationHandler(PlatformLookupMixin, OrmHandler[Station]):
    model = Station
    key_field = "name"

    def row_rules(self, parsed: ParsedRow) -> None:
        platform = self.platform_for(parsed)
        if platform is None:
            self.error(parsed, "platform", f"平台“{parsed.values.get('platform')}”尚未登记，请先导入平台台账")
            return
        parsed.values["platform"] = platform

    def key(self, parsed: ParsedRow) -> Any:
        return (parsed.values["platform"].pk, parsed.values["name"])

    def lookup(self, keys: list[Any]) -> dict[Any, Station]:
        found: dict[Any, Station] = {}
        for platform_id in {k[0] for k in keys}:
            names = [k[1] for k in keys if k[0] == platform_id]
            for obj in Station.objects.filter(platform_id=platform_id, name__in=names):
                found[(platform_id, obj.name)] = obj
        return found

    def missing_from_file(self, plans: list[Any]) -> list[dict[str, Any]]:
        in_file = {p.key for p in plans}
        return [
            {"id": s.pk, "key": s.name, "label": str(s)}
            for s in Station.objects.filter(unit=self.unit, status=RecordStatus.ACTIVE).select_related(
                "platform"
            )
            if (s.platform_id, s.name) not in in_file
        ]


class RiderHandler(PlatformLookupMixin, OrmHandler[Rider]):
    model = Rider

    def row_rules(self, parsed: ParsedRow) -> None:
        v = parsed.values
        platform = self.platform_for(parsed)
        if platform is None:
            self.error(parsed, "platform", f"平台“{v.get('platform')}”尚未登记，请先导入平台台账")
            return
        v["platform"] = platform
        station_name = v.pop("station", None)
        v["station"] = None
        if station_name:
            v["station"] = Station.objects.filter(platform=platform, name=station_name).first()
            if v["station"] is None:
                self.warn(parsed, "station", f"站点“{station_name}”未在{platform.name}名下登记，已留空")
        frames = [
            f.strip().upper()
            for f in (v.pop("frame_numbers", None) or "").replace("，", "、").replace(",", "、").split("、")
            if f.strip()
        ]
        bikes = (
            list(EBike.objects.filter(frame_number__in=frames).values_list("id", "frame_number"))
            if frames
            else []
        )
        unknown = sorted(set(frames) - {f for _, f in bikes})
        if unknown:
            self.warn(parsed, "frame_numbers", f"车架号 {'、'.join(unknown)} 不在电动自行车台账中")
        v["_ebike_ids"] = sorted(pk for pk, _ in bikes)
        if v.get("battery_count") is None:
            v["battery_count"] = 1
        for flag in ("is_group_rental", "uses_centralised_charging"):
            if v.get(flag) is None:
                v[flag] = False

    def key(self, parsed: ParsedRow) -> Any:
        return (parsed.values["platform"].pk, parsed.values["id_number"])

    def lookup(self, keys: list[Any]) -> dict[Any, Rider]:
        found: dict[Any, Rider] = {}
        for chunk in bulk.chunks([k[1] for k in keys]):
            for rider in Rider.objects.filter(
                ~Q(person__id_number=""), person__id_number__in=chunk
            ).select_related("person", "unit"):
                found[(rider.platform_id, rider.person.id_number)] = rider
        return found

    def fields(self, parsed: ParsedRow) -> dict[str, Any]:
        result = super().fields(parsed)
        result.pop("id_number", None)
        return result

    def match(self, plans: list[Any]) -> None:
        super().match(plans)
        existing = self.lookup([p.key for p in plans if p.action in ("change", "unchanged")])
        for plan in plans:
            rider = existing.get(plan.key)
            if not isinstance(rider, Rider):  # None: not in the ledger (lookup() only finds riders)
                continue
            v = plan.parsed.values
            person_changes = [
                k for k in ("name", "phone") if v.get(k) and getattr(rider.person, k) != v.get(k)
            ]
            bikes = sorted(rider.ebikes.values_list("id", flat=True))
            if bikes != v["_ebike_ids"]:
                person_changes.append("ebikes")
            if person_changes:
                plan.changed_fields += person_changes
                plan.before.update(
                    {k: getattr(rider.person, k, None) for k in person_changes if k != "ebikes"}
                )
                plan.action = "change"

    def missing_from_file(self, plans: list[Any]) -> list[dict[str, Any]]:
        in_file = {p.key for p in plans}
        return [
            {"id": r.pk, "key": r.person.id_number, "label": str(r)}
            for r in Rider.objects.filter(unit=self.unit, status=RecordStatus.ACTIVE).select_related(
                "person", "platform"
            )
            if (r.platform_id, r.person.id_number) not in in_file
        ]

    def person_for(self, plan: Any) -> Person:
        v = plan.parsed.values
        person, created = Person.objects.get_or_create(
            id_number=v["id_number"],
            defaults={"name": v["name"], "phone": v.get("phone") or "", "unit": self.unit},
        )
        if not created:
            changed = False
            for key in ("name", "phone"):
                if v.get(key) and getattr(person, key) != v[key]:
                    setattr(person, key, v[key])
                    changed = True
            if changed:
                person.save()
        return person

    def save_new(self, plan: Any) -> Rider:
        wanted = {k: val for k, val in plan.wanted.items() if k not in ("name", "phone")}
        rider = Rider(**wanted, person=self.person_for(plan), unit=self.unit, last_batch=self.batch)
        rider.save()
        rider.ebikes.set(plan.parsed.values["_ebike_ids"])
        return rider

    def after_save(self, obj: Rider, plan: Any) -> None:
        self.person_for(plan)
        obj.ebikes.set(plan.parsed.values["_ebike_ids"])


HANDLERS: dict[str, type[Handler]] = {
    LedgerKind.EBIKE: EBikeHandler,
    LedgerKind.SHOP: ShopHandler,
    LedgerKind.RECYCLER: RecyclerHandler,
    LedgerKind.PLATFORM: PlatformHandler,
    LedgerKind.STATION: StationHandler,
    LedgerKind.RIDER: RiderHandler,
}


def handler_for(kind: str) -> type[Handler]:
    return HANDLERS[kind]


__all__ = ["HANDLERS", "ImportMode", "handler_for"]
