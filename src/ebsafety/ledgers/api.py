"""The ledgers' REST API: list, retrieve, create and update every ledger kind with the pages' filters;
retire / reactivate actions (no DELETE: ledger rows are retired, never deleted); an audited `reveal` of
personal data; and the bulk endpoint through which a platform pushes its stations, riders and e-bikes.

ID and phone numbers are masked in every list and detail response, whatever the role; a role that may see
them asks `POST …/{id}/reveal/`, which is written to the change log like the page's 显示完整号码 button.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from ebsafety.core.api.base import ScopedModelViewSet, ScopedRelatedMixin, ValidatedModelSerializer
from ebsafety.core.api.permissions import METHOD_ACTIONS, HasRole
from ebsafety.core.choices import Action
from ebsafety.core.models import Unit
from ebsafety.core.scoping import allowed_actions, has_any_role
from ebsafety.ledgers import filters, push, services
from ebsafety.ledgers import normalise as n
from ebsafety.ledgers.choices import RetireReason, ShopBusiness
from ebsafety.ledgers.models import (
    EBike,
    Person,
    Platform,
    PlatformAccount,
    RecyclingSite,
    RetirableModel,
    Rider,
    Sale,
    Shop,
    Station,
)

# ---------------------------------------------------------------------------------------------------------
# Serializers


class LedgerSerializer(ScopedRelatedMixin, ValidatedModelSerializer):
    """Personal fields go out masked and come in through the importer's normalisers; a masked value sent
    back unchanged (a client that PUTs what it read) keeps the stored number."""

    personal: ClassVar[dict[str, Any]] = {}
    scoped_fields: ClassVar[tuple[str, ...]] = ("unit",)

    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        for name, parse in self.personal.items():
            if name not in attrs:
                continue
            value = attrs[name] or ""
            current = getattr(self.instance, name, "") if self.instance is not None else ""
            if current and "*" in value and value == services.mask_value(name, current):
                attrs[name] = current
                continue
            try:
                attrs[name] = parse(value)
            except n.CellError as exc:
                errors[name] = [str(exc)]
        if errors:
            raise ValidationError(errors)
        return super().validate(attrs)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        for name in self.personal:
            if name in data:
                data[name] = services.mask_value(name, data[name] or "")
        return data


def person_summary(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {
        "id": person.pk,
        "name": person.name,
        "id_number": services.mask_value("id_number", person.id_number),
        "phone": services.mask_value("phone", person.phone),
    }


RETIREMENT_FIELDS = ["status", "retire_reason", "retired_on"]
READ_ONLY = ["created", "updated", *RETIREMENT_FIELDS]


class PersonSerializer(LedgerSerializer):
    personal = {"id_number": n.id_number, "phone": n.mobile}

    class Meta:
        model = Person
        fields = ["id", "name", "id_number", "phone", "address", "unit", "created", "updated"]
        read_only_fields = ["created", "updated"]


class EBikeSerializer(LedgerSerializer):
    scoped_fields = ("unit", "compound", "owner", "shop")
    compound = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.filter(kind="compound"), allow_null=True, required=False
    )
    owner_detail = serializers.SerializerMethodField()

    class Meta:
        model = EBike
        fields = [
            "id",
            "unit",
            "compound",
            "compound_text",
            "building",
            "owner",
            "owner_detail",
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
            "is_compliant",
            "compliance_reason",
            "use",
            "parking_place",
            "charging_method",
            "registration_date",
            "shop",
            "remark",
            "last_batch",
            *READ_ONLY,
        ]
        read_only_fields = ["is_compliant", "compliance_reason", "last_batch", *READ_ONLY]

    def get_owner_detail(self, bike: EBike) -> dict[str, Any] | None:
        return person_summary(bike.owner)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for key in ("frame_number", "motor_number", "plate_number"):
            if key in attrs:
                attrs[key] = n.code(attrs[key])
        attrs = super().validate(attrs)
        # Compliance is derived, never sent: the importer's rules on the record as it will be saved.
        probe = (
            EBike()  # a new bike: the rules see only what was sent
            if self.instance is None
            else EBike(**{f.attname: getattr(self.instance, f.attname) for f in EBike._meta.concrete_fields})
        )
        for key in ("plate_kind", "battery_voltage", "declared_compliant"):
            if key in attrs:
                setattr(probe, key, attrs[key])
        services.apply_compliance(probe)
        attrs["is_compliant"], attrs["compliance_reason"] = probe.is_compliant, probe.compliance_reason
        return attrs


class ShopSerializer(LedgerSerializer):
    personal = {"phone": n.phone}
    scoped_fields = ("unit", "department")
    businesses = serializers.ListField(
        child=serializers.ChoiceField(choices=ShopBusiness.choices), required=False
    )

    class Meta:
        model = Shop
        fields = [
            "id",
            "name",
            "credit_code",
            "address",
            "unit",
            "department",
            "businesses",
            "contact",
            "phone",
            *READ_ONLY,
        ]
        read_only_fields = READ_ONLY

    def validate_credit_code(self, value: str) -> str:
        try:
            return n.credit_code(value)
        except n.CellError as exc:
            raise ValidationError(str(exc)) from exc


class RecyclingSiteSerializer(ShopSerializer):
    businesses = None

    class Meta:
        model = RecyclingSite
        fields = [
            "id",
            "name",
            "credit_code",
            "address",
            "unit",
            "department",
            "licence_number",
            "licence_valid_until",
            "contact",
            "phone",
            *READ_ONLY,
        ]
        read_only_fields = READ_ONLY


class PlatformSerializer(LedgerSerializer):
    personal = {"phone": n.phone}
    validate_credit_code = ShopSerializer.validate_credit_code

    class Meta:
        model = Platform
        fields = ["id", "name", "kind", "credit_code", "unit", "contact", "phone", *READ_ONLY]
        read_only_fields = READ_ONLY


class StationSerializer(LedgerSerializer):
    personal = {"manager_phone": n.mobile}
    scoped_fields = ("unit", "platform")

    class Meta:
        model = Station
        fields = ["id", "platform", "name", "unit", "address", "manager", "manager_phone", *READ_ONLY]
        read_only_fields = READ_ONLY


class RiderSerializer(LedgerSerializer):
    scoped_fields = ("unit", "person", "platform", "station", "ebikes")
    person_detail = serializers.SerializerMethodField()

    class Meta:
        model = Rider
        fields = [
            "id",
            "person",
            "person_detail",
            "platform",
            "station",
            "unit",
            "ebikes",
            "battery_count",
            "charging_method",
            "housing_address",
            "is_group_rental",
            "uses_centralised_charging",
            *READ_ONLY,
        ]
        read_only_fields = READ_ONLY

    def get_person_detail(self, rider: Rider) -> dict[str, Any] | None:
        return person_summary(rider.person)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        station = attrs.get("station", getattr(self.instance, "station", None))
        platform = attrs.get("platform", getattr(self.instance, "platform", None))
        if station is not None and platform is not None and station.platform_id != platform.pk:
            raise ValidationError({"station": ["站点不属于该平台。"]})
        return attrs


class SaleSerializer(LedgerSerializer):
    scoped_fields = ("unit", "shop", "buyer", "ebike")
    buyer_detail = serializers.SerializerMethodField()

    class Meta:
        model = Sale
        fields = ["id", "shop", "buyer", "buyer_detail", "ebike", "sold_on", "unit", *READ_ONLY]
        read_only_fields = READ_ONLY

    def get_buyer_detail(self, sale: Sale) -> dict[str, Any] | None:
        return person_summary(sale.buyer)


class PlatformAccountSerializer(ScopedRelatedMixin, ValidatedModelSerializer):
    """Which platform-role account (membership) acts for which platform; the office links and unlinks."""

    scoped_fields = ("platform", "membership")
    username = serializers.CharField(source="membership.user.username", read_only=True)
    scope_unit = serializers.CharField(source="membership.unit.code", read_only=True, default=None)

    class Meta:
        model = PlatformAccount
        fields = ["id", "platform", "membership", "username", "scope_unit", "created", "updated"]
        read_only_fields = ["created", "updated"]


class RetireSerializer(serializers.Serializer):
    retire_reason = serializers.ChoiceField(choices=RetireReason.choices)
    retired_on = serializers.DateField(required=False, help_text="默认今天")


# ---------------------------------------------------------------------------------------------------------
# Viewsets

VIEWSET_ACTIONS = {"retire": Action.CHANGE, "reactivate": Action.CHANGE, "reveal": Action.VIEW}


class LedgerPermission(HasRole):
    """HasRole, with the custom actions mapped to what they do (retire is a change, reveal a view)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not has_any_role(request.user):
            return False
        return view.action_name() in allowed_actions(request.user, view.queryset.model)


