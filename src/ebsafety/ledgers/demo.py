"""Demo data of the ledgers: the census of the demo town, as the villages and communities would have filed it.

Registered in `settings.DEMO_BUILDERS`. For the demo town: about 25,000 e-bikes and their ~22,000 owners
spread over its villages, communities and parks (in their compounds where they have them, as address text in
the villages' old lanes), 40 shops, 3 battery recycling sites, 5 delivery and courier platforms with 30
stations, and 1,500 riders, each linked to their platform, station and bike. It is realistic where the pages
and the ranking look: some temporary plates and bikes over 48 V (non-compliant, with the reason), flying-lead
charging concentrated in a few compounds, riders in group rentals in the fringe villages, recent bikes
registered as sales by the shop that sold them. At `--scale district` the other towns get a fifth of that each
(~5,000 bikes; 55,000 in the district).

People and bikes go in through `bulk` (ids up front, executemany/COPY) like a large import — a few seconds —
and shops, platforms and stations through the ORM. The same seed gives the same ledgers.
"""

from __future__ import annotations

import datetime
import random
import string
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone
from stdnum.cn import ric, uscc

from ebsafety.core.choices import CampaignStatus, Role, UnitKind
from ebsafety.core.demo import person_name
from ebsafety.core.models import Campaign, Department, Membership, Unit
from ebsafety.ledgers import bulk
from ebsafety.ledgers.choices import (
    BatteryKind,
    BikeUse,
    ChargingMethod,
    ParkingPlace,
    PlateKind,
    PlatformKind,
    RecordStatus,
    ShopBusiness,
)
from ebsafety.ledgers.models import (
    EBike,
    Person,
    Platform,
    PlatformAccount,
    RecyclingSite,
    Rider,
    Sale,
    Shop,
    Station,
)

TOWN_SIZE = {"bikes": 25_000, "shops": 40, "recyclers": 3, "stations": 30, "riders": 1_500}
PLATFORMS = [
    ("美团外卖", PlatformKind.DELIVERY),
    ("饿了么", PlatformKind.DELIVERY),
    ("顺丰速运", PlatformKind.COURIER),
    ("京东物流", PlatformKind.COURIER),
    ("中通快递", PlatformKind.COURIER),
]
BRANDS = ["雅迪", "爱玛", "台铃", "新日", "绿源", "小牛", "九号", "立马", "小刀", "哈啰"]
AREAS = ["110115", "110115", "110115", "110224", "110105", "130425", "130623", "372925", "411528", "342401"]
ALNUM = string.ascii_uppercase + string.digits
PLATE_WEIGHTS = {PlateKind.FORMAL: 78, PlateKind.TEMPORARY: 8, PlateKind.NONE: 10, PlateKind.DELIVERY: 4}
VOLTAGE_WEIGHTS = {48: 70, 60: 14, 72: 6, 36: 10}
PARKING_WEIGHTS = {
    ParkingPlace.SHED: 45,
    ParkingPlace.GARAGE: 12,
    ParkingPlace.OPEN_GROUND: 18,
    ParkingPlace.COURTYARD: 12,
    ParkingPlace.LOBBY: 4,
    ParkingPlace.CORRIDOR: 5,
    ParkingPlace.INDOOR: 4,
}
CHARGING_WEIGHTS = {
    ChargingMethod.CENTRALISED: 38,
    ChargingMethod.PILE: 22,
    ChargingMethod.CABINET: 8,
    ChargingMethod.BATTERY_SWAP: 4,
    ChargingMethod.INDOOR: 24,
    ChargingMethod.FLYING_LEAD: 4,
}


