"""The platform push: a delivery/courier platform sends its own stations, riders and e-bikes in one request.

POST /api/v1/platforms/{id}/bulk/ with {"stations": [...], "riders": [...], "ebikes": [...]}:
- every value goes through the importer's column parsers (`specs`, built on `normalise`), so the rules and the
  Chinese messages are the importer's; enumerations take the codes or any spelling the importer accepts;
- idempotent by natural key (station: platform + name; rider: platform + ID number; e-bike: frame number),
  and a field left out of an item is left as it is (never cleared); a second identical push changes nothing;
- scoped to that platform: stations and riders are always this platform's; an existing e-bike is updated only
  when it already is this platform's (ridden by one of its riders), and a new one must be ridden by a rider of
  the same push; units must be within the caller's reach;
- one transaction: a malformed request (not the documented shape, too many items) is refused whole before
  anything is written; a bad item is reported with its messages and skipped, and what it would have written
  is rolled back to its savepoint (nothing half-written).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from ebsafety.core.choices import Action, Role
from ebsafety.core.models import Unit
from ebsafety.core.scoping import can, restrict
from ebsafety.ledgers import normalise as n
from ebsafety.ledgers.choices import BikeUse
from ebsafety.ledgers.models import HAS_ID_NUMBER, EBike, Person, Platform, Rider, Station
from ebsafety.ledgers.scoping import platform_id
from ebsafety.ledgers.services import apply_compliance
from ebsafety.ledgers.specs import EBIKE, RIDER, STATION, LedgerSpec

KINDS = ("stations", "ebikes", "riders")
MAX_ITEMS = 5000

STATION_FIELDS = ("address", "manager", "manager_phone")
EBIKE_FIELDS = (
    "building",
    "plate_kind",
    "plate_number",
    "brand",
    "model_name",
    "motor_number",
    "battery_kind",
    "battery_count",
    "battery_voltage",
    "use",
    "parking_place",
    "charging_method",
    "registration_date",
    "remark",
)
RIDER_FIELDS = (
    "battery_count",
    "charging_method",
    "housing_address",
    "is_group_rental",
    "uses_centralised_charging",
)


class MalformedPush(ValueError):
    """The request is not the documented shape: nothing was written."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class ItemError(ValueError):
    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__("; ".join(messages.values()))
        self.messages = messages


@dataclass
class Outcome:
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            kind: {"added": 0, "changed": 0, "unchanged": 0, "rejected": 0} for kind in KINDS
        }
    )
    errors: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, kind: str, index: int, key: Any, messages: dict[str, str]) -> None:
        self.counts[kind]["rejected"] += 1
        self.errors.append({"kind": kind, "index": index, "key": key, "messages": messages})

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts, "errors": self.errors}


def may_push(user: Any, platform: Platform) -> bool:
    """The system, a superuser, whoever may change the platform, or a platform account acting for it."""
    if user is None or user.is_superuser:
        return True
    if can(user, Action.CHANGE, platform):
        return True
    return any(
        m.role == Role.PLATFORM and platform_id(m) == platform.pk for m in user.active_memberships()
    ) and can(user, Action.VIEW, platform)


def check_shape(data: Any) -> dict[str, list[dict[str, Any]]]:
    """The request as {kind: [item, …]}, or MalformedPush naming everything wrong with its shape."""
    if not isinstance(data, dict):
        shape = '请求体应为 JSON 对象：{"stations": [...], "riders": [...], "ebikes": [...]}'
        raise MalformedPush("请求格式错误，未写入任何数据。", [shape])
    problems = [f"未知的键“{key}”（应为 stations、riders、ebikes）" for key in data if key not in KINDS]
    total = 0
    for kind in KINDS:
        items = data.get(kind, [])
        if not isinstance(items, list):
            problems.append(f"{kind} 应为数组")
            continue
        total += len(items)
        problems += [f"{kind}[{i}] 应为对象" for i, item in enumerate(items) if not isinstance(item, dict)]
    if total > MAX_ITEMS:
        problems.append(f"一次最多推送 {MAX_ITEMS} 条（本次 {total} 条），请分批推送")
    if not total and not problems:
        problems.append("没有要推送的数据")
    if problems:
        raise MalformedPush("请求格式错误，未写入任何数据。", problems)
    return {kind: data.get(kind, []) for kind in KINDS}


