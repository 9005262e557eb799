"""Fixtures of the inspections tests: the catalogues (seeded again after any flush) and helpers."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ebsafety.inspections.seed import seed_catalogues


@pytest.fixture(autouse=True)
def catalogues(db: Any) -> None:
    seed_catalogues()


def photo(name: str = "photo.jpg", colour: str = "red") -> SimpleUploadedFile:
    """A small JPEG as a phone would upload it."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
