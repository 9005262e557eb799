"""Forms of the ledger pages. Values go through the importer's normalisers, so a record typed on a page obeys
exactly the rules of a record in a file. Personal fields are never pre-filled (the page would otherwise show
a whole ID or phone number without the audited reveal): left blank, they keep their value."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone

from ebsafety.core.forms import ScopedModelForm, choice_queryset, model_choice_field
from ebsafety.ledgers import normalise as n
from ebsafety.ledgers.choices import RetireReason, ShopBusiness
from ebsafety.ledgers.models import (
    HAS_ID_NUMBER,
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
from ebsafety.ledgers.services import apply_compliance, mask_value

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
KEEP_HINT = "留空则不修改"


def _normalised(parse: Callable[[Any], Any], value: Any) -> Any:
    try:
        return parse(value)
    except n.CellError as exc:
        raise forms.ValidationError(str(exc)) from exc


class ChineseNullBooleanSelect(forms.NullBooleanSelect):
    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", "未申报"), ("true", "是"), ("false", "否（超标）")]


class LedgerForm(ScopedModelForm):
    """Normalises the fields named in `normalisers`; personal fields start blank and blank keeps them."""

    normalisers: dict[str, Callable[[Any], Any]] = {}
    personal: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        for name in self.personal:
            if name not in self.fields:
                continue
            current = getattr(self.instance, name, "") if editing else ""
            if current:
                self.initial[name] = ""
                self.fields[name].widget.attrs["placeholder"] = mask_value(name, current)
                self.fields[name].help_text = KEEP_HINT

    def _clean_field(self, name: str) -> Any:
        value = self.cleaned_data.get(name)
        if name in self.personal and not value and self.instance.pk is not None:
            return getattr(self.instance, name)
        parse = self.normalisers.get(name)
        return _normalised(parse, value) if parse else value

    def clean(self) -> dict[str, Any]:
        super().clean()  # ModelForm.clean returns cleaned_data (typed as optional: an override may not)
        cleaned = self.cleaned_data
        for name in self.normalisers:
            if name in self.fields and name not in self.errors:
                try:
                    cleaned[name] = self._clean_field(name)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned


class PersonForm(LedgerForm):
    normalisers = {"id_number": n.id_number, "phone": n.mobile, "name": n.text, "address": n.text}
    personal = ("id_number", "phone")

    class Meta:
        model = Person
        fields = ["name", "id_number", "phone", "address", "unit"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors and not cleaned.get("id_number") and not cleaned.get("phone"):
            raise forms.ValidationError("身份证号和手机号至少填写一项。")
        return cleaned


class PersonFieldsMixin(forms.Form):
    """A person named by ID number (or name + phone) instead of a select of every person in the ledgers."""

    person_name = forms.CharField(label="姓名", max_length=50)
    person_id_number = forms.CharField(label="身份证号", max_length=30, required=False)
    person_phone = forms.CharField(label="手机号", max_length=30, required=False)
    person_relation = "person"
    require_id_number = False
    instance: Any  # the record of the model form this is mixed into (its ModelForm sets it)

    def current_person(self) -> Person | None:
        pk = getattr(self.instance, f"{self.person_relation}_id", None)
        return getattr(self.instance, self.person_relation) if pk else None

    def init_person(self) -> None:
        person = self.current_person()
        if person is None:
            return
        self.initial["person_name"] = person.name
        for field, name in (("person_id_number", "id_number"), ("person_phone", "phone")):
            value = getattr(person, name)
            if value:
                self.fields[field].widget.attrs["placeholder"] = mask_value(name, value)
                self.fields[field].help_text = KEEP_HINT

    def clean_person_id_number(self) -> str:
        return _normalised(n.id_number, self.cleaned_data.get("person_id_number"))

    def clean_person_phone(self) -> str:
        return _normalised(n.mobile, self.cleaned_data.get("person_phone"))

    def clean_person_name(self) -> str:
        return n.text(self.cleaned_data.get("person_name"))

    def check_person(self, cleaned: dict[str, Any]) -> None:
        if self.current_person() is not None:
            return
        if self.require_id_number and not cleaned.get("person_id_number"):
            self.add_error("person_id_number", "请填写身份证号。")
        elif not cleaned.get("person_id_number") and not cleaned.get("person_phone"):
            self.add_error("person_id_number", "身份证号和手机号至少填写一项。")

    def resolve_person(self, unit: Any) -> Person:
        """The person these fields name: by ID number (across the ledgers), else the current one, else by
        name and phone within the unit; created when not found (the importer's rule)."""
        data = self.cleaned_data
        name, id_number, phone = data["person_name"], data.get("person_id_number"), data.get("person_phone")
        person = None
        if id_number:
            person = Person.objects.filter(HAS_ID_NUMBER, id_number=id_number).first()
        if person is None and not id_number:
            person = self.current_person()
        if person is None and not id_number and phone:
            person = Person.objects.filter(unit=unit, name=name, phone=phone, id_number="").first()
        if person is None:
            person = Person(unit=unit)
        person.name = name or person.name
        if id_number:
            person.id_number = id_number
        if phone:
            person.phone = phone
        person.full_clean()
        person.save()
        return person


class EBikeForm(PersonFieldsMixin, LedgerForm):
    person_name = forms.CharField(label="车主姓名", max_length=50)
    person_id_number = forms.CharField(label="车主身份证号", max_length=30, required=False)
    person_phone = forms.CharField(label="车主手机号", max_length=30, required=False)
    person_relation = "owner"
    normalisers = {
        "frame_number": n.code,
        "motor_number": n.code,
        "plate_number": n.code,
        "registration_date": n.date,
    }
    declared_compliant = forms.NullBooleanField(
        label="申报合规",
        required=False,
        widget=ChineseNullBooleanSelect,
        help_text="是否合规由号牌、电池电压和申报自动判定。",
    )

    class Meta:
        model = EBike
        fields = [
            "unit",
            "compound",
            "compound_text",
            "building",
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
            "shop",
            "remark",
        ]
        widgets = {"registration_date": DATE_WIDGET}

    field_order = ["person_name", "person_id_number", "person_phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "compound").queryset = choice_queryset(self, "compound").filter(
            kind="compound"
        )
        self.init_person()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.check_person(cleaned)
        return cleaned

    def save(self, commit: bool = True) -> EBike:
        bike = super().save(commit=False)
        bike.owner = self.resolve_person(bike.unit)
        apply_compliance(bike)
        bike.full_clean()
        bike.save()
        return bike


class BusinessForm(LedgerForm):
    normalisers = {"credit_code": n.credit_code, "phone": n.phone, "name": n.text, "address": n.text}
    personal = ("phone",)


class ShopForm(BusinessForm):
    businesses = forms.MultipleChoiceField(
        label="经营范围", choices=ShopBusiness.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Shop
        fields = ["name", "credit_code", "address", "unit", "department", "businesses", "contact", "phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["businesses"].widget.attrs.pop("class", None)


class RecyclingSiteForm(BusinessForm):
    normalisers = {**BusinessForm.normalisers, "licence_number": n.code}

    class Meta:
        model = RecyclingSite
        fields = [
            "name",
            "credit_code",
            "address",
            "unit",
            "department",
            "licence_number",
            "licence_valid_until",
            "contact",
            "phone",
        ]
        widgets = {"licence_valid_until": DATE_WIDGET}


class PlatformForm(BusinessForm):
    class Meta:
        model = Platform
        fields = ["name", "kind", "credit_code", "unit", "contact", "phone"]


class StationForm(LedgerForm):
    normalisers = {"manager_phone": n.mobile, "name": n.text, "address": n.text}
    personal = ("manager_phone",)

    class Meta:
        model = Station
        fields = ["platform", "name", "unit", "address", "manager", "manager_phone"]


def parse_frame_numbers(value: str) -> list[str]:
    """Frame numbers separated by 、 , ， or spaces, as the rider ledger writes them."""
    text = (value or "").replace("，", "、").replace(",", "、").replace(" ", "、")
    return list(dict.fromkeys(n.code(part) for part in text.split("、") if part.strip()))


class RiderForm(PersonFieldsMixin, LedgerForm):
    require_id_number = True
    frame_numbers = forms.CharField(
        label="车架号", required=False, help_text="所骑车辆的车架号，多辆用顿号分隔；须已在电动自行车台账中。"
    )

    class Meta:
        model = Rider
        fields = [
            "platform",
            "station",
            "unit",
            "battery_count",
            "charging_method",
            "housing_address",
            "is_group_rental",
            "uses_centralised_charging",
        ]

    field_order = ["person_name", "person_id_number", "person_phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.init_person()
        self.fields["frame_numbers"].widget.attrs["class"] = "form-control"
        if self.instance.pk:
            self.initial["frame_numbers"] = "、".join(
                self.instance.ebikes.values_list("frame_number", flat=True)
            )

    def clean_frame_numbers(self) -> list[EBike]:
        frames = parse_frame_numbers(self.cleaned_data.get("frame_numbers", ""))
        bikes = list(EBike.objects.visible_to(self.user).filter(frame_number__in=frames)) if frames else []
        unknown = sorted(set(frames) - {b.frame_number for b in bikes})
        if unknown:
            raise forms.ValidationError(f"车架号 {'、'.join(unknown)} 不在您可见的电动自行车台账中。")
        return bikes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.check_person(cleaned)
        station, platform = cleaned.get("station"), cleaned.get("platform")
        if station is not None and platform is not None and station.platform_id != platform.pk:
            self.add_error("station", "站点不属于所选平台。")
        return cleaned

    def save(self, commit: bool = True) -> Rider:
        rider = super().save(commit=False)
        rider.person = self.resolve_person(rider.unit)
        rider.full_clean()
        rider.save()
        rider.ebikes.set(self.cleaned_data["frame_numbers"])
        return rider


class SaleForm(PersonFieldsMixin, LedgerForm):
    person_name = forms.CharField(label="购买人姓名", max_length=50)
    person_id_number = forms.CharField(label="购买人身份证号", max_length=30, required=False)
    person_phone = forms.CharField(label="购买人手机号", max_length=30, required=False)
    person_relation = "buyer"
    frame_number = forms.CharField(label="车架号", help_text="须已在电动自行车台账中登记。")

    class Meta:
        model = Sale
        fields = ["shop", "sold_on", "unit"]
        widgets = {"sold_on": DATE_WIDGET}

    field_order = ["shop", "frame_number", "person_name", "person_id_number", "person_phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.init_person()
        self.fields["frame_number"].widget.attrs["class"] = "form-control"
        if self.instance.pk:
            self.initial["frame_number"] = self.instance.ebike.frame_number

    def clean_frame_number(self) -> EBike:
        frame = n.code(self.cleaned_data.get("frame_number"))
        bike = EBike.objects.visible_to(self.user).filter(frame_number=frame).first()
        if bike is None:
            raise forms.ValidationError(f"车架号 {frame} 不在您可见的电动自行车台账中。")
        return bike

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.check_person(cleaned)
        return cleaned

    def save(self, commit: bool = True) -> Sale:
        sale = super().save(commit=False)
        sale.ebike = self.cleaned_data["frame_number"]
        sale.buyer = self.resolve_person(sale.unit)
        sale.full_clean()
        sale.save()
        return sale


class RetireForm(forms.Form):
    reason = forms.ChoiceField(label="注销原因", choices=RetireReason.choices)
    date = forms.DateField(label="注销日期", widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["class"] = "form-select"
        self.fields["date"].widget.attrs["class"] = "form-control"
        self.initial.setdefault("date", timezone.localdate())

    def clean_date(self) -> datetime.date:
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError("注销日期不能晚于今天。")
        return date


class MembershipChoiceField(forms.ModelChoiceField):
    """A membership offered by its account: username (full name, unit)."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.user.get_username()}（{obj.user.get_full_name() or '—'}，{obj.unit}）"


class PlatformAccountForm(ScopedModelForm):
    """Link a platform-role account (its membership) to the platform it acts for."""

    class Meta:
        model = PlatformAccount
        fields = ["platform", "membership"]
        field_classes = {"membership": MembershipChoiceField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        memberships = model_choice_field(self, "membership")
        linked = Q(platform_account__isnull=True) | Q(pk=self.instance.membership_id)
        memberships.queryset = (
            choice_queryset(self, "membership").filter(linked).select_related("user", "unit")
        )
        memberships.empty_label = "请选择“平台”角色的账号"
