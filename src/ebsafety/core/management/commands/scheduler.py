"""`ebsafety scheduler`: run periodic jobs (daily reminders, webhook delivery); safe to run twice."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ebsafety.core import scheduler


class Command(BaseCommand):
    help = "Run the periodic jobs: once (--once), a named job now (--run NAME), or for ever."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="one tick: run what is due, then exit")
        parser.add_argument("--run", metavar="NAME", help="run this job now for its current period")
        parser.add_argument("--interval", type=float, default=30.0)
        parser.add_argument("--list", action="store_true", help="list the jobs")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for listed in scheduler.jobs():
                self.stdout.write(f"{listed.name}\t{listed.every}")
            return
        if options["run"]:
            job = next((j for j in scheduler.jobs() if j.name == options["run"]), None)
            if job is None:
                raise CommandError(f"no scheduled job {options['run']!r}")
            period = job.period(timezone.now()) or timezone.localdate().isoformat()
            ran = scheduler.run_once(job, force_period=period)
            self.stdout.write("ran" if ran else "already ran for this period")
            return
        if options["once"]:
            self.stdout.write(", ".join(scheduler.tick()) or "nothing due")
            return
        scheduler.loop(options["interval"])
