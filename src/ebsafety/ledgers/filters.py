"""Filters of the ledger lists, shared by the pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from ebsafety.core.filters import SearchFilterSet, YesNoWidget
from ebsafety.core.models import BaseModel, Unit
from ebsafety.ledgers.choices import (
    BatteryKind,
    BikeUse,
    ChargingMethod,
    ImportMode,
    ImportStatus,
    LedgerKind,
    ParkingPlace,
    PlateKind,
    PlatformKind,
    RecordStatus,
    RetireReason,
)
from ebsafety.ledgers.models import (
    EBike,
    ImportBatch,
    Person,
    Platform,
    PlatformAccount,
    RecyclingSite,
    Rider,
    Sale,
    Shop,
    Station,
)


def _visible(model: type[BaseModel]) -> Any:
    """A queryset callable for ModelChoiceFilters: only what the requesting user may see."""

    def queryset(request: Any) -> QuerySet:
        user = getattr(request, "user", None)
        return model.objects.visible_to(user) if user is not None else model.objects.none()

    return queryset


class LedgerFilterSet(SearchFilterSet):
    """Search, the unit subtree (a unit code, 含下级) and — for exact look-ups of a whole ID or phone number —
    `exact_fields` that match only when the search text equals them (no partial probing of personal data)."""

    unit = django_filters.CharFilter(label="单位编码（含下级）", method="filter_unit")
    exact_fields: tuple[str, ...] = ()

    def filter_unit(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        unit = Unit.objects.filter(code=value).only("path").first()
        return queryset.filter(unit__path__startswith=unit.path) if unit else queryset.none()

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        q = Q()
        for field in self.search_fields:
            q |= Q(**{f"{field}__icontains": value})
        for field in self.exact_fields:
            q |= Q(**{field: value.upper() if "id_number" in field else value})
        return queryset.filter(q)


class RetirableFilterSet(LedgerFilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=RecordStatus.choices, empty_label="全部")
    retire_reason = django_filters.ChoiceFilter(
        label="注销原因", choices=RetireReason.choices, empty_label="全部"
    )


class PersonFilterSet(LedgerFilterSet):
    search_fields = ("name", "address")
    exact_fields = ("id_number", "phone")

    class Meta:
        model = Person
        fields = ["q", "unit"]


class EBikeFilterSet(RetirableFilterSet):
    search_fields = ("frame_number", "plate_number", "motor_number", "brand", "owner__name", "compound_text")
    exact_fields = ("owner__id_number", "owner__phone")
    plate_kind = django_filters.ChoiceFilter(label="号牌类型", choices=PlateKind.choices, empty_label="全部")
    is_compliant = django_filters.BooleanFilter(label="合规", widget=YesNoWidget)
    charging_method = django_filters.ChoiceFilter(
        label="充电方式", choices=ChargingMethod.choices, empty_label="全部"
    )
    battery_kind = django_filters.ChoiceFilter(
        label="电池类型", choices=BatteryKind.choices, empty_label="全部"
    )
    use = django_filters.ChoiceFilter(label="车辆用途", choices=BikeUse.choices, empty_label="全部")
    parking_place = django_filters.ChoiceFilter(
        label="停放地点", choices=ParkingPlace.choices, empty_label="全部"
    )

    class Meta:
        model = EBike
        fields = [
            "q",
            "unit",
            "plate_kind",
            "is_compliant",
            "charging_method",
            "battery_kind",
            "use",
            "parking_place",
            "status",
            "retire_reason",
        ]


class ShopFilterSet(RetirableFilterSet):
    search_fields = ("name", "credit_code", "address", "contact")

    class Meta:
        model = Shop
        fields = ["q", "unit", "status", "retire_reason"]


class RecyclingSiteFilterSet(RetirableFilterSet):
    search_fields = ("name", "credit_code", "address", "contact", "licence_number")

    class Meta:
        model = RecyclingSite
        fields = ["q", "unit", "status", "retire_reason"]


class PlatformFilterSet(RetirableFilterSet):
    search_fields = ("name", "credit_code", "contact")
    kind = django_filters.ChoiceFilter(label="类型", choices=PlatformKind.choices, empty_label="全部")

    class Meta:
        model = Platform
        fields = ["q", "kind", "unit", "status"]


class StationFilterSet(RetirableFilterSet):
    search_fields = ("name", "address", "manager", "platform__name")
    platform = django_filters.ModelChoiceFilter(label="平台", queryset=_visible(Platform), empty_label="全部")

    class Meta:
        model = Station
        fields = ["q", "platform", "unit", "status"]


class RiderFilterSet(RetirableFilterSet):
    search_fields = ("person__name", "housing_address", "station__name")
    exact_fields = ("person__id_number", "person__phone")
    platform = django_filters.ModelChoiceFilter(label="平台", queryset=_visible(Platform), empty_label="全部")
    charging_method = django_filters.ChoiceFilter(
        label="充电方式", choices=ChargingMethod.choices, empty_label="全部"
    )
    is_group_rental = django_filters.BooleanFilter(label="群租", widget=YesNoWidget)
    uses_centralised_charging = django_filters.BooleanFilter(label="集中充电", widget=YesNoWidget)

    class Meta:
        model = Rider
        fields = [
            "q",
            "platform",
            "unit",
            "charging_method",
            "is_group_rental",
            "uses_centralised_charging",
            "status",
        ]


class SaleFilterSet(RetirableFilterSet):
    search_fields = ("buyer__name", "ebike__frame_number", "ebike__plate_number", "shop__name")
    shop = django_filters.ModelChoiceFilter(label="门店", queryset=_visible(Shop), empty_label="全部")
    sold_from = django_filters.DateFilter(label="销售日期起", field_name="sold_on", lookup_expr="gte")
    sold_to = django_filters.DateFilter(label="销售日期止", field_name="sold_on", lookup_expr="lte")

    class Meta:
        model = Sale
        fields = ["q", "shop", "unit", "sold_from", "sold_to", "status"]


class ImportBatchFilterSet(LedgerFilterSet):
    search_fields = ("original_name", "message")
    kind = django_filters.ChoiceFilter(label="台账类型", choices=LedgerKind.choices, empty_label="全部")
    mode = django_filters.ChoiceFilter(label="导入方式", choices=ImportMode.choices, empty_label="全部")
    status = django_filters.ChoiceFilter(label="状态", choices=ImportStatus.choices, empty_label="全部")

    class Meta:
        model = ImportBatch
        fields = ["q", "kind", "unit", "mode", "status"]


class PlatformAccountFilterSet(SearchFilterSet):
    search_fields = ("platform__name", "membership__user__username", "membership__user__first_name")

    class Meta:
        model = PlatformAccount
        fields = ["q", "platform"]
