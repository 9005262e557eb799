"""Working-day calendar overrides: the office enters a year's holidays and make-up working days when the
State Council publishes them and before the calendar library knows them (or corrects a local arrangement)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.urls import reverse

from ebsafety.core.choices import Role
from ebsafety.core.models.base import ALL_ACTIONS, READ, BaseModel


class CalendarDay(BaseModel):
    """One date declared a working day or a day off, overriding the library and the weekend rule."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("工作日")
    note = models.CharField("说明", max_length=100, blank=True)

    scope_unit_path: ClassVar[str | None] = None
    role_actions: ClassVar[dict[str, frozenset[str]]] = {
        Role.OFFICE: ALL_ACTIONS,
        **{role: READ for role in Role.values if role != Role.OFFICE},
    }

    class Meta:
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'上班' if self.is_workday else '休息'}"

    def get_absolute_url(self) -> str:
        return reverse("core:calendarday_detail", args=[self.pk])

    @classmethod
    def scope_q_for_unit_path(cls, path: str) -> models.Q:
        """The calendar is shared by everyone: any membership sees it."""
        from ebsafety.core.scoping import EVERYTHING

        return EVERYTHING
