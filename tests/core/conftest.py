"""Fixtures of the core tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _wiped_demo_builds_the_town_alone(request: Any, settings: Any) -> None:
    """`test_same_seed_gives_the_same_town` builds the demo, deletes the town and builds it again. The apps'
    demo builders (settings.DEMO_BUILDERS) add records that keep the town from being deleted (ledger batches
    and submissions are protected, never cascaded), so that test builds core's town alone; each app tests its
    own builder, the same seed giving the same data, in its own tests."""
    if request.node.name == "test_same_seed_gives_the_same_town":
        settings.DEMO_BUILDERS = []
