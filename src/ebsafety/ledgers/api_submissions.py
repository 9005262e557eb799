"""API of the half-month submissions (read only): the submissions, the completeness table, the reporters
still missing, and a ledger as of a period. Mounted under /api/v1/ by `ledgers.api_urls`.

- GET ledger-submissions/                 every submission the caller may see (filters as the list page)
- GET ledger-submissions/{id}/            one submission with all the batches that counted for it
- GET ledger-submissions/table/           ?unit=CODE&kind=K&date_from=D&date_to=D → the completeness table
- GET ledger-submissions/missing/         ?unit=CODE&kind=K&period=D&previous=1 → reporters still missing
- GET ledger-submissions/as-of/           ?unit=CODE&period=D&kind=K → a ledger (default: the e-bikes) at the
                                          end of the period
"""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import include, path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from ebsafety.core.models import Unit
from ebsafety.core.periods import HalfMonth, period_for
from ebsafety.ledgers import as_of, completeness
from ebsafety.ledgers.as_of import AsOfLedger
from ebsafety.ledgers.choices import LedgerKind
from ebsafety.ledgers.models import Submission
from ebsafety.ledgers.submission_filters import SubmissionFilterSet


class SubmissionSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    period_end = serializers.SerializerMethodField()
    period_label = serializers.SerializerMethodField()
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    batches = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Submission
        fields = [
            "id",
            "unit",
            "unit_name",
            "department",
            "kind",
            "kind_display",
            "period_start",
            "period_end",
            "period_label",
            "status",
            "status_display",
            "due_at",
            "submitted_at",
            "submitted_by",
            "last_submitted_at",
            "batch",
            "batches",
        ]
        read_only_fields = fields

    def get_period_end(self, obj: Submission) -> datetime.date:
        return obj.period.end

    def get_period_label(self, obj: Submission) -> str:
        return obj.period.label


UNIT_PARAM = OpenApiParameter("unit", str, description="单位编码（含下级）")
KIND_PARAM = OpenApiParameter("kind", str, enum=LedgerKind.values, description="台账类型")