def build_ledgers_demo(towns: list[Unit], rng: random.Random, scale: str) -> None:
    """The ledgers of every town with an active campaign: the demo town in full, the others at a fifth."""
    rng = random.Random(rng.random())  # a stream of our own: other builders' draws do not shift ours
    ids = IdNumbers(rng)
    for index, town in enumerate(towns):
        campaign = Campaign.objects.filter(unit=town, status=CampaignStatus.ACTIVE).first()
        if campaign is None:
            continue
        share = 1 if index == 0 else 5
        size = {key: max(value // share, 1) for key, value in TOWN_SIZE.items()}
        census = campaign.parameters.get("census_deadline") or campaign.start_date.isoformat()
        ledgers = TownLedgers(town, campaign.start_date, rng, ids, size)
        ledgers.census = datetime.date.fromisoformat(str(census))
        ledgers.build()


class IdNumbers:
    """Valid resident IDs (GB 11643 check digit), never the same twice in one demo."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.used = rng, set[str]()

    def __call__(self, young: bool = False) -> str:
        while True:
            start = datetime.date(1985 if young else 1950, 1, 1)
            birth = start + datetime.timedelta(days=self.rng.randrange(0, 13000 if young else 20000))
            body = f"{self.rng.choice(AREAS)}{birth:%Y%m%d}{self.rng.randrange(1000):03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self.used:
                self.used.add(number)
                return number


def credit_code(rng: random.Random) -> str:
    body = "91110115" + "".join(rng.choices("0123456789ABCDEFGHJKLMNPQRTUWXY", k=9))
    return body + uscc.calc_check_digit(body)


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"


@dataclass
class TownLedgers:
    town: Unit
    start: datetime.date
    rng: random.Random
    id_number: IdNumbers
    size: dict[str, int]
    people: list[tuple[Any, ...]] = field(default_factory=list)
    bikes: list[dict[str, Any]] = field(default_factory=list)
    frames: set[str] = field(default_factory=set)
    census: datetime.date | None = None  # when the census ledgers were entered (bikes' `created`)

    def build(self) -> None:
        below = Unit.objects.filter(path__startswith=self.town.path)
        kinds = (UnitKind.VILLAGE, UnitKind.COMMUNITY, UnitKind.PARK)
        self.localities = list(below.filter(kind__in=kinds).order_by("code"))
        compounds = below.filter(kind=UnitKind.COMPOUND).order_by("code")
        self.compounds: dict[int | None, list[Unit]] = {}
        for compound in compounds:
            self.compounds.setdefault(compound.parent_id, []).append(compound)
        self.hotspots = {c.pk for c in self.rng.sample(list(compounds), min(6, len(compounds)))}
        market = Department.objects.filter(unit=self.town, code__endswith="D02").first()
        shops = self.build_shops(market)
        self.build_recyclers()
        stations = self.build_platforms()
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.person_ids = iter(bulk.allocate_ids(Person, self.size["bikes"] + self.size["riders"]))
        riders = self.build_riders(stations)
        self.build_bikes(self.size["bikes"] - len(self.bikes), shops)
        self.write(riders, shops)
        # the businesses came in with the census too (the ORM stamped them now)
        census = self.entered_at(None)
        for model in (Shop, RecyclingSite, Platform, Station):
            model.objects.filter(unit__path__startswith=self.town.path).update(created=census, updated=census)

    def entered_at(self, registered: datetime.date | None) -> datetime.datetime:
        """When a record came into the platform's ledger: with the census (its deadline, at noon) if it was
        registered by then, else on its registration day (a bike sold and registered later), never after
        now. The ledgers as of a past period (`ledgers.as_of`) then show the records of that time."""
        census = self.census or self.start
        day = max(registered or census, census)
        moment = datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_default_timezone())
        return min(moment, timezone.now())

    def entered(self, registered: datetime.date | None) -> Any:
        return connection.ops.adapt_datetimefield_value(self.entered_at(registered))

    # -- businesses (tens of rows, through the ORM) ----------------------------------------------------------
    def build_shops(self, market: Department | None) -> list[Shop]:
        shops = []
        for index in range(self.size["shops"]):
            unit = self.rng.choice(self.localities)
            kinds = [ShopBusiness.SALES, ShopBusiness.REPAIR]
            kinds += [ShopBusiness.BATTERIES] if self.rng.random() < 0.5 else []
            kinds += [ShopBusiness.MODIFICATION] if self.rng.random() < 0.1 else []
            place = unit.name.removesuffix("村").removesuffix("社区")
            name = f"{self.rng.choice(BRANDS)}电动车{place}店{index + 1}"
            shops.append(
                Shop(
                    name=name,
                    credit_code=credit_code(self.rng),
                    address=f"{unit.address or unit.name}{self.rng.randrange(1, 200)}号",
                    unit=unit,
                    department=market,
                    businesses=[str(k) for k in kinds],
                    contact=person_name(self.rng),
                    phone=mobile(self.rng),
                )
            )
        return Shop.objects.bulk_create(shops)

    def build_recyclers(self) -> None:
        for index in range(self.size["recyclers"]):
            unit = self.rng.choice(self.localities)
            RecyclingSite.objects.create(
                name=f"{unit.name}废旧蓄电池回收点{index + 1}",
                credit_code=credit_code(self.rng),
                address=f"{unit.address or unit.name}{self.rng.randrange(1, 99)}号",
                unit=unit,
                licence_number=f"京危废{self.rng.randrange(100000, 999999)}",
                licence_valid_until=self.start + datetime.timedelta(days=self.rng.randrange(200, 900)),
                contact=person_name(self.rng),
                phone=mobile(self.rng),
            )

    def build_platforms(self) -> list[Station]:
        platforms = [
            Platform.objects.create(
                name=name if self.town.parent_id is None else f"{name}（{self.town.name}）",
                kind=kind,
                credit_code=credit_code(self.rng),
                unit=self.town,
                contact=person_name(self.rng),
                phone=mobile(self.rng),
            )
            for name, kind in PLATFORMS
        ]
        # The demo's platform account ("platform") acts for the first platform.
        for membership in Membership.objects.filter(
            role=Role.PLATFORM, unit=self.town, is_active=True, platform_account__isnull=True
        ):
            PlatformAccount.objects.create(membership=membership, platform=platforms[0])
        stations = []
        for index in range(self.size["stations"]):
            platform = platforms[index % len(platforms)]
            unit = self.rng.choice(self.localities)
            stations.append(
                Station(
                    platform=platform,
                    name=f"{unit.name.removesuffix('村')}站{index // len(platforms) + 1}",
                    unit=unit,
                    address=f"{unit.address or unit.name}{self.rng.randrange(1, 300)}号",
                    manager=person_name(self.rng),
                    manager_phone=mobile(self.rng),
                )
            )
        return Station.objects.bulk_create(stations)

    # -- people and bikes (thousands, in bulk) ---------------------------------------------------------------
    def person(self, unit: Unit, young: bool = False) -> int:
        pk = next(self.person_ids)
        has_id = self.rng.random() < 0.95
        number = self.id_number(young) if has_id else ""
        self.people.append(
            (pk, self.now, self.now, person_name(self.rng), number, mobile(self.rng), "", unit.pk)
        )
        return pk

    def bike(self, owner: int, unit: Unit, use: str, shops: list[Shop]) -> dict[str, Any]:
        rng = self.rng
        compounds = self.compounds.get(unit.pk, [])
        compound = rng.choice(compounds) if compounds and rng.random() < 0.9 else None
        plate = (
            PlateKind.DELIVERY if use != BikeUse.PRIVATE and rng.random() < 0.5 else _pick(rng, PLATE_WEIGHTS)
        )
        voltage = _pick(rng, VOLTAGE_WEIGHTS)
        declared = None if rng.random() < 0.1 else voltage <= 48 or rng.random() < 0.4
        reasons = []
        if plate == PlateKind.TEMPORARY:
            reasons.append("临时标识车辆（超标车）")
        if voltage > 48:
            reasons.append(f"电池电压 {voltage}V 超过 48V")
        if declared is False:
            reasons.append("申报为超标车")
        charging = _pick(rng, CHARGING_WEIGHTS)
        if compound is not None and compound.pk in self.hotspots and rng.random() < 0.3:
            charging = ChargingMethod.FLYING_LEAD  # the compounds where the census found flying leads
        registered = self.start + datetime.timedelta(days=rng.randrange(0, 80))
        shop = rng.choice(shops) if shops and rng.random() < 0.06 else None
        return {
            "unit_id": unit.pk,
            "owner_id": owner,
            "compound_id": compound.pk if compound else None,
            "compound_text": "" if compound or unit.kind != UnitKind.VILLAGE else f"{unit.name}平房区",
            "building": f"{rng.randrange(1, 20)}号楼{rng.randrange(1, 6)}单元" if compound else "",
            "plate_kind": plate,
            "plate_number": "" if plate == PlateKind.NONE else _plate(rng, plate),
            "brand": rng.choice(BRANDS),
            "model_name": f"{rng.choice('ABCDGTZ')}{rng.randrange(1, 9)}",
            "frame_number": self.frame_number(),
            "motor_number": "".join(rng.choices(ALNUM, k=11)),
            "battery_kind": BatteryKind.LITHIUM if rng.random() < 0.55 else BatteryKind.LEAD_ACID,
            "battery_count": 2 if rng.random() < 0.08 else 1,
            "battery_voltage": voltage,
            "declared_compliant": declared,
            "is_compliant": not reasons,
            "compliance_reason": "；".join(reasons),
            "use": use,
            "parking_place": _pick(rng, PARKING_WEIGHTS),
            "charging_method": charging,
            "registration_date": registered,
            "shop_id": shop.pk if shop else None,
        }

    def frame_number(self) -> str:
        while True:
            frame = "".join(self.rng.choices(ALNUM, k=self.rng.choice((12, 15, 17))))
            if frame not in self.frames:
                self.frames.add(frame)
                return frame

    def build_riders(self, stations: list[Station]) -> list[tuple[Any, ...]]:
        riders = []
        fringe = [u for u in self.localities if u.is_fringe] or self.localities
        for _ in range(self.size["riders"]):
            station = self.rng.choice(stations)
            home = self.rng.choice(fringe if self.rng.random() < 0.6 else self.localities)
            person = self.person(home, young=True)
            use = BikeUse.DELIVERY if station.platform.kind == PlatformKind.DELIVERY else BikeUse.COURIER
            self.bikes.append(self.bike(person, home, use, []))
            group = home.is_fringe and self.rng.random() < 0.35
            centralised = self.rng.random() < 0.45
            charging = ChargingMethod.CABINET if centralised else _pick(self.rng, CHARGING_WEIGHTS)
            riders.append(
                (person, station, home, 2 if self.rng.random() < 0.3 else 1, charging, group, centralised)
            )
        return riders

    def build_bikes(self, count: int, shops: list[Shop]) -> None:
        weights = [max(u.households or 300, 100) for u in self.localities]
        homes = self.rng.choices(self.localities, weights, k=count)
        owner: int | None = None
        for home in homes:
            if owner is None or self.rng.random() > 0.12:  # about one owner in eight has a second bike
                owner = self.person(home)
            use = BikeUse.PRIVATE if self.rng.random() < 0.97 else BikeUse.DELIVERY
            self.bikes.append(self.bike(owner, home, use, shops))

    def write(self, riders: list[tuple[Any, ...]], shops: list[Shop]) -> None:
        bulk.insert_rows(
            Person,
            ("id", "created", "updated", "name", "id_number", "phone", "address", "unit_id"),
            self.people,
        )
        ops = connection.ops
        bike_ids = bulk.allocate_ids(EBike, len(self.bikes))
        columns = ("id", "created", "updated", "status", "retire_reason", "retired_on", "last_batch_id",
                   "remark", *self.bikes[0])  # fmt: skip
        constants = (self.now, RecordStatus.ACTIVE.value, "", None, None, "")
        bulk.insert_rows(
            EBike,
            columns,
            (
                (pk, self.entered(bike["registration_date"]), *constants,
                 *(ops.adapt_datefield_value(v) if k == "registration_date" else v for k, v in bike.items()))
                for pk, bike in zip(bike_ids, self.bikes, strict=True)
            ),
        )  # fmt: skip
        rider_ids = bulk.allocate_ids(Rider, len(riders))
        rider_rows, links = [], []
        for pk, bike_id, (person, station, home, batteries, charging, group, centralised) in zip(
            rider_ids, bike_ids, riders, strict=False
        ):
            address = f"{home.address or home.name}{self.rng.randrange(1, 300)}号" + (
                "（群租房）" if group else ""
            )
            rider_rows.append(
                (pk, self.entered(None), self.now, RecordStatus.ACTIVE.value, "", None, None, person,
                 station.platform_id, station.pk, home.pk, batteries, charging, address, group, centralised)
            )  # fmt: skip
            links.append((pk, bike_id))
        bulk.insert_rows(
            Rider,
            ("id", "created", "updated", "status", "retire_reason", "retired_on", "last_batch_id",
             "person_id", "platform_id", "station_id", "unit_id", "battery_count", "charging_method",
             "housing_address", "is_group_rental", "uses_centralised_charging"),
            rider_rows,
        )  # fmt: skip
        through = Rider.ebikes.through
        link_ids = bulk.allocate_ids(through, len(links))
        bulk.insert_rows(
            through,
            ("id", "rider_id", "ebike_id"),
            [(i, r, b) for i, (r, b) in zip(link_ids, links, strict=True)],
        )
        self.write_sales(bike_ids)

    def write_sales(self, bike_ids: list[int]) -> None:
        """Bikes sold by a shop during the campaign are registered as sales (shop, buyer, bike, date)."""
        sold = [
            (pk, bike)
            for pk, bike in zip(bike_ids, self.bikes, strict=True)
            if bike["shop_id"] is not None and bike["registration_date"] >= self.start
        ]
        sale_ids = bulk.allocate_ids(Sale, len(sold))
        ops = connection.ops
        bulk.insert_rows(
            Sale,
            ("id", "created", "updated", "status", "retire_reason", "retired_on", "last_batch_id", "shop_id",
             "buyer_id", "ebike_id", "sold_on", "unit_id"),
            [
                (sale_id, self.now, self.now, RecordStatus.ACTIVE.value, "", None, None, bike["shop_id"],
                 bike["owner_id"], pk, ops.adapt_datefield_value(bike["registration_date"]), bike["unit_id"])
                for sale_id, (pk, bike) in zip(sale_ids, sold, strict=True)
            ],
        )  # fmt: skip


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), list(weights.values()))[0]


def _plate(rng: random.Random, kind: str) -> str:
    if kind == PlateKind.TEMPORARY:
        return f"临{rng.randrange(100000, 999999)}"
    if kind == PlateKind.DELIVERY:
        return f"京外{rng.randrange(10000, 99999)}"
    return f"京{rng.choice('ABCDEFGH')}{rng.randrange(10000, 99999)}"
