"""`ebsafety demo`: a realistic town, the same for the same seed."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ebsafety.core.choices import Role, UnitKind
from ebsafety.core.demo import DEMO_PASSWORD, build_demo
from ebsafety.core.models import Campaign, Department, Membership, Unit, User


def town_fingerprint() -> list[tuple]:
    units = list(
        Unit.objects.order_by("code").values_list(
            "code", "name", "kind", "parent__code", "households", "population", "is_fringe"
        )
    )
    departments = list(Department.objects.order_by("code").values_list("code", "name", "sectors"))
    users = list(User.objects.order_by("username").values_list("username", "display_name", "phone"))
    return [*units, *departments, *users]


def wipe() -> None:
    Membership.objects.all().delete()
    User.objects.all().delete()
    Campaign.objects.all().delete()
    Department.objects.all().delete()
    for unit in Unit.objects.order_by("-depth"):
        unit.delete()


def test_same_seed_gives_the_same_town(db: Any) -> None:
    build_demo(seed=7)
    first = town_fingerprint()
    wipe()
    build_demo(seed=7)
    assert town_fingerprint() == first
    wipe()
    build_demo(seed=8)
    assert town_fingerprint() != first


def test_demo_town_shape(db: Any) -> None:
    result = build_demo(seed=2026)
    town = Unit.objects.get(kind=UnitKind.TOWN)
    localities = Unit.objects.filter(parent=town, kind__in=[UnitKind.VILLAGE, UnitKind.COMMUNITY]).count()
    assert 18 <= localities <= 22
    assert Unit.objects.filter(parent=town, kind=UnitKind.PARK).count() == 2
    assert 55 <= Unit.objects.filter(kind=UnitKind.COMPOUND).count() <= 65
    assert Unit.objects.filter(kind=UnitKind.BUILDING).count() > 100
    assert Department.objects.count() == 13
    assert {role for _, role, _ in result.users} == {Role(r).label for r in Role.values}
    assert Campaign.objects.get().status == "active"
    assert User.objects.get(username="village").check_password(DEMO_PASSWORD)


def test_district_scale_has_about_600_units(db: Any) -> None:
    build_demo(seed=1, scale="district")
    assert 550 <= Unit.objects.count() <= 650
    assert Unit.objects.filter(kind=UnitKind.TOWN).count() == 7
    assert Campaign.objects.filter(status="active").count() == 7


def test_demo_command_refuses_a_database_with_data(db: Any) -> None:
    call_command("demo", "--seed", "3", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("demo", stdout=StringIO())
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "跳过" in out.getvalue()


def test_demo_accounts_see_their_scope(db: Any) -> None:
    build_demo(seed=2026)
    out = StringIO()
    call_command("units", "list", "--json", "--user", "village", stdout=out)
    codes = [u["code"] for u in json.loads(out.getvalue())]
    village = User.objects.get(username="village").memberships.get().unit
    assert codes[0] == village.code and all(c.startswith(village.code) for c in codes)
