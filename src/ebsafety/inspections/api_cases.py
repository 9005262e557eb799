"""The API of an enforcement case's parties and penalties: list (filter `case=<id>`), create, update, delete —
scoped exactly as their case, every write through the case services. A change the case's state forbids
(a closed case's parties and penalties) answers 409 with the reason and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError

from ebsafety.core.api.base import ScopedModelViewSet, ScopedRelatedMixin, ValidatedModelSerializer
from ebsafety.core.models import Department
from ebsafety.inspections import filters, services
from ebsafety.inspections.models import CaseParty, CasePenalty, EnforcementCase, PenaltyRule


class CaseStateConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "案件当前的状态不允许此操作。"
    default_code = "case_state"


@contextmanager
def service_errors() -> Iterator[None]:
    """The services' refusals as API answers: state → 409, permission → 403, validation → 400."""
    try:
        yield
    except services.TransitionRefused as exc:
        raise CaseStateConflict("；".join(exc.messages)) from exc
    except DjangoValidationError as exc:
        raise ValidationError(serializers.as_serializer_error(exc)) from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None) from exc


class CasePartSerializer(ScopedRelatedMixin, ValidatedModelSerializer):
    """A part belongs to the case it was created in: `case` is given on create and never changes."""

    case = serializers.PrimaryKeyRelatedField(queryset=EnforcementCase.objects.all())
    save_service: Callable[[Any, Any], Any]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "case" in attrs and attrs["case"].pk != self.instance.case_id:
            raise ValidationError({"case": "不能改变所属案件。"})
        return super().validate(attrs)

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        validated_data.pop("case", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        with service_errors():
            return self.save_service(instance, getattr(self.context.get("request"), "user", None))


class CasePartySerializer(CasePartSerializer):
    scoped_fields = ("case", "person", "shop", "platform")
    save_service = staticmethod(services.save_party)

    class Meta:
        model = CaseParty
        fields = [
            "id",
            "case",
            "kind",
            "name",
            "identifier",
            "person",
            "shop",
            "platform",
            "created",
            "updated",
        ]
        read_only_fields = ["created", "updated"]

    def create(self, validated_data: dict[str, Any]) -> CaseParty:
        data = dict(validated_data)
        case = data.pop("case")
        with service_errors():
            return services.add_party(case, getattr(self.context.get("request"), "user", None), **data)


class CasePenaltySerializer(CasePartSerializer):
    scoped_fields = ("case", "party")
    save_service = staticmethod(services.save_penalty)
    rule = serializers.SlugRelatedField(
        slug_field="code",
        queryset=PenaltyRule.objects.filter(is_active=True),
        allow_null=True,
        required=False,
    )
    police_station = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )
    by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = CasePenalty
        fields = [
            "id",
            "case",
            "party",
            "rule",
            "kind",
            "amount",
            "police_station",
            "imposed_on",
            "note",
            "by",
            "created",
            "updated",
        ]
        read_only_fields = ["by", "created", "updated"]

    def create(self, validated_data: dict[str, Any]) -> CasePenalty:
        data = dict(validated_data)
        case = data.pop("case")
        with service_errors():
            return services.impose_penalty(case, getattr(self.context.get("request"), "user", None), **data)


class CasePartViewSet(ScopedModelViewSet):
    """Parts are created in a case, corrected and removed; a closed case's parts answer 409."""

    remove: Callable[[Any, Any], Any]

    def perform_destroy(self, instance: Any) -> None:
        with service_errors():
            type(self).remove(instance, self.request.user)


class CasePartyViewSet(CasePartViewSet):
    queryset = CaseParty.objects.select_related("case")
    serializer_class = CasePartySerializer
    filterset_class = filters.CasePartyFilterSet
    remove = staticmethod(services.delete_party)


class CasePenaltyViewSet(CasePartViewSet):
    queryset = CasePenalty.objects.select_related("case", "rule", "police_station", "by")
    serializer_class = CasePenaltySerializer
    filterset_class = filters.CasePenaltyFilterSet
    remove = staticmethod(services.withdraw_penalty)
