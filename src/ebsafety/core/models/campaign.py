"""The campaign itself: a record with dates, a status and the plan's "x" values as parameters."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from ebsafety.core.choices import CampaignStatus, Role
from ebsafety.core.models.base import ALL_ACTIONS, READ, BaseModel
from ebsafety.core.models.org import Unit


class Campaign(BaseModel):
    """One campaign run by a unit (the town). One is active per unit; earlier ones stay readable.

    `parameters` holds the plan's values the office fills in (deadlines, teams per compound, reward …),
    keyed by the definitions in `ebsafety.core.parameters`; read them with `campaign.param(key)`.
    """

    name = models.CharField("名称", max_length=200)
    unit = models.ForeignKey(
        Unit, verbose_name="组织单位", on_delete=models.PROTECT, related_name="campaigns"
    )
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    status = models.CharField(
        "状态", max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    description = models.TextField("说明", blank=True)
    parameters = models.JSONField("工作参数", default=dict, blank=True)

    role_actions: ClassVar[dict[str, frozenset[str]]] = {
        Role.OFFICE: ALL_ACTIONS,
        **{role: READ for role in Role.values if role != Role.OFFICE},
    }

    @classmethod
    def scope_q_for_unit_path(cls, path: str) -> Q:
        """A campaign is seen by everyone in the unit that runs it and below, and by the units above."""
        ancestor_codes = [part for part in path.strip("/").split("/") if part]
        return Q(unit__path__startswith=path) | Q(unit__code__in=ancestor_codes)

    class Meta:
        verbose_name = "专项整治"
        verbose_name_plural = "专项整治"
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(status=CampaignStatus.ACTIVE),
                name="campaign_one_active_per_unit",
                violation_error_message="同一单位只能有一个进行中的专项整治。",
            ),
            models.CheckConstraint(
                name="campaign_dates_ordered",
                condition=Q(end_date__gte=models.F("start_date")),
                violation_error_message="结束日期不能早于开始日期。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("core:campaign_detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        from ebsafety.core import parameters

        try:
            self.parameters = parameters.clean_values(self.parameters or {})
        except ValidationError as exc:
            raise ValidationError({"parameters": exc.messages}) from exc

    def param(self, key: str) -> Any:
        """A parameter's typed value: the office's setting, or the definition's default."""
        from ebsafety.core import parameters

        return parameters.get_value(self.parameters or {}, key)

    @classmethod
    def active_for(cls, unit: Unit | None) -> Campaign | None:
        """The active campaign run by this unit or its nearest ancestor."""
        qs = cls.objects.filter(status=CampaignStatus.ACTIVE)
        if unit is None:
            return qs.order_by("unit__depth").first()
        return qs.filter(unit__code__in=unit.ancestor_codes).order_by("-unit__depth").first()
