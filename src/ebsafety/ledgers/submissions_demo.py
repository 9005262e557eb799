"""Demo data of the half-month submissions: reporting rules and every reporting period so far per town.

Registered in `settings.DEMO_BUILDERS`. For each town with an active campaign it sets who must report what
(villages, communities and parks the e-bike ledger; the market office and the zone bureau the shops; the
environment section the recycling sites; the economic section the platforms, stations and riders), then gives
each reporting period from the census period up to the day the demo is built (in the demo town: five, the
census and four half-month updates) submissions — most on time, some late, some missing, and the current
period (whose deadline is next) only partly reported so far. Each submission is an import batch with a small
generated ledger file, recorded through `record_submission`, so the pages show real files and counts. The
ledger records themselves are not touched (the ledger demo builds those). Deterministic for a seed and a day.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone
from stdnum.cn import ric, uscc

from ebsafety.core.choices import CampaignStatus, Role, UnitKind
from ebsafety.core.demo import person_name
from ebsafety.core.models import Campaign, Department, Membership, Unit
from ebsafety.core.periods import HalfMonth, Schedule, period_for
from ebsafety.ledgers.choices import ImportMode, ImportStatus, LedgerKind
from ebsafety.ledgers.models import ImportBatch, SubmissionRule
from ebsafety.ledgers.specs import Column, spec_for
from ebsafety.ledgers.submissions import Reporting, record_submission, requirements_for

DEMO_RULES: dict[str, tuple[list[str], list[str]]] = {
    # ledger kind: (unit kinds, department code suffixes of core.demo.DEPARTMENTS)
    LedgerKind.EBIKE: ([UnitKind.VILLAGE, UnitKind.COMMUNITY, UnitKind.PARK], []),
    LedgerKind.SHOP: ([], ["D02", "D04"]),
    LedgerKind.RECYCLER: ([], ["D06"]),
    LedgerKind.PLATFORM: ([], ["D03"]),
    LedgerKind.STATION: ([], ["D03"]),
    LedgerKind.RIDER: ([], ["D03"]),
}


def build_submissions_demo(towns: list[Unit], rng: random.Random, scale: str) -> None:
    """Rules and three half-month periods of submissions for every town that runs an active campaign."""
    rng = random.Random(rng.random())  # a stream of our own: other builders' draws do not shift ours
    for town in towns:
        campaign = Campaign.objects.filter(unit=town, status=CampaignStatus.ACTIVE).first()
        if campaign is not None:
            TownSubmissions(town, campaign, rng).build()


class TownSubmissions:
    def __init__(self, town: Unit, campaign: Campaign, rng: random.Random) -> None:
        self.town, self.campaign, self.rng = town, campaign, rng
        self.ledger_sizes: dict[tuple[str, int, str], int] = {}
        self.now = timezone.now()

    def build(self) -> None:
        self.rules()
        reporting = Reporting(
            self.campaign, Schedule.from_campaign(self.campaign), requirements_for(self.campaign)
        )
        schedule = reporting.schedule
        self.now = max(
            datetime.datetime.combine(self.campaign.start_date, datetime.time(9), tzinfo=schedule.tz),
            min(timezone.now(), schedule.due_at(period_for(self.campaign.end_date))),
        )
        current = schedule.window_period(self.now) or schedule.last_period
        if current is None:
            return
        # Every reporting period so far, from the census period on; the last is the current one.
        periods = [current]
        while schedule.is_reporting(periods[0].previous()):
            periods.insert(0, periods[0].previous())
        self.current = current
        uploaders = {
            m.unit_id: m.user
            for m in Membership.objects.filter(role=Role.LOCALITY, unit__path__startswith=self.town.path)
            .select_related("user")
            .order_by("pk")
        }
        department_users = {
            m.department_id: m.user
            for m in Membership.objects.filter(role=Role.DEPARTMENT, department__unit=self.town)
            .select_related("user")
            .order_by("pk")
        }
        requirements = reporting.requirements
        units = Unit.objects.filter(
            path__startswith=self.town.path, kind__in=requirements.all_unit_kinds()
        ).order_by("code")
        departments = Department.objects.filter(pk__in=requirements.all_departments()).order_by("code")
        demo_village = (
            Membership.objects.filter(
                user__username="village", role=Role.LOCALITY, unit__path__startswith=self.town.path
            )
            .values_list("unit_id", flat=True)
            .first()
        )
        for period in periods:
            for unit in units:
                for kind in requirements.kinds_for_unit(unit.kind):
                    forced = None
                    if unit.pk == demo_village:  # the demo 'village' account: late, then not yet reported
                        forced = (
                            "missing"
                            if period == current
                            else "late"
                            if period == current.previous()
                            else None
                        )
                    self.submit(schedule, period, kind, unit, None, uploaders.get(unit.pk), forced)
            for department in departments:
                for kind in requirements.kinds_for_department(department.pk):
                    user = department_users.get(department.pk)
                    self.submit(schedule, period, kind, department.unit, department, user, None)

    def rules(self) -> None:
        departments = {d.code[-3:]: d for d in Department.objects.filter(unit=self.town)}
        for kind, (unit_kinds, codes) in DEMO_RULES.items():
            rule, _ = SubmissionRule.objects.update_or_create(
                campaign=self.campaign, kind=kind, defaults={"unit_kinds": [str(k) for k in unit_kinds]}
            )
            rule.departments.set([departments[c] for c in codes if c in departments])

    def outcome(self, period: HalfMonth, forced: str | None) -> str:
        if forced:
            return forced
        roll = self.rng.random()
        if period == self.current:  # the period whose deadline is next: about half have reported so far
            return "on_time" if roll < 0.55 else "missing"
        return "on_time" if roll < 0.72 else "late" if roll < 0.87 else "missing"

    def moment(self, schedule: Schedule, period: HalfMonth, outcome: str) -> datetime.datetime | None:
        """When the file came in: before the deadline, or after it when late; never after the demo's now
        (None: it cannot have come in yet)."""
        due = schedule.due_at(period)
        if outcome == "late":
            moment = due + datetime.timedelta(minutes=self.rng.randrange(30, 3 * 24 * 60))
        elif period == self.current:
            start = datetime.datetime.combine(period.start, datetime.time(8, 30), tzinfo=schedule.tz)
            moment = start + datetime.timedelta(minutes=self.rng.randrange(0, 6 * 24 * 60))
        else:
            moment = due - datetime.timedelta(minutes=self.rng.randrange(5, 5 * 24 * 60))
        latest = self.now - datetime.timedelta(minutes=5)
        if moment > latest:
            moment = latest
            if outcome == "late" and latest <= due:
                return None
        # A file counts for the period whose window (previous deadline, own deadline] holds its moment: just
        # after a deadline passes, the new current period has had no time for a file yet.
        if moment <= schedule.due_at(period.previous()):
            return None
        return moment

    def submit(
        self,
        schedule: Schedule,
        period: HalfMonth,
        kind: str,
        unit: Unit,
        department: Department | None,
        user: Any,
        forced: str | None,
    ) -> None:
        outcome = self.outcome(period, forced)
        if outcome == "missing":
            return
        at = self.moment(schedule, period, outcome)
        if at is None:
            return
        revisions = 2 if self.rng.random() < 0.15 else 1
        for revision in range(revisions):
            moment = min(
                at + datetime.timedelta(hours=20 * revision), self.now - datetime.timedelta(minutes=1)
            )
            batch = self.batch(kind, unit, department, user, period, moment)
            record_submission(batch, user, period=period, department=department, at=moment)

    def batch(
        self,
        kind: str,
        unit: Unit,
        department: Department | None,
        user: Any,
        period: HalfMonth,
        moment: datetime.datetime,
    ) -> ImportBatch:
        key = (kind, department.pk if department else unit.pk, "d" if department else "u")
        before = self.ledger_sizes.get(key, 0)
        rows = before + self.rng.randrange(0, 4) if before else self.rng.randrange(4, 9)
        self.ledger_sizes[key] = rows
        added = rows - before
        changed = min(before, self.rng.randrange(0, 3)) if before else 0
        reporter = department.name if department else unit.name
        name = f"{reporter}{LedgerKind(kind).label}台账-{period.label}.csv"
        batch = ImportBatch(
            kind=kind,
            unit=unit,
            mode=ImportMode.FULL,
            status=ImportStatus.COMMITTED,
            original_name=name,
            uploaded_by=user,
            committed_at=moment,
            counts={
                "rows": rows,
                "accepted": rows,
                "rejected": 0,
                "added": added,
                "changed": changed,
                "unchanged": rows - added - changed,
                "retired": 0,
                "warnings": 0,
                "to_retire": 0,
                "conflicts": 0,
            },
            message="演示数据",
        )
        content = demo_file(kind, unit, rows, random.Random(f"{key}"))
        batch.file_size = len(content)
        batch.original_file.save(name, ContentFile(content), save=False)
        batch.save()
        ImportBatch.objects.filter(pk=batch.pk).update(created=moment)
        return batch


def demo_file(kind: str, unit: Unit, rows: int, rng: random.Random) -> bytes:
    """A small ledger file in the template's columns (UTF-8 CSV with BOM), the same rows for the same unit."""
    spec = spec_for(kind)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in spec.columns])
    for index in range(1, rows + 1):
        writer.writerow([demo_value(c, unit, index, rng) for c in spec.columns])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def demo_value(column: Column, unit: Unit, index: int, rng: random.Random) -> str:
    key = column.key
    if column.enumeration is not None:
        return rng.choice(list(column.enumeration.labels.values()))
    if "id_number" in key:
        body = f"110115{rng.randrange(1960, 2004)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
        body += f"{rng.randrange(0, 1000):03d}"
        return body + ric.calc_check_digit(body + "0")
    if "phone" in key:
        return f"1{rng.choice('3589')}{rng.randrange(100000000, 999999999)}"
    if key == "credit_code":
        body = f"9111011{rng.randrange(5, 6)}MA{rng.randrange(10**8, 10**9)}"[:17]
        return body + uscc.calc_check_digit(body)
    if key == "frame_number":
        return f"DEMO{unit.code[-6:]}{index:05d}"
    if key in ("owner_name", "name", "contact", "manager") or key.endswith("_name") and key != "model_name":
        return person_name(rng)
    if key in ("battery_count",):
        return "1"
    if key == "battery_voltage":
        return rng.choice(("48", "48", "60"))
    if "date" in key:
        return f"2026-{rng.randrange(6, 10):02d}-{rng.randrange(1, 29):02d}"
    if key == "compound":
        return ""
    if "address" in key:
        return unit.address or unit.name
    if key.startswith(("is_", "uses_")) or key == "over_standard":
        return "否"
    return ""
