"""factory-boy factories of ledger records (valid ID numbers and credit codes, so the normalisers accept
them). Pass `unit=` (a Unit) to place a record; related records follow it by default."""

from __future__ import annotations

import datetime

import factory
from factory.django import DjangoModelFactory
from stdnum.cn import ric, uscc

from ebsafety.ledgers.choices import BatteryKind, ChargingMethod, PlateKind, PlatformKind
from ebsafety.ledgers.models import EBike, Person, Platform, RecyclingSite, Rider, Sale, Shop, Station


def id_number(n: int) -> str:
    body = f"110115{datetime.date(1980, 1, 1) + datetime.timedelta(days=n % 9000):%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(n: int) -> str:
    body = f"91110115{n:09d}"
    return body + uscc.calc_check_digit(body)


def mobile(n: int) -> str:
    return f"139{n:08d}"


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"人员{n}")
    id_number = factory.Sequence(lambda n: id_number(n + 1))
    phone = factory.Sequence(lambda n: mobile(n + 1))
    unit = None  # required: pass unit=


class EBikeFactory(DjangoModelFactory):
    class Meta:
        model = EBike

    unit = None  # required: pass unit=
    owner = factory.SubFactory(PersonFactory, unit=factory.SelfAttribute("..unit"))
    plate_kind = PlateKind.FORMAL
    plate_number = factory.Sequence(lambda n: f"京A{n:05d}")
    frame_number = factory.Sequence(lambda n: f"FR{n:08d}")
    battery_kind = BatteryKind.LITHIUM
    battery_voltage = 48
    charging_method = ChargingMethod.CENTRALISED


class ShopFactory(DjangoModelFactory):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"门店{n}")
    credit_code = factory.Sequence(lambda n: credit_code(1000 + n))
    unit = None
    phone = factory.Sequence(lambda n: mobile(50_000 + n))
    businesses = factory.LazyFunction(lambda: ["sales"])


class RecyclingSiteFactory(DjangoModelFactory):
    class Meta:
        model = RecyclingSite

    name = factory.Sequence(lambda n: f"回收站{n}")
    credit_code = factory.Sequence(lambda n: credit_code(2000 + n))
    unit = None
    phone = factory.Sequence(lambda n: mobile(60_000 + n))


class PlatformFactory(DjangoModelFactory):
    class Meta:
        model = Platform

    name = factory.Sequence(lambda n: f"平台{n}")
    kind = PlatformKind.DELIVERY
    credit_code = factory.Sequence(lambda n: credit_code(3000 + n))
    unit = None
    phone = factory.Sequence(lambda n: mobile(70_000 + n))


class StationFactory(DjangoModelFactory):
    class Meta:
        model = Station

    platform = None  # required
    name = factory.Sequence(lambda n: f"站点{n}")
    unit = None
    manager = "站长"
    manager_phone = factory.Sequence(lambda n: mobile(80_000 + n))


class RiderFactory(DjangoModelFactory):
    class Meta:
        model = Rider

    unit = None
    person = factory.SubFactory(PersonFactory, unit=factory.SelfAttribute("..unit"))
    platform = None  # required
    charging_method = ChargingMethod.CABINET


class SaleFactory(DjangoModelFactory):
    class Meta:
        model = Sale

    unit = None
    shop = None  # required
    buyer = factory.SubFactory(PersonFactory, unit=factory.SelfAttribute("..unit"))
    ebike = factory.SubFactory(EBikeFactory, unit=factory.SelfAttribute("..unit"))
    sold_on = datetime.date(2026, 10, 1)