class LedgerViewSet(ScopedModelViewSet):
    """Scoped CRUD without DELETE; retire/reactivate for retirable records; reveal of personal data."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    permission_classes = [LedgerPermission]

    def action_name(self) -> str:
        return VIEWSET_ACTIONS.get(
            self.action or "", METHOD_ACTIONS.get(self.request.method or "GET", "view")
        )

    def _as_validation_error(self, exc: DjangoValidationError) -> ValidationError:
        return ValidationError(serializers.as_serializer_error(exc))

    @extend_schema(request=None, responses={200: {"type": "object"}})
    @action(detail=True, methods=["post"])
    def reveal(self, request: Any, pk: Any = None) -> Response:
        """The record's ID and phone numbers unmasked, for roles that may see them (logged as a view)."""
        return Response(services.reveal_personal_data(self.get_object(), request.user))


class RetirableViewSet(LedgerViewSet):
    @extend_schema(request=RetireSerializer, responses={200: {"type": "object"}})
    @action(detail=True, methods=["post"])
    def retire(self, request: Any, pk: Any = None) -> Response:
        """Retire the record with a reason (`retire_reason`) and a date (`retired_on`, default today)."""
        obj: RetirableModel = self.get_object()
        data = RetireSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.retire(
                obj,
                data.validated_data["retire_reason"],
                data.validated_data.get("retired_on"),
                by=request.user,
            )
        except DjangoValidationError as exc:
            raise self._as_validation_error(exc) from exc
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=None, responses={200: {"type": "object"}})
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Any, pk: Any = None) -> Response:
        """Bring a retired record back into the active ledger."""
        obj: RetirableModel = self.get_object()
        try:
            services.reactivate(obj, by=request.user)
        except DjangoValidationError as exc:
            raise self._as_validation_error(exc) from exc
        return Response(self.get_serializer(obj).data)


