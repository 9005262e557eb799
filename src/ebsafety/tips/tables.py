"""Tables of the tip and reward lists. A reporter's identity is never a column: lists say only whether a
tip is anonymous."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables

from ebsafety.tips.models import Reward, Tip, TipCategory


class TipTable(tables.Table):
    tracking_code = tables.Column("查询码", linkify=True)
    created = tables.DateTimeColumn(verbose_name="收到时间", format="Y-m-d H:i")
    category = tables.Column("类别")
    unit = tables.Column("所在单位")
    status = tables.Column("状态")
    handover = tables.Column("转隐患")
    outcome = tables.Column("核查结果")
    source = tables.Column("来源")
    contact = tables.Column("联系方式", empty_values=(), orderable=False)

    class Meta:
        model = Tip
        fields = ("tracking_code", "created", "category", "unit", "status", "handover", "outcome", "source")
        sequence = (*fields, "contact")

    def render_tracking_code(self, record: Tip) -> str:
        return record.display_code

    def render_contact(self, record: Tip) -> str:
        return (
            "匿名"
            if record.is_anonymous
            else ("留有联系方式，同意联系" if record.contact_consent else "留有联系方式")
        )

    def value_contact(self, record: Tip) -> str:
        return self.render_contact(record)

    def value_tracking_code(self, record: Tip) -> str:
        return record.tracking_code


class RewardTable(tables.Table):
    id = tables.Column("编号", linkify=True)
    tip = tables.Column("获奖举报", linkify=True)
    unit = tables.Column("所在单位")
    tier = tables.Column("档次")
    is_major = tables.BooleanColumn("重大隐患", yesno="是,否")
    amount = tables.Column("金额（元）")
    status = tables.Column("状态")
    paid_on = tables.DateColumn(verbose_name="发放日期", format="Y-m-d")
    payment_method = tables.Column("发放方式")

    class Meta:
        model = Reward
        fields = ("id", "tip", "unit", "tier", "is_major", "amount", "status", "paid_on", "payment_method")

    def render_tip(self, record: Reward) -> str:
        return record.tip.display_code

    def value_tip(self, record: Reward) -> Any:
        return record.tip.tracking_code


class TipCategoryTable(tables.Table):
    code = tables.Column("编码", linkify=True)

    class Meta:
        model = TipCategory
        fields = ("code", "name", "hazard_category_code", "sort_order", "is_active")
