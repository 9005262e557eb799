"""Forms of the tips app: the public page, the hotline entry, triage, verification and rewards."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone

from ebsafety.core.choices import UnitKind
from ebsafety.core.forms import choice_field
from ebsafety.core.models import Department, Unit
from ebsafety.tips import ratelimit, services
from ebsafety.tips.choices import Outcome, PaymentMethod, RewardTier
from ebsafety.tips.models import PHONE_VALIDATOR, TipCategory

CONTROL = {"class": "form-control"}
SELECT = {"class": "form-select"}
CHECK = {"class": "form-check-input"}


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Up to four photos from one <input type=file multiple> (cleaned and re-encoded in services)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultiplePhotoInput(attrs={"class": "form-control", "accept": "image/*", "multiple": True}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        files = (
            [single(d, initial) for d in data] if isinstance(data, list | tuple) else [single(data, initial)]
        )
        files = [f for f in files if f]
        if len(files) > services.MAX_PHOTOS:
            raise forms.ValidationError(f"最多上传 {services.MAX_PHOTOS} 张照片。")
        return files


def compound_choices() -> list[tuple[str, Any]]:
    """Compounds grouped by their village or community, for the public page's first select."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    compounds = Unit.objects.filter(kind=UnitKind.COMPOUND).select_related("parent").order_by("path")
    for unit in compounds:
        groups[unit.parent.name if unit.parent is not None else ""].append((unit.code, unit.name))
    return [("", "请选择小区"), *((group, items) for group, items in groups.items())]


def building_choices(compound_code: str) -> list[tuple[str, str]]:
    buildings = Unit.objects.filter(kind=UnitKind.BUILDING, parent__code=compound_code).order_by("code")
    return [("", "不确定 / 整个小区"), *((u.code, u.name) for u in buildings)]


class TipForm(forms.Form):
    """A tip as a reporter, or the hotline officer for a caller, gives it."""

    category = forms.ModelChoiceField(
        TipCategory.objects.filter(is_active=True),
        label="隐患类别",
        to_field_name="code",
        empty_label="请选择",
        widget=forms.Select(attrs=SELECT),
        error_messages={"required": "请选择隐患类别。"},
    )
    description = forms.CharField(
        label="情况描述",
        max_length=2000,
        widget=forms.Textarea(
            attrs={**CONTROL, "rows": 4, "placeholder": "例如：3 单元楼道内有电动车在充电"}
        ),
        error_messages={"required": "请描述隐患情况。"},
    )
    compound = forms.ChoiceField(label="小区", required=False, widget=forms.Select(attrs=SELECT))
    building = forms.ChoiceField(label="楼栋", required=False, widget=forms.Select(attrs=SELECT))
    address = forms.CharField(
        label="详细地址",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={**CONTROL, "placeholder": "找不到小区时请填写，如：某村某街 12 号"}),
    )
    photos = MultiplePhotoField(label="照片（最多 4 张）", required=False)
    name = forms.CharField(
        label="姓名（可不填）", max_length=50, required=False, widget=forms.TextInput(attrs=CONTROL)
    )
    phone = forms.CharField(
        label="联系电话（可不填）",
        max_length=20,
        required=False,
        validators=[PHONE_VALIDATOR],
        widget=forms.TextInput(attrs={**CONTROL, "inputmode": "tel", "autocomplete": "tel"}),
    )
    contact_consent = forms.BooleanField(
        label="同意工作人员就奖励事宜与我联系", required=False, widget=forms.CheckboxInput(attrs=CHECK)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "compound").choices = compound_choices()
        # htmx replaces the building options when another compound is chosen
        self.fields["compound"].widget.attrs.update(
            {"hx-get": reverse("tips:public_buildings"), "hx-target": "#id_building", "hx-trigger": "change"}
        )
        compound = self.data.get("compound") or self.initial.get("compound") or ""
        choice_field(self, "building").choices = (
            building_choices(compound) if compound else [("", "请先选择小区")]
        )

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns cleaned_data (typed as optional: an override may not)
        data = self.cleaned_data
        code = data.get("building") or data.get("compound")
        data["unit"] = Unit.objects.filter(code=code).first() if code else None
        return data

    def submission(self) -> services.Submission:
        data = self.cleaned_data
        return services.Submission(
            category=data["category"],
            description=data["description"],
            unit=data["unit"],
            address=data.get("address", ""),
            name=data.get("name", ""),
            phone=data.get("phone", ""),
            contact_consent=data.get("contact_consent", False),
        )


