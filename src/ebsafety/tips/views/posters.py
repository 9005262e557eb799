"""The QR poster PDF of a compound, or of every compound below a unit."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from ebsafety.core.choices import UnitKind
from ebsafety.core.models import Unit
from ebsafety.core.scoping import has_any_role
from ebsafety.tips import posters


def poster(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone with a role who can see the unit may print its posters (they hold no personal data)."""
    if not has_any_role(request.user):
        raise PermissionDenied("您的账号尚未分配角色，请联系整治办。")
    unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=pk)
    if unit.kind == UnitKind.COMPOUND:
        compounds = [unit]
    elif unit.kind == UnitKind.BUILDING and unit.parent is not None:
        compounds = [unit.parent]
    else:
        compounds = list(Unit.objects.subtree(unit).filter(kind=UnitKind.COMPOUND).order_by("path"))
    if not compounds:
        raise Http404("该单位下没有小区")
    base_url = settings.TIPS_PUBLIC_BASE_URL or request.build_absolute_uri("/")
    content = posters.posters_pdf(compounds, base_url)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="tip-posters-{unit.code}.pdf"'
    return response


def poster_index(request: HttpRequest) -> HttpResponse:
    """举报海报: the units the user can see, each with its posters (one PDF for all compounds below)."""
    if not has_any_role(request.user):
        raise PermissionDenied("您的账号尚未分配角色，请联系整治办。")
    units = (
        Unit.objects.visible_to(request.user)
        .exclude(kind=UnitKind.BUILDING)
        .select_related("parent")
        .order_by("path")[:2000]
    )
    return render(request, "tips/posters.html", {"units": units})
