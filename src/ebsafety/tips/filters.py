"""Filters of the tip and reward lists (shared by pages and exports)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from ebsafety.core.models import Unit
from ebsafety.tips.choices import Handover, Outcome, RewardStatus, TipSource, TipStatus
from ebsafety.tips.models import Reward, Tip, TipCategory
from ebsafety.tips.models.tips import normalise_tracking_code


def _subtree(queryset: QuerySet, lookup: str, code: str) -> QuerySet:
    unit = Unit.objects.filter(code=code.strip()).first()
    return queryset.filter(**{f"{lookup}__path__startswith": unit.path}) if unit else queryset.none()


class TipFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label="查询码/内容", method="search")
    status = django_filters.ChoiceFilter(label="状态", choices=TipStatus.choices)
    category = django_filters.ModelChoiceFilter(label="类别", queryset=TipCategory.objects.all())
    source = django_filters.ChoiceFilter(label="来源", choices=TipSource.choices)
    outcome = django_filters.ChoiceFilter(label="核查结果", choices=Outcome.choices)
    handover = django_filters.ChoiceFilter(label="转隐患", choices=Handover.choices[1:])
    created_after = django_filters.DateFilter(
        label="收到日期起", field_name="created", lookup_expr="date__gte"
    )
    created_before = django_filters.DateFilter(
        label="收到日期止", field_name="created", lookup_expr="date__lte"
    )
    # drill-down from the figures page: the unit and everything below it
    within = django_filters.CharFilter(label="单位编码（含下级）", method="filter_within")

    class Meta:
        model = Tip
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        code = normalise_tracking_code(value)
        q = Q(description__icontains=value) | Q(address__icontains=value)
        if len(code) >= 4:
            q |= Q(tracking_code__startswith=code)
        return queryset.filter(q)

    def filter_within(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _subtree(queryset, "unit", value)


class RewardFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=RewardStatus.choices)
    paid_month = django_filters.CharFilter(label="发放月份（YYYY-MM）", method="month")
    # drill-down from the figures page: rewards of the hazards (verified tips) in the unit's subtree, as
    # `TipQuerySet.figures()` counts them
    within = django_filters.CharFilter(label="单位编码（含下级）", method="filter_within")
    tip_created_after = django_filters.DateFilter(
        label="举报收到日期起", field_name="hazard_tip__created", lookup_expr="date__gte"
    )
    tip_created_before = django_filters.DateFilter(
        label="举报收到日期止", field_name="hazard_tip__created", lookup_expr="date__lte"
    )

    class Meta:
        model = Reward
        fields: list[str] = []

    def month(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        try:
            year, month = (int(part) for part in value.split("-", 1))
        except ValueError:
            return queryset.none()
        return queryset.filter(paid_on__year=year, paid_on__month=month)

    def filter_within(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _subtree(queryset, "hazard_tip__unit", value)
