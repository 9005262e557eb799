"""The demo's eight weeks of 大检查: about 3,000 hazards in every state, cases, visits; same per seed."""

from __future__ import annotations

import random
import time
from typing import Any

from django.contrib.contenttypes.models import ContentType

from ebsafety.core.choices import ChangeAction
from ebsafety.core.demo import build_demo
from ebsafety.core.models import ChangeRecord, Unit
from ebsafety.inspections.choices import HazardStatus
from ebsafety.inspections.demo import build_inspections_demo
from ebsafety.inspections.models import (
    EnforcementCase,
    Hazard,
    HazardTransition,
    Inspection,
    SupervisionVisit,
)


def fingerprint() -> list[tuple]:
    hazards = list(
        Hazard.objects.order_by("pk").values_list(
            "unit__code", "category__code", "status", "found_on", "deadline"
        )
    )
    inspections = list(
        Inspection.objects.order_by("pk").values_list("unit__code", "inspected_on", "target_key")
    )
    return [*hazards, *inspections]


def wipe_inspections() -> None:
    for model in (EnforcementCase, HazardTransition, Hazard, SupervisionVisit, Inspection):
        model.objects.all().delete()


def test_demo_has_eight_weeks_in_every_state(db: Any, settings: Any) -> None:
    settings.DEMO_BUILDERS = []
    build_demo(seed=11)
    town = Unit.objects.get(kind="town")
    began = time.perf_counter()
    build_inspections_demo([town], random.Random(11), "town")
    elapsed = time.perf_counter() - began
    assert elapsed < 30, elapsed
    assert 2900 <= Hazard.objects.count() <= 3100
    assert set(Hazard.objects.values_list("status", flat=True)) == set(HazardStatus.values)
    assert Inspection.objects.count() > 1000 and SupervisionVisit.objects.count() > 20
    assert EnforcementCase.objects.exists()
    dates = Hazard.objects.order_by("found_on").values_list("found_on", flat=True)
    assert (dates.last() - dates.first()).days == 55
    # every hazard's history ends in its current state
    closed = Hazard.objects.filter(status=HazardStatus.CLOSED).first()
    assert closed.transitions.last().to_status == HazardStatus.CLOSED and closed.closed_at is not None
    # each bulk-written record has its "created" change record, filed under its unit (its history tab)
    for model in (Hazard, Inspection, SupervisionVisit):
        created = ChangeRecord.objects.filter(
            content_type=ContentType.objects.get_for_model(model), action=ChangeAction.CREATE
        )
        pks = {str(pk) for pk in model.objects.values_list("pk", flat=True)}
        assert sorted(created.values_list("object_id", flat=True)) == sorted(pks), model
    record = ChangeRecord.objects.get(
        content_type=ContentType.objects.get_for_model(Hazard), object_id=str(closed.pk)
    )
    assert record.after["status"] == HazardStatus.CLOSED and record.unit_path == closed.unit.path
    assert (
        record.object_repr == str(closed) and record.before is None and "category_id" in record.changed_fields
    )
    first = fingerprint()
    wipe_inspections()
    build_inspections_demo([town], random.Random(11), "town")
    assert fingerprint()[:50] == first[:50] and len(fingerprint()) == len(first)
