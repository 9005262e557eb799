"""Pages: recording an inspection with a checklist and a photo, the transition forms, the 红袖标 page,
cases and supervision findings, and the to-do items."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ebsafety.core.models import Attachment
from ebsafety.core.todos import todos_for
from ebsafety.inspections import services
from ebsafety.inspections.choices import HazardStatus
from ebsafety.inspections.models import (
    ChecklistTemplate,
    EnforcementCase,
    Hazard,
    Inspection,
    SupervisionVisit,
)
from tests.inspections.conftest import photo


def test_inspector_records_an_inspection_with_a_photo(
    town: dict, personas: dict, departments: dict, client_for: Any
) -> None:
    client = client_for(personas["inspector"])
    assert client.get(reverse("inspections:inspection_add")).status_code == 200
    items = list(ChecklistTemplate.active_for("compound").items.all())
    data: dict[str, Any] = {
        "unit": town["a1"].pk,
        "inspected_on": "2026-11-30",
        "departments": [departments["police"].pk],
        "participants": "刘队员、派出所王警官",
        "photos": [photo()],
    }
    for item in items:
        data[f"item_{item.pk}"] = "ok"
    data[f"item_{items[0].pk}"] = "hazard"
    data[f"note_{items[0].pk}"] = "2单元楼道停放三辆"
    data[f"item_{items[1].pk}"] = "hazard"
    data["fixed"] = [str(items[1].pk)]
    response = client.post(reverse("inspections:inspection_record", args=["compound"]), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    inspection = Inspection.objects.get()
    assert inspection.inspector == personas["inspector"] and list(inspection.departments.all()) == [
        departments["police"]
    ]
    assert inspection.checks.count() == len(items) and Attachment.of(inspection).count() == 1
    ordered, fixed = inspection.hazards.order_by("pk")
    assert ordered.status == HazardStatus.ORDERED and ordered.deadline is not None
    assert "2单元楼道停放三辆" in ordered.description and Attachment.of(ordered).count() == 1
    assert fixed.status == HazardStatus.CLOSED and fixed.fixed_on_spot
    detail = client.get(inspection.get_absolute_url())
    assert detail.status_code == 200 and "联合检查参加部门" in detail.content.decode()


def test_an_inspection_that_finds_nothing_is_recorded(town: dict, personas: dict, client_for: Any) -> None:
    client = client_for(personas["property"])
    items = ChecklistTemplate.active_for("building").items.all()
    data = {"unit": town["a11"].pk, "inspected_on": "2026-11-30", **{f"item_{i.pk}": "ok" for i in items}}
    assert client.post(reverse("inspections:inspection_record", args=["building"]), data).status_code == 302
    assert Inspection.objects.get().hazards.count() == 0
    # out of scope: the property company cannot record an inspection in 乙一小区
    data["unit"] = town["b1"].pk
    response = client.post(reverse("inspections:inspection_record", args=["building"]), data)
    assert response.status_code == 200 and Inspection.objects.count() == 1


def test_transition_pages_and_refusal(town: dict, personas: dict, client_for: Any) -> None:
    hazard = services.report_hazard(
        unit=town["a1"], category_code="lift", description="电梯内有电动车", source="office"
    )
    prop = client_for(personas["property"])
    page = prop.get(hazard.get_absolute_url())
    assert [t.name for t in page.context["transitions"]] == ["confirm", "dismiss", "fix_on_spot"]
    assert (
        prop.post(
            reverse("inspections:hazard_transition", args=[hazard.pk, "confirm"]), {"note": "属实"}
        ).status_code
        == 302
    )
    # the property company may not order rectification: the form says why and nothing changes
    refused = prop.post(
        reverse("inspections:hazard_transition", args=[hazard.pk, "order"]),
        {"responsible_party": "物业", "days": 1},
    )
    assert refused.status_code == 200 and "无权责令整改" in refused.content.decode()
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.CONFIRMED
    village = client_for(personas["locality"])
    village.post(
        reverse("inspections:hazard_transition", args=[hazard.pk, "order"]),
        {"responsible_party": "甲一物业", "days": 2},
    )
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.ORDERED
    no_photo = prop.post(
        reverse("inspections:hazard_transition", args=[hazard.pk, "rectify"]), {"note": "已整改"}
    )
    assert "证据" in no_photo.content.decode()
    prop.post(
        reverse("inspections:hazard_transition", args=[hazard.pk, "rectify"]),
        {"note": "已整改", "evidence": [photo()]},
    )
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.RECTIFIED
    # out of scope: 404
    assert (
        client_for(personas["community"])
        .get(reverse("inspections:hazard_transition", args=[hazard.pk, "confirm"]))
        .status_code
        == 404
    )


def test_volunteer_reports_in_three_taps(town: dict, personas: dict, client_for: Any) -> None:
    client = client_for(personas["volunteer"])
    page = client.get(reverse("inspections:volunteer_report"))
    assert page.status_code == 200
    assert {u.pk for u in page.context["form"].fields["unit"].queryset} == {town["b"].pk, town["b1"].pk}
    category = page.context["form"].fields["category"].queryset.get(code="corridor_parking")
    missing = client.post(
        reverse("inspections:volunteer_report"), {"unit": town["b1"].pk, "category": category.pk}
    )
    assert "请上传照片" in missing.content.decode()
    response = client.post(
        reverse("inspections:volunteer_report"),
        {"unit": town["b1"].pk, "category": category.pk, "photos": [photo()], "address": "3号楼"},
    )
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    assert (hazard.status, hazard.source, hazard.reported_by) == (
        "reported",
        "volunteer",
        personas["volunteer"],
    )
    assert Attachment.of(hazard).get().mime == "image/jpeg"
    # the community confirms or dismisses it (its to-do list says so); the volunteer sees only their own
    assert any(t.title == "待确认的隐患" and t.count == 1 for t in todos_for(personas["community"]))
    assert client.get(hazard.get_absolute_url()).status_code == 200


def test_todos_put_overdue_first(town: dict, personas: dict) -> None:
    import datetime

    import time_machine

    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, tzinfo=datetime.UTC), tick=False):
        hazard = services.report_hazard(
            unit=town["a1"], category_code="lift", description="", source="office"
        )
        services.confirm(hazard, personas["inspector"])
        services.order_rectification(hazard, personas["inspector"], responsible_party="物业", days=1)
    with time_machine.travel(datetime.datetime(2026, 11, 10, 9, tzinfo=datetime.UTC), tick=False):
        items = todos_for(personas["property"])
    assert items[0].title == "逾期未整改的隐患" and items[0].count == 1 and items[0].level == "danger"


def test_case_from_hazards_with_penalties_and_documents(
    town: dict, personas: dict, departments: dict, client_for: Any
) -> None:
    hazard = services.report_hazard(
        unit=town["a1"],
        category_code="shop_violation",
        description="销售超标车",
        source="office",
        department=departments["market"],
    )
    client = client_for(personas["department"])
    response = client.post(
        reverse("inspections:enforcementcase_add"),
        {
            "title": "门店销售超标车",
            "unit": town["a"].pk,
            "lead_department": departments["market"].pk,
            "hazards": [hazard.pk],
            "opened_on": "2026-11-20",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    case = EnforcementCase.objects.get()
    assert case.number.startswith("AJ2026-") and list(case.hazards.all()) == [hazard]
    action = lambda what: reverse("inspections:case_action", args=[case.pk, what])  # noqa: E731
    client.post(action("party"), {"kind": "organisation", "name": "某车行"})
    client.post(
        action("penalty"),
        {
            "kind": "fine",
            "amount": "300",
            "rule": _rule("highrise_parking_business"),
            "imposed_on": "2026-11-21",
        },
    )
    assert case.penalties.count() == 0  # below the rule's 2000 minimum: refused
    client.post(
        action("penalty"),
        {
            "kind": "fine",
            "amount": "3000",
            "rule": _rule("highrise_parking_business"),
            "imposed_on": "2026-11-21",
        },
    )
    client.post(
        action("penalty"), {"kind": "police_referral", "imposed_on": "2026-11-21"}
    )  # no station: refused
    client.post(
        action("penalty"),
        {"kind": "police_referral", "police_station": departments["police"].pk, "imposed_on": "2026-11-21"},
    )
    client.post(action("document"), {"file": photo("decision.jpg"), "caption": "处罚决定书"})
    client.post(action("close"), {"note": "执行完毕"})
    case.refresh_from_db()
    assert case.penalties.count() == 2 and case.fines() == 3000 and case.status == "closed"
    assert Attachment.of(case).count() == 1
    assert client.get(case.get_absolute_url()).status_code == 200


def _rule(code: str) -> int:
    from ebsafety.inspections.models import PenaltyRule

    return PenaltyRule.objects.get(code=code).pk


def test_supervision_findings_become_hazards_or_follow_ups(
    town: dict, personas: dict, client_for: Any
) -> None:
    client = client_for(personas["office"])
    response = client.post(
        reverse("inspections:supervisionvisit_add"),
        {"unit": town["a"].pk, "visited_on": "2026-11-20", "visitors": "王主任"},
    )
    assert response.status_code == 302
    visit = SupervisionVisit.objects.get()
    url = reverse("inspections:finding_add", args=[visit.pk])
    client.post(url, {"kind": "hazard", "text": "村口出租屋飞线充电", "category": _category("flying_lead")})
    client.post(url, {"kind": "follow_up", "text": "补齐台账", "due_on": "2026-11-30"})
    hazard = Hazard.objects.get()
    assert (hazard.source, hazard.supervision_visit, hazard.unit) == ("supervision", visit, town["a"])
    follow_up = visit.findings.get(kind="follow_up")
    client.post(reverse("inspections:finding_resolve", args=[follow_up.pk]))
    follow_up.refresh_from_db()
    assert follow_up.resolved_on is not None
    assert client_for(personas["locality"]).post(url, {"kind": "follow_up", "text": "x"}).status_code == 403


def _category(code: str) -> int:
    from ebsafety.inspections.models import HazardCategory

    return HazardCategory.objects.get(code=code).pk


def test_office_edits_the_checklist(personas: dict, client_for: Any) -> None:
    from ebsafety.inspections.models import ChecklistItem

    client = client_for(personas["office"])
    template = ChecklistTemplate.active_for("building")
    item = template.items.first()
    response = client.post(reverse("inspections:checklistitem_delete", args=[item.pk]))
    assert response.status_code == 302 and response["Location"] == template.get_absolute_url()
    assert not ChecklistItem.objects.filter(pk=item.pk).exists()
    assert (
        client_for(personas["locality"])
        .post(reverse("inspections:checklistitem_delete", args=[template.items.first().pk]))
        .status_code
        == 403
    )
