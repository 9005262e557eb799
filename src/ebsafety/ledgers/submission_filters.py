"""Filters of the half-month submission list, shared by the page and the API."""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import QuerySet

from ebsafety.core.models import Unit
from ebsafety.core.periods import HalfMonth
from ebsafety.ledgers.choices import LedgerKind, SubmissionStatus
from ebsafety.ledgers.models import Submission


class SubmissionFilterSet(django_filters.FilterSet):
    unit = django_filters.CharFilter(label="单位编码（含下级）", method="filter_unit")
    department = django_filters.CharFilter(label="部门编码", field_name="department__code")
    kind = django_filters.ChoiceFilter(label="台账类型", choices=LedgerKind.choices, empty_label="全部")
    status = django_filters.ChoiceFilter(
        label="上报情况", choices=SubmissionStatus.choices, empty_label="全部"
    )
    period = django_filters.DateFilter(label="半月期（任一日）", method="filter_period")
    date_from = django_filters.DateFilter(label="起始日期", method="filter_from")
    date_to = django_filters.DateFilter(label="截止日期", method="filter_to")

    class Meta:
        model = Submission
        fields = ["unit", "department", "kind", "status", "period", "date_from", "date_to"]

    def filter_unit(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        unit = Unit.objects.filter(code=value.strip()).first()
        return queryset.filter(unit__path__startswith=unit.path) if unit else queryset.none()

    def filter_period(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        return queryset.filter(period_start=HalfMonth.containing(value).start)

    def filter_from(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        """Periods that end on or after the date."""
        return queryset.filter(period_start__gte=HalfMonth.containing(value).start)

    def filter_to(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        """Periods that start on or before the date."""
        return queryset.filter(period_start__lte=value)
