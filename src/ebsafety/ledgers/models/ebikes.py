"""E-bikes, riders and sales."""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from ebsafety.core.choices import Sector
from ebsafety.core.fields import CodeField
from ebsafety.core.models import Unit
from ebsafety.ledgers import scoping as ledger_scoping
from ebsafety.ledgers.choices import BatteryKind, BikeUse, ChargingMethod, ParkingPlace, PlateKind
from ebsafety.ledgers.models.business import Platform, RetirableModel, Shop, Station
from ebsafety.ledgers.models.people import Person


class EBike(RetirableModel):
    """One e-bike of the census, matched by its frame number across every unit."""

    # no index of its own: ebike_unit_status (unit, status) serves "the bikes of a unit" (fewer index updates
    # on million-row imports); the owner FK's automatic index serves "the bikes of an owner"
    unit = models.ForeignKey(
        Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="ebikes", db_index=False
    )
    compound = models.ForeignKey(  # indexed where set: see Meta.indexes
        Unit,
        verbose_name="小区",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compound_ebikes",
        db_index=False,
    )
    compound_text = models.CharField("小区（填报）", max_length=100, blank=True)
    building = models.CharField("楼栋单元", max_length=50, blank=True)
    owner = models.ForeignKey(Person, verbose_name="车主", on_delete=models.PROTECT, related_name="ebikes")
    plate_kind = models.CharField("号牌类型", max_length=10, choices=PlateKind.choices)
    plate_number = CodeField("车牌号", max_length=20, blank=True)
    brand = models.CharField("品牌", max_length=50, blank=True)
    model_name = models.CharField("型号", max_length=50, blank=True)
    frame_number = CodeField("车架号", max_length=40)  # unique: see Meta.constraints
    motor_number = CodeField("电机号", max_length=40, blank=True)
    battery_kind = models.CharField("电池类型", max_length=10, choices=BatteryKind.choices)
    battery_count = models.PositiveSmallIntegerField("电池数量", default=1)
    battery_voltage = models.PositiveSmallIntegerField("电池电压(V)", null=True, blank=True)
    declared_compliant = models.BooleanField("申报合规", null=True, blank=True)
    is_compliant = models.BooleanField("合规", default=True)
    compliance_reason = models.CharField("不合规原因", max_length=200, blank=True)
    use = models.CharField("车辆用途", max_length=10, choices=BikeUse.choices, default=BikeUse.PRIVATE)
    parking_place = models.CharField("停放地点", max_length=16, choices=ParkingPlace.choices, blank=True)
    charging_method = models.CharField("充电方式", max_length=16, choices=ChargingMethod.choices, blank=True)
    registration_date = models.DateField("登记日期", null=True, blank=True)
    shop = models.ForeignKey(  # indexed where set: see Meta.indexes
        Shop,
        verbose_name="销售门店",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ebikes",
        db_index=False,
    )
    remark = models.CharField("备注", max_length=200, blank=True)

    scope_sectors: ClassVar[frozenset[str]] = frozenset({Sector.PLATES})

    scope_q_for_membership = ledger_scoping.platform_ebikes  # platform accounts (see ledgers/scoping.py)

    class Meta:
        verbose_name = "电动自行车"
        verbose_name_plural = "电动自行车"
        ordering = ["unit", "frame_number"]
        constraints = [
            # A unique index of its own, not the column's UNIQUE: SQLite creates a column UNIQUE inside the
            # table (an index no load can drop), which a bulk load then fills a random key at a time. As an
            # index, a first census builds it with the others after the rows, by one sort (a million
            # bikes' staging: 5.3 → 2.5 s), and the staging table, created as the table is, has none.
            models.UniqueConstraint(
                F("frame_number"),
                name="ebike_unique_frame_number",
                violation_error_message="该车架号已登记。",
            ),
        ]
        indexes = [
            # scoped lists and summary counts per unit
            models.Index(fields=["unit", "status"], name="ebike_unit_status"),
            # plate look-ups from inspections and tips
            models.Index(fields=["plate_number"], name="ebike_plate", condition=~Q(plate_number="")),
            # "the bikes a shop sold" (and a shop's deletion, which clears them): only bikes registered as
            # a sale name their shop. `shop_id = %s` implies the condition, so both databases use it; a
            # census of a million bikes with no shop no longer sorts a million NULLs (0.3 s).
            models.Index(fields=["shop"], name="ebike_shop", condition=Q(shop__isnull=False)),
            # "the bikes of a compound" (and a compound's deletion): a bike whose compound the file named
            # by a name not found under its unit keeps the text only (`compound_text`), as do the bikes of
            # a village without compounds; their NULLs need no index entries (a million: 0.47 s).
            models.Index(fields=["compound"], name="ebike_compound", condition=Q(compound__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.plate_number or self.frame_number

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        """As Django's, with the frame number's uniqueness reported on its field (pages and API alike), as
        a column UNIQUE's would be: the constraint is an expression (an index of its own, see Meta), whose
        violations Django reports for the whole record."""
        try:
            super().validate_constraints(exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict({})
            taken = next(c for c in self._meta.constraints if c.name == "ebike_unique_frame_number")
            message = taken.get_violation_error_message()
            general = errors.get(NON_FIELD_ERRORS, [])
            if any(message in error.messages for error in general):
                errors[NON_FIELD_ERRORS] = [e for e in general if message not in e.messages]
                errors.setdefault("frame_number", []).append(ValidationError(message, code="unique"))
                if not errors[NON_FIELD_ERRORS]:
                    del errors[NON_FIELD_ERRORS]
            raise ValidationError(errors) from exc

    def get_absolute_url(self) -> str:
        return reverse("ledgers:ebike_detail", args=[self.pk])


class Rider(RetirableModel):
    """A delivery or courier rider of a platform: vehicle, batteries, charging and housing."""

    person = models.ForeignKey(
        Person, verbose_name="人员", on_delete=models.PROTECT, related_name="rider_records"
    )
    platform = models.ForeignKey(
        Platform, verbose_name="平台", on_delete=models.PROTECT, related_name="riders"
    )
    station = models.ForeignKey(
        Station, verbose_name="站点", null=True, blank=True, on_delete=models.SET_NULL, related_name="riders"
    )
    unit = models.ForeignKey(Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="riders")
    ebikes = models.ManyToManyField(EBike, verbose_name="电动自行车", blank=True, related_name="riders")
    battery_count = models.PositiveSmallIntegerField("电池数量", default=1)
    charging_method = models.CharField("充电方式", max_length=16, choices=ChargingMethod.choices, blank=True)
    housing_address = models.CharField("住宿地址", max_length=200, blank=True)
    is_group_rental = models.BooleanField("群租", default=False)
    uses_centralised_charging = models.BooleanField("集中充电", default=False)

    scope_sectors: ClassVar[frozenset[str]] = frozenset({Sector.DELIVERY, Sector.COURIER})

    scope_q_for_membership = ledger_scoping.platform_rows  # platform accounts (see ledgers/scoping.py)

    class Meta:
        verbose_name = "骑手"
        verbose_name_plural = "骑手"
        ordering = ["platform", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "person"],
                name="rider_unique_platform_person",
                violation_error_message="该骑手已在该平台登记。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.platform}" if self.person_id and self.platform_id else "骑手"

    def get_absolute_url(self) -> str:
        return reverse("ledgers:rider_detail", args=[self.pk])


class Sale(RetirableModel):
    """A new e-bike registered at sale by the shop that sold it."""

    shop = models.ForeignKey(Shop, verbose_name="门店", on_delete=models.PROTECT, related_name="sales")
    buyer = models.ForeignKey(
        Person, verbose_name="购买人", on_delete=models.PROTECT, related_name="purchases"
    )
    ebike = models.OneToOneField(
        EBike, verbose_name="电动自行车", on_delete=models.PROTECT, related_name="sale"
    )
    sold_on = models.DateField("销售日期")
    unit = models.ForeignKey(Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="sales")

    scope_sectors: ClassVar[frozenset[str]] = frozenset({Sector.MARKET})

    scope_q_for_membership = ledger_scoping.platform_nothing  # platform accounts (see ledgers/scoping.py)

    class Meta:
        verbose_name = "新车销售登记"
        verbose_name_plural = "新车销售登记"
        ordering = ["-sold_on", "pk"]

    def __str__(self) -> str:
        return f"{self.shop} → {self.buyer}" if self.shop_id and self.buyer_id else "销售登记"

    def get_absolute_url(self) -> str:
        return reverse("ledgers:sale_detail", args=[self.pk])
