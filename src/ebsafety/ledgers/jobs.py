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
