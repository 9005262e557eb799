"""Generic views: list (with filters, table, export), detail, create/edit, delete and history.

A model's views only declare model, queryset, filterset, table and form; scoping, audit context, 404 for
objects out of scope and 403 for users without any role all happen here (NetBox's generic views, without
their hidden registry).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from ebsafety.core import exports
from ebsafety.core.choices import Action
from ebsafety.core.jobs import job_handler, start_job
from ebsafety.core.models import ChangeRecord, User
from ebsafety.core.scoping import allowed_actions, can, has_any_role, restrict

_M = TypeVar("_M", bound=models.Model)


class AuthenticatedRequest(HttpRequest):
    """A request `ScopedMixin.dispatch` let through: its user has a role, so is signed in."""

    user: User


class ScopedMixin(View, Generic[_M]):
    """Refuses users without any role (403) and narrows every queryset to what the user may do.

    Generic in the model, so a view declared as `ObjectDetailView[Hazard]` knows its object is a Hazard. A
    View itself (every view using it was one anyway), so its `request` may narrow View's to a signed-in user.
    """

    model: type[_M]
    action: str = Action.VIEW  # an edit view's dispatch turns it into ADD for a new record
    request: AuthenticatedRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not has_any_role(request.user):
            raise PermissionDenied("您的账号尚未分配角色，请联系整治办。")
        if self.action not in allowed_actions(request.user, self.model):
            raise PermissionDenied("您的角色无权执行此操作。")
        return super().dispatch(request, *args, **kwargs)

    def base_queryset(self) -> models.QuerySet[_M]:
        """Override to add select_related/annotations; scoping is applied on top."""
        return self.model._default_manager.all()

    def get_queryset(self) -> models.QuerySet[_M]:
        # `restrict` is what `visible_to` calls; base_queryset() may be a plain QuerySet by its type.
        return restrict(self.base_queryset(), self.request.user, self.action)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        meta = self.model._meta
        actions = allowed_actions(self.request.user, self.model)
        context.update(
            verbose_name=meta.verbose_name,
            verbose_name_plural=meta.verbose_name_plural,
            url_prefix=f"{meta.app_label}:{meta.model_name}",
            can_add=Action.ADD in actions,
            can_change=Action.CHANGE in actions,
            can_delete=Action.DELETE in actions,
        )
        return context


class ObjectListView(ScopedMixin[_M], SingleTableMixin, FilterView):
    """A filtered, paginated table of the records the user may see, exportable as CSV or XLSX."""

    template_name = "generic/object_list.html"
    # The table paginates (?page=, ?per_page=); the ListView must not, or every page counts twice.
    table_pagination = {"per_page": 50}
    export_formats = ("csv", "xlsx")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        fmt = request.GET.get("export")
        if fmt:
            return self.export(fmt)
        return super().get(request, *args, **kwargs)

    def filtered_queryset(self) -> models.QuerySet:
        filterset = self.get_filterset(self.get_filterset_class())
        return filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset

    def exports_personal_data(self) -> bool:
        """Does this request's export carry whole ID or phone numbers? Its background result file is then
        for the one who asked only (`JobDownloadView`)."""
        return False

    def export_rows(self, queryset: models.QuerySet) -> Any:
        table = self.get_table_class()(queryset)
        exclude = getattr(table.Meta, "export_exclude", ())
        return table.as_values(exclude_columns=exclude)

    def export(self, fmt: str) -> HttpResponse:
        from django.conf import settings

        if fmt not in self.export_formats:
            raise Http404("不支持的导出格式")
        queryset = self.filtered_queryset()
        if queryset.count() > settings.EXPORT_INLINE_MAX_ROWS:
            query = self.request.GET.copy()
            query.pop("export", None)
            params = {"personal": True} if self.exports_personal_data() else {}
            job = start_job(
                export_job,
                f"导出{self.model._meta.verbose_name_plural}（{fmt.upper()}）",
                self.request.user,
                {
                    "view": f"{type(self).__module__}.{type(self).__qualname__}",
                    "query": query.urlencode(),
                    "format": fmt,
                    **params,
                },
            )
            messages.info(self.request, "数据较多，已转入后台导出，完成后可在此页面下载。")
            return redirect(job.get_absolute_url())
        content = exports.render(self.export_rows(queryset), fmt, str(self.model._meta.verbose_name_plural))
        response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
        filename = f"{slugify(self.model._meta.model_name or '')}.{fmt}"  # a model always has its name
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["export_query"] = query.urlencode()
        context["export_formats"] = self.export_formats
        return context


@job_handler(atomic=False)
def export_job(job: Any, progress: Any) -> dict[str, Any]:
    """Background export of a list view's filtered rows, run as the user who asked for it. It only reads
    (but for the change record of an unmasked export, which stays even if the file then fails), so it runs
    outside a transaction: on SQLite a long export holds no write lock, and reads the rows through ADBC."""
    from django.core.files.base import ContentFile
    from django.http import QueryDict
    from django.test import RequestFactory
    from django.utils.module_loading import import_string

    view_class = import_string(job.params["view"])
    if not (isinstance(view_class, type) and issubclass(view_class, ObjectListView)):
        raise ValueError("not a list view")
    request = RequestFactory().get("/", QueryDict(job.params.get("query", "")))
    request.user = job.created_by
    view = view_class()
    view.setup(request)
    view.object_list = None
    queryset = view.filtered_queryset()
    total = queryset.count()
    progress(0, total, "正在导出")

    def counted_rows(rows: Any) -> Any:
        for index, row in enumerate(rows):
            if index and index % 500 == 0:
                progress(index, total)
            yield row

    rows = view.export_rows(queryset)
    if isinstance(rows, exports.ExportTable):  # frames go to the column writer whole, chunk by chunk
        rows = rows.counted(lambda done: progress(done, total))
    else:
        rows = counted_rows(rows)
    fmt = job.params["format"]
    content = exports.render(rows, fmt, str(view_class.model._meta.verbose_name_plural))
    job.result_file.save(
        f"{view_class.model._meta.model_name}-{job.pk}.{fmt}", ContentFile(content), save=True
    )
    progress(total, total, f"已导出 {total} 行")
    return {"rows": total}


class ObjectDetailView(ScopedMixin[_M], View):
    """One record, if the user may see it (404 otherwise)."""

    template_name = "generic/object_detail.html"
    detail_fields: tuple[str, ...] = ()
    tab = "detail"
    object: _M

    def get_object(self, pk: Any) -> _M:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        obj = self.object
        rows = []
        for name in self.detail_fields or [f.name for f in self.model._meta.concrete_fields if f.editable]:
            field = self.model._meta.get_field(name)
            assert isinstance(field, models.Field)  # the model's own fields, not reverse relations
            display = getattr(obj, f"get_{name}_display", None)
            value = display() if callable(display) else getattr(obj, name)
            if isinstance(value, bool):
                value = "是" if value else "否"
            rows.append((field.verbose_name, value))
        context = {
            "object": obj,
            "fields": rows,
            "tab": self.tab,
            "can_edit_object": can(self.request.user, Action.CHANGE, obj),
            "can_delete_object": can(self.request.user, Action.DELETE, obj),
        }
        context.update(kwargs)
        meta = self.model._meta
        context.update(
            verbose_name=meta.verbose_name,
            verbose_name_plural=meta.verbose_name_plural,
            url_prefix=f"{meta.app_label}:{meta.model_name}",
        )
        return context

    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        self.object = self.get_object(pk)
        return render(request, self.template_name, self.get_context_data())


class ObjectHistoryView(ObjectDetailView[_M]):
    """The change records of one record (its history tab)."""

    template_name = "generic/object_history.html"
    tab = "history"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        records = (
            ChangeRecord.objects.filter(content_type=content_type, object_id=str(self.object.pk))
            .select_related("actor")
            .order_by("-time", "-id")[:500]
        )
        return super().get_context_data(records=records, **kwargs)


class ObjectEditView(ScopedMixin[_M], View):
    """Create (no pk) or edit a record; after saving, the record must still be within the user's scope."""

    template_name = "generic/object_edit.html"
    form_class: type[ModelForm[_M]]
    action = Action.CHANGE

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.is_create = kwargs.get("pk") is None
        if self.is_create:
            self.action = Action.ADD
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, pk: Any) -> _M:
        if pk is None:
            return self.model()
        return get_object_or_404(self.get_queryset(), pk=pk)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.request.user}

    def get_form(self, obj: _M) -> ModelForm[_M]:
        data = self.request.POST if self.request.method == "POST" else None
        files = self.request.FILES if self.request.method == "POST" else None
        initial = self.request.GET.dict() if self.is_create and self.request.method == "GET" else None
        return self.form_class(data, files, instance=obj, initial=initial, **self.get_form_kwargs())

    def render_form(self, form: ModelForm[_M], obj: _M) -> HttpResponse:
        meta = self.model._meta
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "object": obj,
                "is_create": self.is_create,
                "verbose_name": meta.verbose_name,
                "verbose_name_plural": meta.verbose_name_plural,
                "url_prefix": f"{meta.app_label}:{meta.model_name}",
            },
        )

    def get(self, request: HttpRequest, pk: Any = None) -> HttpResponse:
        obj = self.get_object(pk)
        return self.render_form(self.get_form(obj), obj)

    def post(self, request: HttpRequest, pk: Any = None) -> HttpResponse:
        obj = self.get_object(pk)
        form = self.get_form(obj)
        if form.is_valid():
            try:
                with transaction.atomic():
                    obj = self.save_form(form)
                    # Re-check scope after the save: a user cannot move a record out of their reach.
                    if not restrict(
                        self.model._default_manager.filter(pk=obj.pk), request.user, self.action
                    ).exists():
                        raise PermissionDenied
            except PermissionDenied:
                form.add_error(None, "保存后的记录超出了您的管辖范围，未保存。")
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                verb = "已新增" if self.is_create else "已保存"
                messages.success(request, f"{verb}{self.model._meta.verbose_name}“{obj}”。")
                return HttpResponseRedirect(self.get_success_url(obj))
        return self.render_form(form, obj)

    def save_form(self, form: ModelForm[_M]) -> _M:
        return form.save()

    def get_success_url(self, obj: _M) -> str:
        return obj.get_absolute_url()  # type: ignore[attr-defined]


class ObjectDeleteView(ScopedMixin[_M], View):
    """Delete after confirmation; objects still referenced elsewhere are refused with the reason."""

    template_name = "generic/object_delete.html"
    action = Action.DELETE

    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        return render(
            request, self.template_name, {"object": obj, "verbose_name": self.model._meta.verbose_name}
        )

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        meta = self.model._meta
        try:
            with transaction.atomic():
                obj.delete()
        except models.ProtectedError as exc:
            names = "、".join(sorted({str(o) for o in list(exc.protected_objects)[:5]}))
            messages.error(request, f"无法删除“{obj}”：仍有记录引用它（{names}）。")
            return redirect(obj.get_absolute_url())  # type: ignore[attr-defined]
        messages.success(request, f"已删除{meta.verbose_name}“{obj}”。")
        return redirect(self.get_success_url(obj))

    def get_success_url(self, obj: models.Model) -> str:
        """Where to go after deleting (the model's list; child records override it to go to their parent)."""
        meta = self.model._meta
        return reverse(f"{meta.app_label}:{meta.model_name}_list")


def querystring(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})
