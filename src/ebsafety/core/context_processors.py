"""Template context every page needs: the site name and the navigation of the user's roles."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ebsafety.core.navigation import menu_for


def platform(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_menu": menu_for(user) if user is not None and user.is_authenticated else [],
    }
