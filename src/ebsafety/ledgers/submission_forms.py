"""Forms of the half-month submission pages: the office's reporting rules and the page filters."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from ebsafety.core.choices import Action, UnitKind
from ebsafety.core.forms import ScopedModelForm, choice_field, choice_queryset, model_choice_field
from ebsafety.core.models import Department, Unit
from ebsafety.core.periods import HalfMonth, iter_periods, period_for
from ebsafety.core.scoping import restrict
from ebsafety.ledgers.choices import LedgerKind
from ebsafety.ledgers.models import SubmissionRule

# Units a table can be narrowed to (the levels above the reporters, and the reporters themselves).
AREA_KINDS = [
    UnitKind.CITY,
    UnitKind.DISTRICT,
    UnitKind.TOWN,
    UnitKind.STREET,
    UnitKind.VILLAGE,
    UnitKind.COMMUNITY,
    UnitKind.PARK,
]


class SubmissionRuleForm(ScopedModelForm):
    unit_kinds = forms.MultipleChoiceField(
        label="须上报的单位类型",
        choices=UnitKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = SubmissionRule
        fields = ["campaign", "kind", "unit_kinds", "departments", "note"]
        widgets = {"departments": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit_kinds"].widget.attrs.pop("class", None)
        self.fields["departments"].widget.attrs.pop("class", None)
        if self.user is not None:
            model_choice_field(self, "campaign").queryset = restrict(
                choice_queryset(self, "campaign"), self.user, Action.CHANGE
            )
        self.fields[
            "departments"
        ].help_text = "这些部门每半月须上报该类台账（以部门账号导入时计为部门上报）。"

    def clean(self) -> dict[str, Any]:
        super().clean()  # ModelForm.clean returns cleaned_data (typed as optional: an override may not)
        data = self.cleaned_data
        campaign = data.get("campaign")
        departments: list[Department] = list(data.get("departments") or [])
        if campaign is not None:
            outside = [d for d in departments if not d.unit.path.startswith(campaign.unit.path)]
            if outside:
                names = "、".join(d.name for d in outside)
                self.add_error("departments", f"不属于“{campaign.unit}”的部门：{names}")
        return data


def period_choices(data: Any, periods: list[HalfMonth]) -> list[tuple[str, str]]:
    """Choices of the given periods, plus the requested one when it lies outside them (any date in it)."""
    choices = [(p.key, p.label) for p in periods]
    requested = (data or {}).get("period")
    if requested and requested not in dict(choices):
        try:
            period = HalfMonth.parse(requested)
        except ValueError:
            return choices
        choices.insert(0, (requested, period.label))
    return choices


def recent_periods(count: int = 12, ahead: int = 1) -> list[HalfMonth]:
    """The last `count` periods up to the current one, and `ahead` after it (newest first)."""
    current = period_for(timezone.localdate())
    first = current
    for _ in range(count - 1):
        first = first.previous()
    last = current
    for _ in range(ahead):
        last = last.next()
    return list(reversed(list(iter_periods(first.start, last.end))))


class AreaFormMixin:
    """A unit field narrowed to the areas the user may see, addressed by code."""

    fields: dict[str, forms.Field]

    def narrow_units(self, user: Any) -> None:
        model_choice_field(self, "unit").queryset = (
            Unit.objects.visible_to(user).filter(kind__in=AREA_KINDS).order_by("path")
        )


class TableFilterForm(AreaFormMixin, forms.Form):
    unit = forms.ModelChoiceField(
        label="单位（含下级）",
        queryset=Unit.objects.none(),
        required=False,
        to_field_name="code",
        empty_label="全部",
    )
    kind = forms.ChoiceField(label="台账类型", choices=[("", "全部")] + LedgerKind.choices, required=False)
    date_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.narrow_units(user)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm")
        for name in ("date_from", "date_to"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def range(self) -> tuple[datetime.date, datetime.date]:
        """The chosen dates, or the last six periods up to the current one."""
        data = self.cleaned_data if self.is_valid() else {}
        current = period_for(timezone.localdate())
        first = current
        for _ in range(5):
            first = first.previous()
        date_from = data.get("date_from") or first.start
        date_to = data.get("date_to") or current.end
        if date_to < date_from:
            date_from, date_to = date_to, date_from
        return date_from, date_to


class PeriodFilterForm(AreaFormMixin, forms.Form):
    unit = forms.ModelChoiceField(
        label="单位（含下级）",
        queryset=Unit.objects.none(),
        required=False,
        to_field_name="code",
        empty_label="全部",
    )
    kind = forms.ChoiceField(label="台账类型", choices=[("", "全部")] + LedgerKind.choices, required=False)
    period = forms.ChoiceField(label="半月期", required=False)

    def __init__(
        self, *args: Any, user: Any, blank_period: str = "下一个截止的半月期", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.narrow_units(user)
        choice_field(self, "period").choices = [
            ("", blank_period),
            *period_choices(self.data, recent_periods()),
        ]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm")

    def clean_period(self) -> HalfMonth | None:
        value = self.cleaned_data.get("period")
        return HalfMonth.parse(value) if value else None


class AsOfForm(AreaFormMixin, forms.Form):
    kind = forms.ChoiceField(label="台账", required=False)
    unit = forms.ModelChoiceField(label="单位（含下级）", queryset=Unit.objects.none(), to_field_name="code")
    period = forms.ChoiceField(label="截至半月期期末")

    def __init__(self, *args: Any, user: Any, kinds: list[str], **kwargs: Any) -> None:
        """`kinds`: the ledgers the user may see, the first the default."""
        super().__init__(*args, **kwargs)
        self.default_kind = kinds[0]
        choice_field(self, "kind").choices = [(k, LedgerKind(k).label) for k in kinds]
        self.narrow_units(user)
        choice_field(self, "period").choices = period_choices(self.data, recent_periods(24, ahead=0))
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm")

    def clean_kind(self) -> str:
        return self.cleaned_data["kind"] or self.default_kind

    def clean_period(self) -> HalfMonth:
        return HalfMonth.parse(self.cleaned_data["period"])
