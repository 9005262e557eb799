"""Edit and delete pages of an enforcement case's parties and penalties (adding them is a form on the case
page, `flows.CaseActionView`). Core's generic views with the model and form declared; every save and delete
goes through the case services, which refuse any change once the case is closed. Both return to the case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path

from ebsafety.core.views import generic
from ebsafety.inspections import forms, services
from ebsafety.inspections.models import CaseParty, CasePenalty


class ClosedCaseRefusal(generic.ScopedMixin[CaseParty | CasePenalty]):
    """Refuses the pages of a part of a closed case at once, with the reason, before showing any form."""

    def refused(self, pk: Any) -> HttpResponse | None:
        part = get_object_or_404(self.get_queryset().select_related("case"), pk=pk)
        reason = services.closed_refusal(part.case, self.model)
        if reason is None:
            return None
        messages.error(self.request, reason)
        return redirect(part.case.get_absolute_url())


class CasePartEditView(ClosedCaseRefusal, generic.ObjectEditView):
    """Edit one party or penalty; a closed case's parts are refused with the reason."""

    def base_queryset(self) -> QuerySet:
        return self.model._default_manager.select_related("case", "case__unit")

    def get(self, request: HttpRequest, pk: Any = None) -> HttpResponse:
        return self.refused(pk) or super().get(request, pk)

    def post(self, request: HttpRequest, pk: Any = None) -> HttpResponse:
        return self.refused(pk) or super().post(request, pk)


class CasePartyEditView(CasePartEditView):
    model = CaseParty
    form_class = forms.CasePartyForm

    def save_form(self, form: Any) -> Model:
        return services.save_party(form.instance, self.request.user)


class CasePenaltyEditView(CasePartEditView):
    model = CasePenalty
    form_class = forms.CasePenaltyForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "case": self.object_case}

    def get_object(self, pk: Any) -> Model:
        penalty = super().get_object(pk)
        self.object_case = penalty.case
        return penalty

    def save_form(self, form: Any) -> Model:
        return services.save_penalty(form.instance, self.request.user)


class CasePartDeleteView(ClosedCaseRefusal, generic.ObjectDeleteView):
    """Confirm, then delete through the service (`remove`); back to the case either way."""

    remove: ClassVar[Callable[[Any, Any], Any]]

    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        return self.refused(pk) or super().get(request, pk)

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        part = get_object_or_404(self.get_queryset().select_related("case"), pk=pk)
        case, label = part.case, str(part)
        try:
            type(self).remove(part, request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        except PermissionDenied as exc:
            messages.error(request, str(exc) or "无权执行此操作。")
        else:
            messages.success(request, f"已删除{self.model._meta.verbose_name}“{label}”。")
        return redirect(case.get_absolute_url())


class CasePartyDeleteView(CasePartDeleteView):
    model = CaseParty
    remove = staticmethod(services.delete_party)


class CasePenaltyDeleteView(CasePartDeleteView):
    model = CasePenalty
    remove = staticmethod(services.withdraw_penalty)


urlpatterns: list[URLPattern] = [
    path("case-parties/<int:pk>/edit/", CasePartyEditView.as_view(), name="caseparty_edit"),
    path("case-parties/<int:pk>/delete/", CasePartyDeleteView.as_view(), name="caseparty_delete"),
    path("case-penalties/<int:pk>/edit/", CasePenaltyEditView.as_view(), name="casepenalty_edit"),
    path("case-penalties/<int:pk>/delete/", CasePenaltyDeleteView.as_view(), name="casepenalty_delete"),
]
