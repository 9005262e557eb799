"""Audit signal handlers: every save and delete of an audited model writes a change record."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from ebsafety.core import audit
from ebsafety.core.models.base import AuditedModel


def _is_audited(sender: Any) -> bool:
    return isinstance(sender, type) and issubclass(sender, AuditedModel)


@receiver(post_save, dispatch_uid="ebsafety_audit_save")
def log_save(sender: Any, instance: models.Model, created: bool, raw: bool = False, **kwargs: Any) -> None:
    # The sender of post_save is the instance's own class, so this is `_is_audited(sender)`, narrowed.
    if raw or not isinstance(instance, AuditedModel):
        return
    audit.record_save(instance, created)


@receiver(post_delete, dispatch_uid="ebsafety_audit_delete")
def log_delete(sender: Any, instance: models.Model, **kwargs: Any) -> None:
    if _is_audited(sender):
        audit.record_delete(instance)


@receiver(m2m_changed, dispatch_uid="ebsafety_audit_m2m")
def log_m2m(sender: Any, instance: models.Model, action: str, reverse: bool, **kwargs: Any) -> None:
    if reverse or not isinstance(instance, AuditedModel):
        return
    field = next((f for f in instance._meta.many_to_many if f.remote_field.through is sender), None)
    if field is None:
        return
    if action.startswith("pre_"):
        instance._m2m_before = list(getattr(instance, field.name).values_list("pk", flat=True))
    elif action.startswith("post_"):
        before = getattr(instance, "_m2m_before", [])
        after = list(getattr(instance, field.name).values_list("pk", flat=True))
        audit.record_m2m(instance, field.name, before, after)
