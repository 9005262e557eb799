"""Summary counts per unit: e-bikes by plate kind, compliance and charging method; riders by charging method
and housing. Each ledger is counted in ONE grouped query over the chosen unit's subtree, grouped by the child
unit the record sits under — read off the record's unit path (`/…/<parent>/<child>/…`) — so the page costs the
same for ten units or a thousand, and a million bikes are one indexed scan, not one query per unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import StrIndex, Substr

from ebsafety.core.models import Unit
from ebsafety.core.models.org import PATH_SEPARATOR
from ebsafety.ledgers.choices import ChargingMethod, PlateKind, RecordStatus
from ebsafety.ledgers.models import EBike, Rider

OWN = ""  # records filed at the chosen unit itself, not under one of its children


def _counts(pairs: list[tuple[str, Q]]) -> dict[str, Count]:
    return {key: Count("pk", filter=q) for key, q in pairs}


EBIKE_COLUMNS: list[tuple[str, str, Q]] = [
    ("total", "在册车辆", Q()),
    *[(f"plate_{v}", str(label), Q(plate_kind=v)) for v, label in PlateKind.choices],
    ("compliant", "合规", Q(is_compliant=True)),
    ("non_compliant", "不合规", Q(is_compliant=False)),
    *[(f"charging_{v}", str(label), Q(charging_method=v)) for v, label in ChargingMethod.choices],
    ("charging_unknown", "充电方式未填", Q(charging_method="")),
]
RIDER_COLUMNS: list[tuple[str, str, Q]] = [
    ("total", "在册骑手", Q()),
    *[(f"charging_{v}", str(label), Q(charging_method=v)) for v, label in ChargingMethod.choices],
    ("charging_unknown", "充电方式未填", Q(charging_method="")),
    ("group_rental", "群租", Q(is_group_rental=True)),
    ("not_group_rental", "非群租", Q(is_group_rental=False)),
    ("centralised", "集中充电", Q(uses_centralised_charging=True)),
]


def child_code_expression(parent_path: str) -> Case:
    """The code of the parent's child that a record's unit path runs through ("" for the parent itself)."""
    rest = Substr("unit__path", len(parent_path) + 1)
    return Case(
        When(unit__path=parent_path, then=Value(OWN)),
        default=Substr(rest, 1, StrIndex(rest, Value(PATH_SEPARATOR)) - 1),
    )


def grouped_counts(
    queryset: QuerySet, parent: Unit, columns: list[tuple[str, str, Q]]
) -> dict[str, dict[str, int]]:
    """`{child code: {column key: count}}` of the active records of `queryset` under `parent` (one query)."""
    rows = (
        queryset.filter(unit__path__startswith=parent.path, status=RecordStatus.ACTIVE)
        .order_by()
        .annotate(child=child_code_expression(parent.path))
        .values("child")
        .annotate(**_counts([(key, q) for key, _, q in columns]))
    )
    return {row.pop("child"): {k: int(v) for k, v in row.items()} for row in rows}


@dataclass
class SummaryRow:
    label: str
    unit: Unit | None  # None for the parent's own row and the total
    ebikes: dict[str, int] = field(default_factory=dict)
    riders: dict[str, int] = field(default_factory=dict)

    @property
    def ebike_cells(self) -> list[int]:
        return [self.ebikes.get(key, 0) for key, _, _ in EBIKE_COLUMNS]

    @property
    def rider_cells(self) -> list[int]:
        return [self.riders.get(key, 0) for key, _, _ in RIDER_COLUMNS]


@dataclass
class Summary:
    parent: Unit
    rows: list[SummaryRow]
    total: SummaryRow
    ebike_columns: list[tuple[str, str]]
    rider_columns: list[tuple[str, str]]


def _zero(columns: list[tuple[str, str, Q]]) -> dict[str, int]:
    return {key: 0 for key, _, _ in columns}


def summarise(user: Any, parent: Unit) -> Summary:
    """Counts per child unit of `parent`, of the records the user may see."""
    bikes = grouped_counts(EBike.objects.visible_to(user), parent, EBIKE_COLUMNS)
    riders = grouped_counts(Rider.objects.visible_to(user), parent, RIDER_COLUMNS)
    children = list(
        Unit.objects.filter(parent=parent)
        .visible_to(user)
        .order_by("kind", "code")
        .only("code", "name", "kind", "path")
    )
    rows = [
        SummaryRow(
            child.name,
            child,
            bikes.get(child.code, _zero(EBIKE_COLUMNS)),
            riders.get(child.code, _zero(RIDER_COLUMNS)),
        )
        for child in children
    ]
    if OWN in bikes or OWN in riders:
        rows.insert(
            0,
            SummaryRow(
                f"{parent.name}（本级）",
                None,
                bikes.get(OWN, _zero(EBIKE_COLUMNS)),
                riders.get(OWN, _zero(RIDER_COLUMNS)),
            ),
        )
    # Records the user may see under a child unit the user may not see (a department's sector) still count.
    total = SummaryRow(
        "合计",
        None,
        {key: sum(c.get(key, 0) for c in bikes.values()) for key, _, _ in EBIKE_COLUMNS},
        {key: sum(c.get(key, 0) for c in riders.values()) for key, _, _ in RIDER_COLUMNS},
    )
    return Summary(
        parent=parent,
        rows=rows,
        total=total,
        ebike_columns=[(key, label) for key, label, _ in EBIKE_COLUMNS],
        rider_columns=[(key, label) for key, label, _ in RIDER_COLUMNS],
    )


def default_unit(user: Any) -> Unit | None:
    """The top unit of the user's scope (the shallowest unit they may see)."""
    return Unit.objects.visible_to(user).order_by("depth", "path").first()


__all__ = ["EBIKE_COLUMNS", "RIDER_COLUMNS", "Summary", "default_unit", "summarise"]
