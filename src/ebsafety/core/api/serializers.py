from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ebsafety.core.api.base import ValidatedModelSerializer
from ebsafety.core.choices import Sector
from ebsafety.core.models import Department, Job, Membership, Unit, User


class UnitSerializer(ValidatedModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), allow_null=True, required=False
    )
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_display",
            "parent",
            "path",
            "depth",
            "households",
            "population",
            "is_fringe",
            "address",
            "created",
            "updated",
        ]
        read_only_fields = ["path", "depth", "created", "updated"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["parent"].queryset = Unit.objects.visible_to(request.user)


class DepartmentSerializer(ValidatedModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    served_units = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), many=True, required=False
    )
    sectors = serializers.ListField(child=serializers.ChoiceField(choices=Sector.choices), required=False)

    class Meta:
        model = Department
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "sectors",
            "unit",
            "served_units",
            "contact",
            "phone",
            "created",
            "updated",
        ]
        read_only_fields = ["created", "updated"]


class MembershipSerializer(ValidatedModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())
    unit = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), allow_null=True, required=False
    )
    department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "unit", "department", "is_active", "note", "created", "updated"]
        read_only_fields = ["created", "updated"]
        validators: list = []  # the model's constraints are checked by full_clean()


class UserSerializer(ValidatedModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "phone",
            "email",
            "is_active",
            "last_login",
            "memberships",
        ]
        read_only_fields = ["last_login", "memberships"]


class JobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "progress",
            "message",
            "result",
            "created",
            "started",
            "finished",
        ]
        read_only_fields = fields

    def get_progress(self, job: Job) -> dict[str, Any]:
        return job.live_progress()