class PersonViewSet(LedgerViewSet):
    """Owners and riders (ID and phone numbers masked)."""

    queryset = Person.objects.select_related("unit")
    serializer_class = PersonSerializer
    filterset_class = filters.PersonFilterSet


class EBikeViewSet(RetirableViewSet):
    """E-bikes of the census; compliance is derived from plate, voltage and declaration."""

    queryset = EBike.objects.select_related("unit", "compound", "owner", "shop")
    serializer_class = EBikeSerializer
    filterset_class = filters.EBikeFilterSet


class ShopViewSet(RetirableViewSet):
    queryset = Shop.objects.select_related("unit", "department")
    serializer_class = ShopSerializer
    filterset_class = filters.ShopFilterSet


class RecyclingSiteViewSet(RetirableViewSet):
    queryset = RecyclingSite.objects.select_related("unit", "department")
    serializer_class = RecyclingSiteSerializer
    filterset_class = filters.RecyclingSiteFilterSet


class PlatformViewSet(RetirableViewSet):
    """Delivery and courier platforms; `bulk` takes a platform's own stations, riders and e-bikes."""

    queryset = Platform.objects.select_related("unit")
    serializer_class = PlatformSerializer
    filterset_class = filters.PlatformFilterSet

    def action_name(self) -> str:
        # The bulk push is authorised by push.may_push (a platform account acting for this platform may push
        # although its role only reads the ledgers); here it only needs to see the platform.
        return Action.VIEW if self.action == "bulk" else super().action_name()

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={200: {"type": "object"}, 400: {"type": "object"}},
    )
    @action(detail=True, methods=["post"])
    def bulk(self, request: Any, pk: Any = None) -> Response:
        """Push stations, riders and e-bikes of this platform in one transaction, idempotent by natural key
        (station: name; rider: ID number; e-bike: frame number). Returns counts added / changed / unchanged
        per kind and the items refused, each with its index, key and messages."""
        platform = self.get_object()
        try:
            result = push.push_platform_data(platform, request.data, by=request.user)
        except push.MalformedPush as exc:
            return Response({"detail": str(exc), "errors": exc.errors}, status=400)
        return Response(result)


class StationViewSet(RetirableViewSet):
    queryset = Station.objects.select_related("unit", "platform")
    serializer_class = StationSerializer
    filterset_class = filters.StationFilterSet


class RiderViewSet(RetirableViewSet):
    queryset = Rider.objects.select_related("unit", "person", "platform", "station").prefetch_related(
        "ebikes"
    )
    serializer_class = RiderSerializer
    filterset_class = filters.RiderFilterSet


class PlatformAccountViewSet(ScopedModelViewSet):
    """Platform accounts: what a platform-role account reaches and may push follows this link."""

    queryset = PlatformAccount.objects.select_related("platform", "membership__user", "membership__unit")
    serializer_class = PlatformAccountSerializer
    filterset_class = filters.PlatformAccountFilterSet
    http_method_names = ["get", "post", "delete", "head", "options"]


class SaleViewSet(RetirableViewSet):
    queryset = Sale.objects.select_related("unit", "shop", "buyer", "ebike")
    serializer_class = SaleSerializer
    filterset_class = filters.SaleFilterSet
