"""The API: hazards created through report_hazard and moved through transition endpoints (refusals are 409
with the reason), scoped like the pages; inspections, cases and visits."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from ebsafety.inspections.choices import HazardStatus
from ebsafety.inspections.models import Hazard, Inspection
from tests.inspections.conftest import photo


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_hazard_lifecycle_through_the_api(town: dict, personas: dict) -> None:
    inspector, prop = api(personas["inspector"]), api(personas["property"])
    created = inspector.post(
        "/api/v1/hazards/",
        {"unit": "T-A-1", "category": "lift", "description": "电梯内有车", "status": "closed"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "reported" and created.json()["source"] == "office"
    url = f"/api/v1/hazards/{pk}"
    refused = prop.post(f"{url}/order/", {"responsible_party": "物业"}, format="json")
    assert refused.status_code == 409 and "不能责令整改" in refused.json()["detail"]
    assert inspector.post(f"{url}/confirm/", {}, format="json").status_code == 200
    ordered = inspector.post(f"{url}/order/", {"responsible_party": "甲一物业", "days": 2}, format="json")
    assert ordered.json()["status"] == "ordered" and ordered.json()["deadline"]
    assert prop.post(f"{url}/rectify/", {"note": "已清理"}, format="multipart").status_code == 409
    done = prop.post(f"{url}/rectify/", {"note": "已清理", "evidence": photo()}, format="multipart")
    assert done.status_code == 200 and done.json()["status"] == "rectified"
    assert [t["name"] for t in done.json()["transitions"]] == ["report", "confirm", "order", "rectify"]
    # PATCH may correct the description, never the status
    patched = inspector.patch(
        f"{url}/", {"description": "电梯轿厢内有电动车", "status": "closed"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["status"] == "rectified"
    # out of scope: 404, not a refusal
    assert api(personas["community"]).post(f"{url}/reinspect_pass/", {}, format="json").status_code == 404
    assert (
        api(personas["inspector"]).post(f"{url}/reinspect_pass/", {}, format="json").json()["status"]
        == "reinspected"
    )
    assert Hazard.objects.get(pk=pk).status == HazardStatus.REINSPECTED


def test_volunteer_cannot_move_hazards_and_leader_cannot_write(town: dict, personas: dict) -> None:
    created = api(personas["volunteer"]).post(
        "/api/v1/hazards/", {"unit": "T-B-1", "category": "lift"}, format="json"
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    assert (
        api(personas["volunteer"]).post(f"/api/v1/hazards/{pk}/confirm/", {}, format="json").status_code
        == 409
    )
    assert (
        api(personas["leader"])
        .post("/api/v1/hazards/", {"unit": "T-B-1", "category": "lift"}, format="json")
        .status_code
        == 403
    )
    assert (
        api(personas["volunteer"])
        .post("/api/v1/hazards/", {"unit": "T-A-1", "category": "lift"}, format="json")
        .status_code
        == 400
    )


def test_inspection_case_and_visit_endpoints(town: dict, personas: dict, departments: dict) -> None:
    made = api(personas["inspector"]).post(
        "/api/v1/inspections/",
        {"unit": "T-A-1", "target_kind": "compound", "inspected_on": "2026-11-20", "departments": ["POL"]},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert Inspection.objects.get().target_key == f"unit:{town['a1'].pk}"
    bad = api(personas["inspector"]).post(
        "/api/v1/inspections/", {"unit": "T-A", "target_kind": "address"}, format="json"
    )
    assert bad.status_code == 400 and "address" in bad.json()
    case = api(personas["department"]).post(
        "/api/v1/cases/", {"title": "拒不改正", "unit": "T-A", "lead_department": "MKT"}, format="json"
    )
    assert case.status_code == 201 and case.json()["number"].startswith("AJ")
    assert (
        api(personas["locality"])
        .post("/api/v1/cases/", {"title": "x", "unit": "T-A", "lead_department": "MKT"}, format="json")
        .status_code
        == 403
    )
    visit = api(personas["office"]).post(
        "/api/v1/supervision-visits/", {"unit": "T-A", "visited_on": "2026-11-20"}, format="json"
    )
    assert visit.status_code == 201
    assert api(personas["locality"]).get("/api/v1/supervision-visits/").json()["count"] == 1
    assert api(personas["community"]).get("/api/v1/supervision-visits/").json()["count"] == 0
