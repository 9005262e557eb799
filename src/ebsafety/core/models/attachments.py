"""Attachments: photos and evidence documents of any record (hazards, tips, letters …)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models
from django.urls import reverse

from ebsafety.core.models.base import AuditedModel


def attachment_path(attachment: Attachment, filename: str) -> str:
    # random names: a file's URL never reveals what it is or lets one guess another's
    return f"attachments/{attachment.content_type.app_label}/{uuid.uuid4().hex}-{filename}"


class Attachment(AuditedModel):
    """A cleaned file attached to a record. Who may see it is decided by its record's scope: there is no list
    of attachments of its own, only a record's attachments, served by a view that checks the record."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    file = models.FileField("文件", upload_to=attachment_path, max_length=300)
    kind = models.CharField("类型", max_length=10, choices=[("image", "图片"), ("document", "文件")])
    original_name = models.CharField("原文件名", max_length=200)
    mime = models.CharField(max_length=50)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    caption = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField("上传时间", auto_now_add=True)

    audit_exclude: ClassVar[frozenset[str]] = frozenset()

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["created", "pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="attachment_record")
        ]  # a record's files

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("core:attachment_download", args=[self.pk])

    def audit_unit_path(self) -> str:
        record = self.record
        return record.audit_unit_path() if record is not None and hasattr(record, "audit_unit_path") else ""

    @classmethod
    def attach(cls, record: models.Model, upload: Any, user: Any = None, caption: str = "") -> Attachment:
        """Clean an uploaded file (photo re-encoded, PDF checked) and attach it to `record`."""
        from ebsafety.core.uploads import clean_upload

        name = getattr(upload, "name", "file") or "file"
        clean = clean_upload(upload, name.rsplit("/", 1)[-1])
        attachment = cls(
            content_type=ContentType.objects.get_for_model(record),
            object_id=str(record.pk),
            kind=clean.kind,
            original_name=name[:200],
            mime=clean.mime,
            size=len(clean.content),
            sha256=clean.sha256,
            width=clean.width,
            height=clean.height,
            caption=caption[:200],
            uploaded_by=user if user is not None and getattr(user, "pk", None) else None,
        )
        attachment.file.save(clean.name, ContentFile(clean.content), save=False)
        attachment.save()
        return attachment

    @classmethod
    def of(cls, record: models.Model) -> models.QuerySet:
        return cls.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
        )
