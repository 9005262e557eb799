"""The navigation menu, fitted to each user's roles (a menu item shows when its model grants `view`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from ebsafety.core.choices import Action


@dataclass
class MenuItem:
    label: str
    url_name: str
    model: str | None = None  # "app_label.ModelName": shown when the user's roles grant `action` on it
    office_only: bool = False
    action: str = Action.VIEW

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass
class MenuGroup:
    label: str
    items: list[MenuItem] = field(default_factory=list)


MENU: list[MenuGroup] = [
    # 大排查建台账: ledgers, imports and half-month submissions
    MenuGroup(
        "台账",
        [
            MenuItem("电动自行车", "ledgers:ebike_list", "ledgers.EBike"),
            MenuItem("人员", "ledgers:person_list", "ledgers.Person"),
            MenuItem("门店", "ledgers:shop_list", "ledgers.Shop"),
            MenuItem("回收场所", "ledgers:recyclingsite_list", "ledgers.RecyclingSite"),
            MenuItem("平台", "ledgers:platform_list", "ledgers.Platform"),
            MenuItem("站点", "ledgers:station_list", "ledgers.Station"),
            MenuItem("骑手", "ledgers:rider_list", "ledgers.Rider"),
            MenuItem("新车销售", "ledgers:sale_list", "ledgers.Sale"),
            MenuItem("台账汇总", "ledgers:summary", "ledgers.EBike"),
            MenuItem("导入台账", "ledgers:import", "ledgers.EBike", action=Action.ADD),
            MenuItem("导入批次", "ledgers:importbatch_list", "ledgers.ImportBatch"),
            MenuItem("我的半月报", "ledgers:submission_mine", "ledgers.Submission"),
            MenuItem("半月报完成情况", "ledgers:submission_table", "ledgers.Submission"),
            MenuItem("半月报未报单位", "ledgers:submission_missing", "ledgers.Submission"),
            MenuItem("半月报记录", "ledgers:submission_list", "ledgers.Submission"),
            MenuItem("按期查看台账", "ledgers:ledger_as_of", "ledgers.EBike"),
            MenuItem("半月报上报要求", "ledgers:submissionrule_list", "ledgers.SubmissionRule"),
        ],
    ),
    # 有奖举报: public tips, triage, rewards and the compound posters
    MenuGroup(
        "有奖举报",
        [
            MenuItem("待分拣", "tips:triage", "tips.Tip"),
            MenuItem("全部举报", "tips:tip_list", "tips.Tip"),
            MenuItem("电话举报登记", "tips:hotline", "tips.Reward"),
            MenuItem("举报奖励", "tips:reward_list", "tips.Reward"),
            MenuItem("奖励发放台账", "tips:payout_ledger", "tips.Reward"),
            MenuItem("举报统计", "tips:figures", "tips.Tip"),
            MenuItem("举报类别", "tips:tipcategory_list", "tips.TipCategory", office_only=True),
            MenuItem("举报二维码海报", "tips:poster_index", "core.Unit"),
            MenuItem("公众举报页面", "tips:public_report"),
        ],
    ),
    # 大检查 · 联合执法 · 大督查: inspections, hazards, cases, supervision
    MenuGroup(
        "检查执法",
        [
            MenuItem("记录检查", "inspections:inspection_add", "inspections.Inspection", action=Action.ADD),
            MenuItem("检查记录", "inspections:inspection_list", "inspections.Inspection"),
            MenuItem("隐患", "inspections:hazard_list", "inspections.Hazard"),
            MenuItem("随手拍上报", "inspections:volunteer_report", "inspections.Hazard"),
            MenuItem("执法案件", "inspections:enforcementcase_list", "inspections.EnforcementCase"),
            MenuItem("督查记录", "inspections:supervisionvisit_list", "inspections.SupervisionVisit"),
            MenuItem("督查次数统计", "inspections:supervision_shortfall", office_only=True),
            MenuItem("检查与隐患统计", "inspections:figures", "inspections.Hazard"),
            MenuItem("隐患类别", "inspections:hazardcategory_list", office_only=True),
            MenuItem("检查表模板", "inspections:checklisttemplate_list", office_only=True),
            MenuItem("处罚依据", "inspections:penaltyrule_list", office_only=True),
        ],
    ),
    MenuGroup(
        "组织架构",
        [
            MenuItem("单位", "core:unit_list", "core.Unit"),
            MenuItem("行业部门", "core:department_list", "core.Department"),
            MenuItem("专项整治", "core:campaign_list", "core.Campaign"),
        ],
    ),
    MenuGroup(
        "系统管理",
        [
            MenuItem("用户", "core:user_list", "core.User"),
            MenuItem("角色授权", "core:membership_list", "core.Membership"),
            MenuItem("变更记录", "core:changerecord_list", "core.ChangeRecord"),
            MenuItem("外发消息", "core:webhookdelivery_list", "core.WebhookDelivery"),
            MenuItem("节假日调整", "core:calendarday_list", "core.CalendarDay"),
            MenuItem("后台任务", "core:job_list"),
            MenuItem("接口文档", "api-docs", office_only=True),
            MenuItem("Django 管理后台", "admin:index", office_only=True),
        ],
    ),
]


def menu_for(user: Any) -> list[dict[str, Any]]:
    from django.apps import apps

    from ebsafety.core.scoping import allowed_actions

    groups = []
    for group in MENU:
        items = []
        for item in group.items:
            if item.office_only and not user.is_office:
                continue
            if item.model is not None:
                model = apps.get_model(item.model)
                if item.action not in allowed_actions(user, model):
                    continue
            items.append({"label": item.label, "url": item.url})
        if items:
            groups.append({"label": group.label, "items": items})
    return groups
