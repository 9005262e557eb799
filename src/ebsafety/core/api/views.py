from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ebsafety.core import services
from ebsafety.core.api.base import ScopedModelViewSet
from ebsafety.core.api.serializers import (
    DepartmentSerializer,
    JobSerializer,
    MembershipSerializer,
    UnitSerializer,
    UserSerializer,
)
from ebsafety.core.filters import DepartmentFilterSet, MembershipFilterSet, UnitFilterSet, UserFilterSet
from ebsafety.core.models import Department, Job, Membership, Unit, User


class UnitViewSet(ScopedModelViewSet):
    """Units of the org tree within the caller's scope."""

    queryset = Unit.objects.select_related("parent")
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet


class DepartmentViewSet(ScopedModelViewSet):
    queryset = Department.objects.select_related("unit").prefetch_related("served_units")
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilterSet


class UserViewSet(ScopedModelViewSet):
    """Users (office only)."""

    queryset = User.objects.prefetch_related(
        "memberships__unit", "memberships__department", "memberships__user"
    )
    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            user = serializer.save()
            user.set_unusable_password()
            user.save(update_fields=["password"])
            self._check_scope_after_save(user, "add")

    @extend_schema(
        request=None, responses={200: {"type": "object", "properties": {"password": {"type": "string"}}}}
    )
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request: Any, pk: Any = None) -> Response:
        """Set a temporary password (returned once); the user must change it at the next sign-in."""
        user = self.get_object()
        password = services.reset_password(user, by=request.user)
        return Response({"password": password})


class MembershipViewSet(ScopedModelViewSet):
    """Memberships: a user's role at a unit or in a department (office only)."""

    queryset = Membership.objects.select_related("user", "unit", "department")
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Background jobs of the caller (the office sees all): status and progress."""

    queryset = Job.objects.all()
    serializer_class = JobSerializer

    def get_queryset(self) -> Any:
        return super().get_queryset().visible_to(self.request.user)

    def get_permissions(self) -> list[Any]:
        from rest_framework.permissions import IsAuthenticated

        return [IsAuthenticated()]
