"""Tables of the ledger lists (also the columns of their exports). Personal data is always masked here:
lists and exports never show a whole ID or phone number, whatever the role (the detail page reveals them,
audited)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django_tables2 import A

from ebsafety.ledgers.choices import ShopBusiness
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
from ebsafety.ledgers.services import mask_value


class MaskedColumn(tables.Column):
    """An ID or phone number, masked on the page and in the export."""

    def __init__(self, *args: Any, field: str = "phone", **kwargs: Any) -> None:
        kwargs.setdefault("orderable", False)
        super().__init__(*args, **kwargs)
        self.personal_field = field

    def render(self, value: Any) -> str:
        return mask_value(self.personal_field, str(value or ""))


class PersonTable(tables.Table):
    id = tables.Column(verbose_name="编号", linkify=True)
    name = tables.Column(linkify=True)
    id_number = MaskedColumn(verbose_name="身份证号", field="id_number")
    phone = MaskedColumn(verbose_name="手机号")

    class Meta:
        model = Person
        fields = ("id", "name", "id_number", "phone", "unit", "address")


class EBikeTable(tables.Table):
    frame_number = tables.Column(linkify=True)
    owner = tables.Column(verbose_name="车主", accessor="owner__name", linkify=lambda record: record.owner)
    owner_phone = MaskedColumn(verbose_name="车主手机号", accessor="owner__phone")

    class Meta:
        model = EBike
        fields = (
            "frame_number",
            "plate_kind",
            "plate_number",
            "unit",
            "owner",
            "owner_phone",
            "brand",
            "battery_kind",
            "battery_voltage",
            "is_compliant",
            "use",
            "charging_method",
            "status",
        )


def _business_labels(value: list[str]) -> str:
    labels = dict(ShopBusiness.choices)
    return "、".join(str(labels.get(v, v)) for v in value or [])


class ShopTable(tables.Table):
    name = tables.Column(linkify=True)
    businesses = tables.Column(verbose_name="经营范围", orderable=False)
    phone = MaskedColumn(verbose_name="联系电话")

    class Meta:
        model = Shop
        fields = ("name", "credit_code", "unit", "department", "businesses", "contact", "phone", "status")

    def render_businesses(self, value: list[str]) -> str:
        return _business_labels(value)

    def value_businesses(self, value: list[str]) -> str:
        return _business_labels(value)


class RecyclingSiteTable(tables.Table):
    name = tables.Column(linkify=True)
    phone = MaskedColumn(verbose_name="联系电话")

    class Meta:
        model = RecyclingSite
        fields = (
            "name",
            "credit_code",
            "unit",
            "licence_number",
            "licence_valid_until",
            "contact",
            "phone",
            "status",
        )


class PlatformTable(tables.Table):
    name = tables.Column(linkify=True)
    phone = MaskedColumn(verbose_name="联系电话")

    class Meta:
        model = Platform
        fields = ("name", "kind", "credit_code", "unit", "contact", "phone", "status")


class StationTable(tables.Table):
    name = tables.Column(linkify=True)
    manager_phone = MaskedColumn(verbose_name="站长电话")

    class Meta:
        model = Station
        fields = ("name", "platform", "unit", "address", "manager", "manager_phone", "status")


class RiderTable(tables.Table):
    id = tables.Column(verbose_name="编号", linkify=True)
    name = tables.Column(verbose_name="姓名", accessor="person__name", linkify=lambda record: record)
    id_number = MaskedColumn(verbose_name="身份证号", accessor="person__id_number", field="id_number")
    phone = MaskedColumn(verbose_name="手机号", accessor="person__phone")

    class Meta:
        model = Rider
        fields = (
            "id",
            "name",
            "id_number",
            "phone",
            "platform",
            "station",
            "unit",
            "charging_method",
            "is_group_rental",
            "uses_centralised_charging",
            "status",
        )


class SaleTable(tables.Table):
    id = tables.Column(verbose_name="编号", linkify=True)
    ebike = tables.Column(verbose_name="车架号", accessor="ebike__frame_number")
    buyer = tables.Column(verbose_name="购买人", accessor="buyer__name")

    class Meta:
        model = Sale
        fields = ("id", "sold_on", "shop", "buyer", "ebike", "unit", "status")


class ImportBatchTable(tables.Table):
    id = tables.Column(verbose_name="编号", linkify=True)
    created = tables.DateTimeColumn(verbose_name="上传时间", format="Y-m-d H:i")
    added = tables.Column(verbose_name="新增", accessor="counts__added", orderable=False, default=0)
    changed = tables.Column(verbose_name="变更", accessor="counts__changed", orderable=False, default=0)
    rejected = tables.Column(verbose_name="拒收", accessor="counts__rejected", orderable=False, default=0)

    class Meta:
        model = ImportBatch
        fields = (
            "id",
            "created",
            "kind",
            "unit",
            "original_name",
            "mode",
            "status",
            "uploaded_by",
            "added",
            "changed",
            "rejected",
        )


class PlatformAccountTable(tables.Table):
    platform = tables.Column(linkify=True)
    account = tables.Column(verbose_name="账号", accessor="membership__user__username", orderable=False)
    scope = tables.Column(verbose_name="可见范围", accessor="membership__unit", orderable=False)
    delete = tables.LinkColumn(
        "ledgers:platformaccount_delete", args=[A("pk")], text="解除关联", verbose_name="", orderable=False
    )

    class Meta:
        model = PlatformAccount
        fields = ("platform", "account", "scope", "created")
        export_exclude = ("delete",)
