"""The API base: authentication, scoping on writes, the OpenAPI schema and its offline docs."""

from __future__ import annotations

import re
from typing import Any

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ebsafety.core.models import Unit


def token_client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_token_authentication_and_scope(personas: dict) -> None:
    response = token_client(personas["locality"]).get("/api/v1/units/")
    assert response.status_code == 200
    assert {u["code"] for u in response.json()["results"]} == {"T-A", "T-A-1", "T-A-1-1"}


def test_out_of_scope_object_is_404(personas: dict, town: dict) -> None:
    client = token_client(personas["locality"])
    assert client.get(f"/api/v1/units/{town['b'].pk}/").status_code == 404
    assert client.get(f"/api/v1/units/{town['a1'].pk}/").status_code == 200


def test_read_only_roles_cannot_write(personas: dict, town: dict) -> None:
    for persona in ("leader", "locality", "inspector"):
        client = token_client(personas[persona])
        response = client.post(
            "/api/v1/units/", {"code": "N", "name": "新", "kind": "village", "parent": "T"}
        )
        assert response.status_code == 403
        assert client.patch(f"/api/v1/units/{town['a'].pk}/", {"name": "改"}).status_code == 403
    assert not Unit.objects.filter(code="N").exists()


def test_office_creates_unit_with_model_validation(personas: dict) -> None:
    client = token_client(personas["office"])
    bad = client.post("/api/v1/units/", {"code": "bad code!", "name": "新", "kind": "village", "parent": "T"})
    assert bad.status_code == 400 and "code" in bad.json()
    good = client.post("/api/v1/units/", {"code": "T-N", "name": "新村", "kind": "village", "parent": "T"})
    assert good.status_code == 201, good.json()
    assert good.json()["path"] == "/T/T-N/"


def test_api_refuses_a_cycle(personas: dict, town: dict) -> None:
    client = token_client(personas["office"])
    response = client.patch(f"/api/v1/units/{town['a'].pk}/", {"parent": "T-A-1"}, format="json")
    assert response.status_code == 400
    town["a"].refresh_from_db()
    assert town["a"].parent == town["town"]


def test_memberships_api_for_the_office(personas: dict, town: dict) -> None:
    client = token_client(personas["office"])
    response = client.post(
        "/api/v1/memberships/", {"user": "norole", "role": "property", "unit": "T-B-1"}, format="json"
    )
    assert response.status_code == 201, response.json()
    refused = client.post(
        "/api/v1/memberships/", {"user": "norole", "role": "department", "unit": "T-B"}, format="json"
    )
    assert refused.status_code == 400


def test_schema_and_docs_are_served_locally(personas: dict) -> None:
    client = token_client(personas["office"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/units/",
        "/api/v1/departments/",
        "/api/v1/users/",
        "/api/v1/memberships/",
        "/api/v1/jobs/",
    ):
        assert path in paths
    client.force_authenticate(personas["office"])
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    # every script and style from this server (not "cdn" anywhere: the page's random CSRF token may hold it)
    assert re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", docs) == []
    assert "cdn.jsdelivr" not in docs and "unpkg.com" not in docs


def test_schema_needs_authentication() -> None:
    assert APIClient().get("/api/schema/").status_code in (401, 403)
