"""The Django admin for the office (and platform administrators)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from ebsafety.core.models import Campaign, ChangeRecord, Department, Job, Membership, Unit, User
from ebsafety.core.scoping import restrict


class ScopedAdmin(admin.ModelAdmin):
    """The admin narrows lists through the same scoping as every other path."""

    def get_queryset(self, request: HttpRequest) -> Any:
        return restrict(super().get_queryset(request), request.user)  # what visible_to() calls

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_office

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    list_display = ("code", "name", "kind", "parent", "households", "population", "is_fringe")
    list_filter = ("kind", "is_fringe")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ("code", "name", "kind", "unit")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    filter_horizontal = ("served_units",)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("unit", "department")


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    list_display = ("username", "display_name", "phone", "is_active", "last_login")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),  # UserAdmin sets it; the stubs type it optional
        ("平台", {"fields": ("display_name", "phone", "must_change_password")}),
    )
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ("user", "role", "unit", "department", "is_active")
    list_filter = ("role", "is_active")
    raw_id_fields = ("user", "unit", "department")


@admin.register(Campaign)
class CampaignAdmin(ScopedAdmin):
    list_display = ("name", "unit", "start_date", "end_date", "status")
    readonly_fields = ("status",)


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ScopedAdmin):
    list_display = ("time", "actor_label", "source", "action", "content_type", "object_repr")
    list_filter = ("source", "action", "content_type")
    search_fields = ("object_repr", "actor_label", "request_id")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(ScopedAdmin):
    list_display = ("title", "status", "created_by", "created", "finished")
    list_filter = ("status",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
