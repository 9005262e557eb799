"""The same e-bike ledger through django-import-export, configured as fairly as we can, for the side-by-side.

What a Django developer would write: a `ModelResource` for EBike keyed by frame number, the Chinese headers
mapped to fields through our column specs, each cell normalised with our own normalisers (so both tools
accept the same rows), the owner found or created by ID number (else name and phone), and the tool's fast
options on: bulk writes in batches of 1,000, no diff, no per-row result objects kept. The file is read by the
tool's own loader (tablib, openpyxl underneath), title rows skipped.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from import_export import resources
from import_export.instance_loaders import CachedInstanceLoader

from ebsafety.core.models import Unit
from ebsafety.ledgers.choices import PlateKind
from ebsafety.ledgers.models import EBike, Person
from ebsafety.ledgers.normalise import CellError
from ebsafety.ledgers.specs import EBIKE, header_key

FIELDS = (
    "frame_number",
    "unit",
    "owner",
    "compound",
    "compound_text",
    "building",
    "plate_kind",
    "plate_number",
    "brand",
    "model_name",
    "motor_number",
    "battery_kind",
    "battery_count",
    "battery_voltage",
    "declared_compliant",
    "is_compliant",
    "compliance_reason",
    "use",
    "parking_place",
    "charging_method",
    "registration_date",
    "remark",
)


class EBikeResource(resources.ModelResource):
    """E-bikes with their owner, one row per bike, matched by frame number."""

    def __init__(self, unit: Unit) -> None:
        super().__init__()
        self.unit = unit
        self.columns: dict[str, Any] = {}  # file header → column spec
        for column in EBIKE.columns:
            for key in column.header_keys():
                self.columns.setdefault(key, column)
        self.compounds = dict(
            Unit.objects.filter(parent=unit).values_list("name", "pk")
        )  # the benchmark's compounds sit right under the unit

    class Meta:
        model = EBike
        fields = FIELDS
        import_id_fields = ("frame_number",)
        use_bulk = True
        batch_size = 1000
        skip_diff = True
        skip_unchanged = False
        report_skipped = False
        clean_model_instances = False
        instance_loader_class = CachedInstanceLoader  # one query for the file's frame numbers

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        """The file's Chinese headers (any alias) become the column keys of our spec."""
        self.seen: set[str] = set()
        keys = [header_key(h) for h in dataset.headers]
        dataset.headers = [self.columns[k].key if k in self.columns else k for k in keys]

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        values: dict[str, Any] = {}
        for column in EBIKE.columns:
            if column.key not in row:
                continue
            raw = row[column.key]
            try:
                values[column.key] = None if raw in (None, "") else column.parse(raw)
            except CellError as exc:
                raise ValidationError(str(exc)) from exc  # the tool's "invalid row", skipped
        for key in ("owner_name", "plate_kind", "frame_number", "battery_kind"):
            if not values.get(key):
                raise ValidationError(f"{key} is required")
        if values["frame_number"] in self.seen:
            raise ValidationError("duplicate frame number in the file")
        self.seen.add(values["frame_number"])
        id_number, phone = values.get("owner_id_number") or "", values.get("owner_phone") or ""
        if not id_number and not phone:
            raise ValidationError("ID number or phone is required")
        if id_number:
            defaults = {"name": values["owner_name"], "phone": phone, "unit": self.unit}
            owner, _ = Person.objects.get_or_create(id_number=id_number, defaults=defaults)
        else:
            owner = Person.objects.filter(name=values["owner_name"], phone=phone, id_number="").first()
            owner = owner or Person.objects.create(name=values["owner_name"], phone=phone, unit=self.unit)
        over = values.pop("over_standard", None)
        voltage = values.get("battery_voltage")
        reasons = []
        if values["plate_kind"] == PlateKind.TEMPORARY:
            reasons.append("临时标识车辆（超标车）")
        if voltage is not None and voltage > 48:
            reasons.append(f"电池电压 {voltage}V 超过 48V")
        if over:
            reasons.append("申报为超标车")
        compound = values.pop("compound", None) or ""
        row.clear()
        row.update(
            {
                **{k: ("" if v is None else v) for k, v in values.items() if k in FIELDS},
                "unit": self.unit.pk,
                "owner": owner.pk,
                "compound": self.compounds.get(compound),
                "compound_text": "" if compound in self.compounds else compound,
                "battery_count": values.get("battery_count") or 1,
                "battery_voltage": voltage,
                "registration_date": values.get("registration_date"),
                "declared_compliant": None if over is None else not over,
                "is_compliant": not reasons,
                "compliance_reason": "；".join(reasons),
                "use": values.get("use") or "private",
            }
        )


def import_with_django_import_export(path: Path) -> dict[str, Any]:
    """Load the xlsx with tablib and import it with EBikeResource; time the two steps."""
    import tablib
    from django.db import connection

    unit = Unit.objects.get(code="BENCH-C")
    started = time.perf_counter()
    with path.open("rb") as handle:
        dataset = tablib.Dataset().load(handle, format="xlsx", skip_lines=2)
    read_s = time.perf_counter() - started
    resource = EBikeResource(unit)
    result = resource.import_data(dataset, dry_run=False, raise_errors=False, use_transactions=True)
    total = time.perf_counter() - started
    return {
        "database": connection.vendor,
        "file": path.name,
        "rows": len(dataset),
        "added": EBike.objects.count(),
        "row_errors": len(result.row_errors()),
        "invalid_rows": len(result.invalid_rows),
        "phases_s": {"read_s": round(read_s, 2), "import_s": round(total - read_s, 2)},
        "total_s": round(total, 2),
        "rows_per_s": round(len(dataset) / total),
    }
