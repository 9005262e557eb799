"""Request-wide middleware: the change context for audit, and forced password changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from ebsafety.core.choices import ChangeSource
from ebsafety.core.context import change_context


class ChangeContextMiddleware:
    """Every request runs in a change context: the audit log knows who acted and under which request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        with change_context(ChangeSource.WEB, request=request, request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class PasswordChangeRequiredMiddleware:
    """A user whose password the office reset must choose a new one before doing anything else."""

    ALLOWED = ("password_change", "logout", "login")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._allowed_paths: set[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(("/static/", "/api/"))
            and request.path not in self.allowed_paths()
        ):
            return redirect("password_change")
        return self.get_response(request)

    def allowed_paths(self) -> set[str]:
        if self._allowed_paths is None:
            self._allowed_paths = {reverse(name) for name in self.ALLOWED}
        return self._allowed_paths


def client_ip(request: HttpRequest) -> str:
    """The client's IP address as the last trusted proxy saw it.

    Behind PROXY_COUNT reverse proxies (nginx …) REMOTE_ADDR is the proxy itself; the client is the address
    the outermost trusted proxy appended to X-Forwarded-For, counted from the right (addresses further left
    are whatever the client claimed). Used by the login lock-out, so one client cannot lock everyone out.
    """
    from django.conf import settings

    count = settings.AXES_IPWARE_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")
