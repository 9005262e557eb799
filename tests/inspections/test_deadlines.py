"""Rectification deadlines count China's working days: the National Day week of 2026 (Oct 1–7 off, Saturday
Oct 10 a make-up working day) and the Spring Festival of 2026 with its make-up Saturdays, with frozen time."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from ebsafety.inspections import services
from ebsafety.inspections.models import Hazard


def ordered(town: dict, personas: dict, days: int) -> Hazard:
    hazard = services.report_hazard(
        unit=town["a1"], category_code="indoor_charging", description="入户充电", source="inspection"
    )
    services.confirm(hazard, personas["inspector"])
    services.order_rectification(hazard, personas["inspector"], responsible_party="甲一物业", days=days)
    return hazard


@pytest.mark.parametrize(
    ("now", "days", "deadline"),
    [
        # Tuesday Sep 29: Sep 30 (Wed) is the only working day before the holiday; then Oct 8, 9, 10 (Sat).
        (datetime.datetime(2026, 9, 29, 9, 0), 1, datetime.date(2026, 9, 30)),
        (datetime.datetime(2026, 9, 29, 9, 0), 2, datetime.date(2026, 10, 8)),
        (datetime.datetime(2026, 9, 29, 9, 0), 4, datetime.date(2026, 10, 10)),  # make-up Saturday counts
        (datetime.datetime(2026, 9, 29, 9, 0), 5, datetime.date(2026, 10, 12)),  # Sunday Oct 11 does not
        # Found on a holiday: the first working day after the holiday is day one.
        (datetime.datetime(2026, 10, 3, 15, 0), 1, datetime.date(2026, 10, 8)),
        # Spring Festival 2026: Feb 14 (Sat) is a make-up working day, Feb 15–23 off, Feb 28 (Sat) works.
        (datetime.datetime(2026, 2, 13, 9, 0), 1, datetime.date(2026, 2, 14)),
        (datetime.datetime(2026, 2, 13, 9, 0), 2, datetime.date(2026, 2, 24)),
        (datetime.datetime(2026, 2, 24, 9, 0), 4, datetime.date(2026, 2, 28)),
    ],
)
def test_deadline_counts_working_days(
    town: dict, personas: dict, now: datetime.datetime, days: int, deadline: datetime.date
) -> None:
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    with time_machine.travel(now.replace(tzinfo=shanghai), tick=False):
        hazard = ordered(town, personas, days)
    assert hazard.deadline == deadline


def test_category_default_deadline_and_overdue_after_the_holiday(town: dict, personas: dict) -> None:
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    with time_machine.travel(datetime.datetime(2026, 9, 30, 10, 0, tzinfo=shanghai), tick=False):
        hazard = services.report_hazard(
            unit=town["a1"], category_code="corridor_parking", description="楼道停车", source="inspection"
        )
        services.confirm(hazard, personas["inspector"])
        services.order_rectification(hazard, personas["inspector"], responsible_party="甲一物业")
    assert hazard.deadline == datetime.date(2026, 10, 8)  # one working day, across the whole holiday
    assert not Hazard.objects.overdue_now(datetime.date(2026, 10, 8)).exists()
    assert Hazard.objects.overdue_now(datetime.date(2026, 10, 9)).get() == hazard
