"""Base for management commands that change or read scoped data: the CLI's change context and scope."""

from __future__ import annotations

import getpass
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ebsafety.core.choices import ChangeSource
from ebsafety.core.context import change_context


class ScopedCommand(BaseCommand):
    """Runs as `--user USERNAME` (scoped like that user, recorded as the actor) or as the system."""

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--user", help="act as this user: their scope applies and the change log names them"
        )

    def acting_user(self, options: dict[str, Any]) -> Any:
        from ebsafety.core.models import User

        username = options.get("user")
        if not username:
            return None
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"用户“{username}”不存在或已停用") from exc

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            label = f"cli:{getpass.getuser()}"
        except Exception:
            label = "cli"
        self.user = None
        if "user" in options:
            self.user = self.acting_user(options)
        with change_context(ChangeSource.CLI, user=self.user, label=label):
            return super().execute(*args, **options)

    def scoped(self, queryset: Any, action: str = "view") -> Any:
        """The queryset as the acting user may see it (all of it for the system)."""
        return queryset if self.user is None else queryset.visible_to(self.user, action)
