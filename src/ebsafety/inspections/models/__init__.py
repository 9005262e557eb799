from ebsafety.inspections.models.cases import CaseEvent, CaseParty, CasePenalty, EnforcementCase
from ebsafety.inspections.models.catalogue import (
    ChecklistItem,
    ChecklistTemplate,
    HazardCategory,
    PenaltyRule,
)
from ebsafety.inspections.models.hazards import Hazard, HazardTransition
from ebsafety.inspections.models.inspections import Inspection, InspectionCheck
from ebsafety.inspections.models.supervision import SupervisionFinding, SupervisionVisit

__all__ = [
    "CaseEvent",
    "CaseParty",
    "CasePenalty",
    "ChecklistItem",
    "ChecklistTemplate",
    "EnforcementCase",
    "Hazard",
    "HazardCategory",
    "HazardTransition",
    "Inspection",
    "InspectionCheck",
    "PenaltyRule",
    "SupervisionFinding",
    "SupervisionVisit",
]
