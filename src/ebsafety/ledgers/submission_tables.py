"""Tables of the half-month submission list and the reporting rules (also the columns of their exports)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables

from ebsafety.ledgers.models import Submission, SubmissionRule


class SubmissionTable(tables.Table):
    id = tables.Column(linkify=True, verbose_name="编号")
    period = tables.Column(verbose_name="半月期", accessor="period_start", order_by=("period_start",))
    reporter = tables.Column(verbose_name="填报单位/部门", accessor="unit", order_by=("unit__path",))
    revisions = tables.Column(verbose_name="上报次数", accessor="revision_count", orderable=False)
    file = tables.Column(verbose_name="最近文件", accessor="batch__original_name", orderable=False)

    class Meta:
        model = Submission
        fields = (
            "id",
            "period",
            "reporter",
            "kind",
            "status",
            "due_at",
            "submitted_at",
            "submitted_by",
            "last_submitted_at",
            "revisions",
            "file",
        )

    def render_period(self, record: Submission) -> str:
        return record.period.label

    def value_period(self, record: Submission) -> str:
        return record.period.label

    def render_reporter(self, record: Submission) -> str:
        return str(record.reporter)

    def value_reporter(self, record: Submission) -> str:
        return str(record.reporter)

    def render_revisions(self, value: Any) -> Any:
        return value


class SubmissionRuleTable(tables.Table):
    kind = tables.Column(linkify=True)
    unit_kinds = tables.Column(verbose_name="须上报的单位类型", accessor="unit_kind_labels", orderable=False)
    departments = tables.Column(verbose_name="须上报的部门", accessor="department_names", orderable=False)

    class Meta:
        model = SubmissionRule
        fields = ("campaign", "kind", "unit_kinds", "departments", "note")

    def render_unit_kinds(self, value: list[str]) -> str:
        return "、".join(value) or "—"

    def value_unit_kinds(self, value: list[str]) -> str:
        return "、".join(value)

    def render_departments(self, value: list[str]) -> str:
        return "、".join(value) or "—"

    def value_departments(self, value: list[str]) -> str:
        return "、".join(value)
