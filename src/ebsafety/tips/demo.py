"""Demo tips (placeholder until the builder below is filled in)."""

from __future__ import annotations

from typing import Any


def build_tips_demo(towns: list[Any], rng: Any, scale: str) -> None:
    return None
