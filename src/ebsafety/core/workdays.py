"""Working days in China: public holidays and make-up working days (调休).

Order of authority for a date: the office's `CalendarDay` overrides, then the chinese-calendar library
(the State Council's published arrangements), then — for a year neither knows yet — Monday to Friday, with
`is_covered()` telling pages to warn that the year's holidays are not entered.
"""

from __future__ import annotations

import datetime
import functools
import logging

import chinese_calendar

logger = logging.getLogger(__name__)
MAX_SPAN_DAYS = 3660  # refuse absurd spans instead of looping for ever


# The years whose State Council arrangement the installed library knows.
LIBRARY_YEARS = frozenset(day.year for day in chinese_calendar.holidays)


@functools.lru_cache(maxsize=4096)
def _library_workday(day: datetime.date) -> bool | None:
    if day.year not in LIBRARY_YEARS:
        return None
    return bool(chinese_calendar.is_workday(day))


def _overrides(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    from ebsafety.core.models.calendar import CalendarDay

    return dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_workday"))


def is_covered(year: int) -> bool:
    """Does the calendar know this year's holidays (from the library or the office's overrides)?"""
    from ebsafety.core.models.calendar import CalendarDay

    return (
        _library_workday(datetime.date(year, 7, 1)) is not None
        or CalendarDay.objects.filter(date__year=year, is_workday=False)
        .exclude(date__week_day__in=(1, 7))
        .exists()
    )


def is_workday(day: datetime.date, overrides: dict[datetime.date, bool] | None = None) -> bool:
    if overrides is None:
        overrides = _overrides(day, day)
    if day in overrides:
        return overrides[day]
    known = _library_workday(day)
    if known is not None:
        return known
    return day.weekday() < 5


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself not counted): "整改期限 3 个工作日"."""
    if days < 0:
        raise ValueError("days must not be negative")
    overrides = _overrides(start, start + datetime.timedelta(days=days * 3 + 40))
    day = start
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if (day - start).days > MAX_SPAN_DAYS:
            raise ValueError("working-day span too long")
        if day not in overrides and day > start + datetime.timedelta(days=days * 3 + 40):
            overrides.update(_overrides(day, day + datetime.timedelta(days=60)))
        if is_workday(day, overrides):
            counted += 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    if end <= start:
        return 0
    if (end - start).days > MAX_SPAN_DAYS:
        raise ValueError("working-day span too long")
    overrides = _overrides(start, end)
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if is_workday(start + datetime.timedelta(days=offset), overrides)
    )
