"""举报统计: the figures the ranking reads per unit (tips received, verified true, median days from receipt to
verification, rewards paid) for the children of a unit in the user's scope, each linking to the records it
counts; exportable as CSV or XLSX. The numbers come from `TipQuerySet.figures_by_unit` on the tips the user
may see, so the page, the export and the ranking agree."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from ebsafety.core import exports
from ebsafety.core.choices import Action, UnitKind
from ebsafety.core.models import Unit
from ebsafety.core.scoping import allowed_actions
from ebsafety.core.views import generic
from ebsafety.tips.choices import Outcome, RewardStatus, TipStatus
from ebsafety.tips.models import Reward, Tip

COLUMNS = {
    "received": "收到举报",
    "verified_true": "核查属实",
    "median_days_to_verify": "核查用时中位数（天）",
    "rewards_paid": "已发放奖励（笔）",
    "rewards_paid_amount": "已发放奖励金额（元）",
}


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


class FiguresView(generic.ScopedMixin, View):
    """Per unit: the chosen unit's children (the top unit of the user's scope by default) and the unit's own
    total, for tips received between two optional dates."""

    model = Tip
    template_name = "tips/figures.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
        units = Unit.objects.visible_to(request.user).exclude(kind=UnitKind.BUILDING)
        code = request.GET.get("unit")
        top = (units.filter(code=code) if code else units.order_by("depth", "code")).first()
        if top is None:
            if code:
                raise Http404("单位不存在或不在您的管辖范围内")
            return render(request, self.template_name, {"rows": [], "columns": COLUMNS})
        children = list(units.filter(parent=top).order_by("code"))
        tips = Tip.objects.visible_to(request.user, self.action)  # get_queryset(), as a TipQuerySet
        if start:
            tips = tips.filter(created__date__gte=start)
        if end:
            tips = tips.filter(created__date__lte=end)
        figures = tips.figures_by_unit([*children, top])
        show_rewards = Action.VIEW in allowed_actions(request.user, Reward)
        rows = [self.row(unit, figures[unit], start, end, show_rewards) for unit in children]
        total = self.row(top, figures[top], start, end, show_rewards)
        fmt = request.GET.get("export")
        if fmt:
            return self.export(fmt, top, rows, total)
        parent = units.filter(pk=top.parent_id).first() if top.parent_id else None
        context = {
            "top": top,
            "parent": parent,
            "rows": rows,
            "total": total,
            "columns": COLUMNS,
            "start": start,
            "end": end,
            "query": urlencode({"unit": top.code, "start": start or "", "end": end or ""}),
        }
        return render(request, self.template_name, context)

    @staticmethod
    def row(
        unit: Unit,
        values: dict[str, Any],
        start: datetime.date | None,
        end: datetime.date | None,
        show_rewards: bool,
    ) -> dict[str, Any]:
        """One unit's cells in column order: (value, the list of the records it counts)."""
        dates = {k: v.isoformat() for k, v in (("created_after", start), ("created_before", end)) if v}
        tips = reverse("tips:tip_list")
        within = {"within": unit.code, **dates}
        verified = {**within, "status": TipStatus.VERIFIED}
        links = {
            "received": f"{tips}?{urlencode(within)}",
            "verified_true": f"{tips}?{urlencode({**verified, 'outcome': Outcome.TRUE})}",
            "median_days_to_verify": f"{tips}?{urlencode(verified)}",
        }
        if show_rewards:
            reward_dates = {f"tip_{k}": v for k, v in dates.items()}
            paid = {"within": unit.code, "status": RewardStatus.PAID, **reward_dates}
            links["rewards_paid"] = links["rewards_paid_amount"] = (
                f"{reverse('tips:reward_list')}?{urlencode(paid)}"
            )
        return {
            "unit": unit,
            "values": values,
            "cells": [(values[key], links.get(key)) for key in COLUMNS],
        }

    def export(self, fmt: str, top: Unit, rows: list[dict[str, Any]], total: dict[str, Any]) -> HttpResponse:
        if fmt not in exports.CONTENT_TYPES:
            raise Http404("不支持的导出格式")

        def line(label: str, unit: Unit, values: dict[str, Any]) -> list[Any]:
            amount = values["rewards_paid_amount"]
            return [
                label,
                unit.code,
                *(values[key] for key in list(COLUMNS)[:-1]),
                float(amount) if fmt == "xlsx" else amount,
            ]

        lines = [
            ["单位", "单位编码", *COLUMNS.values()],
            *(line(row["unit"].name, row["unit"], row["values"]) for row in rows),
            line(f"{top.name}（合计）", top, total["values"]),
        ]
        response = HttpResponse(
            exports.render(lines, fmt, "举报统计"), content_type=exports.CONTENT_TYPES[fmt]
        )
        response["Content-Disposition"] = f'attachment; filename="tip-figures-{top.code}.{fmt}"'
        return response
