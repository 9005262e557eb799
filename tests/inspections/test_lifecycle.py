"""A hazard from report to closure, and every way a transition is refused (wrong state, wrong role, out of
scope, missing note or evidence) without changing anything."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine

from ebsafety.core.models import Attachment, ChangeRecord, Notification
from ebsafety.inspections import services
from ebsafety.inspections.choices import HazardStatus as S
from ebsafety.inspections.models import EnforcementCase, Hazard, HazardTransition
from ebsafety.inspections.services import TransitionRefused
from tests.inspections.conftest import photo

TODAY = datetime.datetime(2026, 11, 16, 10, 0, tzinfo=datetime.UTC)  # a Monday


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(TODAY, tick=False):
        yield


def report(town: dict, personas: dict, unit: str = "a1", **extra: Any) -> Hazard:
    return services.report_hazard(
        unit=town[unit],
        category_code="corridor_parking",
        description="3单元一层楼道停放两辆电动自行车",
        source="inspection",
        reported_by=personas["inspector"],
        **extra,
    )


def test_whole_lifecycle_is_recorded(town: dict, personas: dict, frozen: Any) -> None:
    hazard = report(town, personas, photos=[photo()])
    assert hazard.status == S.REPORTED and hazard.found_on == datetime.date(2026, 11, 16)
    assert Attachment.of(hazard).count() == 1

    services.confirm(hazard, personas["property"])
    services.order_rectification(hazard, personas["inspector"], responsible_party="甲一物业")
    # corridor parking: 1 working day by default → Tuesday
    assert hazard.deadline == datetime.date(2026, 11, 17)
    assert Notification.objects.filter(user=personas["property"], kind="hazard_assigned").exists()

    services.rectify(hazard, personas["property"], evidence=[photo("after.jpg")], note="已清理")
    assert hazard.status == S.RECTIFIED and hazard.rectified_on == datetime.date(2026, 11, 16)
    services.reinspect(hazard, personas["inspector"], passed=True)
    services.close(hazard, personas["locality"])

    hazard.refresh_from_db()
    assert hazard.status == S.CLOSED and hazard.closed_at is not None
    steps = list(
        HazardTransition.objects.filter(hazard=hazard).values_list("name", "from_status", "to_status")
    )
    assert steps == [
        ("report", "", S.REPORTED),
        ("confirm", S.REPORTED, S.CONFIRMED),
        ("order", S.CONFIRMED, S.ORDERED),
        ("rectify", S.ORDERED, S.RECTIFIED),
        ("reinspect_pass", S.RECTIFIED, S.REINSPECTED),
        ("close", S.REINSPECTED, S.CLOSED),
    ]
    rectified = HazardTransition.objects.get(hazard=hazard, name="rectify")
    assert (
        rectified.by == personas["property"] and rectified.note == "已清理" and len(rectified.evidence) == 1
    )
    assert Attachment.of(hazard).count() == 2
    assert Hazard.objects.rectified_on_time().filter(pk=hazard.pk).exists()
    # the status changes went through the audit log as well
    records = ChangeRecord.objects.filter(content_type__model="hazard", object_id=str(hazard.pk))
    assert sum("status" in r.changed_fields for r in records) == 6  # created + five moves


def test_failed_reinspection_sends_it_back_with_a_new_deadline(
    town: dict, personas: dict, frozen: Any
) -> None:
    hazard = report(town, personas)
    services.confirm(hazard, personas["inspector"])
    services.order_rectification(hazard, personas["inspector"], responsible_party="甲一物业", days=3)
    assert hazard.deadline == datetime.date(2026, 11, 19)
    services.rectify(hazard, personas["property"], evidence=[photo()])
    with pytest.raises(TransitionRefused, match="须填写说明"):
        services.reinspect(hazard, personas["inspector"], passed=False)
    services.reinspect(hazard, personas["inspector"], passed=False, note="仍有一辆车停放", days=2)
    hazard.refresh_from_db()
    assert hazard.status == S.ORDERED and hazard.deadline == datetime.date(2026, 11, 18)
    assert hazard.rectified_on is None


def test_fixed_on_the_spot_closes_at_once_with_evidence(town: dict, personas: dict, frozen: Any) -> None:
    hazard = report(town, personas)
    with pytest.raises(TransitionRefused, match="证据"):
        services.fix_on_spot(hazard, personas["inspector"])
    assert Hazard.objects.get(pk=hazard.pk).status == S.REPORTED
    services.fix_on_spot(hazard, personas["inspector"], evidence=[photo()], note="车主当场推走")
    hazard.refresh_from_db()
    assert hazard.status == S.CLOSED and hazard.fixed_on_spot and hazard.closed_at is not None
    assert Hazard.objects.rectified_on_time().filter(pk=hazard.pk).exists()


@pytest.mark.parametrize(
    ("name", "persona", "reason"),
    [
        ("order", "inspector", "不能责令整改"),  # wrong state: still reported
        ("close", "locality", "不能销号"),
        ("confirm", "volunteer", "无权确认隐患"),  # wrong role
        ("confirm", "leader", "无权确认隐患"),
        ("confirm", "community", "无权确认隐患"),  # right role, other unit
        ("confirm", "department", "无权确认隐患"),  # market: not its sector, not filed under it
    ],
)
def test_refused_transitions_change_nothing(
    town: dict, personas: dict, name: str, persona: str, reason: str
) -> None:
    hazard = report(town, personas)
    before_rows = HazardTransition.objects.count()
    before = Hazard.objects.filter(pk=hazard.pk).values().get()
    with pytest.raises(TransitionRefused, match=reason):
        if name == "order":
            services.order_rectification(hazard, personas[persona], responsible_party="物业")
        elif name == "close":
            services.close(hazard, personas[persona])
        else:
            services.confirm(hazard, personas[persona])
    assert Hazard.objects.filter(pk=hazard.pk).values().get() == before
    assert HazardTransition.objects.count() == before_rows


def test_property_may_rectify_but_not_reinspect_its_own_work(town: dict, personas: dict) -> None:
    hazard = report(town, personas)
    services.confirm(hazard, personas["property"])
    services.order_rectification(hazard, personas["locality"], responsible_party="甲一物业")
    services.rectify(hazard, personas["property"], evidence=[photo()])
    with pytest.raises(TransitionRefused, match="无权复查合格"):
        services.reinspect(hazard, personas["property"], passed=True)
    assert Hazard.objects.get(pk=hazard.pk).status == S.RECTIFIED


def test_dismiss_needs_a_reason(town: dict, personas: dict) -> None:
    hazard = report(town, personas)
    with pytest.raises(TransitionRefused, match="须填写说明"):
        services.dismiss(hazard, personas["property"])
    services.dismiss(hazard, personas["property"], note="现场无车辆")
    assert Hazard.objects.get(pk=hazard.pk).status == S.DISMISSED


def test_overdue_escalates_to_a_case_or_to_the_sector_department(
    town: dict, personas: dict, departments: dict
) -> None:
    with time_machine.travel(TODAY, tick=False):
        first, second = report(town, personas), report(town, personas)
        for hazard in (first, second):
            services.confirm(hazard, personas["inspector"])
            services.order_rectification(hazard, personas["inspector"], responsible_party="甲一物业")
            with pytest.raises(TransitionRefused, match="期限未到"):
                services.mark_overdue(hazard)
    with time_machine.travel(TODAY + datetime.timedelta(days=3), tick=False):
        for hazard in (first, second):
            services.mark_overdue(hazard)
            assert hazard.status == S.OVERDUE and hazard.is_overdue
        with pytest.raises(TransitionRefused, match="无权升级处理"):
            services.escalate(first, personas["property"], to="department", note="逾期")
        case = services.open_case(
            title="甲一小区楼道停放拒不改正",
            unit=town["a1"],
            lead_department=departments["market"],
            hazards=[first],
            by=personas["office"],
        )
        first.refresh_from_db()
        assert first.status == S.ESCALATED and first.escalation == "case"
        assert list(case.hazards.all()) == [first]
        # the property sector has no department in this town: the office names one
        with pytest.raises(TransitionRefused, match="找不到负责"):
            services.escalate(second, personas["office"], to="department", note="逾期三天")
        services.escalate(
            second, personas["office"], to="department", note="逾期三天", department=departments["police"]
        )
        assert second.status == S.ESCALATED and second.department == departments["police"]
        # the department orders it again with a new deadline
        services.order_rectification(second, personas["office"], responsible_party="甲一物业", days=2)
        assert second.status == S.ORDERED
        services.impose_penalty(case, personas["office"], kind="fine", amount=2000, rule=None)
        services.close_case(case, personas["office"], note="已罚款")
    first.refresh_from_db()
    assert first.status == S.CLOSED
    assert EnforcementCase.objects.get(pk=case.pk).status == "closed"


def test_report_hazard_interface_for_the_tips_app(town: dict, personas: dict) -> None:
    tip_photo = Attachment.attach(personas["office"], photo(), user=None)  # any record's attachment
    hazard = services.report_hazard(
        unit=town["b1"],
        category_code="flying_lead",
        description="5号楼窗外飞线充电",
        source="tip",
        address="乙一小区5号楼",
        photos=[tip_photo],
        source_ref="TIP-42",
    )
    assert hazard.status == S.REPORTED and hazard.source == "tip" and hazard.source_ref == "TIP-42"
    copied = Attachment.of(hazard).get()
    assert copied.file.name == tip_photo.file.name and copied.pk != tip_photo.pk
    assert hazard.closed_at is None
    with pytest.raises(Exception, match="不存在或已停用"):
        services.report_hazard(unit=town["b1"], category_code="nope", description="", source="tip")
