from ebsafety.ledgers.models.business import (
    Platform,
    PlatformAccount,
    RecyclingSite,
    RetirableModel,
    Shop,
    Station,
)
from ebsafety.ledgers.models.ebikes import EBike, Rider, Sale
from ebsafety.ledgers.models.imports import ImportBatch, LedgerSnapshot
from ebsafety.ledgers.models.people import HAS_ID_NUMBER, Person
from ebsafety.ledgers.models.submissions import ReportingDepartment, ReportingUnit, Submission, SubmissionRule

__all__ = [
    "EBike",
    "ImportBatch",
    "LedgerSnapshot",
    "HAS_ID_NUMBER",
    "Person",
    "Platform",
    "PlatformAccount",
    "RecyclingSite",
    "ReportingDepartment",
    "ReportingUnit",
    "RetirableModel",
    "Rider",
    "Sale",
    "Shop",
    "Station",
    "Submission",
    "SubmissionRule",
]
