"""Forms of the core app. Every choice list of related records is narrowed to the user's scope."""

from __future__ import annotations

from typing import Any, Protocol, cast

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.db.models import QuerySet

from ebsafety.core import parameters
from ebsafety.core.choices import Action, Sector
from ebsafety.core.models import Campaign, Department, Membership, Unit, User
from ebsafety.core.scoping import restrict


class WithFields(Protocol):
    """A form, or a mixin of forms that declares `fields`."""

    fields: dict[str, forms.Field]


# `form.fields` is typed as plain Fields; these give a field back as the kind of field the form declares.
def model_choice_field(form: WithFields, name: str) -> forms.ModelChoiceField[Any]:
    """A (multiple) model choice field of the form, e.g. to narrow its queryset."""
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def choice_queryset(form: WithFields, name: str) -> QuerySet[Any]:
    """The queryset a model choice field of the form offers (a model form's always has one)."""
    queryset = model_choice_field(form, name).queryset
    assert queryset is not None
    return queryset


def choice_field(form: WithFields, name: str) -> forms.ChoiceField:
    """A choice field of the form, e.g. to set its choices."""
    return cast(forms.ChoiceField, form.fields[name])


class ScopedModelForm(forms.ModelForm):
    """A ModelForm whose foreign-key choices only offer records the user may see."""

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and user is not None:
                assert field.queryset is not None  # a model form's choice fields have their model's
                field.queryset = restrict(field.queryset, user, Action.VIEW)  # what visible_to() calls
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(field.widget, forms.Select | forms.SelectMultiple):
                field.widget.attrs.setdefault("class", "form-select")
            else:
                field.widget.attrs.setdefault("class", "form-control")


class UnitForm(ScopedModelForm):
    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "parent", "households", "population", "is_fringe", "address"]


class DepartmentForm(ScopedModelForm):
    sectors = forms.MultipleChoiceField(
        label="负责行业", choices=Sector.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Department
        fields = ["code", "name", "kind", "sectors", "unit", "served_units", "contact", "phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sectors"].widget.attrs.pop("class", None)
        self.fields["served_units"].help_text = "不选则为所属单位的全部辖区。"


class CampaignForm(ScopedModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "unit", "start_date", "end_date", "description"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }


class CampaignParametersForm(forms.Form):
    """One field per defined campaign parameter, grouped as the plan's measures."""

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.field_groups: dict[str, str] = {}
        for definition in parameters.definitions():
            field = definition.form_field()
            field.widget.attrs.setdefault("class", "form-control")
            self.field_groups[definition.key] = definition.group
            self.fields[definition.key] = field
            self.initial[definition.key] = campaign.param(definition.key)

    def grouped(self) -> list[tuple[str, list[Any]]]:
        groups: dict[str, list[Any]] = {}
        for name in self.fields:
            groups.setdefault(self.field_groups[name], []).append(self[name])
        return list(groups.items())


class UserForm(ScopedModelForm):
    class Meta:
        model = User
        fields = ["username", "display_name", "phone", "email", "is_active"]


class UserCreateForm(UserForm):
    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
        help_text="留空则自动生成临时密码；用户首次登录须修改。",
    )

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if password:
            validate_password(password)
        return password


class MembershipForm(ScopedModelForm):
    class Meta:
        model = Membership
        fields = ["user", "role", "unit", "department", "is_active", "note"]


class UnitImportForm(forms.Form):
    file = forms.FileField(label="单位表（xlsx / xls / csv）")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".xlsx", ".xls", ".csv", ".xlsm")):
            raise forms.ValidationError("请上传 xlsx、xls 或 csv 文件。")
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError("文件不能超过 20 MB。")
        return upload
