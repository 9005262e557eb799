"""The ledgers' periodic jobs (settings.SCHEDULED_JOBS, run by `ebsafety scheduler`)."""

from __future__ import annotations

import datetime
import logging

from ebsafety.core.scheduler import ScheduledJob
from ebsafety.ledgers.bulk import remove_stale_spills

logger = logging.getLogger(__name__)


def _cleanup() -> dict[str, int]:
    removed = remove_stale_spills()
    if removed:
        logger.warning("removed %s import spill directories left by killed imports", removed)
    return {"removed": removed}


cleanup_job = ScheduledJob("ledgers-import-spills", "day", _cleanup, at=datetime.time(3, 0))


def _freeze() -> dict:
    from ebsafety.ledgers.as_of import freeze_due

    return freeze_due()


# Five minutes after midnight: the period that ended at 00:00 is frozen as its ledger (`ledgers.as_of`).
freeze_job = ScheduledJob("ledgers-period-snapshot", "day", _freeze, at=datetime.time(0, 5))
