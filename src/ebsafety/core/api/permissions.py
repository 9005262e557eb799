from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from ebsafety.core.choices import Action
from ebsafety.core.scoping import allowed_actions, has_any_role

METHOD_ACTIONS = {
    "GET": Action.VIEW,
    "HEAD": Action.VIEW,
    "OPTIONS": Action.VIEW,
    "POST": Action.ADD,
    "PUT": Action.CHANGE,
    "PATCH": Action.CHANGE,
    "DELETE": Action.DELETE,
}


class HasRole(BasePermission):
    """Signed in, with at least one role, and a role that grants this kind of action on the model."""

    message = "您的账号尚未分配角色，或角色无权执行此操作。"

    def has_permission(self, request: Any, view: Any) -> bool:
        if not has_any_role(request.user):
            return False
        model = getattr(getattr(view, "queryset", None), "model", None)
        if model is None:
            return True
        return METHOD_ACTIONS.get(request.method, Action.VIEW) in allowed_actions(request.user, model)
