"""People in the ledgers: e-bike owners and riders."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.urls import reverse

from ebsafety.core.models import BaseModel, Unit
from ebsafety.ledgers import scoping as ledger_scoping


class Person(BaseModel):
    """An e-bike owner or a rider. Matched by ID number; without one, by name and phone within the unit."""

    name = models.CharField("姓名", max_length=50)
    id_number = models.CharField("身份证号", max_length=18, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    address = models.CharField("住址", max_length=200, blank=True)
    unit = models.ForeignKey(Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="people")

    personal_fields: ClassVar[tuple[str, ...]] = ("id_number", "phone")

    scope_q_for_membership = ledger_scoping.people  # platform accounts (see ledgers/scoping.py)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=~Q(id_number=""),
                name="person_unique_id_number",
                violation_error_message="该身份证号已登记。",
            ),
        ]
        indexes = [
            # matching rows without an ID number: name + phone
            models.Index(fields=["phone", "name"], name="person_phone_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("ledgers:person_detail", args=[self.pk])
