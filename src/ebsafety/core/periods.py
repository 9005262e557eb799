"""Half-month periods and their deadlines (measure 1: the ledgers are updated every half month).

A period is the 1st–15th or the 16th–last day of a month (`HalfMonth`). Which moment a period's update is
due comes from the campaign parameters (`Schedule`), in the time zone of the platform (Asia/Shanghai):

- first half (1st–15th): due on `ledger_update_day_1` of the same month (default 15, the period's last day);
- second half (16th–end): due on `ledger_update_day_2` — 0 (the default) means the last day of the month;
  16–31 is that day of the same month, clamped to the month's last day (31 in February → the 28th or 29th);
  1–15 is that day of the *following* month (an office that takes the second-half report early next month);
- in both cases at `workday_end` (default 17:30, "下班前"); a submission at or before that moment is on time;
- deadlines never run backwards: where the office's two days cross (a first-half day after the second-half
  day), a period is due no earlier than the period before it;
- the initial census: the period that contains `census_deadline` is the first reporting period and is due at
  the census deadline (at `workday_end`); the periods before it are not reporting periods (the census is
  under way), and anything submitted before the census deadline counts for the census. Without a census
  deadline the first reporting period is the one the campaign starts in; the last is the one it ends in.

Everything here is a pure function of dates and parameter values; `Schedule.from_campaign` reads them.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
ONE_DAY = datetime.timedelta(days=1)


def last_day_of_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True, order=True)
class HalfMonth:
    """One half-month reporting period: the 1st–15th or the 16th–last day of a month (both inclusive)."""

    start: datetime.date
    end: datetime.date = field(compare=False)

    @classmethod
    def containing(cls, day: datetime.date) -> HalfMonth:
        if day.day <= 15:
            return cls(day.replace(day=1), day.replace(day=15))
        return cls(day.replace(day=16), day.replace(day=last_day_of_month(day.year, day.month)))

    @classmethod
    def parse(cls, text: str) -> HalfMonth:
        """The period containing an ISO date ("2026-11-16"); any day inside the period will do."""
        return cls.containing(datetime.date.fromisoformat(str(text).strip()))

    @property
    def is_first_half(self) -> bool:
        return self.start.day == 1

    @property
    def key(self) -> str:
        """A stable text key for URLs and the API: the start date."""
        return self.start.isoformat()

    @property
    def label(self) -> str:
        half = "上半月" if self.is_first_half else "下半月"
        return f"{self.start.year}年{self.start.month}月{half}"

    @property
    def short_label(self) -> str:
        return f"{self.start.month}月{'上' if self.is_first_half else '下'}"

    def next(self) -> HalfMonth:
        return HalfMonth.containing(self.end + ONE_DAY)

    def previous(self) -> HalfMonth:
        return HalfMonth.containing(self.start - ONE_DAY)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, datetime.date) and self.start <= day <= self.end

    def __str__(self) -> str:
        return self.label


def period_for(day: datetime.date | datetime.datetime, tz: datetime.tzinfo = SHANGHAI) -> HalfMonth:
    """The period a date (or an aware moment, read in `tz`) falls in."""
    if isinstance(day, datetime.datetime):
        day = day.astimezone(tz).date() if day.tzinfo else day.date()
    return HalfMonth.containing(day)


def periods_between(first: datetime.date, last: datetime.date) -> list[HalfMonth]:
    """Every period that overlaps [first, last], in order (none when last < first)."""
    return list(iter_periods(first, last))


def iter_periods(first: datetime.date, last: datetime.date) -> Iterator[HalfMonth]:
    if last < first:
        return
    period = HalfMonth.containing(first)
    while period.start <= last:
        yield period
        period = period.next()


@dataclass(frozen=True)
class Schedule:
    """When each period's ledger update is due, from a campaign's parameters (see the module docstring)."""

    day_1: int = 15
    day_2: int = 0
    workday_end: datetime.time = datetime.time(17, 30)
    census_deadline: datetime.date | None = None
    start: datetime.date | None = None  # the campaign's first day
    end: datetime.date | None = None  # the campaign's last day
    tz: datetime.tzinfo = SHANGHAI

    @classmethod
    def from_campaign(cls, campaign: Any) -> Schedule:
        """The schedule of a campaign; without one, the parameters' defaults and no first or last period."""
        from django.utils import timezone

        from ebsafety.core import parameters

        def value(key: str) -> Any:
            if campaign is None:
                return parameters.get_value({}, key)
            return campaign.param(key)

        return cls(
            day_1=value("ledger_update_day_1"),
            day_2=value("ledger_update_day_2"),
            workday_end=value("workday_end"),
            census_deadline=value("census_deadline"),
            start=getattr(campaign, "start_date", None),
            end=getattr(campaign, "end_date", None),
            tz=timezone.get_default_timezone(),
        )

    # -- which periods are reporting periods ----------------------------------------------------------
    @property
    def first_period(self) -> HalfMonth | None:
        if self.census_deadline is not None:
            return HalfMonth.containing(self.census_deadline)
        return HalfMonth.containing(self.start) if self.start is not None else None

    @property
    def last_period(self) -> HalfMonth | None:
        last = HalfMonth.containing(self.end) if self.end is not None else None
        first = self.first_period
        if last is not None and first is not None and last < first:
            return first  # a census deadline after the campaign's end still has its one period
        return last

    def is_reporting(self, period: HalfMonth) -> bool:
        first, last = self.first_period, self.last_period
        return (first is None or period >= first) and (last is None or period <= last)

    def reporting_periods(self, first: datetime.date, last: datetime.date) -> list[HalfMonth]:
        return [p for p in iter_periods(first, last) if self.is_reporting(p)]

    def is_census(self, period: HalfMonth) -> bool:
        return self.census_deadline is not None and period == self.first_period

    # -- deadlines ------------------------------------------------------------------------------------
    def regular_due_date(self, period: HalfMonth) -> datetime.date:
        """The due day from the two day-of-month parameters alone (no census, no clamping)."""
        year, month = period.start.year, period.start.month
        if period.is_first_half:
            day = max(1, self.day_1)
            return datetime.date(year, month, min(day, last_day_of_month(year, month)))
        if self.day_2 <= 0:
            return period.end
        if self.day_2 >= 16:
            return datetime.date(year, month, min(self.day_2, last_day_of_month(year, month)))
        year, month = _add_months(year, month, 1)
        return datetime.date(year, month, self.day_2)

    def due_date(self, period: HalfMonth) -> datetime.date:
        if self.is_census(period):
            assert self.census_deadline is not None
            return self.census_deadline
        return max(self.regular_due_date(period), self.regular_due_date(period.previous()))

    def due_at(self, period: HalfMonth) -> datetime.datetime:
        """The aware moment a period's update is due (its due day at the end of the working day)."""
        return datetime.datetime.combine(self.due_date(period), self.workday_end, tzinfo=self.tz)

    def is_on_time(self, period: HalfMonth, moment: datetime.datetime) -> bool:
        return moment <= self.due_at(period)

    def window_period(self, moment: datetime.datetime) -> HalfMonth | None:
        """The reporting period whose deadline is the next one at `moment`: the earliest reporting period
        due at or after it, i.e. the one whose window (previous deadline, own deadline] holds the moment.
        None after the last period's deadline."""
        first, last = self.first_period, self.last_period
        if first is not None and moment <= self.due_at(first):
            return first
        period = period_for(moment, self.tz).previous().previous().previous()
        if first is not None and period <= first:
            period = first.next()
        while self.due_at(period) < moment:
            period = period.next()
        if last is not None and period > last:
            return None
        return period

    def local_date(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self.tz).date()
