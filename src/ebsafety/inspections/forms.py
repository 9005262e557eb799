"""Forms of the inspections app. Related-record choices are narrowed to the user's scope (ScopedModelForm);
status fields are never in a form — transitions go through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from ebsafety.core.choices import Action, UnitKind
from ebsafety.core.forms import ScopedModelForm, choice_field, choice_queryset, model_choice_field
from ebsafety.core.models import Department, Unit
from ebsafety.inspections.choices import CheckResult, FindingKind, TargetKind
from ebsafety.inspections.models import (
    CaseParty,
    CasePenalty,
    ChecklistItem,
    ChecklistTemplate,
    EnforcementCase,
    Hazard,
    HazardCategory,
    Inspection,
    PenaltyRule,
    SupervisionVisit,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_PHOTOS = 6


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from the phone's camera or gallery (cleaned later by core.uploads)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        attrs = {"accept": "image/*,application/pdf", "class": "form-control"}
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise ValidationError(f"最多上传 {MAX_PHOTOS} 个文件。")
        if self.required and not files:
            raise ValidationError("请上传照片。")
        return [super(PhotosField, self).clean(f, initial) for f in files]


def active_categories() -> Any:
    return HazardCategory.objects.filter(is_active=True)


class CatalogueForm(ScopedModelForm):
    pass


class HazardCategoryForm(CatalogueForm):
    class Meta:
        model = HazardCategory
        fields = [
            "code",
            "name",
            "description",
            "deadline_days",
            "default_severity",
            "sector",
            "sort_order",
            "is_active",
        ]


class ChecklistTemplateForm(CatalogueForm):
    class Meta:
        model = ChecklistTemplate
        fields = ["name", "target_kind", "is_active"]


class ChecklistItemForm(CatalogueForm):
    class Meta:
        model = ChecklistItem
        fields = ["template", "text", "category", "sort_order"]


class PenaltyRuleForm(CatalogueForm):
    class Meta:
        model = PenaltyRule
        fields = [
            "code",
            "violation",
            "legal_basis",
            "party",
            "kind",
            "min_amount",
            "max_amount",
            "is_active",
        ]


class InspectionForm(ScopedModelForm):
    """The inspection itself (target, date, departments, note); the view adds the checklist answers."""

    photos = PhotosField(label="现场照片")

    class Meta:
        model = Inspection
        fields = [
            "unit",
            "shop",
            "station",
            "recycling_site",
            "address",
            "inspected_on",
            "department",
            "departments",
            "participants",
            "note",
        ]
        widgets = {"inspected_on": DATE, "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, target_kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.target_kind = target_kind
        kept: dict[str, str] = {
            TargetKind.SHOP: "shop",
            TargetKind.STATION: "station",
            TargetKind.RECYCLING_SITE: "recycling_site",
        }
        keep = kept.get(target_kind)
        for name in ("shop", "station", "recycling_site"):
            if name != keep:
                del self.fields[name]
        if target_kind in (TargetKind.COMPOUND, TargetKind.BUILDING):
            kinds = [target_kind]
            model_choice_field(self, "unit").queryset = choice_queryset(self, "unit").filter(kind__in=kinds)
            self.fields["unit"].label = dict(TargetKind.choices)[target_kind]
            del self.fields["address"]
        model_choice_field(self, "unit").queryset = choice_queryset(self, "unit").order_by("path")
        self.fields["departments"].required = False
        self.fields["departments"].help_text = "联合检查时选择所有参加部门。"


class ChecklistAnswersForm(forms.Form):
    """One radio group (合格 / 有隐患 / 不适用) and a note per checklist item."""

    def __init__(self, *args: Any, items: list[ChecklistItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"item_{item.pk}"] = forms.ChoiceField(
                label=item.text, choices=CheckResult.choices, initial=CheckResult.OK, widget=forms.RadioSelect
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label="说明",
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"class": "form-control"}),
            )

    def rows(self) -> list[dict[str, Any]]:
        return [{"item": i, "result": self[f"item_{i.pk}"], "note": self[f"note_{i.pk}"]} for i in self.items]

    def answers(self) -> list[tuple[ChecklistItem, str, str]]:
        return [
            (i, self.cleaned_data[f"item_{i.pk}"], self.cleaned_data.get(f"note_{i.pk}", ""))
            for i in self.items
        ]


class HazardForm(ScopedModelForm):
    """The descriptive fields of a hazard (status, deadline and the rest move only through transitions)."""

    class Meta:
        model = Hazard
        fields = [
            "unit",
            "address",
            "place",
            "category",
            "severity",
            "description",
            "department",
            "ebike",
            "shop",
            "station",
            "rider",
        ]
        # A town has tens of thousands of e-bikes and riders: ask for the record number, never list them all.
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "ebike": forms.NumberInput,
            "rider": forms.NumberInput,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("ebike", "shop", "station", "rider"):
            self.fields[name].help_text = "台账中已有时关联（选填）"
        self.fields["ebike"].help_text = "台账中电动自行车的编号（选填）"
        self.fields["rider"].help_text = "台账中骑手的编号（选填）"


class HazardReportForm(forms.Form):
    """整改办交办 / 随手拍: report a hazard (it starts as 'reported')."""

    unit = forms.ModelChoiceField(label="地点", queryset=Unit.objects.none())
    category = forms.ModelChoiceField(
        label="隐患类别", queryset=HazardCategory.objects.none(), empty_label=None
    )
    address = forms.CharField(label="地址/位置", max_length=200, required=False)
    description = forms.CharField(label="描述", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = PhotosField(label="照片")

    def __init__(self, *args: Any, user: Any, photo_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "unit").queryset = (
            Unit.objects.visible_to(user)
            .filter(
                kind__in=[
                    UnitKind.VILLAGE,
                    UnitKind.COMMUNITY,
                    UnitKind.PARK,
                    UnitKind.COMPOUND,
                    UnitKind.BUILDING,
                ]
            )
            .order_by("path")
        )
        model_choice_field(self, "category").queryset = active_categories()
        self.fields["photos"].required = photo_required
        for name in ("unit", "address", "description"):
            self.fields[name].widget.attrs.setdefault(
                "class", "form-select" if name == "unit" else "form-control"
            )


class VolunteerReportForm(HazardReportForm):
    """红袖标: photo, category, place — three taps."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, photo_required=True, **kwargs)
        # The choices read back are normalised (here a ModelChoiceIterator); the stubs type the getter as
        # everything the setter accepts.
        choices = choice_field(self, "category").choices
        self.fields["category"].widget = forms.RadioSelect(choices=choices)  # type: ignore[arg-type]
        self.fields["photos"].widget.attrs["capture"] = "environment"
        self.fields["photos"].widget.attrs["accept"] = "image/*"


