"""`ebsafety hazards overdue [--json] [--user U]` and `ebsafety hazards daily [--dry-run]`."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.db import transaction
from django.utils import timezone

from ebsafety.core.management.base import ScopedCommand
from ebsafety.inspections import reminders
from ebsafety.inspections.models import Hazard


class Command(ScopedCommand):
    help = "List the overdue hazards in the caller's scope, or run the daily overdue marking and reminders."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        overdue = sub.add_parser("overdue", help="the hazards past their rectification deadline")
        overdue.add_argument("--json", action="store_true", help="print a JSON list")
        overdue.add_argument("--user", help="act as this user (their scope applies)")
        daily = sub.add_parser("daily", help="mark overdue hazards and send reminders (safe to run twice)")
        daily.add_argument("--dry-run", action="store_true", help="report what would happen, change nothing")
        daily.add_argument("--user", help="recorded as the actor")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"do_{options['subcommand']}")(options)

    def do_overdue(self, options: dict[str, Any]) -> None:
        today = timezone.localdate()
        hazards = (
            self.scoped(Hazard.objects.all())
            .overdue_now(today)
            .select_related("unit", "category", "department")
            .order_by("deadline", "pk")
        )
        rows = [
            {
                "id": h.pk,
                "category": h.category.code,
                "category_name": h.category.name,
                "unit": h.unit.code,
                "unit_name": h.unit.name,
                "address": h.address,
                "status": h.status,
                "responsible_party": h.responsible_party,
                "deadline": h.deadline.isoformat(),
                "days_overdue": (today - h.deadline).days,
                "department": h.department.code if h.department_id else None,
            }
            for h in hazards
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"#{row['id']:<6} {row['deadline']} 逾期{row['days_overdue']:>3}天 "
                f"{row['unit_name']} {row['category_name']} {row['responsible_party']}"
            )
        self.stdout.write(f"共 {len(rows)} 条逾期隐患。")

    def do_daily(self, options: dict[str, Any]) -> None:
        with transaction.atomic():
            outcome = reminders.run_daily()
            if options["dry_run"]:
                transaction.set_rollback(True)
        self.stdout.write(json.dumps(outcome, ensure_ascii=False))
