"""How a platform account reaches the ledgers (the `scope_q_for_membership` hooks of the ledger models).

A user with the `platform` role acts for one delivery/courier company: the office links the membership to
the platform (`PlatformAccount`, on the platform's page). Such an account reaches, within its membership's
unit subtree, its own platform, that platform's stations and riders, the e-bikes they ride and the people
behind them — and nothing else of the ledgers (no village census, no shops). People have no sector, so a
sector department likewise sees only the people behind the records of its sectors. Every other role keeps
the core rules (the hooks return None for them).

Each ledger model names its hook in its class body (`scope_q_for_membership = scoping.platform_rows`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from ebsafety.core.choices import Role
from ebsafety.core.scoping import NOTHING

_UNSET = object()


def platform_id(membership: Any) -> int | None:
    """The id of the platform a platform-role membership acts for (None when the office linked none);
    looked up once per membership object (a request's memberships are cached on its user)."""
    cached: Any = getattr(membership, "_platform_id", _UNSET)
    if cached is _UNSET:
        from ebsafety.ledgers.models import PlatformAccount

        cached = (
            PlatformAccount.objects.filter(membership_id=membership.pk)
            .values_list("platform_id", flat=True)
            .first()
        )
        membership._platform_id = cached
    return cached


def _platform_rows_q(membership: Any, prefix: str = "") -> Q:
    platform = platform_id(membership)
    if platform is None:
        return NOTHING
    return Q(**{f"{prefix}platform_id": platform, f"{prefix}unit__path__startswith": membership.unit.path})


def _platform_only(build: Any) -> Any:
    def hook(membership: Any) -> Q | None:
        if membership.role != Role.PLATFORM:
            return None
        if membership.unit is None:
            return NOTHING
        return build(membership)

    return staticmethod(hook)


def _platform(membership: Any) -> Q:
    platform = platform_id(membership)
    return Q(pk=platform) if platform is not None else NOTHING


def _stations_or_riders(membership: Any) -> Q:
    return _platform_rows_q(membership)


def _ebikes(membership: Any) -> Q:
    from ebsafety.ledgers.models import Rider

    through = Rider.ebikes.through.objects.filter(_platform_rows_q(membership, "rider__"))
    return Q(pk__in=through.values("ebike_id"))


def _people_q(membership: Any) -> Q | None:
    """People carry no sector: a sector department or a platform sees the people behind the records it sees
    (owners of its bikes, buyers of its sales, its riders) — not every resident of the units it serves."""
    from ebsafety.core.scoping import membership_q
    from ebsafety.ledgers.models import EBike, Rider, Sale

    if membership.role not in (Role.PLATFORM, Role.DEPARTMENT):
        return None
    if membership.role == Role.PLATFORM and membership.unit is None:
        return NOTHING
    return (
        Q(pk__in=EBike.objects.filter(membership_q(EBike, membership)).values("owner_id"))
        | Q(pk__in=Sale.objects.filter(membership_q(Sale, membership)).values("buyer_id"))
        | Q(pk__in=Rider.objects.filter(membership_q(Rider, membership)).values("person_id"))
    )


def _nothing(membership: Any) -> Q:
    return NOTHING


# The hooks, set on the ledger model classes as `scope_q_for_membership`.
platform_itself = _platform_only(_platform)
platform_rows = _platform_only(_stations_or_riders)
platform_ebikes = _platform_only(_ebikes)
platform_nothing = _platform_only(_nothing)
people = staticmethod(_people_q)
