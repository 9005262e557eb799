"""Half-month submissions: deadlines, which period a file counts for, the completeness table, the missing
list and to-dos, scoping, the ledger as of a period, the API and the demo.

The campaign of the shared test town runs from 2026-10-05; the census is due 2026-10-27 17:30, so the
reporting periods are 2026年10月下半月 (the census), 11月上半月 (due 11-15 17:30), 11月下半月 (11-30 17:30) …
By default villages, communities and parks report the e-bike ledger: 甲村 (a), 乙社区 (b), 物流园区 (p).
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ebsafety.core.choices import CampaignStatus
from ebsafety.core.models import Campaign, Department, Membership, Unit, User
from ebsafety.core.periods import SHANGHAI, HalfMonth, Schedule
from ebsafety.ledgers import as_of, completeness
from ebsafety.ledgers.choices import ImportStatus, LedgerKind, PeriodStatus, RecordStatus
from ebsafety.ledgers.importer import run_import
from ebsafety.ledgers.models import EBike, ImportBatch, Submission, SubmissionRule
from ebsafety.ledgers.submissions import record_submission, todos
from tests.ledgers import factories as f
from tests.ledgers.builders import bike_row, write_csv

CENSUS = HalfMonth.parse("2026-10-16")
NOV_1 = HalfMonth.parse("2026-11-01")
NOV_2 = HalfMonth.parse("2026-11-16")
frames = itertools.count(1)


def at(day: str, clock: str = "12:00") -> datetime.datetime:
    return datetime.datetime.combine(
        datetime.date.fromisoformat(day), datetime.time.fromisoformat(clock), tzinfo=SHANGHAI
    )


def make_campaign(town: dict, **parameters: Any) -> Campaign:
    values = {"census_deadline": "2026-10-27", "ledger_update_day_1": 15, "ledger_update_day_2": 0}
    values.update(parameters)
    return Campaign.objects.create(
        name="电动自行车专项整治",
        unit=town["town"],
        start_date=parameters.pop("start", datetime.date(2026, 10, 5)),
        end_date=datetime.date(2027, 4, 30),
        status=CampaignStatus.ACTIVE,
        parameters={k: v for k, v in values.items() if k != "start"},
    )


@pytest.fixture
def campaign(town: dict) -> Campaign:
    return make_campaign(town)


def submit_file(
    town: dict, unit: str, user: Any, moment: datetime.datetime, tmp_path: Path, **kwargs: Any
) -> Submission:
    """Import a small e-bike file for the unit at `moment` (frozen): the import records the submission."""
    number = next(frames)
    path = write_csv(tmp_path / f"ledger-{number}.csv", [bike_row(number, 小区名称="")])
    with time_machine.travel(moment, tick=False):
        outcome = run_import(
            kind="ebike",
            unit=town[unit],
            path=path,
            commit=True,
            user=user,
            submission_period=kwargs.get("period"),
        )
        return Submission.objects.get(batches__pk=outcome.batch_id)


def committed_batch(unit: Unit, kind: str, user: Any, moment: datetime.datetime) -> ImportBatch:
    """A committed batch without running the importer (for ledger kinds whose files the test doesn't need)."""
    batch = ImportBatch(
        kind=kind,
        unit=unit,
        status=ImportStatus.COMMITTED,
        original_name=f"{kind}.csv",
        uploaded_by=user,
        committed_at=moment,
        counts={"rows": 1, "added": 1},
    )
    batch.original_file.save(f"{kind}.csv", io.BytesIO(b"x"), save=False)
    batch.save()
    return batch


def record(unit: Unit, kind: str, user: Any, moment: datetime.datetime, **kwargs: Any) -> Submission:
    return record_submission(committed_batch(unit, kind, user, moment), user, at=moment, **kwargs)


# -- deadlines and which period a file counts for --------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "due_day"),
    [
        ("2026-11-01", "2026-11-15"),  # first half: due on day 1 (15)
        ("2027-02-16", "2027-02-28"),  # second half, 0 = month end: February
        ("2026-12-16", "2026-12-31"),  # and a 31-day month
    ],
)
def test_on_time_at_1729_late_at_1731_on_the_due_day(
    town: dict, personas: dict, tmp_path: Path, start: str, due_day: str
) -> None:
    start_day = datetime.date.fromisoformat(start)
    make_campaign(town, census_deadline=None, start=start_day)
    period = HalfMonth.containing(start_day)
    on_time = submit_file(town, "a", personas["locality"], at(due_day, "17:29"), tmp_path)
    late = submit_file(town, "b", personas["community"], at(due_day, "17:31"), tmp_path)
    assert (on_time.period, on_time.status) == (period, "on_time")
    assert (late.period, late.status) == (period, "late")  # the next upload is the missed period's make-up
    assert on_time.due_at == late.due_at == at(due_day, "17:30")
    assert on_time.submitted_by == personas["locality"] and on_time.batch.status == "committed"
    assert on_time.unit == town["a"] and on_time.department is None


