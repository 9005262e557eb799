"""`ebsafety worker`: run the background worker (the Django tasks database worker)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker that executes imports, exports and reports."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")

    def handle(self, *args: Any, **options: Any) -> None:
        argv: dict[str, Any] = {"interval": options["interval"], "reload": False, "startup_delay": False}
        if options["batch"]:
            argv["batch"] = True
        call_command("db_worker", queue_name="*", **argv)
