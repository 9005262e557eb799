"""Editing and removing an enforcement case's parties and penalties, on the pages and through the API:
scoped like their case (out of scope 404, a role without the action 403), audited, and refused with the
reason — nothing changed — once the case is closed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from ebsafety.core.models import ChangeRecord
from ebsafety.inspections import services
from ebsafety.inspections.choices import CaseStatus
from ebsafety.inspections.models import CaseEvent, CaseParty, CasePenalty, EnforcementCase, PenaltyRule


@pytest.fixture
def cases(town: dict, departments: dict) -> dict[str, Any]:
    """A market-led case in 甲一小区 with a party and a fine; a police-led case in 乙一小区 with a party."""
    case = services.open_case(title="拒不改正", unit=town["a1"], lead_department=departments["market"])
    party = services.add_party(case, kind="organisation", name="某车行")
    fine = services.impose_penalty(
        case,
        party=party,
        rule=PenaltyRule.objects.get(code="highrise_parking_business"),
        kind="fine",
        amount=Decimal("3000"),
        imposed_on="2026-11-21",
    )
    case_b = services.open_case(title="乙一小区", unit=town["b1"], lead_department=departments["police"])
    party_b = services.add_party(case_b, kind="person", name="张某")
    return {"case": case, "party": party, "fine": fine, "case_b": case_b, "party_b": party_b}


def records(obj: Any) -> list[ChangeRecord]:
    content_type = ContentType.objects.get_for_model(type(obj))
    return list(
        ChangeRecord.objects.filter(content_type=content_type, object_id=str(obj.pk)).order_by("time", "id")
    )


def fine_form(fine: CasePenalty, **changes: Any) -> dict[str, Any]:
    data = {
        "party": fine.party_id,
        "rule": fine.rule_id,
        "kind": fine.kind,
        "amount": str(fine.amount),
        "police_station": "",
        "imposed_on": fine.imposed_on,
        "note": fine.note,
    }
    return {**data, **changes}


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- pages ------------------------------------------------------------------------------------------------


def test_department_corrects_and_removes_a_party_audited(
    cases: dict, personas: dict, client_for: Any
) -> None:
    client = client_for(personas["department"])
    party = cases["party"]
    url = reverse("inspections:caseparty_edit", args=[party.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"kind": "organisation", "name": "某某车行", "identifier": "91110000MA0000000X"}
    )
    assert response.status_code == 302 and response["Location"] == cases["case"].get_absolute_url()
    party.refresh_from_db()
    assert party.name == "某某车行" and party.case_id == cases["case"].pk
    update = records(party)[-1]
    assert update.action == "update" and update.actor == personas["department"] and update.source == "web"
    assert update.changed_fields == ["identifier", "name"] and update.before["name"] == "某车行"

    delete_url = reverse("inspections:caseparty_delete", args=[party.pk])
    assert client.get(delete_url).status_code == 200
    assert client.post(delete_url).status_code == 302
    assert not CaseParty.objects.filter(pk=party.pk).exists()
    assert records(party)[-1].action == "delete" and records(party)[-1].actor == personas["department"]
    cases["fine"].refresh_from_db()
    assert cases["fine"].party is None  # the penalty stays, no longer naming the removed party


def test_penalty_edit_keeps_the_rules_range_and_only_the_office_withdraws(
    cases: dict, personas: dict, client_for: Any
) -> None:
    fine, case = cases["fine"], cases["case"]
    department = client_for(personas["department"])
    url = reverse("inspections:casepenalty_edit", args=[fine.pk])
    below = department.post(url, fine_form(fine, amount="500"))
    assert below.status_code == 200 and "下限" in str(below.context["form"].errors)
    fine.refresh_from_db()
    assert fine.amount == Decimal("3000.00")
    assert department.post(url, fine_form(fine, amount="4000")).status_code == 302
    fine.refresh_from_db()
    change = records(fine)[-1]
    assert fine.amount == Decimal("4000.00") and change.changed_fields == ["amount"]
    assert Decimal(change.after["amount"]) == 4000 and change.actor == personas["department"]
    # a party of another case is not offered, and the model refuses it
    other = department.post(url, fine_form(fine, party=cases["party_b"].pk))
    assert other.status_code == 200 and "party" in other.context["form"].errors

    delete_url = reverse("inspections:casepenalty_delete", args=[fine.pk])
    assert department.get(delete_url).status_code == 403  # a department may not withdraw a penalty
    assert department.post(delete_url).status_code == 403
    office = client_for(personas["office"])
    assert office.post(delete_url).status_code == 302
    assert not CasePenalty.objects.filter(pk=fine.pk).exists() and records(fine)[-1].action == "delete"
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN  # its last penalty withdrawn: the case is open again
    assert CaseEvent.objects.filter(case=case, name="withdraw", to_status=CaseStatus.OPEN).count() == 1


def test_a_closed_cases_parts_are_refused_and_nothing_changes(
    cases: dict, personas: dict, client_for: Any
) -> None:
    fine, party, case = cases["fine"], cases["party"], cases["case"]
    services.close_case(case, personas["office"], note="执行完毕")
    before = ChangeRecord.objects.count()
    office = client_for(personas["office"])
    urls = {
        "penalty_edit": reverse("inspections:casepenalty_edit", args=[fine.pk]),
        "penalty_delete": reverse("inspections:casepenalty_delete", args=[fine.pk]),
        "party_edit": reverse("inspections:caseparty_edit", args=[party.pk]),
        "party_delete": reverse("inspections:caseparty_delete", args=[party.pk]),
    }
    for name, url in urls.items():
        shown = office.get(url)
        assert shown.status_code == 302 and shown["Location"] == case.get_absolute_url(), name
        assert any("已结案" in m for m in messages_of(shown)), name
        posted = office.post(
            url, fine_form(fine, amount="9000") if name == "penalty_edit" else {"kind": "person", "name": "x"}
        )
        assert posted.status_code == 302 and any("已结案" in m for m in messages_of(posted)), name
    fine.refresh_from_db()
    party.refresh_from_db()
    assert fine.amount == Decimal("3000.00") and party.name == "某车行"
    assert CasePenalty.objects.filter(pk=fine.pk).exists() and CaseParty.objects.filter(pk=party.pk).exists()
    assert ChangeRecord.objects.count() == before
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    # the same rule holds in the services, whoever calls them
    with pytest.raises(services.TransitionRefused, match="已结案"):
        services.withdraw_penalty(fine)
    with pytest.raises(services.TransitionRefused, match="已结案"):
        services.add_party(case, kind="person", name="李某")
    page = office.get(case.get_absolute_url())
    assert reverse("inspections:casepenalty_edit", args=[fine.pk]) not in page.content.decode()


def test_part_pages_are_scoped_like_the_case(
    cases: dict, personas: dict, departments: dict, client_for: Any
) -> None:
    party, fine = cases["party"], cases["fine"]
    edit_party = reverse("inspections:caseparty_edit", args=[party.pk])
    edit_fine = reverse("inspections:casepenalty_edit", args=[fine.pk])
    # police neither leads nor joins the market's case in 甲一小区: out of scope
    police = client_for(personas["police"])
    assert police.get(edit_party).status_code == 404 and police.get(edit_fine).status_code == 404
    assert police.post(reverse("inspections:caseparty_delete", args=[party.pk])).status_code == 404
    # …until it joins the case
    cases["case"].departments.add(departments["police"])
    assert police.get(edit_party).status_code == 200 and police.get(edit_fine).status_code == 200
    # roles that only read cases, or have no role: 403
    for name in ("leader", "locality", "norole"):
        assert client_for(personas[name]).get(edit_party).status_code == 403, name
        assert client_for(personas[name]).post(edit_fine, fine_form(fine)).status_code == 403, name
    assert client_for(None).get(edit_party).status_code == 302  # to the login page
    party.refresh_from_db()
    assert party.name == "某车行"


def test_parts_reach_a_department_only_through_its_cases(cases: dict, personas: dict) -> None:
    """The market department serves the whole town, yet sees only the parts of the cases it leads or joins
    (before, the unit rule let it reach every party in the town)."""
    market, police = personas["department"], personas["police"]
    assert set(CaseParty.objects.visible_to(market)) == {cases["party"]}
    assert set(CaseParty.objects.visible_to(police)) == {cases["party_b"]}
    assert set(CasePenalty.objects.visible_to(market, "change")) == {cases["fine"]}
    assert not CasePenalty.objects.visible_to(police).exists()
    assert set(CaseParty.objects.visible_to(personas["office"])) == {cases["party"], cases["party_b"]}
    assert set(CaseParty.objects.visible_to(personas["locality"])) == {cases["party"]}


def test_case_page_links_to_the_part_pages(cases: dict, personas: dict, client_for: Any) -> None:
    case, party, fine = cases["case"], cases["party"], cases["fine"]
    links = {
        name: reverse(f"inspections:{name}", args=[pk])
        for name, pk in (
            ("caseparty_edit", party.pk),
            ("caseparty_delete", party.pk),
            ("casepenalty_edit", fine.pk),
            ("casepenalty_delete", fine.pk),
        )
    }
    department = client_for(personas["department"]).get(case.get_absolute_url()).content.decode()
    assert {n for n, url in links.items() if url in department} == {
        "caseparty_edit",
        "caseparty_delete",
        "casepenalty_edit",
    }
    office = client_for(personas["office"]).get(case.get_absolute_url()).content.decode()
    assert all(url in office for url in links.values())
    leader = client_for(personas["leader"]).get(case.get_absolute_url()).content.decode()
    assert not any(url in leader for url in links.values())


def test_adding_a_party_on_the_page_goes_through_the_service(
    cases: dict, personas: dict, client_for: Any
) -> None:
    case = cases["case"]
    client = client_for(personas["department"])
    url = reverse("inspections:case_action", args=[case.pk, "party"])
    client.post(url, {"kind": "person", "name": "王某"})
    added = case.parties.get(name="王某")
    assert records(added)[0].action == "create" and records(added)[0].actor == personas["department"]
    services.close_case(case)
    response = client.post(url, {"kind": "person", "name": "赵某"})
    assert not case.parties.filter(name="赵某").exists()
    assert any("已结案" in m for m in messages_of(response))


# -- API ------------------------------------------------------------------------------------------------


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_parties_through_the_api(cases: dict, personas: dict) -> None:
    market = api(personas["department"])
    case = cases["case"]
    listed = market.get("/api/v1/case-parties/")
    assert listed.status_code == 200 and [p["id"] for p in listed.json()["results"]] == [cases["party"].pk]
    everything = api(personas["office"]).get("/api/v1/case-parties/", {"case": cases["case_b"].pk})
    assert [p["id"] for p in everything.json()["results"]] == [cases["party_b"].pk]
    created = market.post(
        "/api/v1/case-parties/", {"case": case.pk, "kind": "person", "name": "王某"}, format="json"
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    party = CaseParty.objects.get(pk=pk)
    assert records(party)[0].source == "api" and records(party)[0].actor == personas["department"]
    patched = market.patch(f"/api/v1/case-parties/{pk}/", {"name": "王某某"}, format="json")
    assert patched.status_code == 200 and patched.json()["name"] == "王某某"
    moved = market.patch(f"/api/v1/case-parties/{pk}/", {"case": cases["case_b"].pk}, format="json")
    assert moved.status_code == 400
    assert CaseParty.objects.get(pk=pk).case_id == case.pk
    # out of scope: 404; a role that only reads: 403
    police = api(personas["police"])
    assert police.get(f"/api/v1/case-parties/{pk}/").status_code == 404
    assert police.delete(f"/api/v1/case-parties/{pk}/").status_code == 404
    assert (
        police.post(
            "/api/v1/case-parties/", {"case": case.pk, "kind": "person", "name": "x"}, format="json"
        ).status_code
        == 400
    )
    assert api(personas["leader"]).patch(f"/api/v1/case-parties/{pk}/", {"name": "y"}).status_code == 403
    assert market.delete(f"/api/v1/case-parties/{pk}/").status_code == 204
    assert not CaseParty.objects.filter(pk=pk).exists() and records(party)[-1].action == "delete"


def test_penalties_through_the_api_and_the_closed_case(
    cases: dict, personas: dict, departments: dict
) -> None:
    market, office = api(personas["department"]), api(personas["office"])
    case, fine = cases["case"], cases["fine"]
    url = f"/api/v1/case-penalties/{fine.pk}/"
    got = market.get(url)
    assert got.status_code == 200 and got.json()["rule"] == "highrise_parking_business"
    assert got.json()["amount"] == "3000.00" and got.json()["party"] == cases["party"].pk
    assert market.patch(url, {"amount": "100"}, format="json").status_code == 400  # below the rule's range
    assert market.patch(url, {"amount": "2500"}, format="json").json()["amount"] == "2500.00"
    change = records(fine)[-1]
    assert change.source == "api" and Decimal(change.after["amount"]) == 2500
    referral = market.post(
        "/api/v1/case-penalties/",
        {"case": case.pk, "kind": "police_referral", "police_station": "POL", "imposed_on": "2026-11-22"},
        format="json",
    )
    assert referral.status_code == 201, referral.json()
    assert market.delete(url).status_code == 403
    assert api(personas["police"]).get(url).status_code == 404

    services.close_case(case, personas["office"])
    before = ChangeRecord.objects.count()
    refused = office.patch(url, {"amount": "5000"}, format="json")
    assert refused.status_code == 409 and "已结案" in refused.json()["detail"]
    assert office.delete(url).status_code == 409
    assert office.delete(f"/api/v1/case-parties/{cases['party'].pk}/").status_code == 409
    more = office.post(
        "/api/v1/case-penalties/",
        {"case": case.pk, "kind": "warning", "imposed_on": "2026-11-23"},
        format="json",
    )
    assert more.status_code == 409
    assert ChangeRecord.objects.count() == before
    fine.refresh_from_db()
    assert fine.amount == Decimal("2500.00") and case.penalties.count() == 2


def test_withdrawing_through_the_api_reopens_a_decided_case(cases: dict, personas: dict) -> None:
    case = cases["case"]
    assert EnforcementCase.objects.get(pk=case.pk).status == CaseStatus.DECIDED
    assert api(personas["office"]).delete(f"/api/v1/case-penalties/{cases['fine'].pk}/").status_code == 204
    assert EnforcementCase.objects.get(pk=case.pk).status == CaseStatus.OPEN


def test_the_schema_describes_the_part_endpoints(personas: dict) -> None:
    schema = api(personas["office"]).get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert set(paths["/api/v1/case-parties/"]) >= {"get", "post"}
    assert set(paths["/api/v1/case-penalties/{id}/"]) >= {"get", "put", "patch", "delete"}


def test_the_case_list_api_takes_fines_from_the_prefetched_penalties(cases: dict, personas: dict) -> None:
    for index in range(5):
        case = services.open_case(
            title=f"案件{index}", unit=cases["case"].unit, lead_department=cases["case"].lead_department
        )
        services.impose_penalty(case, kind="fine", amount=Decimal(100 + index), imposed_on="2026-11-21")
    with CaptureQueriesContext(connection) as queries:
        listed = api(personas["office"]).get("/api/v1/cases/", {"limit": 100})
    assert listed.status_code == 200 and len(listed.json()["results"]) == 7
    assert len(queries) <= 12, [q["sql"][:120] for q in queries.captured_queries]
    fines = {c["id"]: c["fines"] for c in listed.json()["results"]}
    assert fines[cases["case"].pk] == "3000.00" and fines[cases["case_b"].pk] == "0.00"
    assert all(fines[c.pk] == f"{c.fines():.2f}" for c in EnforcementCase.objects.all())
