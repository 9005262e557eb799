"""Tables of the inspections list pages (also the columns of their exports)."""

from __future__ import annotations

import django_tables2 as tables

from ebsafety.inspections.models import (
    ChecklistTemplate,
    EnforcementCase,
    Hazard,
    HazardCategory,
    Inspection,
    PenaltyRule,
    SupervisionVisit,
)


class InspectionTable(tables.Table):
    id = tables.Column(linkify=True, verbose_name="编号")
    target = tables.Column(verbose_name="检查对象", accessor="target_label", orderable=False)
    hazard_count = tables.Column(verbose_name="发现隐患", orderable=False)

    class Meta:
        model = Inspection
        fields = (
            "id",
            "inspected_on",
            "target_kind",
            "target",
            "unit",
            "department",
            "participants",
            "hazard_count",
        )


class HazardTable(tables.Table):
    id = tables.Column(linkify=True, verbose_name="编号")
    category = tables.Column(linkify=lambda record: record.get_absolute_url())
    location = tables.Column(verbose_name="位置", accessor="location", orderable=False)

    class Meta:
        model = Hazard
        fields = (
            "id",
            "found_on",
            "category",
            "severity",
            "location",
            "source",
            "status",
            "responsible_party",
            "deadline",
            "rectified_on",
            "closed_at",
        )
        row_attrs = {"data-status": lambda record: record.status}


class EnforcementCaseTable(tables.Table):
    number = tables.Column(linkify=True)

    class Meta:
        model = EnforcementCase
        fields = ("number", "title", "unit", "lead_department", "status", "opened_on", "closed_on")


class SupervisionVisitTable(tables.Table):
    id = tables.Column(linkify=True, verbose_name="编号")

    class Meta:
        model = SupervisionVisit
        fields = ("id", "visited_on", "unit", "department", "visitors")


class HazardCategoryTable(tables.Table):
    name = tables.Column(linkify=True)

    class Meta:
        model = HazardCategory
        fields = ("code", "name", "deadline_days", "default_severity", "sector", "is_active")


class ChecklistTemplateTable(tables.Table):
    name = tables.Column(linkify=True)

    class Meta:
        model = ChecklistTemplate
        fields = ("name", "target_kind", "is_active")


class PenaltyRuleTable(tables.Table):
    code = tables.Column(linkify=True)

    class Meta:
        model = PenaltyRule
        fields = (
            "code",
            "violation",
            "legal_basis",
            "party",
            "kind",
            "min_amount",
            "max_amount",
            "is_active",
        )