def parse_item(spec: LedgerSpec, item: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The item's values through the importer's column parsers; unknown keys and bad values are errors."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    known = {c.key for c in spec.columns} | {"unit"}
    for key in item:
        if key not in known or (key not in keys and key != "unit"):
            errors[key] = "未知的字段"
    for column in spec.columns:
        if column.key not in keys or column.key not in item:
            continue
        raw = item[column.key]
        if isinstance(raw, list):
            raw = "、".join(str(v) for v in raw)
        try:
            values[column.key] = column.parse(raw)
        except n.CellError as exc:
            errors[column.key] = f"{column.header}：{exc}"
    if "unit" in item:
        values["unit"] = n.code(item["unit"]) if item["unit"] is not None else ""
    if errors:
        raise ItemError(errors)
    return values


class PlatformPush:
    def __init__(self, platform: Platform, by: Any) -> None:
        self.platform = platform
        self.by = by
        self.outcome = Outcome()
        self.own: set[str] = set()  # frame numbers of existing bikes ridden by this platform's riders
        self.bikes_done: set[str] = set()
        self.existing: set[str] = set()
        self.new_people: set[int] = set()  # people this push created (it may complete them)
        units = Unit.objects.all() if by is None else Unit.objects.visible_to(by)
        self.units = units
        self._unit_cache: dict[str, Unit | None] = {}

    # -- helpers -------------------------------------------------------------------------------------------
    def unit(self, code: str | None, current: Unit | None) -> Unit:
        if not code:
            if current is None:
                raise ItemError({"unit": "新记录须填写所属单位编码（unit）"})
            return current
        if code not in self._unit_cache:
            self._unit_cache[code] = self.units.filter(code=code).first()
        unit = self._unit_cache[code]
        if unit is None:
            raise ItemError({"unit": f"单位编码“{code}”不存在或不在您的管辖范围内"})
        return unit

    def required(self, values: dict[str, Any], spec: LedgerSpec, *keys: str) -> None:
        missing = {k: f"{spec.column(k).header}：必填" for k in keys if not values.get(k)}
        if missing:
            raise ItemError(missing)

    def save(self, obj: models.Model, is_new: bool, changed: bool) -> str:
        if not is_new and not changed:
            return "unchanged"
        obj.full_clean()
        obj.save()
        self.check_scope(obj)
        return "added" if is_new else "changed"

    def check_scope(self, obj: models.Model) -> None:
        """Re-check scope after a save (a new e-bike is checked with the rider that rides it)."""
        if self.by is None or (isinstance(obj, EBike) and obj.frame_number not in self.own):
            return
        if not restrict(type(obj)._default_manager.filter(pk=obj.pk), self.by).exists():
            raise ItemError({"unit": "保存后的记录超出了您的管辖范围"})

    @staticmethod
    def assign(obj: models.Model, values: dict[str, Any], names: tuple[str, ...]) -> bool:
        """Set the fields present in `values` (absent ones are left alone); True when any value differs."""
        changed = False
        for name in names:
            if name not in values:
                continue
            value = values[name]
            if value is None:
                model_field = obj._meta.get_field(name)
                assert isinstance(model_field, models.Field)  # the names are the model's own fields
                if not model_field.null:
                    value = model_field.get_default()
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
        return changed

    def run_item(self, kind: str, index: int, key: Any, write: Callable[[], str]) -> bool:
        """Write one item in its own savepoint; a failure rolls back all it wrote and is reported."""
        try:
            with transaction.atomic():
                self.outcome.counts[kind][write()] += 1
        except (ItemError, ValidationError) as exc:
            self.outcome.reject(kind, index, key, item_messages(exc))
            return False
        return True

    # -- stations ------------------------------------------------------------------------------------------
    def station(self, values: dict[str, Any]) -> str:
        self.required(values, STATION, "name")
        station = Station.objects.filter(platform=self.platform, name=values["name"]).first()
        is_new = station is None
        if station is None:
            station = Station(platform=self.platform, name=values["name"])
        unit = self.unit(values.get("unit"), station.unit if station.unit_id else None)
        changed = self.assign(station, {**values, "unit_id": unit.pk}, (*STATION_FIELDS, "unit_id"))
        return self.save(station, is_new, changed)

    # -- e-bikes -------------------------------------------------------------------------------------------
    def owner(self, values: dict[str, Any], unit: Unit, current: Person | None) -> Person:
        id_number, name, phone = (
            values.get("owner_id_number"),
            values.get("owner_name"),
            values.get("owner_phone"),
        )
        person = Person.objects.filter(HAS_ID_NUMBER, id_number=id_number).first() if id_number else current
        if person is None and phone and name:
            person = Person.objects.filter(unit=unit, name=name, phone=phone, id_number="").first()
        if person is None:
            if not name or not (id_number or phone):
                raise ItemError({"owner_name": "新车辆须填写车主姓名，以及身份证号或手机号"})
            person = Person(unit=unit, name=name, id_number=id_number or "", phone=phone or "")
            person.full_clean()
            person.save()
            self.new_people.add(person.pk)
        return person

    def ebike(self, values: dict[str, Any], referenced: set[str]) -> str:
        self.required(values, EBIKE, "frame_number")
        frame = values["frame_number"]
        bike = EBike.objects.filter(frame_number=frame).first()
        is_new = bike is None
        if bike is not None and frame not in self.own:
            raise ItemError(
                {"frame_number": f"车架号 {frame} 已由其他单位或平台登记，平台不能修改（请联系整治办核对）"}
            )
        if bike is None:
            if frame not in referenced:
                raise ItemError({"frame_number": "新车辆须由本次推送中骑它的骑手在 frame_numbers 中列出"})
            self.required(values, EBIKE, "plate_kind", "battery_kind")
            bike = EBike(
                frame_number=frame,
                use=BikeUse.DELIVERY if self.platform.kind == "delivery" else BikeUse.COURIER,
            )
        unit = self.unit(values.get("unit"), bike.unit if bike.unit_id else None)
        fields = {**values, "unit_id": unit.pk}
        if "over_standard" in values:
            fields["declared_compliant"] = (
                None if values["over_standard"] is None else not values["over_standard"]
            )
        changed = self.assign(bike, fields, (*EBIKE_FIELDS, "unit_id", "declared_compliant"))
        if is_new or {"owner_name", "owner_id_number", "owner_phone"} & set(values):
            owner = self.owner(values, unit, bike.owner if bike.owner_id else None)
            if bike.owner_id != owner.pk:
                bike.owner = owner
                changed = True
        before = (bike.is_compliant, bike.compliance_reason)
        apply_compliance(bike)
        changed = changed or before != (bike.is_compliant, bike.compliance_reason)
        return self.save(bike, is_new, changed)

    # -- riders --------------------------------------------------------------------------------------------
    def rider_with_bikes(self, values: dict[str, Any], bikes: dict[str, tuple[int, dict[str, Any]]]) -> str:
        """A rider and the pushed e-bikes it rides that are not written yet, in one savepoint: a new bike is
        only ever written together with a rider of this platform that rides it."""
        pending: list[tuple[str, str]] = []
        for frame in parse_frames(values.get("frame_numbers") or ""):
            if (
                frame not in bikes
                or frame in self.bikes_done
                or (frame in self.existing and frame not in self.own)
            ):
                continue  # not pushed, done, or another unit's bike (linked, never changed: reported alone)
            index, bike_values = bikes[frame]
            try:
                with transaction.atomic():
                    pending.append((frame, self.ebike(bike_values, {frame})))
            except (ItemError, ValidationError) as exc:
                self.outcome.reject("ebikes", index, frame, item_messages(exc))
                self.bikes_done.add(frame)
                raise ItemError({"frame_numbers": f"所骑车辆 {frame} 未通过校验，见该车辆的错误"}) from exc
        result = self.rider(values)
        for frame, bike_result in pending:
            self.outcome.counts["ebikes"][bike_result] += 1
            self.bikes_done.add(frame)
            self.own.add(frame)
        return result

    def rider(self, values: dict[str, Any]) -> str:
        self.required(values, RIDER, "id_number")
        id_number = values["id_number"]
        rider = (
            Rider.objects.filter(platform=self.platform, person__id_number=id_number)
            .select_related("person")
            .first()
        )
        is_new = rider is None
        changed = False
        if rider is None:
            self.required(values, RIDER, "name")
            rider = Rider(platform=self.platform)
        unit = self.unit(values.get("unit"), rider.unit if rider.unit_id else None)
        person = (
            rider.person if not is_new else Person.objects.filter(HAS_ID_NUMBER, id_number=id_number).first()
        )
        if person is None:
            person = Person(
                unit=unit, name=values["name"], id_number=id_number, phone=values.get("phone") or ""
            )
            person.full_clean()
            person.save()
        elif (
            self.by is None
            or person.pk in self.new_people
            or Person.objects.filter(pk=person.pk).visible_to(self.by).exists()
        ):
            person_changed = False
            for key in ("name", "phone"):
                if values.get(key) and getattr(person, key) != values[key]:
                    setattr(person, key, values[key])
                    person_changed = True
            if person_changed:
                person.full_clean()
                person.save()
                changed = True
        rider.person = person
        fields: dict[str, Any] = {**values, "unit_id": unit.pk}
        if "station" in values:
            station = None
            if values["station"]:
                station = Station.objects.filter(platform=self.platform, name=values["station"]).first()
                if station is None:
                    raise ItemError({"station": f"站点“{values['station']}”未在本平台名下登记"})
            fields["station_id"] = station.pk if station else None
        changed = self.assign(rider, fields, (*RIDER_FIELDS, "unit_id", "station_id")) or changed
        result = self.save(rider, is_new, changed)
        if "frame_numbers" in values:
            frames = parse_frames(values["frame_numbers"])
            bikes = dict(EBike.objects.filter(frame_number__in=frames).values_list("frame_number", "pk"))
            unknown = [f for f in frames if f not in bikes]
            if unknown:
                raise ItemError({"frame_numbers": f"车架号 {'、'.join(unknown)} 不在电动自行车台账中"})
            if sorted(rider.ebikes.values_list("pk", flat=True)) != sorted(bikes.values()):
                rider.ebikes.set(bikes.values())
                if result == "unchanged":
                    result = "changed"
        return result

    # -- the push ------------------------------------------------------------------------------------------
    def run(self, items: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        parsed: dict[str, list[tuple[int, dict[str, Any]]]] = {kind: [] for kind in KINDS}
        specs = {
            "stations": (STATION, STATION_KEYS),
            "ebikes": (EBIKE, EBIKE_KEYS),
            "riders": (RIDER, RIDER_KEYS),
        }
        for kind in KINDS:
            spec, keys = specs[kind]
            for index, item in enumerate(items[kind]):
                try:
                    parsed[kind].append((index, parse_item(spec, item, keys)))
                except ItemError as exc:
                    self.outcome.reject(kind, index, item.get(spec.key), exc.messages)
        frames = [v["frame_number"] for _, v in parsed["ebikes"] if v and v.get("frame_number")]
        existing = EBike.objects.filter(frame_number__in=frames)
        self.existing = set(existing.values_list("frame_number", flat=True))
        self.own = set(
            existing.filter(riders__platform=self.platform).values_list("frame_number", flat=True).distinct()
        )
        bikes = {v["frame_number"]: (i, v) for i, v in parsed["ebikes"] if v.get("frame_number")}
        failed_riders: set[str] = set()
        with transaction.atomic():
            for index, values in parsed["stations"]:
                self.run_item("stations", index, values.get("name"), partial(self.station, values))
            for index, values in parsed["riders"]:
                ok = self.run_item(
                    "riders", index, values.get("id_number"), partial(self.rider_with_bikes, values, bikes)
                )
                if not ok:
                    failed_riders |= set(parse_frames(values.get("frame_numbers") or ""))
            for index, values in parsed["ebikes"]:
                frame = values.get("frame_number")
                if frame in self.bikes_done:
                    continue
                if frame and frame in failed_riders and frame not in self.own:
                    self.outcome.reject(
                        "ebikes", index, frame, {"frame_numbers": "骑该车的骑手未通过校验，车辆未写入"}
                    )
                    continue
                self.run_item("ebikes", index, frame, partial(self.ebike, values, set()))
        return self.outcome.as_dict()


def item_messages(exc: Exception) -> dict[str, str]:
    if isinstance(exc, ItemError):
        return exc.messages
    assert isinstance(exc, ValidationError)
    if hasattr(exc, "error_dict"):
        return {k: "；".join(v) for k, v in exc.message_dict.items()}
    return {"__all__": "；".join(exc.messages)}


def parse_frames(value: str) -> list[str]:
    text = (value or "").replace("，", "、").replace(",", "、").replace(" ", "、")
    return list(dict.fromkeys(n.code(part) for part in text.split("、") if part.strip()))


STATION_KEYS = ("name", *STATION_FIELDS)
EBIKE_KEYS = tuple(c.key for c in EBIKE.columns if c.key != "compound")
RIDER_KEYS = ("name", "id_number", "phone", "station", "frame_numbers", *RIDER_FIELDS)


def push_platform_data(platform: Platform, data: Any, by: Any) -> dict[str, Any]:
    """Write a platform's pushed stations, e-bikes and riders (see the module docstring)."""
    if not may_push(by, platform):
        raise PermissionDenied("您无权为该平台推送数据。")
    items = check_shape(data)
    return PlatformPush(platform, by).run(items)
