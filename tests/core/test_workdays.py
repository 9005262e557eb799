"""Working days with China's holidays and make-up working days (调休)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from ebsafety.core import workdays
from ebsafety.core.models import CalendarDay

D = datetime.date


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (D(2026, 9, 29), 3, D(2026, 10, 9)),  # National Day: Oct 1-7 off, work resumes on the 8th
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),  # the make-up Saturday counts
        (D(2026, 10, 9), 2, D(2026, 10, 12)),  # … and the Sunday after it does not
        (D(2026, 2, 12), 3, D(2026, 2, 24)),  # Spring Festival 2026: 2-14 (Sat) make-up, 15-23 off
        (D(2026, 11, 27), 1, D(2026, 11, 30)),  # a plain weekend
        (D(2026, 11, 30), 0, D(2026, 11, 30)),
    ],
)
def test_add_working_days(start: datetime.date, days: int, expected: datetime.date) -> None:
    assert workdays.add_working_days(start, days) == expected


@pytest.mark.django_db
def test_make_up_saturday_is_a_working_day() -> None:
    assert workdays.is_workday(D(2026, 10, 10)) is True
    assert workdays.is_workday(D(2026, 10, 1)) is False


@pytest.mark.django_db
def test_office_overrides_win_and_cover_unpublished_years() -> None:
    # 2027's arrangement is not in the library yet: weekdays count, and the page can warn
    assert workdays.is_covered(2027) is False
    assert workdays.add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 8)
    CalendarDay.objects.create(date=D(2027, 2, 8), is_workday=False, note="春节")
    CalendarDay.objects.create(date=D(2027, 2, 6), is_workday=True, note="调休上班")
    assert workdays.add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 6)
    assert workdays.add_working_days(D(2027, 2, 5), 2) == D(2027, 2, 9)
    assert workdays.is_covered(2027) is True


@pytest.mark.django_db
def test_working_days_between() -> None:
    assert (
        workdays.working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
    )  # Oct 8, 9 and the make-up 10th
    assert workdays.working_days_between(D(2026, 10, 10), D(2026, 10, 1)) == 0


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        workdays.add_working_days(D(2026, 1, 1), -1)


def test_calendar_pages_are_office_edited(personas: dict, client_for: Any) -> None:
    from django.urls import reverse

    office = client_for(personas["office"])
    response = office.post(
        reverse("core:calendarday_add"), {"date": "2027-02-08", "is_workday": "", "note": "春节"}
    )
    assert response.status_code == 302
    assert client_for(personas["locality"]).get(reverse("core:calendarday_list")).status_code == 200
    refused = client_for(personas["locality"]).post(reverse("core:calendarday_add"), {"date": "2027-02-09"})
    assert refused.status_code == 403
