"""Tables of the core list pages (also the columns of their exports)."""

from __future__ import annotations

import django_tables2 as tables

from ebsafety.core.models import Campaign, ChangeRecord, Department, Job, Membership, Unit, User


class UnitTable(tables.Table):
    code = tables.Column(linkify=True)
    name = tables.Column(linkify=True)
    parent = tables.Column(verbose_name="上级单位")

    class Meta:
        model = Unit
        fields = ("code", "name", "kind", "parent", "households", "population", "is_fringe", "address")
        export_exclude = ()


class DepartmentTable(tables.Table):
    name = tables.Column(linkify=True)
    sectors = tables.Column(verbose_name="负责行业", accessor="sector_labels", orderable=False)

    class Meta:
        model = Department
        fields = ("code", "name", "kind", "sectors", "unit", "contact", "phone")

    def render_sectors(self, value: list[str]) -> str:
        return "、".join(value)

    def value_sectors(self, value: list[str]) -> str:
        return "、".join(value)


class CampaignTable(tables.Table):
    name = tables.Column(linkify=True)

    class Meta:
        model = Campaign
        fields = ("name", "unit", "start_date", "end_date", "status")


class UserTable(tables.Table):
    username = tables.Column(linkify=True)

    class Meta:
        model = User
        fields = ("username", "display_name", "phone", "is_active", "last_login")


class MembershipTable(tables.Table):
    id = tables.Column(linkify=True, verbose_name="编号")

    class Meta:
        model = Membership
        fields = ("id", "user", "role", "unit", "department", "is_active")


class ChangeRecordTable(tables.Table):
    time = tables.DateTimeColumn(format="Y-m-d H:i:s")
    object_repr = tables.Column(verbose_name="对象")
    changed_fields = tables.Column(verbose_name="变更字段", orderable=False)

    class Meta:
        model = ChangeRecord
        fields = (
            "time",
            "actor_label",
            "source",
            "action",
            "content_type",
            "object_id",
            "object_repr",
            "changed_fields",
            "request_id",
        )

    def render_changed_fields(self, value: list[str]) -> str:
        return "、".join(value)


class JobTable(tables.Table):
    title = tables.Column(linkify=True)

    class Meta:
        model = Job
        fields = ("title", "status", "created_by", "created", "finished", "message")
