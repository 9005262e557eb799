"""Notifications, outbound webhook messages, attachments and the working-day calendar."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ebsafety.core import notify
from ebsafety.core.choices import Action
from ebsafety.core.models import Attachment, CalendarDay, Notification, WebhookDelivery
from ebsafety.core.scoping import can, has_any_role
from ebsafety.core.views import generic


def notifications(request: HttpRequest) -> HttpResponse:
    """My notifications, unread first."""
    if not has_any_role(request.user):
        raise PermissionDenied
    inbox = Notification.objects.visible_to(request.user).filter(user=request.user)
    if request.method == "POST":
        inbox.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("core:notification_list")
    items = inbox.order_by("read_at", "-created")[:200]
    return render(request, "core/notifications.html", {"items": items})


def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    # By pk: only signed-in users get here (LoginRequiredMiddleware); by type request.user may be anonymous.
    inbox = Notification.objects.visible_to(request.user).filter(user=request.user.pk)
    item = get_object_or_404(inbox, pk=pk)
    if item.read_at is None:
        Notification.objects.filter(pk=item.pk).update(read_at=timezone.now())
    return redirect(item.url or "core:notification_list")


class WebhookTable(tables.Table):
    retry = tables.TemplateColumn(
        '{% if record.status != "sent" %}'
        '<form method="post" action="{% url "core:webhookdelivery_retry" record.pk %}">{% csrf_token %}'
        '<button class="btn btn-sm btn-outline-primary" type="submit">重发</button></form>{% endif %}',
        verbose_name="",
        orderable=False,
    )
    title = tables.Column(verbose_name="标题", accessor="payload__title", orderable=False)

    class Meta:
        model = WebhookDelivery
        fields = ("created", "title", "status", "attempts", "last_error", "next_attempt_at", "sent_at")
        export_exclude = ("retry",)


class WebhookListView(generic.ObjectListView):
    """The office sees every outbound message, undelivered ones first, and can send a failed one again."""

    model = WebhookDelivery
    table_class = WebhookTable
    filterset_fields = ["status"]
    template_name = "core/webhook_list.html"

    def base_queryset(self) -> QuerySet:
        return WebhookDelivery.objects.order_by("status", "-created")


def webhook_retry(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    if not has_any_role(request.user) or not request.user.is_office:
        raise PermissionDenied
    delivery = get_object_or_404(WebhookDelivery.objects.visible_to(request.user), pk=pk)
    notify.retry(delivery)
    messages.info(request, "已重新排入发送队列。")
    return redirect("core:webhookdelivery_list")


def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A file is served only to users who may see the record it is attached to."""
    attachment = get_object_or_404(Attachment.objects.select_related("content_type"), pk=pk)
    record = attachment.record
    if record is None or not has_any_role(request.user) or not can(request.user, Action.VIEW, record):
        raise Http404("文件不存在")
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.mime)
    response["Content-Disposition"] = "inline" if attachment.kind == "image" else "attachment"
    response["Cache-Control"] = "private, max-age=3600"
    return response


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "is_workday", "note"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date", "class": "form-control"}),
            "note": forms.TextInput(attrs={"class": "form-control"}),
            "is_workday": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class CalendarDayTable(tables.Table):
    date = tables.Column(linkify=True)

    class Meta:
        model = CalendarDay
        fields = ("date", "is_workday", "note")


class CalendarDayListView(generic.ObjectListView):
    model = CalendarDay
    table_class = CalendarDayTable
    filterset_fields = ["is_workday"]


class CalendarDayDetailView(generic.ObjectDetailView):
    model = CalendarDay


class CalendarDayHistoryView(generic.ObjectHistoryView):
    model = CalendarDay


class CalendarDayEditView(generic.ObjectEditView):
    model = CalendarDay
    form_class = CalendarDayForm


class CalendarDayDeleteView(generic.ObjectDeleteView):
    model = CalendarDay
