"""The `scope_q_for_membership` hook of core scoping, as the ledgers use it for platform accounts and for the
people behind sector records."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from ebsafety.core.choices import Role
from ebsafety.core.scoping import NOTHING, membership_q
from ebsafety.ledgers.models import EBike, Person, Shop, Station
from tests.ledgers.conftest import act_for_platform


def test_hook_returning_none_falls_back_to_the_tree(ledgers: dict, personas: dict, town: dict) -> None:
    membership = personas["locality"].active_memberships()[0]
    assert Station.scope_q_for_membership(membership) is None
    assert membership_q(Station, membership) == Q(unit__path__startswith=town["a"].path)


def test_platform_account_reaches_only_its_platform(ledgers: dict, personas: dict) -> None:
    user = personas["platform"]
    assert set(Station.objects.visible_to(user)) == {ledgers["s1"], ledgers["s3"]}
    assert set(EBike.objects.visible_to(user)) == {ledgers["bike_p"]}
    assert not Shop.objects.visible_to(user).exists()
    # switching the link switches the platform
    act_for_platform(user, ledgers["p2"])
    assert set(Station.objects.visible_to(user)) == {ledgers["s2"]}
    # a platform account never writes through the ordinary actions: its role only reads
    assert not Station.objects.visible_to(user, "change").exists()


def test_platform_membership_without_link_reaches_nothing(ledgers: dict, personas: dict) -> None:
    from ebsafety.ledgers.models import PlatformAccount

    PlatformAccount.objects.filter(membership__user=personas["platform"]).delete()
    personas["platform"].clear_scope_cache()
    membership: Any = personas["platform"].active_memberships()[0]
    assert membership_q(Station, membership) == NOTHING
    assert membership.role == Role.PLATFORM


def test_department_sees_only_the_people_behind_its_sector_records(ledgers: dict, personas: dict) -> None:
    assert set(Person.objects.visible_to(personas["department"])) == {ledgers["sale_a"].buyer}
    # locality keeps the tree rule
    assert ledgers["bike_a"].owner in Person.objects.visible_to(personas["locality"])


def test_may_reach_agrees_with_what_restrict_gives(ledgers: dict, personas: dict) -> None:
    """`may_reach` (no query) is true exactly when some membership could give rows; checked against the
    querysets on the ledgers' fixtures, where every reachable ledger holds rows."""
    from ebsafety.core.scoping import may_reach
    from ebsafety.ledgers.exporting import MODELS

    market = personas["department"]
    assert may_reach(market, Shop) and not may_reach(market, EBike)
    assert may_reach(personas["office"], EBike) and not may_reach(personas["norole"], EBike)
    for persona in ("office", "department", "locality", "platform", "norole"):
        user = personas[persona]
        for model in MODELS.values():
            if not may_reach(user, model):
                assert not model.objects.visible_to(user).exists(), (persona, model)