def test_census_then_half_month_updates(
    campaign: Campaign, town: dict, personas: dict, tmp_path: Path
) -> None:
    user = personas["locality"]
    early = submit_file(town, "a", user, at("2026-10-10"), tmp_path)  # before the census period even starts
    assert (early.period, early.status, early.due_at) == (CENSUS, "on_time", at("2026-10-27", "17:30"))
    update = submit_file(town, "a", user, at("2026-10-27", "17:31"), tmp_path)
    assert (update.period, update.status) == (NOV_1, "on_time")
    # a unit that missed the census: its first file is the census, late; the current period is still open
    late = submit_file(town, "b", personas["community"], at("2026-11-03"), tmp_path)
    assert (late.period, late.status) == (CENSUS, "late")
    current = submit_file(town, "b", personas["community"], at("2026-11-04"), tmp_path)
    assert (current.period, current.status) == (NOV_1, "on_time")


def test_a_resubmission_replaces_the_link_and_keeps_every_file(
    campaign: Campaign, town: dict, personas: dict, tmp_path: Path
) -> None:
    user = personas["locality"]
    submit_file(town, "a", user, at("2026-10-20"), tmp_path)
    first = submit_file(town, "a", user, at("2026-11-10"), tmp_path)
    second = submit_file(town, "a", user, at("2026-11-12"), tmp_path)
    assert second.pk == first.pk and second.period == NOV_1
    # after the deadline, a correction for the same period (chosen explicitly) keeps its status on time
    third = submit_file(town, "a", user, at("2026-11-20"), tmp_path, period=NOV_1)
    third.refresh_from_db()
    assert third.pk == first.pk and third.status == "on_time"
    assert third.submitted_at == at("2026-11-10") and third.last_submitted_at == at("2026-11-20")
    batches = list(third.batches.order_by("committed_at"))
    assert len(batches) == 3 and third.batch == batches[-1]
    assert all(b.original_file and b.counts["added"] == 1 for b in batches)
    # recording the same batch again changes nothing
    again = record_submission(third.batch, user)
    assert again.pk == third.pk and again.batches.count() == 3
    assert Submission.objects.filter(unit=town["a"]).count() == 2  # census + 11月上半月


def test_refusals(campaign: Campaign, town: dict, personas: dict) -> None:
    previewed = committed_batch(town["a"], "ebike", personas["locality"], at("2026-11-10"))
    previewed.status = ImportStatus.PREVIEWED
    previewed.save()
    with pytest.raises(ValidationError):
        record_submission(previewed, personas["locality"])
    batch = committed_batch(town["a"], "ebike", personas["locality"], at("2026-11-10"))
    with pytest.raises(ValidationError):  # a period whose window has not opened yet
        record_submission(batch, personas["locality"], period=NOV_2.next(), at=at("2026-11-10"))
    with pytest.raises(ValidationError):  # before the census period: not a reporting period
        record_submission(batch, personas["locality"], period=CENSUS.previous(), at=at("2026-11-10"))
    assert not Submission.objects.exists()


