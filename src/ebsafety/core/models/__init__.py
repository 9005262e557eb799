from ebsafety.core.models.accounts import Membership, User
from ebsafety.core.models.attachments import Attachment
from ebsafety.core.models.audit import ChangeRecord
from ebsafety.core.models.base import AuditedModel, BaseModel, ScopedQuerySet
from ebsafety.core.models.calendar import CalendarDay
from ebsafety.core.models.campaign import Campaign
from ebsafety.core.models.jobs import Job
from ebsafety.core.models.notifications import Notification, ScheduledRun, WebhookDelivery, WebhookStatus
from ebsafety.core.models.org import Department, Unit

__all__ = [
    "Attachment",
    "AuditedModel",
    "BaseModel",
    "CalendarDay",
    "Campaign",
    "ChangeRecord",
    "Department",
    "Job",
    "Membership",
    "Notification",
    "ScheduledRun",
    "ScopedQuerySet",
    "Unit",
    "User",
    "WebhookDelivery",
    "WebhookStatus",
]
