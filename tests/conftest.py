"""Shared fixtures: a small hand-built town and one persona per role (STYLE.md, convention 8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ebsafety.core.choices import DepartmentKind, Role, Sector, UnitKind
from ebsafety.core.models import Department, Membership, Unit, User

PASSWORD = "Test-pass-2026"


@pytest.fixture(autouse=True)
def _media_and_cache(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    # Plain static names: the suite renders pages without needing `collectstatic` first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def town(db: Any) -> dict[str, Unit]:
    """town → (village A → compound A1 → building A1-1), (community B → compound B1), park P."""
    t = Unit.objects.create(code="T", name="测试镇", kind=UnitKind.TOWN)
    a = Unit.objects.create(code="T-A", name="甲村", kind=UnitKind.VILLAGE, parent=t)
    a1 = Unit.objects.create(code="T-A-1", name="甲一小区", kind=UnitKind.COMPOUND, parent=a)
    a11 = Unit.objects.create(code="T-A-1-1", name="甲一小区1号楼", kind=UnitKind.BUILDING, parent=a1)
    b = Unit.objects.create(code="T-B", name="乙社区", kind=UnitKind.COMMUNITY, parent=t)
    b1 = Unit.objects.create(code="T-B-1", name="乙一小区", kind=UnitKind.COMPOUND, parent=b)
    p = Unit.objects.create(code="T-P", name="物流园区", kind=UnitKind.PARK, parent=t)
    return {"town": t, "a": a, "a1": a1, "a11": a11, "b": b, "b1": b1, "p": p}


@pytest.fixture
def departments(town: dict[str, Unit]) -> dict[str, Department]:
    market = Department.objects.create(
        code="MKT", name="市场所", kind=DepartmentKind.ECONOMIC, sectors=[Sector.MARKET], unit=town["town"]
    )
    police = Department.objects.create(
        code="POL",
        name="派出所",
        kind=DepartmentKind.POLICE,
        sectors=[Sector.PUBLIC_SECURITY],
        unit=town["town"],
    )
    police.served_units.set([town["b"]])
    return {"market": market, "police": police}


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(
        username: str,
        role: str | None = None,
        *,
        unit: Unit | None = None,
        department: Department | None = None,
        **extra: Any,
    ) -> User:
        user = User.objects.create_user(username=username, password=PASSWORD, **extra)
        if role:
            Membership.objects.create(user=user, role=role, unit=unit, department=department)
        return user

    return make


@pytest.fixture
def personas(
    town: dict[str, Unit], departments: dict[str, Department], make_user: Callable[..., User]
) -> dict[str, User]:
    return {
        "office": make_user("office", Role.OFFICE, unit=town["town"], is_staff=True),
        "leader": make_user("leader", Role.LEADER, unit=town["town"]),
        "department": make_user("market", Role.DEPARTMENT, department=departments["market"]),
        "police": make_user("police", Role.DEPARTMENT, department=departments["police"]),
        "locality": make_user("village", Role.LOCALITY, unit=town["a"]),
        "community": make_user("community", Role.LOCALITY, unit=town["b"]),
        "property": make_user("property", Role.PROPERTY, unit=town["a1"]),
        "inspector": make_user("inspector", Role.INSPECTOR, unit=town["town"]),
        "volunteer": make_user("volunteer", Role.VOLUNTEER, unit=town["b"]),
        "tips_officer": make_user("tips", Role.TIPS_OFFICER, unit=town["town"]),
        "platform": make_user("platform", Role.PLATFORM, unit=town["town"]),
        "norole": make_user("norole"),
    }


@pytest.fixture
def client_for() -> Callable[[User | None], Client]:
    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


def pytest_generate_tests(metafunc: Any) -> None:
    """Standard model tests run once per persona their class lists."""
    if "persona" in metafunc.fixturenames and hasattr(metafunc.cls, "personas_to_check"):
        metafunc.parametrize("persona", metafunc.cls.personas_to_check)
