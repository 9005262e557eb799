"""Template context every page needs: the site name and the navigation of the user's roles."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ebsafety.core.navigation import menu_for


def platform(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_menu": menu_for(user) if signed_in else [],
        "unread_notifications": _unread(user) if signed_in else 0,
    }


def _unread(user: Any) -> int:
    from ebsafety.core.models import Notification

    return Notification.objects.filter(user=user, read_at__isnull=True).count()
