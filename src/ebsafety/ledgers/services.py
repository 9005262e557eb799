"""State changes of the ledgers: retirement and reactivation, audited reveals of personal data, and the
rules every path applies when an e-bike is written (derived compliance). Views, the API and the CLI call
these; nothing else sets a ledger record's `status`.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from ebsafety.core.audit import write_record
from ebsafety.core.choices import Action, ChangeAction
from ebsafety.core.privacy import mask_id_number, mask_phone, may_unmask
from ebsafety.core.scoping import can
from ebsafety.ledgers.choices import PlateKind, RecordStatus, RetireReason
from ebsafety.ledgers.models import EBike, Person, RetirableModel, Rider, Sale

personal_data_log = logging.getLogger("ebsafety.personal_data")

MAX_COMPLIANT_VOLTAGE = 48  # the importer's rule (ledgers.handlers) for bikes written elsewhere
RETIRE_FIELDS = ["status", "retire_reason", "retired_on", "updated"]


def _check_may_change(obj: models.Model, by: Any) -> None:
    if by is not None and not can(by, Action.CHANGE, obj):
        raise PermissionDenied("您无权修改该记录。")


def retire(obj: RetirableModel, reason: str, date: datetime.date | None = None, by: Any = None) -> None:
    """Take a ledger record out of the active ledger with a reason and a date (records are never deleted).

    `by` is the acting user (None: the system); they must be allowed to change the record. The save goes
    through the normal signals, so the change record shows status, reason and date before and after.
    """
    _check_may_change(obj, by)
    if obj.status == RecordStatus.RETIRED:
        raise ValidationError("该记录已注销。")
    if reason not in RetireReason.values:
        raise ValidationError({"retire_reason": "请选择注销原因。"})
    date = date or timezone.localdate()
    if date > timezone.localdate():
        raise ValidationError({"retired_on": "注销日期不能晚于今天。"})
    with transaction.atomic():
        obj.status = RecordStatus.RETIRED
        obj.retire_reason = reason
        obj.retired_on = date
        obj.save(update_fields=RETIRE_FIELDS)


def reactivate(obj: RetirableModel, by: Any = None) -> None:
    """Bring a retired record back into the active ledger (a mistaken retirement, a bike moved back)."""
    _check_may_change(obj, by)
    if obj.status == RecordStatus.ACTIVE:
        raise ValidationError("该记录未注销，无需恢复。")
    with transaction.atomic():
        obj.status = RecordStatus.ACTIVE
        obj.retire_reason = ""
        obj.retired_on = None
        obj.save(update_fields=RETIRE_FIELDS)


# ---------------------------------------------------------------------------------------------------------
# Personal data

ID_FIELDS = frozenset({"id_number"})


def mask_value(field: str, value: str) -> str:
    """The masked form of a personal field's value (ID numbers keep 3 + 4 characters, phones 3 + 4)."""
    if not value:
        return value
    return mask_id_number(value) if field in ID_FIELDS else mask_phone(value)


def personal_sources(obj: models.Model) -> list[tuple[models.Model, tuple[str, ...]]]:
    """The records holding the personal data shown with `obj`, and their personal fields.

    An e-bike shows its owner's, a rider its person's, a sale its buyer's; a shop, site, platform or station
    its own contact phone.
    """
    person: Person | None = None
    if isinstance(obj, Person):
        person = obj
    elif isinstance(obj, EBike):
        person = obj.owner
    elif isinstance(obj, Rider):
        person = obj.person
    elif isinstance(obj, Sale):
        person = obj.buyer
    if person is not None:
        return [(person, tuple(Person.personal_fields))]
    fields = tuple(getattr(obj, "personal_fields", ()))
    return [(obj, fields)] if fields else []


def masked_personal_data(obj: models.Model) -> dict[str, str]:
    """`{field: masked value}` of the personal data shown with `obj` (what every page and endpoint shows)."""
    return {
        field: mask_value(field, getattr(source, field) or "")
        for source, fields in personal_sources(obj)
        for field in fields
    }


def reveal_personal_data(obj: models.Model, by: Any) -> dict[str, str]:
    """The personal data shown with `obj`, unmasked, for one viewing — recorded in the change log.

    Only roles that may unmask (`privacy.may_unmask`) and that can see the record may ask. Each source record
    gets a change record of action "view" naming the fields that were shown (not their values), and a line
    goes to the `ebsafety.personal_data` log.
    """
    if not may_unmask(by) or (by is not None and not can(by, Action.VIEW, obj)):
        raise PermissionDenied("您的角色无权查看完整号码。")
    revealed: dict[str, str] = {}
    for source, fields in personal_sources(obj):
        values = {field: getattr(source, field) or "" for field in fields}
        shown = sorted(field for field, value in values.items() if value)
        if shown:
            write_record(source, ChangeAction.VIEW, None, None, shown)
            personal_data_log.info(
                "personal data viewed: user=%s object=%s.%s:%s fields=%s",
                getattr(by, "username", "system"),
                source._meta.app_label,
                source._meta.model_name,
                source.pk,
                ",".join(shown),
            )
        revealed.update(values)
    return revealed


# ---------------------------------------------------------------------------------------------------------
# E-bikes


def apply_compliance(bike: EBike) -> None:
    """Derive `is_compliant` and its reason from the plate, the battery voltage and the declaration.

    The same rules as the importer: a temporary plate marks a non-compliant bike to be retired, a battery over
    48 V is non-compliant whatever was declared, and a bike declared over-standard is non-compliant.
    """
    reasons = []
    if bike.plate_kind == PlateKind.TEMPORARY:
        reasons.append("临时标识车辆（超标车）")
    if bike.battery_voltage is not None and bike.battery_voltage > MAX_COMPLIANT_VOLTAGE:
        reasons.append(f"电池电压 {bike.battery_voltage}V 超过 {MAX_COMPLIANT_VOLTAGE}V")
    if bike.declared_compliant is False:
        reasons.append("申报为超标车")
    bike.is_compliant = not reasons
    bike.compliance_reason = "；".join(reasons)
