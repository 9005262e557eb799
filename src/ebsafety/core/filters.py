"""Filters shared by list pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from ebsafety.core.choices import ChangeAction, ChangeSource, DepartmentKind, Role, UnitKind
from ebsafety.core.models import ChangeRecord, Department, Membership, Unit, User


class YesNoWidget(django_filters.widgets.BooleanWidget):
    """全部 / 是 / 否 for boolean filters."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("", "全部"), ("true", "是"), ("false", "否")]


class SearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label="搜索", method="search")
    search_fields: tuple[str, ...] = ()

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        q = Q()
        for field in self.search_fields:
            q |= Q(**{f"{field}__icontains": value})
        return queryset.filter(q)


class UnitFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "address")
    kind = django_filters.ChoiceFilter(label="类型", choices=UnitKind.choices, empty_label="全部")
    parent = django_filters.CharFilter(label="上级编码", field_name="parent__code")
    within = django_filters.CharFilter(label="所属（编码，含下级）", method="filter_within")
    is_fringe = django_filters.BooleanFilter(label="城乡结合部", widget=YesNoWidget)

    class Meta:
        model = Unit
        fields = ["q", "kind", "parent", "within", "is_fringe"]

    def filter_within(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        unit = Unit.objects.filter(code=value).first()
        return queryset.filter(path__startswith=unit.path) if unit else queryset.none()


class DepartmentFilterSet(SearchFilterSet):
    search_fields = ("code", "name")
    kind = django_filters.ChoiceFilter(label="类型", choices=DepartmentKind.choices)

    class Meta:
        model = Department
        fields = ["q", "kind"]


class UserFilterSet(SearchFilterSet):
    search_fields = ("username", "display_name", "phone")
    role = django_filters.ChoiceFilter(
        label="角色", choices=Role.choices, field_name="memberships__role", distinct=True, empty_label="全部"
    )
    is_active = django_filters.BooleanFilter(label="启用", widget=YesNoWidget)

    class Meta:
        model = User
        fields = ["q", "role", "is_active"]


class MembershipFilterSet(SearchFilterSet):
    search_fields = ("user__username", "user__display_name", "unit__name", "department__name")
    role = django_filters.ChoiceFilter(label="角色", choices=Role.choices, empty_label="全部")
    is_active = django_filters.BooleanFilter(label="有效", widget=YesNoWidget)

    class Meta:
        model = Membership
        fields = ["q", "role", "is_active"]


class ChangeRecordFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        label="操作人（用户名）", field_name="actor_label", lookup_expr="icontains"
    )
    content_type = django_filters.ModelChoiceFilter(
        label="对象类型", queryset=None, method="filter_content_type"
    )
    object_id = django_filters.CharFilter(label="对象编号")
    unit = django_filters.CharFilter(label="单位编码（含下级）", method="filter_unit")
    action = django_filters.ChoiceFilter(label="操作", choices=ChangeAction.choices)
    source = django_filters.ChoiceFilter(label="途径", choices=ChangeSource.choices)
    request_id = django_filters.CharFilter(label="请求/任务编号")
    date_from = django_filters.DateFilter(label="起始日期", field_name="time", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(label="截止日期", field_name="time", lookup_expr="date__lte")

    class Meta:
        model = ChangeRecord
        fields = ["actor", "content_type", "object_id", "unit", "action", "source", "request_id"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.apps import apps
        from django.contrib.contenttypes.models import ContentType

        audited = [m for m in apps.get_models() if hasattr(m, "audit_exclude")]
        self.filters["content_type"].queryset = ContentType.objects.filter(
            pk__in=[ContentType.objects.get_for_model(m).pk for m in audited]
        )

    def filter_content_type(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(content_type=value) if value else queryset

    def filter_unit(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        unit = Unit.objects.filter(code=value.strip()).first()
        return queryset.filter(unit_path__startswith=unit.path) if unit else queryset.none()
