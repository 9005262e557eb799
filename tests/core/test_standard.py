"""Standard tests for the core models: scoping through pages, exports and the API."""

from __future__ import annotations

from typing import Any

from ebsafety.core.models import Campaign, Department, Membership, Unit, User
from tests.standard import StandardModelTests


def _codes(*units: Unit) -> set[str]:
    return {u.code for u in units}


class TestUnitStandard(StandardModelTests):
    model = Unit
    url_prefix = "core:unit"
    api_list_url = "/api/v1/units/"
    export_key_column = "编码"
    key_field = "code"
    api_key = "code"
    personas_to_check = ("office", "locality", "property", "department")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any]:
        if persona == "office":
            return set(Unit.objects.values_list("code", flat=True))
        if persona == "locality":  # 甲村 and everything below it
            return _codes(town["a"], town["a1"], town["a11"])
        if persona == "property":  # its compound and the building in it
            return _codes(town["a1"], town["a11"])
        if persona == "department":  # the market department serves the whole town
            return set(Unit.objects.values_list("code", flat=True))
        raise AssertionError(persona)


class TestUnitStandardPolice(StandardModelTests):
    """A department that serves only some units sees exactly those subtrees."""

    model = Unit
    url_prefix = "core:unit"
    api_list_url = "/api/v1/units/"
    export_key_column = "编码"
    key_field = "code"
    api_key = "code"
    personas_to_check = ("police", "community", "volunteer", "leader")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any]:
        if persona in {"police", "community", "volunteer"}:
            return _codes(town["b"], town["b1"])
        if persona == "leader":
            return set(Unit.objects.values_list("code", flat=True))
        raise AssertionError(persona)


class TestDepartmentStandard(StandardModelTests):
    model = Department
    url_prefix = "core:department"
    api_list_url = "/api/v1/departments/"
    export_key_column = "编码"
    key_field = "code"
    api_key = "code"
    personas_to_check = ("office", "department", "locality", "leader")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any]:
        if persona in {"office", "leader"}:
            return {"MKT", "POL"}
        if persona == "department":
            return {"MKT"}
        if persona == "locality":  # departments sit at the town, above a village
            return set()
        raise AssertionError(persona)


class TestCampaignStandard(StandardModelTests):
    model = Campaign
    url_prefix = "core:campaign"
    export_key_column = "名称"
    key_field = "name"
    personas_to_check = ("office", "locality", "department", "property")

    def make_objects(self, town: dict, departments: dict, personas: dict) -> None:
        import datetime

        Campaign.objects.create(
            name="镇专项整治",
            unit=town["town"],
            start_date=datetime.date(2026, 9, 1),
            end_date=datetime.date(2026, 12, 31),
            status="active",
        )
        Campaign.objects.create(
            name="乙社区自查",
            unit=town["b"],
            start_date=datetime.date(2026, 9, 1),
            end_date=datetime.date(2026, 10, 31),
        )

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any]:
        if persona in {"office", "department"}:
            return {"镇专项整治", "乙社区自查"}
        if persona in {"locality", "property"}:  # the town's campaign, not another community's
            return {"镇专项整治"}
        raise AssertionError(persona)


class TestUserStandard(StandardModelTests):
    model = User
    url_prefix = "core:user"
    api_list_url = "/api/v1/users/"
    export_key_column = "用户名"
    key_field = "username"
    api_key = "username"
    personas_to_check = ("office", "locality", "leader", "department")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        if persona == "office":
            return set(User.objects.values_list("username", flat=True))
        return None


class TestMembershipStandard(StandardModelTests):
    model = Membership
    url_prefix = "core:membership"
    api_list_url = "/api/v1/memberships/"
    export_key_column = "编号"
    key_field = "pk"
    personas_to_check = ("office", "locality", "inspector")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        if persona == "office":
            return set(Membership.objects.values_list("pk", flat=True))
        return None
