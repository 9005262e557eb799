"""Standard tests for the inspections models: scoping through pages, exports and the API per role."""

from __future__ import annotations

from typing import Any, ClassVar

from ebsafety.inspections.models import (
    ChecklistTemplate,
    EnforcementCase,
    Hazard,
    HazardCategory,
    Inspection,
    PenaltyRule,
    SupervisionVisit,
)
from tests.inspections.builders import build_world
from tests.standard import StandardModelTests


class InspectionsStandard(StandardModelTests):
    world_objects: ClassVar[dict[str, Any]]

    def make_objects(self, town: dict, departments: dict, personas: dict) -> None:
        type(self).world_objects = build_world(town, departments, personas)

    def pks(self, *names: str) -> set[int]:
        return {self.world_objects[n].pk for n in names}


class TestInspectionStandard(InspectionsStandard):
    model = Inspection
    url_prefix = "inspections:inspection"
    api_list_url = "/api/v1/inspections/"
    export_key_column = "编号"
    personas_to_check = (
        "office",
        "leader",
        "locality",
        "property",
        "community",
        "department",
        "police",
        "volunteer",
    )

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        if persona in {"office", "leader"}:
            return self.pks("insp_a1", "insp_b1", "insp_a")
        if persona == "locality":
            return self.pks("insp_a1", "insp_a")
        if persona == "property":
            return self.pks("insp_a1")
        if persona == "community":
            return self.pks("insp_b1")
        if persona in {"department", "police"}:  # led by market, joined by police
            return self.pks("insp_a1")
        if persona == "volunteer":
            return None
        raise AssertionError(persona)


class TestHazardStandard(InspectionsStandard):
    model = Hazard
    url_prefix = "inspections:hazard"
    api_list_url = "/api/v1/hazards/"
    export_key_column = "编号"
    personas_to_check = (
        "office",
        "leader",
        "locality",
        "property",
        "community",
        "department",
        "police",
        "volunteer",
        "platform",
    )

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        if persona in {"office", "leader"}:
            return self.pks("h_a1", "h_a1_market", "h_b1", "h_a", "h_b_volunteer")
        if persona == "locality":
            return self.pks("h_a1", "h_a1_market", "h_a")
        if persona == "property":
            return self.pks("h_a1", "h_a1_market")
        if persona == "community":
            return self.pks("h_b1", "h_b_volunteer")
        if persona == "department":  # only what is filed under the market department
            return self.pks("h_a1_market")
        if persona == "police":  # public security is not a hazard sector
            return set()
        if persona == "volunteer":  # only their own reports
            return self.pks("h_b_volunteer")
        if persona == "platform":
            return None
        raise AssertionError(persona)


class TestCaseStandard(InspectionsStandard):
    model = EnforcementCase
    url_prefix = "inspections:enforcementcase"
    api_list_url = "/api/v1/cases/"
    export_key_column = "案件编号"
    key_field = "number"
    api_key = "number"
    personas_to_check = ("office", "locality", "community", "department", "police", "property")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        a, b = self.world_objects["case"].number, self.world_objects["case_b"].number
        if persona == "office":
            return {a, b}
        if persona in {"locality", "department"}:
            return {a}
        if persona in {"community", "police"}:
            return {b}
        if persona == "property":
            return None
        raise AssertionError(persona)


class TestSupervisionVisitStandard(InspectionsStandard):
    model = SupervisionVisit
    url_prefix = "inspections:supervisionvisit"
    api_list_url = "/api/v1/supervision-visits/"
    export_key_column = "编号"
    personas_to_check = ("office", "locality", "community", "police", "department", "inspector")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        if persona == "office":
            return self.pks("visit_a", "visit_police")
        if persona == "locality":
            return self.pks("visit_a")
        if persona == "community":
            return set()
        if persona == "police":
            return self.pks("visit_police")
        if persona == "department":
            return set()
        if persona == "inspector":
            return None
        raise AssertionError(persona)


class CatalogueStandard(StandardModelTests):
    personas_to_check = ("office", "locality", "volunteer", "department")

    def expected_keys(self, persona: str, town: dict, departments: dict, personas: dict) -> set[Any] | None:
        return self.all_keys()


class TestHazardCategoryStandard(CatalogueStandard):
    model = HazardCategory
    url_prefix = "inspections:hazardcategory"
    export_key_column = "编码"
    key_field = "code"


class TestChecklistTemplateStandard(CatalogueStandard):
    model = ChecklistTemplate
    url_prefix = "inspections:checklisttemplate"
    export_key_column = "名称"
    key_field = "name"


class TestPenaltyRuleStandard(CatalogueStandard):
    model = PenaltyRule
    url_prefix = "inspections:penaltyrule"
    export_key_column = "编码"
    key_field = "code"
