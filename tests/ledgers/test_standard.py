"""Standard tests for every ledger model: scoping through pages, exports and the API, bounded queries.

Sector scoping: e-bikes fall under the plates sector, shops and sales under market; the `department` persona
is the market department (it sees shops filed under it or in its units, not e-bikes). The `platform` persona
acts for platform P1 (membership note = its credit code) and reaches only P1's data.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ebsafety.ledgers.models import EBike, Person, Platform, RecyclingSite, Rider, Sale, Shop, Station
from tests.ledgers.conftest import build_ledgers
from tests.standard import StandardModelTests


class LedgerStandard(StandardModelTests):
    world_objects: ClassVar[dict[str, Any]]

    def make_objects(self, town: dict, departments: dict, personas: dict) -> None:
        type(self).world_objects = build_ledgers(town, departments, personas)

    def under(self, path: str, model: type | None = None) -> set[Any]:
        model = model or self.model
        return set(
            model._default_manager.filter(unit__path__startswith=path).values_list(self.key_field, flat=True)
        )


class TestEBikeStandard(LedgerStandard):
    model = EBike
    url_prefix = "ledgers:ebike"
    api_list_url = "/api/v1/ebikes/"
    export_key_column = "车架号"
    key_field = "frame_number"
    api_key = "frame_number"
    personas_to_check = ("office", "locality", "property", "department", "community", "platform", "leader")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        if persona in {"office", "leader"}:
            return self.all_keys()
        if persona == "locality":
            return {"FA0001", "FA1001", "FS0001"}
        if persona == "property":
            return {"FA1001"}
        if persona == "community":
            return {"FB0001"}
        if persona == "department":  # market: not the plates sector
            return set()
        if persona == "platform":  # the bikes of P1's riders
            return {"FP0001"}
        raise AssertionError(persona)


class TestPersonStandard(LedgerStandard):
    model = Person
    url_prefix = "ledgers:person"
    api_list_url = "/api/v1/people/"
    export_key_column = "编号"
    personas_to_check = ("office", "locality", "community", "department", "platform", "police")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        w = self.world_objects
        if persona == "office":
            return self.all_keys()
        if persona == "locality":
            return self.under(town["a"].path)
        if persona == "community":
            return self.under(town["b"].path)
        if persona == "department":  # market: the buyer of the sale, nobody else
            return {w["sale_a"].buyer_id}
        if persona == "police":  # public security sector: no ledger of its own
            return set()
        if persona == "platform":  # P1's rider and the owner of the bike they ride
            return {w["r1"].person_id, w["bike_p"].owner_id}
        raise AssertionError(persona)


class TestShopStandard(LedgerStandard):
    model = Shop
    url_prefix = "ledgers:shop"
    api_list_url = "/api/v1/shops/"
    export_key_column = "名称"
    key_field = "name"
    api_key = "name"
    personas_to_check = ("office", "locality", "community", "department", "platform", "police")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        if persona in {"office", "department"}:  # market serves the whole town
            return {"甲村车行", "乙社区车行"}
        if persona == "locality":
            return {"甲村车行"}
        if persona == "community":
            return {"乙社区车行"}
        if persona in {"platform", "police"}:
            return set()
        raise AssertionError(persona)


class TestRecyclingSiteStandard(LedgerStandard):
    model = RecyclingSite
    url_prefix = "ledgers:recyclingsite"
    api_list_url = "/api/v1/recycling-sites/"
    export_key_column = "名称"
    key_field = "name"
    api_key = "name"
    personas_to_check = ("office", "locality", "department", "platform")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        if persona == "office":
            return {"甲村回收点", "乙社区回收点"}
        if persona == "locality":
            return {"甲村回收点"}
        if persona in {"department", "platform"}:  # recycling is not the market sector
            return set()
        raise AssertionError(persona)


class TestPlatformStandard(LedgerStandard):
    model = Platform
    url_prefix = "ledgers:platform"
    api_list_url = "/api/v1/platforms/"
    export_key_column = "名称"
    key_field = "name"
    api_key = "name"
    personas_to_check = ("office", "locality", "platform", "department")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        if persona == "office":
            return {"快送", "闪递"}
        if persona in {"locality", "department"}:  # platforms sit at the town
            return set()
        if persona == "platform":
            return {"快送"}
        raise AssertionError(persona)


class TestStationStandard(LedgerStandard):
    model = Station
    url_prefix = "ledgers:station"
    api_list_url = "/api/v1/stations/"
    export_key_column = "名称"
    key_field = "name"
    api_key = "name"
    personas_to_check = ("office", "locality", "community", "platform", "department")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        if persona == "office":
            return {"快送甲村站", "闪递乙站", "快送园区站"}
        if persona == "locality":
            return {"快送甲村站"}
        if persona == "community":
            return {"闪递乙站"}
        if persona == "platform":
            return {"快送甲村站", "快送园区站"}
        if persona == "department":
            return set()
        raise AssertionError(persona)


class TestRiderStandard(LedgerStandard):
    model = Rider
    url_prefix = "ledgers:rider"
    api_list_url = "/api/v1/riders/"
    export_key_column = "编号"
    personas_to_check = ("office", "community", "locality", "platform", "department")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        w = self.world_objects
        if persona == "office":
            return {w["r1"].pk, w["r2"].pk}
        if persona == "community":
            return {w["r2"].pk}
        if persona in {"locality", "department"}:
            return set()
        if persona == "platform":
            return {w["r1"].pk}
        raise AssertionError(persona)


class TestSaleStandard(LedgerStandard):
    model = Sale
    url_prefix = "ledgers:sale"
    api_list_url = "/api/v1/sales/"
    export_key_column = "编号"
    personas_to_check = ("office", "locality", "community", "department", "platform")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        w = self.world_objects
        if persona in {"office", "locality", "department"}:
            return {w["sale_a"].pk}
        if persona in {"community", "platform"}:
            return set()
        raise AssertionError(persona)
