"""The public pages (no login, phone-first): report a hazard, follow a tip by its tracking code.

The status page shows progress and reward status, nothing else. Submitting is guarded by a honeypot field,
a minimum fill time and the limits per client address and phone; lookups are counted per address.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from ebsafety.core.choices import ChangeSource, UnitKind
from ebsafety.core.context import change_context
from ebsafety.core.models import Campaign, Unit
from ebsafety.tips import disclosure, forms, ratelimit, services
from ebsafety.tips.choices import TipSource
from ebsafety.tips.models import Tip
from ebsafety.tips.models.tips import format_tracking_code, normalise_tracking_code

PUBLIC_LABEL = "公众举报"


def _tip_phone() -> str:
    campaign = Campaign.active_for(None)
    return campaign.param("tip_phone") if campaign else ""


def _form_errors(form: forms.TipForm, exc: ValidationError) -> None:
    mapping = {"reporter_phone": "phone", "reporter_name": "name", "unit": "compound"}
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            name = mapping.get(field, field)
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


@login_not_required
@never_cache
def report(request: HttpRequest) -> HttpResponse:
    """举报电动自行车消防隐患: the form a QR code on a compound's poster opens (with ?unit=CODE)."""
    initial: dict[str, Any] = {}
    code = request.GET.get("unit", "")
    unit = Unit.objects.filter(code=code, kind__in=services.PUBLIC_UNIT_KINDS).first() if code else None
    if unit is not None:
        if unit.kind == UnitKind.BUILDING and unit.parent is not None:
            initial = {"compound": unit.parent.code, "building": unit.code}
        else:
            initial = {"compound": unit.code}
    status = 200
    if request.method == "POST":
        form = forms.PublicTipForm(request.POST, request.FILES)
        if ratelimit.looks_like_spam(request.POST):
            form.is_valid()
            form.add_error(None, "提交过快或页面已过期，请检查内容后再次提交。")
        elif form.is_valid():
            key = ratelimit.submitter_key(ratelimit.client_address(request))
            try:
                with change_context(
                    ChangeSource.WEB,
                    request=request,
                    request_id=getattr(request, "request_id", None),
                    label=PUBLIC_LABEL,
                ):
                    tip = services.submit_tip(
                        form.submission(),
                        source=TipSource.WEB,
                        address_key=key,
                        photos=form.cleaned_data.get("photos", []),
                    )
            except services.RateLimited:
                form.add_error(None, "提交过于频繁，请稍后再试；紧急情况请拨打举报电话或 119。")
                status = 429
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                return redirect(reverse("tips:public_status", args=[tip.tracking_code]) + "?new=1")
    else:
        form = forms.PublicTipForm(initial=initial)
    context = {"form": form, "tip_phone": _tip_phone(), "preset_unit": unit}
    return render(request, "tips/public/report.html", context, status=status)


@login_not_required
def buildings(request: HttpRequest) -> HttpResponse:
    """The building options of one compound (htmx swaps them into the form)."""
    compound = request.GET.get("compound", "")
    options = forms.building_choices(compound) if compound else [("", "请先选择小区")]
    return render(request, "tips/public/building_options.html", {"options": options})


@login_not_required
@never_cache
def status_lookup(request: HttpRequest) -> HttpResponse:
    """查询举报进度: type the tracking code."""
    code = normalise_tracking_code(request.GET.get("code", ""))
    if code:
        return redirect("tips:public_status", code)
    return render(request, "tips/public/lookup.html", {"tip_phone": _tip_phone()})


@login_not_required
@never_cache
def status(request: HttpRequest, code: str) -> HttpResponse:
    """The progress and the reward status of one tip — and nothing else."""
    if not ratelimit.lookup_allowed(request):
        return render(request, "tips/public/lookup.html", {"error": "查询过于频繁，请稍后再试。"}, status=429)
    code = normalise_tracking_code(code)
    tip = Tip.objects.filter(tracking_code=code).first() if len(code) >= 12 else None
    if tip is None:
        raise Http404("未找到该查询码")
    context = {
        "public": disclosure.public_status(tip),
        "display_code": format_tracking_code(tip.tracking_code),
        "updated": tip.updated,
        "is_new": request.GET.get("new") == "1",
        "tip_phone": _tip_phone(),
    }
    response = render(request, "tips/public/status.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response
