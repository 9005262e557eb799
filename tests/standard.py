"""Generated standard tests for every model (STYLE.md, convention 7).

A model's test class inherits `StandardModelTests` and only supplies data: the records to create and, per
persona, which of them that persona must see. The base class then checks, through pages, the API and the
export: anonymous → login page; no role → refused; each scoped persona sees exactly its rows; detail pages
of rows out of scope are 404; list pages keep a bounded number of queries.
"""

from __future__ import annotations

import csv
import io
from typing import Any, ClassVar

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


class StandardModelTests:
    model: ClassVar[type]
    url_prefix: ClassVar[str]  # "core:unit" → core:unit_list, core:unit_detail
    api_list_url: ClassVar[str | None] = None
    export_key_column: ClassVar[str]  # the CSV column that identifies a row (e.g. "编码")
    key_field: ClassVar[str] = "pk"  # the model field that column holds
    personas_to_check: ClassVar[tuple[str, ...]] = ("office", "locality")
    max_list_queries: ClassVar[int] = 25

    # -- supplied by the subclass -------------------------------------------------------------------
    def make_objects(self, town: dict, departments: dict, personas: dict) -> None:
        """Create the records the checks run on (beyond the fixtures)."""

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        """The keys the persona must see in the list (None: the persona's role may not view the model)."""
        raise NotImplementedError

    # -- generated checks -----------------------------------------------------------------------------
    @pytest.fixture
    def world(self, town: dict, departments: dict, personas: dict) -> dict[str, Any]:
        self.make_objects(town, departments, personas)
        return {"town": town, "departments": departments, "personas": personas}

    def all_keys(self) -> set[Any]:
        return set(self.model._default_manager.values_list(self.key_field, flat=True))

    def keys_of(self, objects: Any) -> set[Any]:
        return {getattr(o, self.key_field) for o in objects}

    def test_anonymous_goes_to_login(self, world: dict, client: Any) -> None:
        response = client.get(reverse(f"{self.url_prefix}_list"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        if self.api_list_url:
            assert client.get(self.api_list_url).status_code in (401, 403)

    def test_no_role_is_refused(self, world: dict, client_for: Any) -> None:
        client = client_for(world["personas"]["norole"])
        assert client.get(reverse(f"{self.url_prefix}_list")).status_code == 403
        if self.api_list_url:
            assert client.get(self.api_list_url).status_code == 403
        some = self.model._default_manager.first()
        if some is not None:
            assert client.get(reverse(f"{self.url_prefix}_detail", args=[some.pk])).status_code in (403, 404)

    def test_persona_sees_exactly_its_rows(self, world: dict, client_for: Any, persona: str) -> None:
        # `persona` is parametrized from personas_to_check by tests/conftest.py:pytest_generate_tests
        name = persona
        user = world["personas"][name]
        expected = self.expected_keys(name, world["town"], world["departments"], world["personas"])
        client = client_for(user)
        response = client.get(reverse(f"{self.url_prefix}_list"), {"per_page": 1000})
        if expected is None:
            assert response.status_code == 403
            return
        assert response.status_code == 200
        listed = self.keys_of(response.context["table"].data.data)
        assert listed == expected, f"{name} list"

        # detail: in scope → 200; out of scope → 404
        model_manager = self.model._default_manager
        for obj in model_manager.all():
            detail = client.get(reverse(f"{self.url_prefix}_detail", args=[obj.pk]))
            want = 200 if getattr(obj, self.key_field) in expected else 404
            assert detail.status_code == want, f"{name} detail of {obj}"

        # export: the same rows
        export = client.get(reverse(f"{self.url_prefix}_list"), {"export": "csv"})
        assert export.status_code == 200
        rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
        exported = {r[self.export_key_column] for r in rows}
        assert exported == {str(k) for k in expected}, f"{name} export"

        # API: the same rows
        if self.api_list_url:
            api = client.get(self.api_list_url, {"limit": 1000})
            assert api.status_code == 200
            api_keys = {item[self.api_key] for item in api.json()["results"]}
            assert api_keys == set(expected), f"{name} api"

    api_key: ClassVar[str] = "id"

    def test_list_query_count_is_bounded(self, world: dict, client_for: Any) -> None:
        client = client_for(world["personas"]["office"])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(f"{self.url_prefix}_list"))
        assert response.status_code == 200
        assert len(queries) <= self.max_list_queries, [q["sql"] for q in queries.captured_queries]
