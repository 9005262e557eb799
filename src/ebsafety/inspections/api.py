"""The inspections REST API: inspections, hazards (created through `report_hazard`, moved through the
transition endpoints `POST /hazards/{id}/{transition}/`), enforcement cases and supervision visits — all
scoped like the pages. Status fields are read-only everywhere."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from ebsafety.core.api.base import ScopedModelViewSet, ScopedRelatedMixin, ValidatedModelSerializer
from ebsafety.core.choices import Action
from ebsafety.core.models import Department, Unit
from ebsafety.inspections import filters, services
from ebsafety.inspections.choices import HazardSource
from ebsafety.inspections.models import (
    EnforcementCase,
    Hazard,
    HazardCategory,
    HazardTransition,
    Inspection,
    SupervisionVisit,
)


class InspectionSerializer(ScopedRelatedMixin, ValidatedModelSerializer):
    scoped_fields = ("unit", "department", "departments")
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )
    departments = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), many=True, required=False
    )
    hazards = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "unit",
            "target_kind",
            "shop",
            "station",
            "recycling_site",
            "address",
            "target_key",
            "inspected_on",
            "department",
            "departments",
            "participants",
            "note",
            "hazards",
            "created",
            "updated",
        ]
        read_only_fields = ["target_key", "created", "updated"]

    def create(self, validated_data: dict[str, Any]) -> Inspection:
        request = self.context.get("request")
        validated_data["inspector"] = getattr(request, "user", None)
        return super().create(validated_data)


class HazardTransitionSerializer(serializers.ModelSerializer):
    by = serializers.StringRelatedField()
    # Plain strings in the schema: the hazard's status enum is described once, on the hazard.
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)

    class Meta:
        model = HazardTransition
        fields = ["name", "from_status", "to_status", "by", "at", "note", "deadline", "evidence"]


class HazardSerializer(ScopedRelatedMixin, ValidatedModelSerializer):
    scoped_fields = ("unit", "department")
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=HazardCategory.objects.filter(is_active=True)
    )
    department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )
    # Read-only and named per model in the schema ("status" is a different choice set in every app).
    status = serializers.CharField(
        read_only=True, help_text="reported, confirmed, ordered, overdue, rectified, …"
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    transitions = HazardTransitionSerializer(many=True, read_only=True)

    class Meta:
        model = Hazard
        fields = [
            "id",
            "unit",
            "address",
            "place",
            "category",
            "severity",
            "description",
            "source",
            "source_ref",
            "department",
            "ebike",
            "shop",
            "station",
            "rider",
            "inspection",
            "status",
            "status_display",
            "found_on",
            "responsible_party",
            "deadline",
            "rectified_on",
            "fixed_on_spot",
            "escalation",
            "closed_at",
            "transitions",
            "created",
            "updated",
        ]
        read_only_fields = [
            "source",
            "status",
            "found_on",
            "responsible_party",
            "deadline",
            "rectified_on",
            "fixed_on_spot",
            "escalation",
            "closed_at",
            "created",
            "updated",
        ]

    def source_for(self) -> str:
        """An API hazard's source follows the caller's role: a volunteer, a tips officer, or staff."""
        user = getattr(self.context.get("request"), "user", None)
        roles = user.roles() if user is not None and hasattr(user, "roles") else set()
        if roles == {"volunteer"}:
            return HazardSource.VOLUNTEER
        if roles == {"tips_officer"}:
            return HazardSource.TIP
        return HazardSource.OFFICE

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None:
            attrs = {**attrs, "source": self.source_for()}
        return super().validate(attrs)

    def create(self, validated_data: dict[str, Any]) -> Hazard:
        request = self.context.get("request")
        data = dict(validated_data)
        data.pop("source", None)
        try:
            return services.report_hazard(
                unit=data.pop("unit"),
                category_code=data.pop("category").code,
                description=data.pop("description", ""),
                source=self.source_for(),
                reported_by=getattr(request, "user", None),
                address=data.pop("address", ""),
                source_ref=data.pop("source_ref", ""),
                department=data.pop("department", None),
                place=data.pop("place", ""),
                severity=data.pop("severity", ""),
                **{k: v for k, v in data.items() if k in {"ebike", "shop", "station", "rider", "inspection"}},
            )
        except DjangoValidationError as exc:
            raise ValidationError(serializers.as_serializer_error(exc)) from exc


class TransitionInputSerializer(serializers.Serializer):
    """The inputs a transition may take (each transition reads the ones it needs); evidence is uploaded as
    multipart files named `evidence`."""

    note = serializers.CharField(required=False, allow_blank=True, default="")
    responsible_party = serializers.CharField(required=False, allow_blank=True, default="")
    days = serializers.IntegerField(required=False, min_value=0, max_value=250, allow_null=True, default=None)
    to = serializers.ChoiceField(choices=["case", "department"], required=False)
    department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=False, allow_null=True
    )
    case = serializers.PrimaryKeyRelatedField(
        queryset=EnforcementCase.objects.all(), required=False, allow_null=True
    )


class HazardViewSet(ScopedModelViewSet):
    queryset = Hazard.objects.select_related("unit", "category", "department").prefetch_related(
        "transitions__by"
    )
    serializer_class = HazardSerializer
    filterset_class = filters.HazardFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @extend_schema(
        operation_id="v1_hazards_transition", request=TransitionInputSerializer, responses=HazardSerializer
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"(?P<transition>confirm|dismiss|order|rectify|reinspect_pass|reinspect_fail|close|fix_on_spot|escalate)",
    )
    def transition(self, request: Any, pk: Any = None, transition: str = "") -> Response:
        """Make one lifecycle transition; a refused one answers 409 with the reason and changes nothing."""
        hazard = (
            Hazard.objects.visible_to(request.user).select_related("category", "unit").filter(pk=pk).first()
        )
        if hazard is None:
            raise NotFound("隐患不存在或不在您的范围内。")
        params = TransitionInputSerializer(data=request.data, context={"request": request})
        params.is_valid(raise_exception=True)
        data = params.validated_data
        evidence = request.FILES.getlist("evidence")
        user = request.user
        try:
            if transition == "order":
                services.order_rectification(
                    hazard,
                    user,
                    responsible_party=data["responsible_party"],
                    days=data["days"],
                    note=data["note"],
                )
            elif transition == "rectify":
                services.rectify(hazard, user, evidence=evidence, note=data["note"])
            elif transition in ("reinspect_pass", "reinspect_fail"):
                services.reinspect(
                    hazard,
                    user,
                    passed=transition == "reinspect_pass",
                    note=data["note"],
                    days=data["days"],
                    evidence=evidence,
                )
            elif transition == "fix_on_spot":
                services.fix_on_spot(hazard, user, evidence=evidence, note=data["note"])
            elif transition == "escalate":
                case = data.get("case")
                if (
                    case is not None
                    and not EnforcementCase.objects.visible_to(user, Action.CHANGE)
                    .filter(pk=case.pk)
                    .exists()
                ):
                    raise NotFound("案件不存在或不在您的范围内。")
                services.escalate(
                    hazard,
                    user,
                    to=data.get("to", ""),
                    note=data["note"],
                    department=data.get("department"),
                    case=case,
                )
            elif transition == "close":
                services.close(hazard, user, note=data["note"])
            else:
                getattr(services, transition)(hazard, user, note=data["note"])
        except services.TransitionRefused as exc:
            return Response({"detail": "；".join(exc.messages)}, status=409)
        except DjangoValidationError as exc:
            raise ValidationError(serializers.as_serializer_error(exc)) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        hazard = self.get_queryset().model.objects.get(pk=hazard.pk)
        return Response(HazardSerializer(hazard, context={"request": request}).data)


class InspectionViewSet(ScopedModelViewSet):
    queryset = Inspection.objects.select_related("unit", "department").prefetch_related(
        "departments", "hazards"
    )
    serializer_class = InspectionSerializer
    filterset_class = filters.InspectionFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class EnforcementCaseSerializer(ScopedRelatedMixin, ValidatedModelSerializer):
    scoped_fields = ("unit", "lead_department", "departments", "hazards")
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    lead_department = serializers.SlugRelatedField(slug_field="code", queryset=Department.objects.all())
    departments = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), many=True, required=False
    )
    hazards = serializers.PrimaryKeyRelatedField(queryset=Hazard.objects.all(), many=True, required=False)
    fines = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    status = serializers.CharField(read_only=True, help_text="open, decided, closed")

    class Meta:
        model = EnforcementCase
        fields = [
            "id",
            "number",
            "title",
            "unit",
            "lead_department",
            "departments",
            "hazards",
            "violations",
            "status",
            "opened_on",
            "closed_on",
            "summary",
            "fines",
            "created",
            "updated",
        ]
        read_only_fields = ["number", "status", "closed_on", "fines", "created", "updated"]

    def create(self, validated_data: dict[str, Any]) -> EnforcementCase:
        request = self.context.get("request")
        try:
            case = services.open_case(
                title=validated_data["title"],
                unit=validated_data["unit"],
                lead_department=validated_data["lead_department"],
                departments=validated_data.get("departments", []),
                hazards=validated_data.get("hazards", []),
                violations=validated_data.get("violations", ""),
                opened_on=validated_data.get("opened_on"),
                by=getattr(request, "user", None),
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        if validated_data.get("summary"):
            case.summary = validated_data["summary"]
            case.save()
        return case


class EnforcementCaseViewSet(ScopedModelViewSet):
    queryset = EnforcementCase.objects.select_related("unit", "lead_department").prefetch_related(
        "departments", "hazards", "penalties"
    )
    serializer_class = EnforcementCaseSerializer
    filterset_class = filters.EnforcementCaseFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class SupervisionVisitSerializer(ScopedRelatedMixin, ValidatedModelSerializer):
    scoped_fields = ("unit", "department")
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = SupervisionVisit
        fields = ["id", "unit", "department", "visited_on", "visitors", "summary", "created", "updated"]
        read_only_fields = ["created", "updated"]


class SupervisionVisitViewSet(ScopedModelViewSet):
    queryset = SupervisionVisit.objects.select_related("unit", "department")
    serializer_class = SupervisionVisitSerializer
    filterset_class = filters.SupervisionVisitFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer: Any) -> None:
        serializer.validated_data["led_by"] = self.request.user
        super().perform_create(serializer)
