"""Ledger pages: lists, details with history, edit forms, retirement and the summary per unit.

Every view is one of core's generic views with its model, queryset, filterset, table and form declared;
scoping, 404 out of scope and audit context come from there. Ledger records are retired, never deleted:
no delete view or URL exists here.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.views import View

from ebsafety.core.choices import Action
from ebsafety.core.models import Unit
from ebsafety.core.privacy import may_unmask
from ebsafety.core.scoping import allowed_actions
from ebsafety.core.views import generic
from ebsafety.ledgers import exporting, filters, forms, services, tables
from ebsafety.ledgers.models import (
    EBike,
    ImportBatch,
    Person,
    Platform,
    PlatformAccount,
    RecyclingSite,
    RetirableModel,
    Rider,
    Sale,
    Shop,
    Station,
)
from ebsafety.ledgers.summary import default_unit, summarise

# ---------------------------------------------------------------------------------------------------------
# Base classes


class LedgerListView(generic.ObjectListView):
    """A ledger's records. `?export=xlsx|csv` gives the table masked; with `&full=1` a role that may see
    whole ID and phone numbers gets the ledger in the import template's shape, unmasked, and it is logged."""

    template_name = "ledgers/records/list.html"
    related: ClassVar[tuple[str, ...]] = ("unit",)

    def base_queryset(self) -> QuerySet:
        return self.model._default_manager.select_related(*self.related)

    def exports_personal_data(self) -> bool:
        return self.request.GET.get("full") == "1" and exporting.kind_of(self.model) is not None

    def export(self, fmt: str) -> HttpResponse:
        if self.exports_personal_data() and not may_unmask(self.request.user):
            raise PermissionDenied("您的角色无权导出完整号码。")  # before a background export is started
        return super().export(fmt)

    def export_rows(self, queryset: QuerySet) -> Any:
        kind = exporting.kind_of(self.model)
        if not self.exports_personal_data() or kind is None:
            return super().export_rows(queryset)
        query = self.request.GET.copy()
        for name in ("export", "full", "page", "per_page"):
            query.pop(name, None)
        unit_path = exporting.export_unit_path(self.request.user, query.get("unit", ""))
        ordered = exporting.base_queryset(kind).filter(pk__in=queryset.values("pk"))
        return exporting.unmasked_export_rows(
            kind, ordered, self.request.user, filters=query.urlencode(), unit_path=unit_path
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["full_export"] = exporting.kind_of(self.model) is not None and may_unmask(self.request.user)
        return context


class LedgerDetailView(generic.ObjectDetailView):
    """A record's fields, its personal data masked (revealed on request, audited) and its related records."""

    template_name = "ledgers/records/detail.html"
    related: ClassVar[tuple[str, ...]] = ("unit",)

    def base_queryset(self) -> QuerySet:
        return self.model._default_manager.select_related(*self.related)

    def related_sections(self) -> list[dict[str, Any]]:
        """[{"title", "items": [(label, url or None, note)], "more": url or None}] shown beside the fields."""
        return []

    def section(self, title: str, objects: Any, more: str | None = None, note: Any = None) -> dict[str, Any]:
        items = [(str(o), o.get_absolute_url(), note(o) if note else "") for o in objects]
        return {"title": title, "items": items, "more": more}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        obj = self.object
        user = self.request.user
        personal = set(getattr(self.model, "personal_fields", ()))
        names = self.detail_fields or [
            f.name for f in self.model._meta.concrete_fields if f.editable and f.name not in personal
        ]
        self.detail_fields = tuple(n for n in names if n not in personal)
        revealed = kwargs.pop("revealed", None)
        personal_rows = []
        for source, fields_ in services.personal_sources(obj):
            for name in fields_:
                value = getattr(source, name) or ""
                masked = services.mask_value(name, value)
                shown = revealed.get(name, value) if revealed is not None else masked
                field = source._meta.get_field(name)
                assert isinstance(field, models.Field)  # personal fields are the model's own
                personal_rows.append((field.verbose_name, shown))
        context = super().get_context_data(**kwargs)
        retirable = isinstance(obj, RetirableModel)
        may_change = context["can_edit_object"]
        context.update(
            can_delete_object=False,  # ledger records are retired, never deleted
            can_retire=retirable and may_change and obj.status == "active",
            can_reactivate=retirable and may_change and obj.status == "retired",
            personal_rows=personal_rows,
            personal_revealed=revealed is not None,
            can_reveal=may_unmask(user) and any(v for _, v in personal_rows),
            related_sections=self.related_sections(),
        )
        return context

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        """显示完整号码: reveal the personal data for this one page view (written to the change log)."""
        self.object = self.get_object(pk)
        revealed = services.reveal_personal_data(self.object, request.user)
        response = render(request, self.template_name, self.get_context_data(revealed=revealed))
        response["Cache-Control"] = "no-store"
        return response


class LedgerHistoryView(generic.ObjectHistoryView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_delete_object"] = False
        return context


class LedgerEditView(generic.ObjectEditView):
    template_name = "ledgers/records/edit.html"


class RetireView(generic.ScopedMixin, View):
    """A small form: the reason and the date a record leaves the active ledger (services.retire)."""

    # given per URL: RetireView.as_view(model=EBike); as_view() only takes attributes the class has
    model: type[RetirableModel] = None  # type: ignore[assignment]
    action = Action.CHANGE
    template_name = "ledgers/records/retire.html"

    def get_object(self, pk: Any) -> RetirableModel:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def render_form(self, form: forms.RetireForm, obj: RetirableModel) -> HttpResponse:
        meta = self.model._meta
        return render(
            self.request,
            self.template_name,
            {"form": form, "object": obj, "verbose_name": meta.verbose_name},
        )

    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        return self.render_form(forms.RetireForm(), self.get_object(pk))

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        obj = self.get_object(pk)
        form = forms.RetireForm(request.POST)
        if form.is_valid():
            try:
                services.retire(obj, form.cleaned_data["reason"], form.cleaned_data["date"], by=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"已注销{self.model._meta.verbose_name}“{obj}”。")
                return redirect(obj.get_absolute_url())
        return self.render_form(form, obj)


class ReactivateView(generic.ScopedMixin, View):
    """Bring a retired record back (POST from the detail page; services.reactivate)."""

    model: type[RetirableModel] = None  # type: ignore[assignment]  # given per URL, as RetireView's
    action = Action.CHANGE

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            services.reactivate(obj, by=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已恢复{self.model._meta.verbose_name}“{obj}”。")
        return redirect(obj.get_absolute_url())


# ---------------------------------------------------------------------------------------------------------
# People


class PersonListView(LedgerListView):
    model = Person
    filterset_class = filters.PersonFilterSet
    table_class = tables.PersonTable


class PersonDetailView(LedgerDetailView):
    model = Person

    def related_sections(self) -> list[dict[str, Any]]:
        user, person = self.request.user, self.object
        bikes = EBike.objects.visible_to(user).filter(owner=person).order_by("frame_number")[:50]
        riders = Rider.objects.visible_to(user).filter(person=person).select_related("platform", "person")
        return [self.section("名下电动自行车", bikes), self.section("骑手登记", riders)]


class PersonHistoryView(LedgerHistoryView):
    model = Person


class PersonEditView(LedgerEditView):
    model = Person
    form_class = forms.PersonForm


# ---------------------------------------------------------------------------------------------------------
# E-bikes


class EBikeListView(LedgerListView):
    model = EBike
    filterset_class = filters.EBikeFilterSet
    table_class = tables.EBikeTable
    related = ("unit", "owner")


class EBikeDetailView(LedgerDetailView):
    model = EBike
    related = ("unit", "owner", "compound", "shop", "last_batch")
    detail_fields = (
        "unit",
        "compound",
        "compound_text",
        "building",
        "owner",
        "plate_kind",
        "plate_number",
        "brand",
        "model_name",
        "frame_number",
        "motor_number",
        "battery_kind",
        "battery_count",
        "battery_voltage",
        "declared_compliant",
        "is_compliant",
        "compliance_reason",
        "use",
        "parking_place",
        "charging_method",
        "registration_date",
        "shop",
        "remark",
        "status",
        "retire_reason",
        "retired_on",
    )

    def related_sections(self) -> list[dict[str, Any]]:
        user, bike = self.request.user, self.object
        sections = []
        owner = Person.objects.visible_to(user).filter(pk=bike.owner_id)
        sections.append(self.section("车主", owner))
        riders = Rider.objects.visible_to(user).filter(ebikes=bike).select_related("person", "platform")
        sections.append(self.section("骑手", riders))
        if bike.last_batch_id:
            batches = ImportBatch.objects.visible_to(user).filter(pk=bike.last_batch_id)
            batches = batches.select_related("unit")
            sections.append(
                self.section("最近导入批次", batches, note=lambda b: b.created.strftime("%Y-%m-%d %H:%M"))
            )
        return sections


class EBikeHistoryView(LedgerHistoryView):
    model = EBike


class EBikeEditView(LedgerEditView):
    model = EBike
    form_class = forms.EBikeForm


# ---------------------------------------------------------------------------------------------------------
# Shops, recycling sites


class ShopListView(LedgerListView):
    model = Shop
    filterset_class = filters.ShopFilterSet
    table_class = tables.ShopTable
    related = ("unit", "department")


class ShopDetailView(LedgerDetailView):
    model = Shop
    related = ("unit", "department")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        labels = dict(forms.ShopBusiness.choices)
        businesses = "、".join(str(labels.get(b, b)) for b in self.object.businesses or [])
        context["fields"] = [
            (label, businesses if label == Shop._meta.get_field("businesses").verbose_name else value)
            for label, value in context["fields"]
        ]
        return context

    def related_sections(self) -> list[dict[str, Any]]:
        sales = (
            Sale.objects.visible_to(self.request.user)
            .filter(shop=self.object)
            .select_related("shop", "buyer")[:20]
        )
        return [self.section("新车销售登记（最近 20 条）", sales, note=lambda s: s.sold_on.isoformat())]


class ShopHistoryView(LedgerHistoryView):
    model = Shop


class ShopEditView(LedgerEditView):
    model = Shop
    form_class = forms.ShopForm


class RecyclingSiteListView(LedgerListView):
    model = RecyclingSite
    filterset_class = filters.RecyclingSiteFilterSet
    table_class = tables.RecyclingSiteTable


class RecyclingSiteDetailView(LedgerDetailView):
    model = RecyclingSite
    related = ("unit", "department")


class RecyclingSiteHistoryView(LedgerHistoryView):
    model = RecyclingSite


class RecyclingSiteEditView(LedgerEditView):
    model = RecyclingSite
    form_class = forms.RecyclingSiteForm


# ---------------------------------------------------------------------------------------------------------
# Platforms, stations, riders


class PlatformListView(LedgerListView):
    model = Platform
    filterset_class = filters.PlatformFilterSet
    table_class = tables.PlatformTable


class PlatformDetailView(LedgerDetailView):
    model = Platform

    def related_sections(self) -> list[dict[str, Any]]:
        user, platform = self.request.user, self.object
        stations = Station.objects.visible_to(user).filter(platform=platform).select_related("platform")
        return [self.section("站点", stations[:100])]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        riders = Rider.objects.visible_to(user).filter(platform=self.object)
        context["rider_count"] = riders.count()
        context["platform_accounts"] = (
            PlatformAccount.objects.visible_to(user)
            .filter(platform=self.object)
            .select_related("membership__user", "membership__unit")
        )
        context["platform_account_actions"] = allowed_actions(user, PlatformAccount)
        return context


class PlatformHistoryView(LedgerHistoryView):
    model = Platform


class PlatformAccountListView(generic.ObjectListView):
    """Which account acts for which platform (the office's overview)."""

    model = PlatformAccount
    filterset_class = filters.PlatformAccountFilterSet
    table_class = tables.PlatformAccountTable

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("platform", "membership__user", "membership__unit")


class PlatformAccountAddView(generic.ObjectEditView):
    """The office links a platform-role account to a platform (`?platform=<id>` preselects it)."""

    model = PlatformAccount
    form_class = forms.PlatformAccountForm


class PlatformAccountDeleteView(generic.ObjectDeleteView):
    """Unlink: the account keeps its login and role but reaches no platform data any more."""

    model = PlatformAccount

    def get_success_url(self, obj: Any) -> str:
        return obj.platform.get_absolute_url()


class PlatformEditView(LedgerEditView):
    model = Platform
    form_class = forms.PlatformForm


class StationListView(LedgerListView):
    model = Station
    filterset_class = filters.StationFilterSet
    table_class = tables.StationTable
    related = ("unit", "platform")


class StationDetailView(LedgerDetailView):
    model = Station
    related = ("unit", "platform")

    def related_sections(self) -> list[dict[str, Any]]:
        riders = (
            Rider.objects.visible_to(self.request.user)
            .filter(station=self.object)
            .select_related("person", "platform")[:100]
        )
        return [self.section("骑手", riders)]


class StationHistoryView(LedgerHistoryView):
    model = Station


class StationEditView(LedgerEditView):
    model = Station
    form_class = forms.StationForm


class RiderListView(LedgerListView):
    model = Rider
    filterset_class = filters.RiderFilterSet
    table_class = tables.RiderTable
    related = ("unit", "person", "platform", "station", "station__platform")


class RiderDetailView(LedgerDetailView):
    model = Rider
    related = ("unit", "person", "platform", "station", "station__platform")

    def related_sections(self) -> list[dict[str, Any]]:
        user, rider = self.request.user, self.object
        person = Person.objects.visible_to(user).filter(pk=rider.person_id)
        bikes = EBike.objects.visible_to(user).filter(riders=rider)
        return [self.section("人员", person), self.section("电动自行车", bikes)]


class RiderHistoryView(LedgerHistoryView):
    model = Rider


class RiderEditView(LedgerEditView):
    model = Rider
    form_class = forms.RiderForm


# ---------------------------------------------------------------------------------------------------------
# Sales, import batches


class SaleListView(LedgerListView):
    model = Sale
    filterset_class = filters.SaleFilterSet
    table_class = tables.SaleTable
    related = ("unit", "shop", "buyer", "ebike")


class SaleDetailView(LedgerDetailView):
    model = Sale
    related = ("unit", "shop", "buyer", "ebike")

    def related_sections(self) -> list[dict[str, Any]]:
        bikes = EBike.objects.visible_to(self.request.user).filter(pk=self.object.ebike_id)
        return [self.section("电动自行车", bikes)]


class SaleHistoryView(LedgerHistoryView):
    model = Sale


class SaleEditView(LedgerEditView):
    model = Sale
    form_class = forms.SaleForm


class ImportBatchListView(LedgerListView):
    """Import batches are the audit record of imports: a read-only list here (each batch's page, with its
    preview, outcome and files, belongs to the import flow in views/imports.py)."""

    model = ImportBatch
    filterset_class = filters.ImportBatchFilterSet
    table_class = tables.ImportBatchTable
    related = ("unit", "uploaded_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_add"] = False
        return context


class ImportBatchHistoryView(LedgerHistoryView):
    model = ImportBatch

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_edit_object"] = False
        return context


# ---------------------------------------------------------------------------------------------------------
# Summary per unit


class SummaryView(generic.ScopedMixin, View):
    """E-bikes and riders counted per child unit of the chosen unit (default: the top of the user's scope)."""

    model = EBike
    template_name = "ledgers/records/summary.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        code = request.GET.get("unit", "").strip()
        if code:
            parent = Unit.objects.visible_to(request.user).filter(code=code).first()
            if parent is None:
                raise Http404("单位不存在或不在您的管辖范围内。")
        else:
            parent = default_unit(request.user)
            if parent is None:
                raise Http404("没有可统计的单位。")
        summary = summarise(request.user, parent)
        ancestors = Unit.objects.ancestors_of(parent).visible_to(request.user).exclude(pk=parent.pk)
        return render(
            request, self.template_name, {"summary": summary, "parent": parent, "ancestors": ancestors}
        )


# ---------------------------------------------------------------------------------------------------------
# URLs (names follow core: <model>_list, _add, _detail, _edit, _history; plus _retire, _reactivate)


def ledger_urls(prefix: str, name: str, views: dict[str, Any], retirable: bool = True) -> list[URLPattern]:
    patterns = [path(f"{prefix}/", views["list"].as_view(), name=f"{name}_list")]
    if "detail" in views:
        patterns.append(path(f"{prefix}/<int:pk>/", views["detail"].as_view(), name=f"{name}_detail"))
    patterns.append(path(f"{prefix}/<int:pk>/history/", views["history"].as_view(), name=f"{name}_history"))
    if "edit" in views:
        patterns += [
            path(f"{prefix}/add/", views["edit"].as_view(), name=f"{name}_add"),
            path(f"{prefix}/<int:pk>/edit/", views["edit"].as_view(), name=f"{name}_edit"),
        ]
    if retirable:
        model = views["list"].model
        patterns += [
            path(f"{prefix}/<int:pk>/retire/", RetireView.as_view(model=model), name=f"{name}_retire"),
            path(
                f"{prefix}/<int:pk>/reactivate/",
                ReactivateView.as_view(model=model),
                name=f"{name}_reactivate",
            ),
        ]
    return patterns


def _views(list_: Any, detail: Any, history: Any, edit: Any = None) -> dict[str, Any]:
    views = {"list": list_, "history": history}
    if detail is not None:
        views["detail"] = detail
    if edit is not None:
        views["edit"] = edit
    return views


urlpatterns: list[URLPattern] = [
    path("summary/", SummaryView.as_view(), name="summary"),
    *ledger_urls(
        "people",
        "person",
        _views(PersonListView, PersonDetailView, PersonHistoryView, PersonEditView),
        retirable=False,
    ),
    *ledger_urls("ebikes", "ebike", _views(EBikeListView, EBikeDetailView, EBikeHistoryView, EBikeEditView)),
    *ledger_urls("shops", "shop", _views(ShopListView, ShopDetailView, ShopHistoryView, ShopEditView)),
    *ledger_urls(
        "recycling-sites",
        "recyclingsite",
        _views(
            RecyclingSiteListView, RecyclingSiteDetailView, RecyclingSiteHistoryView, RecyclingSiteEditView
        ),
    ),
    *ledger_urls(
        "platforms",
        "platform",
        _views(PlatformListView, PlatformDetailView, PlatformHistoryView, PlatformEditView),
    ),
    path("platform-accounts/", PlatformAccountListView.as_view(), name="platformaccount_list"),
    path("platform-accounts/add/", PlatformAccountAddView.as_view(), name="platformaccount_add"),
    path(
        "platform-accounts/<int:pk>/delete/",
        PlatformAccountDeleteView.as_view(),
        name="platformaccount_delete",
    ),
    *ledger_urls(
        "stations", "station", _views(StationListView, StationDetailView, StationHistoryView, StationEditView)
    ),
    *ledger_urls("riders", "rider", _views(RiderListView, RiderDetailView, RiderHistoryView, RiderEditView)),
    *ledger_urls("sales", "sale", _views(SaleListView, SaleDetailView, SaleHistoryView, SaleEditView)),
    *ledger_urls(
        "import-batches",
        "importbatch",
        # the batch's own page (importbatch_detail) is the import flow's, in views/imports.py
        _views(ImportBatchListView, None, ImportBatchHistoryView),
        retirable=False,
    ),
]
