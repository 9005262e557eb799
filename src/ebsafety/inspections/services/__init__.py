"""State changes of the inspections app: the only place a hazard or a case changes state.

`hazards` holds the hazard lifecycle (each transition declared once in `TRANSITIONS`), `cases` the
enforcement-case lifecycle with its parties and penalties, `supervision` the findings of supervision visits.
Views, the API, the CLI and other apps call them through this package (`services.confirm(...)`); other apps
call `report_hazard()` (the tips app: source "tip") and read `Hazard.status` / `Hazard.closed_at`.
"""

from ebsafety.inspections.services.cases import (
    add_party,
    close_case,
    closed_refusal,
    delete_party,
    impose_penalty,
    open_case,
    save_party,
    save_penalty,
    withdraw_penalty,
)
from ebsafety.inspections.services.hazards import (
    CONFIRMERS,
    STAFF,
    TRANSITIONS,
    Transition,
    TransitionRefused,
    apply,
    available,
    close,
    confirm,
    deadline_for,
    dismiss,
    escalate,
    fix_on_spot,
    mark_overdue,
    may_make,
    order_rectification,
    rectify,
    refusal,
    reinspect,
    report_hazard,
    sector_department,
)
from ebsafety.inspections.services.supervision import add_finding, resolve_follow_up

__all__ = [
    "CONFIRMERS",
    "STAFF",
    "TRANSITIONS",
    "Transition",
    "TransitionRefused",
    "add_finding",
    "add_party",
    "apply",
    "available",
    "close",
    "close_case",
    "closed_refusal",
    "confirm",
    "deadline_for",
    "delete_party",
    "dismiss",
    "escalate",
    "fix_on_spot",
    "impose_penalty",
    "mark_overdue",
    "may_make",
    "open_case",
    "order_rectification",
    "rectify",
    "refusal",
    "reinspect",
    "report_hazard",
    "resolve_follow_up",
    "save_party",
    "save_penalty",
    "sector_department",
    "withdraw_penalty",
]