class PublicTipForm(TipForm):
    """The public page's form, with its two spam traps: a field only robots fill, and a signed start time."""

    website = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
    )
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["started"].initial = ratelimit.form_token()


class AcceptForm(forms.Form):
    """Accept a tip: a hazard for the responsible unit/department, or forwarded to the district."""

    route = forms.ChoiceField(
        label="处理方式",
        choices=[("hazard", "转为隐患，由属地和行业部门处置"), ("forward", "移交区级部门核查")],
        widget=forms.RadioSelect,
        initial="hazard",
    )
    department = forms.ModelChoiceField(
        Department.objects.order_by("code"),
        label="责任部门",
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    forwarded_to = forms.CharField(
        label="接收核查单位", max_length=100, required=False, widget=forms.TextInput(attrs=CONTROL)
    )
    forwarded_on = forms.DateField(
        label="移交日期",
        required=False,
        widget=forms.DateInput(attrs={**CONTROL, "type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label="说明", required=False, widget=forms.TextInput(attrs=CONTROL))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forwarded_on"].initial = timezone.localdate()


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="不予受理理由（举报人可见）", max_length=300, widget=forms.TextInput(attrs=CONTROL)
    )


class VerifyForm(forms.Form):
    outcome = forms.ChoiceField(label="核查结果", choices=Outcome.choices, widget=forms.Select(attrs=SELECT))
    note = forms.CharField(
        label="核查情况", required=False, widget=forms.Textarea(attrs={**CONTROL, "rows": 2})
    )


class ProposeRewardForm(forms.Form):
    tier = forms.ChoiceField(label="奖励档次", choices=RewardTier.choices, widget=forms.Select(attrs=SELECT))
    is_major = forms.BooleanField(label="重大隐患", required=False, widget=forms.CheckboxInput(attrs=CHECK))


class ApproveRewardForm(forms.Form):
    tier = forms.ChoiceField(label="奖励档次", choices=RewardTier.choices, widget=forms.Select(attrs=SELECT))
    is_major = forms.BooleanField(label="重大隐患", required=False, widget=forms.CheckboxInput(attrs=CHECK))
    amount = forms.DecimalField(
        label="金额（元）",
        min_value=0,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs=CONTROL),
    )
    recipient = forms.ChoiceField(label="获奖举报", widget=forms.Select(attrs=SELECT))
    note = forms.CharField(
        label="审批意见", max_length=300, required=False, widget=forms.TextInput(attrs=CONTROL)
    )


class DeclineRewardForm(forms.Form):
    note = forms.CharField(label="不予奖励的理由", max_length=300, widget=forms.TextInput(attrs=CONTROL))


class PaymentForm(forms.Form):
    paid_on = forms.DateField(
        label="发放日期", widget=forms.DateInput(attrs={**CONTROL, "type": "date"}, format="%Y-%m-%d")
    )
    method = forms.ChoiceField(
        label="发放方式", choices=PaymentMethod.choices, widget=forms.Select(attrs=SELECT)
    )
    payment_ref = forms.CharField(
        label="凭证号", max_length=60, required=False, widget=forms.TextInput(attrs=CONTROL)
    )
    payee_confirmed = forms.BooleanField(
        label="领奖人已签字或回执确认", required=False, widget=forms.CheckboxInput(attrs=CHECK)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()


class TipCategoryForm(forms.ModelForm):
    class Meta:
        model = TipCategory
        fields = ["code", "name", "hazard_category_code", "sort_order", "is_active"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault(
                "class", "form-check-input" if name == "is_active" else "form-control"
            )