def test_outside_a_campaign_a_file_counts_for_the_current_period(town: dict, personas: dict) -> None:
    submission = record(town["a"], "ebike", personas["locality"], at("2026-11-20"))
    assert (submission.period, submission.status) == (NOV_2, "on_time")  # no campaign, nothing owed before
    assert submission.due_at == at("2026-11-30", "17:30")  # the parameters' defaults


def test_a_department_reports_for_itself(
    campaign: Campaign, town: dict, departments: dict, personas: dict
) -> None:
    rule = SubmissionRule.objects.create(campaign=campaign, kind=LedgerKind.SHOP)
    rule.departments.set([departments["market"]])
    market = personas["department"]
    submission = record(town["town"], LedgerKind.SHOP, market, at("2026-10-25"))
    assert submission.department == departments["market"] and submission.status == "on_time"
    # the same user's e-bike file (market does not report e-bikes) is the unit's submission
    bikes = record(town["a"], LedgerKind.EBIKE, market, at("2026-10-25"))
    assert bikes.department is None and bikes.unit == town["a"]


# -- the completeness table, the missing list, to-dos ------------------------------------------------------


@pytest.fixture
def reported(campaign: Campaign, town: dict, departments: dict, personas: dict) -> dict[str, Any]:
    """A: census on time, 11月上 late; B: census late, 11月上 missing, 11月下 on time; P: nothing;
    市场所 (shops): census and 11月上 on time."""
    rule = SubmissionRule.objects.create(campaign=campaign, kind=LedgerKind.SHOP)
    rule.departments.set([departments["market"]])
    a, b, town_unit = town["a"], town["b"], town["town"]
    village, community, market = personas["locality"], personas["community"], personas["department"]
    record(a, "ebike", village, at("2026-10-26"), period=CENSUS)
    record(a, "ebike", village, at("2026-11-16", "09:00"), period=NOV_1)
    record(b, "ebike", community, at("2026-10-28"), period=CENSUS)
    record(b, "ebike", community, at("2026-11-18"), period=NOV_2)
    record(town_unit, "shop", market, at("2026-10-27", "17:30"), period=CENSUS)
    record(town_unit, "shop", market, at("2026-11-14"), period=NOV_1)
    return {"now": at("2026-11-20")}


def table_of(user: Any, now: datetime.datetime, **kwargs: Any) -> dict[str, Any]:
    table = completeness.build_table(
        user, first=datetime.date(2026, 10, 1), last=datetime.date(2026, 11, 30), now=now, **kwargs
    )
    return {
        row.reporter.code: (
            [c.status for c in row.cells],
            (row.due, row.on_time, row.late, row.missing),
            (row.completeness_label, row.timeliness_label),
        )
        for row in table.rows
    } | {"periods": [p.key for p in table.periods]}


def test_table_is_exact(reported: dict, personas: dict) -> None:
    result = table_of(personas["office"], reported["now"])
    assert result == {
        "periods": ["2026-10-16", "2026-11-01", "2026-11-16"],
        "T-A": (["on_time", "late", "open"], (2, 1, 1, 0), ("100%", "50%")),
        "T-B": (["late", "missing", "on_time"], (2, 0, 1, 1), ("50%", "0%")),
        "T-P": (["missing", "missing", "open"], (2, 0, 0, 2), ("0%", "0%")),
        "MKT": (["on_time", "on_time", "open"], (2, 2, 0, 0), ("100%", "100%")),
    }
    shops = table_of(personas["office"], reported["now"], kind="shop")
    assert set(shops) == {"periods", "MKT"}
    # after the 11-30 deadline the open cells turn missing and count
    later = table_of(personas["office"], at("2026-11-30", "17:31"))
    assert later["T-A"] == (["on_time", "late", "missing"], (3, 1, 1, 1), ("67%", "33%"))


def test_table_costs_a_fixed_number_of_queries(reported: dict, personas: dict) -> None:
    def count(first: datetime.date) -> int:
        with CaptureQueriesContext(connection) as queries:
            completeness.build_table(
                personas["office"], first=first, last=datetime.date(2027, 4, 30), now=reported["now"]
            )
        return len(queries)

    count(datetime.date(2027, 4, 1))  # the user's memberships are loaded once and cached
    assert count(datetime.date(2027, 4, 1)) == count(datetime.date(2026, 10, 1)) <= 8


