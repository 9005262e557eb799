"""Filters shared by the list pages and the API."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from ebsafety.core.filters import SearchFilterSet, YesNoWidget
from ebsafety.core.models import Department, Unit
from ebsafety.inspections.choices import CaseStatus, HazardSource, HazardStatus, Severity, TargetKind
from ebsafety.inspections.models import (
    CaseParty,
    CasePenalty,
    ChecklistTemplate,
    EnforcementCase,
    Hazard,
    HazardCategory,
    Inspection,
    PenaltyRule,
    SupervisionVisit,
)
from ebsafety.inspections.models.hazards import HazardQuerySet
from ebsafety.inspections.models.inspections import InspectionQuerySet


class WithinMixin:
    """`within=<unit code>`: the unit and everything below it (drill-down from the figures)."""

    def filter_within(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        unit = Unit.objects.filter(code=value.strip()).first()
        return queryset.filter(unit__path__startswith=unit.path) if unit else queryset.none()


class InspectionFilterSet(WithinMixin, SearchFilterSet):
    search_fields = ("address", "participants", "note", "unit__name")
    target_kind = django_filters.ChoiceFilter(
        label="对象类型", choices=TargetKind.choices, empty_label="全部"
    )
    within = django_filters.CharFilter(label="单位编码（含下级）", method="filter_within")
    department = django_filters.ModelChoiceFilter(
        label="部门（牵头或参加）", queryset=Department.objects.all(), method="filter_department"
    )
    date_from = django_filters.DateFilter(label="起始日期", field_name="inspected_on", lookup_expr="gte")
    date_to = django_filters.DateFilter(label="截止日期", field_name="inspected_on", lookup_expr="lte")

    class Meta:
        model = Inspection
        fields = ["q", "target_kind", "within", "department", "date_from", "date_to"]

    def filter_department(
        self, queryset: InspectionQuerySet, name: str, value: Department
    ) -> InspectionQuerySet:
        return queryset.for_department(value) if value else queryset


class HazardFilterSet(WithinMixin, SearchFilterSet):
    search_fields = ("description", "address", "place", "responsible_party", "unit__name")
    status = django_filters.MultipleChoiceFilter(label="状态", choices=HazardStatus.choices)
    category = django_filters.ModelChoiceFilter(label="类别", queryset=HazardCategory.objects.all())
    severity = django_filters.ChoiceFilter(label="等级", choices=Severity.choices, empty_label="全部")
    source = django_filters.ChoiceFilter(label="来源", choices=HazardSource.choices, empty_label="全部")
    within = django_filters.CharFilter(label="单位编码（含下级）", method="filter_within")
    department = django_filters.ModelChoiceFilter(label="行业部门", queryset=Department.objects.all())
    found_from = django_filters.DateFilter(label="发现起始", field_name="found_on", lookup_expr="gte")
    found_to = django_filters.DateFilter(label="发现截止", field_name="found_on", lookup_expr="lte")
    overdue = django_filters.BooleanFilter(label="当前逾期", method="filter_overdue", widget=YesNoWidget)
    on_time = django_filters.BooleanFilter(label="按期整改", method="filter_on_time", widget=YesNoWidget)
    inspection = django_filters.NumberFilter(label="检查记录编号", field_name="inspection_id")

    class Meta:
        model = Hazard
        fields = [
            "q",
            "status",
            "category",
            "severity",
            "source",
            "within",
            "department",
            "found_from",
            "found_to",
        ]

    def filter_overdue(self, queryset: HazardQuerySet, name: str, value: bool | None) -> HazardQuerySet:
        if value is None:
            return queryset
        overdue = queryset.overdue_now(timezone.localdate())
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_on_time(self, queryset: HazardQuerySet, name: str, value: bool | None) -> HazardQuerySet:
        if value is None:
            return queryset
        on_time = queryset.rectified_on_time()
        return on_time if value else queryset.exclude(pk__in=on_time.values("pk"))


class EnforcementCaseFilterSet(WithinMixin, SearchFilterSet):
    search_fields = ("number", "title", "violations")
    status = django_filters.ChoiceFilter(label="状态", choices=CaseStatus.choices, empty_label="全部")
    within = django_filters.CharFilter(label="单位编码（含下级）", method="filter_within")
    opened_from = django_filters.DateFilter(label="立案起始", field_name="opened_on", lookup_expr="gte")
    opened_to = django_filters.DateFilter(label="立案截止", field_name="opened_on", lookup_expr="lte")

    class Meta:
        model = EnforcementCase
        fields = ["q", "status", "within", "opened_from", "opened_to"]


class CasePartyFilterSet(SearchFilterSet):
    """The parties of one case (`case=<id>`) or found by name or identifier (the API's list)."""

    search_fields = ("name", "identifier")
    case = django_filters.NumberFilter(label="案件编号（ID）", field_name="case_id")

    class Meta:
        model = CaseParty
        fields = ["q", "case", "kind"]


class CasePenaltyFilterSet(django_filters.FilterSet):
    """The penalties of one case, of a kind, or imposed in a period (the API's list)."""

    case = django_filters.NumberFilter(label="案件编号（ID）", field_name="case_id")
    imposed_from = django_filters.DateFilter(label="决定起始", field_name="imposed_on", lookup_expr="gte")
    imposed_to = django_filters.DateFilter(label="决定截止", field_name="imposed_on", lookup_expr="lte")

    class Meta:
        model = CasePenalty
        fields = ["case", "kind", "imposed_from", "imposed_to"]


class SupervisionVisitFilterSet(WithinMixin, SearchFilterSet):
    search_fields = ("visitors", "summary", "unit__name")
    within = django_filters.CharFilter(label="单位编码（含下级）", method="filter_within")
    date_from = django_filters.DateFilter(label="起始日期", field_name="visited_on", lookup_expr="gte")
    date_to = django_filters.DateFilter(label="截止日期", field_name="visited_on", lookup_expr="lte")

    class Meta:
        model = SupervisionVisit
        fields = ["q", "within", "date_from", "date_to"]


class HazardCategoryFilterSet(SearchFilterSet):
    search_fields = ("code", "name")

    class Meta:
        model = HazardCategory
        fields = ["q", "is_active"]


class ChecklistTemplateFilterSet(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = ChecklistTemplate
        fields = ["q", "target_kind"]


class PenaltyRuleFilterSet(SearchFilterSet):
    search_fields = ("code", "violation", "legal_basis")

    class Meta:
        model = PenaltyRule
        fields = ["q", "kind", "party"]
