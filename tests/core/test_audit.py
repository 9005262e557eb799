"""Every create/update/delete writes a change record, through pages, the API, the CLI and a background job."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from ebsafety.core.choices import ChangeAction, ChangeSource
from ebsafety.core.jobs import execute, job_handler, start_job
from ebsafety.core.models import ChangeRecord, Unit


def records_for(obj: Any) -> Any:
    return ChangeRecord.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)


def test_page_edit_writes_record_with_before_and_after(personas: dict, town: dict, client_for: Any) -> None:
    client = client_for(personas["office"])
    village = town["a"]
    response = client.post(
        reverse("core:unit_edit", args=[village.pk]),
        {
            "code": village.code,
            "name": "甲村（新）",
            "kind": "village",
            "parent": town["town"].pk,
            "households": 321,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = records_for(village).get(action=ChangeAction.UPDATE)
    assert record.source == ChangeSource.WEB
    assert record.actor == personas["office"]
    assert record.before == {"households": None, "name": "甲村"}
    assert record.after == {"households": 321, "name": "甲村（新）"}
    assert record.unit_path == village.path
    assert len(record.request_id) == 32
    # the history tab shows it
    history = client.get(reverse("core:unit_history", args=[village.pk]))
    assert "甲村（新）" in history.content.decode()


def test_page_create_and_delete_write_records(personas: dict, town: dict, client_for: Any) -> None:
    client = client_for(personas["office"])
    response = client.post(
        reverse("core:unit_add"),
        {"code": "T-A-2", "name": "甲二小区", "kind": "compound", "parent": town["a"].pk},
    )
    assert response.status_code == 302
    unit = Unit.objects.get(code="T-A-2")
    assert unit.path == "/T/T-A/T-A-2/"
    created = records_for(unit).get(action=ChangeAction.CREATE)
    assert created.after["name"] == "甲二小区" and created.before is None
    assert client.post(reverse("core:unit_delete", args=[unit.pk])).status_code == 302
    deleted = records_for(unit).get(action=ChangeAction.DELETE)
    assert deleted.before["code"] == "T-A-2" and deleted.actor == personas["office"]


def test_unchanged_save_writes_nothing(town: dict) -> None:
    unit = Unit.objects.get(pk=town["a"].pk)
    before = ChangeRecord.objects.count()
    unit.save()
    assert ChangeRecord.objects.count() == before


def test_api_change_writes_record_with_api_source(personas: dict, town: dict, client_for: Any) -> None:
    client = client_for(personas["office"])
    response = client.patch(
        f"/api/v1/units/{town['b'].pk}/", {"households": 999}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    record = records_for(town["b"]).get(action=ChangeAction.UPDATE)
    assert record.source == ChangeSource.API
    assert record.actor == personas["office"]
    assert record.after == {"households": 999}


def test_api_token_change_names_the_token_owner(personas: dict, town: dict) -> None:
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=personas["office"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.patch(f"/api/v1/units/{town['p'].pk}/", {"population": 50}, format="json")
    assert response.status_code == 200
    record = records_for(town["p"]).get(action=ChangeAction.UPDATE)
    assert record.actor == personas["office"] and record.source == ChangeSource.API


def test_cli_change_writes_record_with_cli_source(personas: dict, town: dict, tmp_path: Any) -> None:
    path = tmp_path / "units.csv"
    path.write_text("编码,名称,类型,上级编码\nT-B,乙社区（改名）,社区,T\n", encoding="utf-8")
    call_command("units", "import", str(path), "--user", "office")
    record = records_for(town["b"]).get(action=ChangeAction.UPDATE)
    assert record.source == ChangeSource.CLI
    assert record.actor == personas["office"]
    assert record.after == {"name": "乙社区（改名）"}


def test_cli_without_user_is_recorded_as_cli(town: dict, tmp_path: Any) -> None:
    path = tmp_path / "units.csv"
    path.write_text("编码,名称,类型,上级编码\nT-X,新村,村,T\n", encoding="utf-8")
    call_command("units", "import", str(path))
    record = ChangeRecord.objects.get(object_repr="新村")
    assert record.source == ChangeSource.CLI and record.actor is None
    assert record.actor_label.startswith("cli")


@job_handler
def rename_park(job: Any, progress: Any) -> dict:
    unit = Unit.objects.get(code=job.params["code"])
    unit.name = job.params["name"]
    unit.save()
    progress(1, 1, "done")
    return {"renamed": 1}


def test_background_job_change_writes_record_with_task_source(personas: dict, town: dict) -> None:
    job = start_job(rename_park, "rename", personas["office"], {"code": "T-P", "name": "物流园（新）"})
    job = execute(job)
    assert job.status == "succeeded", job.error
    record = records_for(town["p"]).get(action=ChangeAction.UPDATE)
    assert record.source == ChangeSource.TASK
    assert record.actor == personas["office"]
    assert record.request_id == f"job:{job.pk}"


def test_m2m_change_is_recorded(personas: dict, departments: dict, town: dict) -> None:
    police = departments["police"]
    police.served_units.set([town["a"], town["b"]])
    records = records_for(police).filter(changed_fields=["served_units"])
    assert records.exists()
    assert records.order_by("id").last().after == {"served_units": sorted([town["a"].pk, town["b"].pk])}


def test_password_never_in_change_records(personas: dict) -> None:
    user = personas["locality"]
    user.set_password("Another-pass-2027")
    user.save()
    for record in records_for(user):
        assert "password" not in (record.before or {}) and "password" not in (record.after or {})


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "office"}, 1),
        ({"unit": "T-B"}, 1),
        ({"unit": "T-A"}, 0),
        ({"action": "update"}, 1),
    ],
)
def test_audit_search_filters(
    personas: dict, town: dict, client_for: Any, params: dict, expected: int
) -> None:
    client = client_for(personas["office"])
    client.patch(f"/api/v1/units/{town['b'].pk}/", {"households": 5}, content_type="application/json")
    base = {"content_type": "", "date_from": "", "date_to": ""}
    response = client.get(reverse("core:changerecord_list"), {**base, **params, "source": "api"})
    assert response.status_code == 200
    assert len(response.context["table"].data) == expected


def test_audit_search_is_office_only(personas: dict, client_for: Any) -> None:
    for persona in ("leader", "locality", "department"):
        assert client_for(personas[persona]).get(reverse("core:changerecord_list")).status_code == 403