class SubmissionViewSet(viewsets.ReadOnlyModelViewSet):
    """Half-month submissions within the caller's scope."""

    queryset = Submission.objects.select_related("unit", "department", "submitted_by").prefetch_related(
        "batches"
    )
    serializer_class = SubmissionSerializer
    filterset_class = SubmissionFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().visible_to(self.request.user)

    def _unit(self, request: Request, required: bool = False) -> Unit | None:
        code = request.query_params.get("unit")
        if not code:
            if required:
                raise ValidationError({"unit": "请指定单位编码。"})
            return None
        unit = Unit.objects.visible_to(request.user).filter(code=code).first()
        if unit is None:
            raise NotFound("单位不存在或不在您的管辖范围内。")
        return unit

    def _kind(self, request: Request) -> str | None:
        kind = request.query_params.get("kind") or None
        if kind is not None and kind not in LedgerKind.values:
            raise ValidationError({"kind": f"台账类型应为 {', '.join(LedgerKind.values)} 之一。"})
        return kind

    def _date(self, request: Request, name: str) -> datetime.date | None:
        value = request.query_params.get(name)
        if not value:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError({name: "日期格式应为 YYYY-MM-DD。"}) from exc

    @extend_schema(
        parameters=[
            UNIT_PARAM,
            KIND_PARAM,
            OpenApiParameter("date_from", datetime.date),
            OpenApiParameter("date_to", datetime.date),
        ],
        responses={200: {"type": "object"}},
    )
    @action(detail=False)
    def table(self, request: Request) -> Response:
        """The completeness and timeliness table: reporters × periods, with rates per reporter."""
        current = period_for(timezone.localdate())
        first = current
        for _ in range(5):
            first = first.previous()
        table = completeness.build_table(
            request.user,
            root=self._unit(request),
            first=self._date(request, "date_from") or first.start,
            last=self._date(request, "date_to") or current.end,
            kind=self._kind(request),
        )
        return Response(table.as_json())

    @extend_schema(
        parameters=[
            UNIT_PARAM,
            KIND_PARAM,
            OpenApiParameter("period", datetime.date, description="半月期内任一日；默认下一个截止的半月期"),
            OpenApiParameter("previous", bool, description="1：上一期（已过截止时间）"),
        ],
        responses={200: {"type": "object"}},
    )
    @action(detail=False)
    def missing(self, request: Request) -> Response:
        """Reporters still missing a ledger before the next deadline (or for the given period)."""
        day = self._date(request, "period")
        entries = completeness.missing_entries(
            request.user,
            root=self._unit(request),
            kind=self._kind(request),
            period=HalfMonth.containing(day) if day else None,
            previous=request.query_params.get("previous") in ("1", "true"),
        )
        return Response(
            {
                "count": len(entries),
                "reporters": len({e.reporter_key for e in entries}),
                "results": [
                    {
                        "reporter": {
                            "type": "department" if e.reporter.department is not None else "unit",
                            "code": e.reporter.code,
                            "name": e.reporter.name,
                        },
                        "kind": e.kind,
                        "period_start": e.period.key,
                        "period_label": e.period.label,
                        "due_at": e.due_at.isoformat(),
                        "overdue": e.overdue,
                    }
                    for e in entries
                ],
            }
        )

    @extend_schema(
        parameters=[
            UNIT_PARAM,
            OpenApiParameter("period", datetime.date, required=True),
            OpenApiParameter(
                "kind", str, enum=as_of.KINDS, description="台账类型（默认 ebike）；其他台账的各列见 values"
            ),
        ],
        responses={200: {"type": "object"}},
    )
    @action(detail=False, url_path="as-of")
    def as_of(self, request: Request) -> Response:
        """A unit's ledger (the e-bikes unless `kind` says another) as it stood at the end of a period: the
        period's snapshot when it was frozen (`exact`), else derived from the current records (see `basis`).
        The e-bikes' items have their own fields; another ledger's items give the template's columns as
        text in `values` (no ID or phone numbers)."""
        unit = self._unit(request, required=True)
        assert unit is not None
        day = self._date(request, "period")
        if day is None:
            raise ValidationError({"period": "请指定半月期内的任一日期。"})
        kind = self._kind(request) or LedgerKind.EBIKE
        if kind not in as_of.KINDS:
            raise ValidationError({"kind": f"台账类型应为 {', '.join(as_of.KINDS)} 之一。"})
        period = HalfMonth.containing(day)
        ledger = as_of.ledger_as_of(request.user, unit, period, kind)
        page = self.paginate_queryset(range(ledger.frame.height))  # type: ignore[arg-type]
        offset, limit = (page[0], len(page)) if page else (0, None if page is None else 0)
        items = [self._as_of_item(ledger, row) for row in ledger.rows(offset, limit)]
        summary = ledger.summary()
        totals = {"total": summary["total"]}
        if kind == LedgerKind.EBIKE:
            totals["non_compliant"] = summary["non_compliant"]
        payload = {
            "unit": unit.code,
            "kind": kind,
            "period_start": period.key,
            "period_label": period.label,
            "exact": ledger.exact,
            "snapshot_taken_at": ledger.snapshot.taken_at.isoformat() if ledger.snapshot else None,
            "basis": ledger.basis,
            "summary": totals,
        }
        if page is not None:
            response = self.get_paginated_response(items)
            response.data = {**payload, **response.data}
            return response
        return Response({**payload, "results": items})

    @staticmethod
    def _as_of_item(ledger: AsOfLedger, row: dict[str, Any]) -> dict[str, Any]:
        item = {
            "id": row["id"],
            "unit": row["unit_code"],
            "status_now": row["status_now"],
            "created": row["created"].isoformat() if row["created"] else None,
        }
        if ledger.kind != LedgerKind.EBIKE:
            return {**item, "values": {c.key: row[c.key] for c in ledger.columns}}
        fields = ("frame_number", "plate_kind", "plate_number", "is_compliant", "charging_method")
        return {**item, **{name: row[name] for name in fields}}


router = SimpleRouter()
router.register("ledger-submissions", SubmissionViewSet, basename="ledger-submission")

urlpatterns = [path("", include(router.urls))]
