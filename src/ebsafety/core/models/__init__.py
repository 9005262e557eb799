from ebsafety.core.models.accounts import Membership, User
from ebsafety.core.models.audit import ChangeRecord
from ebsafety.core.models.base import AuditedModel, BaseModel, ScopedQuerySet
from ebsafety.core.models.campaign import Campaign
from ebsafety.core.models.jobs import Job
from ebsafety.core.models.org import Department, Unit

__all__ = [
    "AuditedModel",
    "BaseModel",
    "Campaign",
    "ChangeRecord",
    "Department",
    "Job",
    "Membership",
    "ScopedQuerySet",
    "Unit",
    "User",
]
