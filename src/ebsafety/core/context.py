"""Who is making the current change, and through which path.

The web middleware, the API (through the same middleware), the CLI and the task runner each set the context;
the audit signal handlers read it. A ContextVar keeps concurrent requests and threads apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ebsafety.core.choices import ChangeSource


@dataclass
class ChangeContext:
    source: str = ChangeSource.SYSTEM
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    user: Any = None  # a User, or None for the system
    request: Any = None  # the HttpRequest, whose .user DRF fills in after authentication
    label: str = ""  # who, when there is no user (e.g. "cli:root")

    @property
    def actor(self) -> Any:
        if self.request is not None:
            user = getattr(self.request, "user", None)
            if user is not None and user.is_authenticated:
                return user
            return None
        return self.user

    @property
    def effective_source(self) -> str:
        if self.request is not None and self.request.path.startswith("/api/"):
            return ChangeSource.API
        return self.source


_current: ContextVar[ChangeContext | None] = ContextVar("ebsafety_change_context", default=None)


def current_context() -> ChangeContext:
    return _current.get() or ChangeContext()


@contextmanager
def change_context(
    source: str,
    *,
    user: Any = None,
    request: Any = None,
    request_id: str | None = None,
    label: str = "",
) -> Iterator[ChangeContext]:
    """Run a block of changes on behalf of a user through a path (web, api, cli, task)."""
    ctx = ChangeContext(source=source, user=user, request=request, label=label)
    if request_id:
        ctx.request_id = request_id
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
