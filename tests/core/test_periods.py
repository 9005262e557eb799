"""Half-month periods and their deadlines: pure functions, checked by example and by property."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ebsafety.core.periods import SHANGHAI, HalfMonth, Schedule, period_for, periods_between

dates = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2099, 12, 31))
schedules = st.builds(
    Schedule,
    day_1=st.integers(1, 28),
    day_2=st.integers(0, 31),
    workday_end=st.times(),
)
moments = st.datetimes(
    min_value=datetime.datetime(2001, 1, 1), max_value=datetime.datetime(2098, 12, 31)
).map(lambda m: m.replace(tzinfo=SHANGHAI))


def at(day: str, clock: str) -> datetime.datetime:
    return datetime.datetime.combine(
        datetime.date.fromisoformat(day), datetime.time.fromisoformat(clock), tzinfo=SHANGHAI
    )


@given(dates)
def test_every_date_belongs_to_exactly_one_period(day: datetime.date) -> None:
    period = period_for(day)
    assert period.start <= day <= period.end
    around = periods_between(day - datetime.timedelta(days=40), day + datetime.timedelta(days=40))
    assert [p for p in around if day in p] == [period]


@given(dates, st.integers(0, 400))
def test_periods_tile_without_gaps(first: datetime.date, span: int) -> None:
    last = first + datetime.timedelta(days=span)
    periods = periods_between(first, last)
    assert first in periods[0] and last in periods[-1]
    for before, after in zip(periods, periods[1:], strict=False):
        assert after.start == before.end + datetime.timedelta(days=1)
        assert before.next() == after and after.previous() == before
    covered = sum((p.end - p.start).days + 1 for p in periods)
    assert covered == (periods[-1].end - periods[0].start).days + 1


@given(dates)
def test_a_period_is_the_first_or_second_half(day: datetime.date) -> None:
    period = period_for(day)
    if period.is_first_half:
        assert (period.start.day, period.end.day) == (1, 15)
        assert period.label.endswith("上半月")
    else:
        assert period.start.day == 16
        assert (period.end + datetime.timedelta(days=1)).day == 1
        assert period.label.endswith("下半月")
    assert HalfMonth.parse(period.key) == period == HalfMonth.parse(day.isoformat())


def test_labels_and_moments() -> None:
    period = period_for(datetime.date(2026, 11, 3))
    assert period.label == "2026年11月上半月"
    assert str(period.next()) == "2026年11月下半月"
    assert period.next().end == datetime.date(2026, 11, 30)
    # An aware moment is read in Beijing time: 23:30 UTC on the 15th is already the 16th there.
    utc_moment = datetime.datetime(2026, 11, 15, 23, 30, tzinfo=datetime.UTC)
    assert period_for(utc_moment).start == datetime.date(2026, 11, 16)
    assert periods_between(datetime.date(2026, 11, 2), datetime.date(2026, 11, 1)) == []


@pytest.mark.parametrize(
    ("period_day", "due"),
    [
        ("2026-11-03", "2026-11-15"),
        ("2026-11-20", "2026-11-30"),
        ("2027-02-20", "2027-02-28"),  # month end in February
        ("2028-02-20", "2028-02-29"),  # and in a leap year
        ("2026-12-20", "2026-12-31"),  # a 31-day month
    ],
)
def test_default_due_days(period_day: str, due: str) -> None:
    schedule = Schedule()
    period = period_for(datetime.date.fromisoformat(period_day))
    assert schedule.due_date(period) == datetime.date.fromisoformat(due)
    assert schedule.due_at(period) == at(due, "17:30")


def test_configured_due_days() -> None:
    schedule = Schedule(day_1=10, day_2=25, workday_end=datetime.time(18, 0))
    assert schedule.due_at(period_for(datetime.date(2026, 11, 1))) == at("2026-11-10", "18:00")
    assert schedule.due_at(period_for(datetime.date(2026, 11, 16))) == at("2026-11-25", "18:00")
    # 31 in a short month is its last day
    late = Schedule(day_2=31)
    assert late.due_date(period_for(datetime.date(2027, 2, 16))) == datetime.date(2027, 2, 28)
    assert late.due_date(period_for(datetime.date(2026, 11, 16))) == datetime.date(2026, 11, 30)
    # 1–15 for the second half: early in the following month
    early = Schedule(day_1=5, day_2=5)
    assert early.due_date(period_for(datetime.date(2026, 12, 20))) == datetime.date(2027, 1, 5)
    assert early.due_date(period_for(datetime.date(2027, 1, 3))) == datetime.date(2027, 1, 5)


def test_census_period_and_reporting_range() -> None:
    schedule = Schedule(
        census_deadline=datetime.date(2026, 10, 27),
        start=datetime.date(2026, 10, 6),
        end=datetime.date(2027, 4, 4),
    )
    census = period_for(datetime.date(2026, 10, 27))
    assert schedule.first_period == census and schedule.is_census(census)
    assert schedule.due_at(census) == at("2026-10-27", "17:30")
    assert not schedule.is_reporting(census.previous())
    assert schedule.last_period == period_for(datetime.date(2027, 4, 4))
    assert not schedule.is_reporting(schedule.last_period.next())
    periods = schedule.reporting_periods(datetime.date(2026, 10, 1), datetime.date(2026, 11, 30))
    assert [p.key for p in periods] == ["2026-10-16", "2026-11-01", "2026-11-16"]
    # Before the census deadline everything counts for the census; then each window ends at a deadline.
    assert schedule.window_period(at("2026-09-01", "08:00")) == census
    assert schedule.window_period(at("2026-10-27", "17:30")) == census
    assert schedule.window_period(at("2026-10-27", "17:31")) == census.next()
    assert schedule.window_period(at("2026-11-15", "17:30")) == census.next()
    assert schedule.window_period(at("2026-11-15", "17:31")) == census.next().next()
    assert schedule.window_period(at("2027-04-30", "17:31")) is None


@given(schedules, dates)
def test_deadlines_never_run_backwards(schedule: Schedule, day: datetime.date) -> None:
    period = period_for(day)
    assert schedule.due_at(period.previous()) <= schedule.due_at(period)
    assert schedule.due_date(period) >= period.start
    assert (schedule.due_date(period) - period.start).days <= 31


@given(schedules, moments)
def test_a_moment_lies_in_the_window_of_its_period(schedule: Schedule, moment: datetime.datetime) -> None:
    period = schedule.window_period(moment)
    assert period is not None
    assert schedule.due_at(period.previous()) < moment <= schedule.due_at(period)
    assert schedule.is_on_time(period, moment)
    assert not schedule.is_on_time(period.previous(), moment)