def test_table_page_and_export(reported: dict, personas: dict, client_for: Any) -> None:
    client = client_for(personas["office"])
    with time_machine.travel(reported["now"], tick=False):
        page = client.get(reverse("ledgers:submission_table"), {"date_from": "2026-10-01"})
        export = client.get(reverse("ledgers:submission_table"), {"date_from": "2026-10-01", "export": "csv"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-reporter="T-P"' in html and "按时率" in html
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["编码", "单位/部门", "类型", "应报台账"] and "2026年11月上半月" in rows[0]
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["T-B"][4:7] == ["逾期", "未报", "按时"] and by_code["T-B"][-2:] == ["50%", "0%"]


def test_missing_list_and_todos(reported: dict, personas: dict, client_for: Any, settings: Any) -> None:
    settings.TODO_PROVIDERS = ["ebsafety.core.todos.core_todos", "ebsafety.ledgers.submissions.todos"]
    office, village, community = personas["office"], personas["locality"], personas["community"]
    now = reported["now"]
    current = completeness.missing_entries(office, now=now)
    assert {(e.reporter.code, e.kind, e.period) for e in current} == {
        ("T-A", "ebike", NOV_2),
        ("T-P", "ebike", NOV_2),
        ("MKT", "shop", NOV_2),
    }
    assert all(e.due_at == at("2026-11-30", "17:30") and not e.overdue for e in current)
    overdue = completeness.missing_entries(office, now=now, previous=True)
    assert {(e.reporter.code, e.period) for e in overdue} == {("T-B", NOV_1), ("T-P", NOV_1)}
    assert all(e.overdue for e in overdue)

    with time_machine.travel(now, tick=False):
        office_items = [(t.title, t.count) for t in todos(office)]
        village_items = [(t.title, t.count, t.url) for t in todos(village)]
        community_items = [(t.title, t.count) for t in todos(community)]
        market_items = [(t.title, t.count) for t in todos(personas["department"])]
        assert todos(personas["leader"]) == [] and todos(personas["volunteer"]) == []
        page = client_for(village).get(reverse("ledgers:submission_missing"))
        home = client_for(village).get(reverse("home"))
    assert office_items == [("本期尚未上报台账的单位（11月30日 17:30截止）", 3)]
    unit_page = reverse("ledgers:submission_unit", args=["T-A"]) + "?period=2026-11-16"
    assert village_items == [("本期台账未上报（11月30日 17:30截止）", 1, unit_page)]
    assert community_items == [("上期台账逾期未报，请尽快补报", 1)]
    assert market_items == [("本期台账未上报（11月30日 17:30截止）", 1)]
    assert [e.reporter.code for e in page.context["entries"]] == ["T-A"]
    assert "本期台账未上报" in home.content.decode()


def test_unit_page_shows_status_files_and_upload_link(
    reported: dict, personas: dict, client_for: Any
) -> None:
    client = client_for(personas["locality"])
    with time_machine.travel(reported["now"], tick=False):
        current = client.get(reverse("ledgers:submission_unit", args=["T-A"]))
        previous = client.get(reverse("ledgers:submission_unit", args=["T-A"]), {"period": "2026-11-01"})
        other = client.get(reverse("ledgers:submission_unit", args=["T-B"]))
    assert current.context["period"] == NOV_2
    assert [(r["kind"], r["status"]) for r in current.context["rows"]] == [("ebike", "open")]
    assert "/ledgers/import/?unit=T-A&amp;kind=ebike" in current.content.decode()
    row = previous.context["rows"][0]
    assert row["status"] == "late" and row["submission"].batch.original_name == "ebike.csv"
    assert [c.status for _, c in previous.context["history"]][-2:] == ["on_time", "late"]
    assert other.status_code == 404


# -- scoping ----------------------------------------------------------------------------------------------


def test_each_role_sees_its_own_rows(reported: dict, personas: dict, client_for: Any) -> None:
    now = reported["now"]
    codes = {name: set(table_of(personas[name], now)) - {"periods"} for name in personas if name != "norole"}
    assert codes["office"] == codes["leader"] == {"T-A", "T-B", "T-P", "MKT"}
    assert codes["locality"] == {"T-A"}
    assert codes["community"] == {"T-B"}
    assert codes["property"] == set()  # compounds do not report by default
    assert codes["department"] == {"MKT"}
    assert codes["police"] == codes["inspector"] == codes["volunteer"] == set()

    village = client_for(personas["locality"])
    listed = village.get(reverse("ledgers:submission_list")).context["table"].data.data
    assert {s.unit.code for s in listed} == {"T-A"}
    b_submission = Submission.objects.get(unit__code="T-B", period_start=CENSUS.start)
    assert village.get(b_submission.get_absolute_url()).status_code == 404
    assert village.get(reverse("ledgers:submission_department", args=["MKT"])).status_code == 404
    assert client_for(personas["office"]).get(b_submission.get_absolute_url()).status_code == 200
    assert client_for(personas["volunteer"]).get(reverse("ledgers:submission_table")).status_code == 403
    assert client_for(personas["norole"]).get(reverse("ledgers:submission_table")).status_code == 403
    market = client_for(personas["department"])
    assert market.get(reverse("ledgers:submission_unit", args=["T-A"])).status_code == 404
    assert market.get(reverse("ledgers:submission_department", args=["MKT"])).status_code == 200


def test_submission_detail_lists_every_file_with_its_diff(
    campaign: Campaign, town: dict, personas: dict, client_for: Any, tmp_path: Path
) -> None:
    user = personas["locality"]
    first = submit_file(town, "a", user, at("2026-10-20"), tmp_path)
    rows = [bike_row(901, 小区名称=""), bike_row(902, 小区名称="")]
    path = write_csv(tmp_path / "second.csv", rows)
    with time_machine.travel(at("2026-10-21"), tick=False):
        outcome = run_import(kind="ebike", unit=town["a"], path=path, commit=True, user=user)
        record_submission(ImportBatch.objects.get(pk=outcome.batch_id), user)
    rows[1] = bike_row(902, 小区名称="", 充电方式="飞线充电")
    path = write_csv(tmp_path / "third.csv", rows)
    with time_machine.travel(at("2026-10-22"), tick=False):
        outcome = run_import(kind="ebike", unit=town["a"], path=path, commit=True, user=user)
        record_submission(ImportBatch.objects.get(pk=outcome.batch_id), user)
    page = client_for(user).get(first.get_absolute_url())
    assert page.status_code == 200
    diffs = page.context["diffs"]
    assert len(diffs) == 3
    newest_batch, newest = diffs[0]
    assert newest["changed"]["total"] == 1
    assert newest["changed"]["listed"][0]["fields"] == ["充电方式"]
    assert [d["added"]["total"] for _, d in diffs] == [0, 2, 1]
    assert newest_batch.original_name == "third.csv"
    assert "second.csv" in page.content.decode()


# -- the ledger as of a period ----------------------------------------------------------------------------


def test_ledger_as_of_a_period_is_exact(
    campaign: Campaign, town: dict, personas: dict, client_for: Any
) -> None:
    a, a1, b = town["a"], town["a1"], town["b"]

    def bike(frame: str, unit: Unit, created: datetime.datetime, retired_on: str | None = None) -> None:
        obj = f.EBikeFactory(unit=unit, frame_number=frame)
        status = RecordStatus.RETIRED if retired_on else RecordStatus.ACTIVE
        EBike.objects.filter(pk=obj.pk).update(
            created=created,
            status=status,
            retired_on=datetime.date.fromisoformat(retired_on) if retired_on else None,
        )

    bike("OLD", a, at("2026-10-20"))
    bike("NEW", a, at("2026-11-05"))
    bike("GONE-NOV", a, at("2026-10-10"), retired_on="2026-11-03")
    bike("GONE-OCT31", a, at("2026-10-10"), retired_on="2026-10-31")
    bike("LAST-MINUTE", a, at("2026-10-31", "23:59"))
    bike("NEXT-DAY", a, at("2026-11-01", "00:00"))
    bike("COMPOUND", a1, at("2026-10-18"))
    bike("ELSEWHERE", b, at("2026-10-18"))
    user = personas["locality"]

    def frames_at(period: HalfMonth) -> set[str]:
        return set(as_of.ledger_as_of(user, a, period).frame["frame_number"])

    assert frames_at(CENSUS) == {"OLD", "GONE-NOV", "LAST-MINUTE", "COMPOUND"}
    assert frames_at(NOV_1) == {"OLD", "NEW", "LAST-MINUTE", "NEXT-DAY", "COMPOUND"}
    assert as_of.ledger_as_of(personas["community"], a, CENSUS).frame.height == 0  # out of scope

    client = client_for(user)
    page = client.get(reverse("ledgers:ledger_as_of"), {"unit": "T-A", "period": "2026-10-16"})
    assert page.status_code == 200
    assert page.context["summary"]["total"] == 4
    assert "依据现有台账推算" in page.content.decode() and "2026年10月31日" in page.context["basis"]
    export = client.get(
        reverse("ledgers:ledger_as_of"), {"unit": "T-A", "period": "2026-10-20", "export": "csv"}
    )
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {r[5] for r in rows[1:]} == {"OLD", "GONE-NOV", "LAST-MINUTE", "COMPOUND"}
    assert all("身份证" not in h and "手机" not in h for h in rows[0])
    refused = client_for(personas["community"]).get(
        reverse("ledgers:ledger_as_of"), {"unit": "T-A", "period": "2026-10-16"}
    )
    assert refused.status_code == 200 and "unit" in refused.context["form"].errors


# -- the office's reporting rules ---------------------------------------------------------------------------


def test_office_sets_who_reports(
    campaign: Campaign, town: dict, departments: dict, personas: dict, client_for: Any
) -> None:
    client = client_for(personas["office"])
    response = client.post(
        reverse("ledgers:submissionrule_add"),
        {
            "campaign": campaign.pk,
            "kind": "ebike",
            "unit_kinds": ["village", "compound"],
            "departments": [departments["police"].pk],
        },
    )
    assert response.status_code == 302
    rule = SubmissionRule.objects.get()
    assert rule.unit_kinds == ["village", "compound"] and list(rule.departments.all()) == [
        departments["police"]
    ]
    with time_machine.travel(at("2026-11-20"), tick=False):
        codes = {r.code for r in completeness.reporters_for(personas["office"])}
    assert codes == {"T-A", "T-A-1", "T-B-1", "POL"}  # community and park no longer report e-bikes
    assert client_for(personas["leader"]).get(rule.get_absolute_url()).status_code == 200
    assert client_for(personas["leader"]).get(reverse("ledgers:submissionrule_add")).status_code == 403
    other_town = Unit.objects.create(code="X", name="外镇", kind="town")
    foreign = Department.objects.create(code="XD", name="外镇派出所", kind="police", unit=other_town)
    refused = client.post(
        reverse("ledgers:submissionrule_edit", args=[rule.pk]),
        {"campaign": campaign.pk, "kind": "ebike", "unit_kinds": ["village"], "departments": [foreign.pk]},
    )
    assert refused.status_code == 200
    with pytest.raises(ValidationError):
        SubmissionRule(campaign=campaign, kind="shop", unit_kinds=["castle"]).full_clean()


def test_reporting_uses_the_campaign_parameters(town: dict) -> None:
    campaign = make_campaign(town, ledger_update_day_1=10, ledger_update_day_2=25, workday_end="18:00")
    schedule = Schedule.from_campaign(campaign)
    assert schedule.due_at(NOV_1) == at("2026-11-10", "18:00")
    assert schedule.due_at(NOV_2) == at("2026-11-25", "18:00")
    assert schedule.due_at(CENSUS) == at("2026-10-27", "18:00")


# -- API -----------------------------------------------------------------------------------------------------


def test_api(reported: dict, personas: dict, client_for: Any, town: dict) -> None:
    village, office = client_for(personas["locality"]), client_for(personas["office"])
    listed = village.get("/api/v1/ledger-submissions/", {"limit": 100}).json()
    assert {item["unit"] for item in listed["results"]} == {"T-A"}
    one = listed["results"][0]
    assert one["period_label"].startswith("2026年") and one["batches"] == [one["batch"]]
    assert office.get("/api/v1/ledger-submissions/", {"status": "late"}).json()["count"] == 2
    with time_machine.travel(reported["now"], tick=False):
        table = office.get("/api/v1/ledger-submissions/table/", {"date_from": "2026-10-01"}).json()
        missing = office.get("/api/v1/ledger-submissions/missing/").json()
        mine = village.get("/api/v1/ledger-submissions/table/", {"date_from": "2026-10-01"}).json()
    assert [p["start"] for p in table["periods"]] == ["2026-10-16", "2026-11-01", "2026-11-16"]
    rows = {r["reporter"]["code"]: r for r in table["rows"]}
    assert [c["status"] for c in rows["T-B"]["cells"]] == ["late", "missing", "on_time"]
    assert rows["T-A"]["completeness"] == 1.0 and rows["T-A"]["timeliness"] == 0.5
    assert (missing["count"], missing["reporters"]) == (3, 3)
    assert [r["reporter"]["code"] for r in mine["rows"]] == ["T-A"]
    f.EBikeFactory(unit=town["a"], frame_number="API1")
    as_of = village.get("/api/v1/ledger-submissions/as-of/", {"unit": "T-A", "period": "2099-01-01"}).json()
    assert as_of["summary"]["total"] == 1 and as_of["results"][0]["frame_number"] == "API1"
    assert (
        village.get("/api/v1/ledger-submissions/as-of/", {"unit": "T-B", "period": "2026-11-01"}).status_code
        == 404
    )
    assert client_for(personas["volunteer"]).get("/api/v1/ledger-submissions/").status_code == 403


# -- demo -------------------------------------------------------------------------------------------------


def test_demo_has_on_time_late_and_missing_submissions(db: Any, settings: Any) -> None:
    from ebsafety.core.demo import build_demo

    settings.DEMO_BUILDERS = ["ebsafety.ledgers.submissions_demo.build_submissions_demo"]

    def fingerprint() -> list[tuple]:
        return list(
            Submission.objects.order_by("unit__code", "department__code", "kind", "period_start").values_list(
                "unit__code", "department__code", "kind", "period_start", "status", "submitted_at"
            )
        )

    with time_machine.travel(at("2026-11-30", "10:00"), tick=False):
        build_demo(seed=5)
        first = fingerprint()
        office = User.objects.get(username="office")
        table = completeness.build_table(
            office, first=datetime.date(2026, 9, 1), last=datetime.date(2026, 11, 30)
        )
        village_todos = todos(User.objects.get(username="village"))
    statuses = {c.status for row in table.rows for c in row.cells}
    assert {PeriodStatus.ON_TIME, PeriodStatus.LATE, PeriodStatus.MISSING, PeriodStatus.OPEN} <= statuses
    assert len(table.periods) >= 3 and len(table.rows) > 20
    assert any(row.reporter.department is not None for row in table.rows)
    assert ImportBatch.objects.count() > Submission.objects.count()  # some periods were reported twice
    assert all(b.original_file and b.counts["rows"] > 0 for b in ImportBatch.objects.all())
    assert [t.title for t in village_todos][:1] == ["本期台账未上报（11月30日 17:30截止）"]
    # the same seed on the same day gives the same submissions
    Submission.objects.all().delete()
    ImportBatch.objects.all().delete()
    SubmissionRule.objects.all().delete()
    Membership.objects.all().delete()
    User.objects.all().delete()
    Campaign.objects.all().delete()
    Department.objects.all().delete()
    for unit in Unit.objects.order_by("-depth"):
        unit.delete()
    with time_machine.travel(at("2026-11-30", "10:00"), tick=False):
        build_demo(seed=5)
    assert fingerprint() == first
