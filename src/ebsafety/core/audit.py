"""Writing change records. Signal handlers (signals.py) call these for every model that is audited."""

from __future__ import annotations

import datetime
import decimal
import getpass
import uuid
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.fields.files import FieldFile

from ebsafety.core.choices import ChangeAction
from ebsafety.core.context import current_context

if TYPE_CHECKING:
    from ebsafety.core.models.base import AuditedModel

SECRET_FIELDS = frozenset({"password"})


def json_value(value: Any) -> Any:
    """A field value as JSON (dates as ISO text, decimals as text, files as their name)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


def concrete_fields(instance: models.Model) -> list[models.Field]:
    exclude = set(getattr(instance, "audit_exclude", ())) | SECRET_FIELDS
    return [f for f in instance._meta.concrete_fields if f.name not in exclude]


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The audited values of an instance as it is now in memory."""
    return {f.attname: json_value(getattr(instance, f.attname)) for f in concrete_fields(instance)}


def loaded_snapshot(instance: models.Model) -> dict[str, Any] | None:
    """The audited values the instance was loaded with (None when it was not loaded from the database)."""
    loaded = getattr(instance, "_loaded_values", None)
    if loaded is None:
        return None
    return {
        f.attname: json_value(loaded.get(f.attname)) for f in concrete_fields(instance) if f.attname in loaded
    }


def actor_label(ctx: Any) -> str:
    actor = ctx.actor
    if actor is not None:
        return actor.get_username()
    if ctx.label:
        return ctx.label
    try:
        return f"system:{getpass.getuser()}"
    except Exception:
        return "system"


def _who() -> dict[str, Any]:
    """Who made the change and through which path: the change record's fields from the current context."""
    ctx = current_context()
    actor = ctx.actor
    return {
        "actor": actor if actor is not None and actor.pk else None,
        "actor_label": actor_label(ctx)[:150],
        "source": ctx.effective_source,
        "request_id": ctx.request_id,
    }


def write_record(
    instance: models.Model,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    changed_fields: list[str] | None = None,
) -> Any:
    from ebsafety.core.models import ChangeRecord

    try:
        unit_path = instance.audit_unit_path()  # type: ignore[attr-defined]
    except Exception:
        unit_path = ""
    return ChangeRecord.objects.create(
        **_who(),
        action=action,
        content_type=ContentType.objects.get_for_model(type(instance), for_concrete_model=False),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        unit_path=unit_path or "",
        changed_fields=changed_fields or [],
        before=before,
        after=after,
    )


def record_save(instance: AuditedModel, created: bool) -> None:
    after = snapshot(instance)
    if created:
        write_record(instance, ChangeAction.CREATE, None, after, sorted(after))
    else:
        before = loaded_snapshot(instance)
        if before is None:
            write_record(instance, ChangeAction.UPDATE, None, after, [])
        else:
            changed = sorted(k for k in after if before.get(k) != after[k])
            if changed:
                write_record(
                    instance,
                    ChangeAction.UPDATE,
                    {k: before.get(k) for k in changed},
                    {k: after[k] for k in changed},
                    changed,
                )
    # The instance now stands for this saved state: the next save diffs against it.
    instance._loaded_values = {
        f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
    }


def record_delete(instance: models.Model) -> None:
    before = loaded_snapshot(instance) or snapshot(instance)
    write_record(instance, ChangeAction.DELETE, before, None, sorted(before))


def record_m2m(instance: models.Model, field_name: str, before_ids: list[Any], after_ids: list[Any]) -> None:
    if sorted(before_ids) == sorted(after_ids):
        return
    write_record(
        instance,
        ChangeAction.UPDATE,
        {field_name: sorted(json_value(v) for v in before_ids)},
        {field_name: sorted(json_value(v) for v in after_ids)},
        [field_name],
    )


def write_export_record(
    model: type[models.Model], rows: int, description: str, unit_path: str, fields: list[str]
) -> Any:
    """One change record for a whole export with personal data unmasked: the model, how many rows, what was
    asked for (`description`: the filters) and which personal fields went out — never their values."""
    from ebsafety.core.models import ChangeRecord

    return ChangeRecord.objects.create(
        **_who(),
        action=ChangeAction.EXPORT,
        content_type=ContentType.objects.get_for_model(model),
        object_id="",
        object_repr=f"导出{model._meta.verbose_name} {rows} 条（完整号码）"[:200],
        unit_path=unit_path,
        changed_fields=fields,
        after={"rows": rows, "filters": description},
    )
