"""The campaign plan's "x" values as typed parameters the office edits on the campaign's settings page.

Each app declares its parameters here or in its own `parameters.py` with `define()`, imported from its
AppConfig.ready(); the settings page and `Campaign.param()` read the definitions. Values are stored as JSON
text in `Campaign.parameters`, so adding a parameter needs no migration.
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass
from typing import Any, TypedDict

from django import forms
from django.core.exceptions import ValidationError


class _FieldArgs(TypedDict):
    """What every parameter's form field is given."""

    label: str
    help_text: str
    required: bool


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    kind: str  # "int" | "decimal" | "date" | "time" | "text"
    default: Any
    help_text: str = ""
    group: str = "综合"
    min_value: int | None = None
    max_value: int | None = None

    def form_field(self) -> forms.Field:
        common: _FieldArgs = {"label": self.label, "help_text": self.help_text, "required": False}
        if self.kind == "int":
            return forms.IntegerField(min_value=self.min_value, max_value=self.max_value, **common)
        if self.kind == "decimal":
            return forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, **common)
        if self.kind == "date":
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        if self.kind == "time":
            return forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), **common)
        return forms.CharField(max_length=500, **common)

    def to_python(self, raw: Any) -> Any:
        if raw in (None, ""):
            return self.default
        if self.kind == "int":
            return int(raw)
        if self.kind == "decimal":
            return decimal.Decimal(str(raw))
        if self.kind == "date":
            return raw if isinstance(raw, datetime.date) else datetime.date.fromisoformat(str(raw))
        if self.kind == "time":
            return raw if isinstance(raw, datetime.time) else datetime.time.fromisoformat(str(raw))
        return str(raw)

    def to_json(self, value: Any) -> Any:
        if value in (None, ""):
            return None
        if self.kind == "int":
            return int(value)
        if self.kind in {"decimal", "text"}:
            return str(value)
        return value.isoformat() if hasattr(value, "isoformat") else str(value)


_REGISTRY: dict[str, Parameter] = {}


def define(parameter: Parameter) -> Parameter:
    if parameter.key in _REGISTRY and _REGISTRY[parameter.key] != parameter:
        raise ValueError(f"campaign parameter {parameter.key!r} is defined twice")
    _REGISTRY[parameter.key] = parameter
    return parameter


def definitions() -> list[Parameter]:
    return list(_REGISTRY.values())


def get_value(values: dict[str, Any], key: str) -> Any:
    try:
        parameter = _REGISTRY[key]
    except KeyError as exc:
        raise KeyError(f"no campaign parameter {key!r}") from exc
    return parameter.to_python(values.get(key))


def clean_values(values: dict[str, Any]) -> dict[str, Any]:
    """Check stored values against the definitions; unknown keys are kept (a later app may define them)."""
    errors = []
    cleaned = dict(values)
    for key, raw in values.items():
        parameter = _REGISTRY.get(key)
        if parameter is None or raw in (None, ""):
            continue
        try:
            value = parameter.to_python(raw)
        except (ValueError, TypeError, decimal.InvalidOperation):
            errors.append(f"{parameter.label}：取值“{raw}”无效")
            continue
        if parameter.kind == "int" and (
            (parameter.min_value is not None and value < parameter.min_value)
            or (parameter.max_value is not None and value > parameter.max_value)
        ):
            errors.append(f"{parameter.label}：应在 {parameter.min_value}–{parameter.max_value} 之间")
            continue
        cleaned[key] = parameter.to_json(value)
    if errors:
        raise ValidationError(errors)
    return cleaned


# The plan's values that belong to the campaign as a whole. Later apps add theirs.
define(
    Parameter("census_deadline", "排查建台账完成日期", "date", None, "首次上报台账的截止日期", "大排查建台账")
)
define(
    Parameter(
        "ledger_update_day_1",
        "半月更新上报日（上半月）",
        "int",
        15,
        "每月该日下班前上报更新",
        "大排查建台账",
        1,
        28,
    )
)
define(
    Parameter(
        "ledger_update_day_2",
        "半月更新上报日（下半月）",
        "int",
        0,
        "每月该日下班前上报更新；0 表示月末最后一天",
        "大排查建台账",
        0,
        31,
    )
)
define(
    Parameter("workday_end", "下班时间", "time", datetime.time(17, 30), "“下班前”截止的时刻", "大排查建台账")
)
define(Parameter("responsibility_deadline", "约谈与“三告知一承诺”完成日期", "date", None, "", "明责任大约谈"))
define(Parameter("min_teams_per_compound", "每个小区最少应急处置力量（支）", "int", 1, "", "大培训", 0, 20))
define(
    Parameter(
        "first_response_minutes", "初期处置时间（分钟）", "int", 3, "火灾发生初期前若干分钟", "大培训", 1, 60
    )
)
define(Parameter("charging_first_batch_date", "首批充电设施建成日期", "date", None, "", "补短板大建设"))
define(
    Parameter("charging_all_compounds_date", "所有小区建成集中充电设施日期", "date", None, "", "补短板大建设")
)
define(
    Parameter(
        "tip_reward_amount", "每起属实举报奖励（元）", "decimal", decimal.Decimal("200"), "", "有奖举报"
    )
)
define(Parameter("tip_phone", "有奖举报电话", "text", "", "张贴在每个小区的醒目位置", "有奖举报"))
define(
    Parameter("supervision_visits_per_month", "每月集中督导检查不少于（次）", "int", 2, "", "大督查", 0, 31)
)
define(Parameter("work_plan_deadline", "工作方案、动员部署及联络表报送日期", "date", None, "", "工作要求"))
define(
    Parameter(
        "dispatch_meeting_interval_days",
        "调度会间隔（天）",
        "int",
        14,
        "每两周组织召开调度会",
        "工作要求",
        1,
        60,
    )
)
define(
    Parameter(
        "webhook_url",
        "外发消息地址（Webhook）",
        "text",
        "",
        "政务即时通讯机器人的 Webhook 地址；留空则只发站内通知",
        "提醒",
    )
)