class TransitionForm(forms.Form):
    """The inputs of one transition; the view shows only the fields the transition uses."""

    note = forms.CharField(
        label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )
    responsible_party = forms.CharField(
        label="整改责任方",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    days = forms.IntegerField(
        label="整改期限（工作日）",
        min_value=0,
        max_value=250,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    escalate_to = forms.ChoiceField(
        label="升级方式",
        choices=[("department", "移交行业部门"), ("case", "移送执法（新立案）")],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    department = forms.ModelChoiceField(
        label="部门",
        queryset=Department.objects.none(),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    evidence = PhotosField(label="整改照片/证据")

    FIELDS = {
        "confirm": ["note"],
        "dismiss": ["note"],
        "order": ["responsible_party", "days", "note"],
        "rectify": ["evidence", "note"],
        "reinspect_pass": ["evidence", "note"],
        "reinspect_fail": ["days", "evidence", "note"],
        "close": ["note"],
        "close_escalated": ["note"],
        "fix_on_spot": ["evidence", "note"],
        "escalate": ["escalate_to", "department", "note"],
    }

    def __init__(self, *args: Any, transition: str, user: Any, hazard: Hazard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = self.FIELDS.get(transition, ["note"])
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "department" in self.fields:
            model_choice_field(self, "department").queryset = Department.objects.visible_to(user, Action.VIEW)
            self.fields[
                "department"
            ].help_text = "移交行业部门时不选则按隐患类别自动匹配；移送执法时为主办部门。"
        if "days" in self.fields:
            self.fields["days"].initial = hazard.category.deadline_days
            self.fields["days"].help_text = f"默认 {hazard.category.deadline_days} 个工作日，节假日顺延。"
        if "responsible_party" in self.fields:
            self.fields["responsible_party"].initial = hazard.responsible_party


class CaseForm(ScopedModelForm):
    class Meta:
        model = EnforcementCase
        fields = [
            "title",
            "unit",
            "lead_department",
            "departments",
            "hazards",
            "violations",
            "opened_on",
            "summary",
        ]
        widgets = {
            "opened_on": DATE,
            "violations": forms.Textarea(attrs={"rows": 3}),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hazards = choice_queryset(self, "hazards").select_related("category")
        if not self.instance.pk:
            hazards = hazards.exclude(status__in=["closed", "dismissed"])
        model_choice_field(self, "hazards").queryset = hazards.order_by("-pk")
        self.fields["hazards"].required = False
        self.fields["departments"].required = False


class CasePartyForm(ScopedModelForm):
    class Meta:
        model = CaseParty
        fields = ["kind", "name", "identifier", "person", "shop", "platform"]
        widgets = {"person": forms.NumberInput}  # the people ledger is large: its record number, not a list


class CasePenaltyForm(ScopedModelForm):
    class Meta:
        model = CasePenalty
        fields = ["party", "rule", "kind", "amount", "police_station", "imposed_on", "note"]
        widgets = {"imposed_on": DATE}

    def __init__(self, *args: Any, case: EnforcementCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "party").queryset = case.parties.all()
        model_choice_field(self, "rule").queryset = PenaltyRule.objects.filter(is_active=True)
        model_choice_field(self, "police_station").queryset = Department.objects.filter(kind="police")


class SupervisionVisitForm(ScopedModelForm):
    class Meta:
        model = SupervisionVisit
        fields = ["unit", "department", "visited_on", "visitors", "summary"]
        widgets = {"visited_on": DATE, "summary": forms.Textarea(attrs={"rows": 3})}


class FindingForm(forms.Form):
    kind = forms.ChoiceField(
        label="类型", choices=FindingKind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    text = forms.CharField(
        label="问题", max_length=300, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    category = forms.ModelChoiceField(
        label="隐患类别（转为隐患时）",
        queryset=HazardCategory.objects.none(),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    due_on = forms.DateField(
        label="办结期限（督办事项）",
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "category").queryset = active_categories()
