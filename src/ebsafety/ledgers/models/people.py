"""People in the ledgers: e-bike owners and riders."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.urls import reverse

from ebsafety.core.fields import CodeField
from ebsafety.core.models import BaseModel, Unit
from ebsafety.ledgers import scoping as ledger_scoping

# The condition of the ID number's unique index. A look-up by ID number states it too (`filter(HAS_ID_NUMBER,
# id_number=…)`): SQLite uses a partial index only for a query that carries its condition's terms.
HAS_ID_NUMBER = ~Q(id_number="")


class Person(BaseModel):
    """An e-bike owner or a rider. Matched by ID number; without one, by name and phone within the unit."""

    name = models.CharField("姓名", max_length=50)
    id_number = CodeField("身份证号", max_length=18, blank=True)
    phone = CodeField("手机号", max_length=20, blank=True)
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
                condition=HAS_ID_NUMBER,
                name="person_unique_id_number",
                violation_error_message="该身份证号已登记。",
            ),
        ]
        indexes = [
            # matching rows without an ID number: name + phone, looked up among those without one only
            # (people with an ID number are matched by it), so only they are indexed
            models.Index(fields=["phone", "name"], name="person_phone_name", condition=Q(id_number="")),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("ledgers:person_detail", args=[self.pk])
