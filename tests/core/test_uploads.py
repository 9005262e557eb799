"""Uploads: photos re-encoded without metadata or GPS, content checked, size-limited; scoped downloads."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from ebsafety.core.models import Attachment
from ebsafety.core.uploads import clean_upload


def jpeg_with_gps(size: tuple[int, int] = (64, 48), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (39.0, 48.0, 0.0), 3: "E", 4: (116.0, 30.0, 0.0)}
    exif[0x8825] = gps  # GPSInfo
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_gps_and_exif_are_stripped() -> None:
    data = jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get(0x8825)
    clean = clean_upload(io.BytesIO(data), "photo.jpg")
    stored = Image.open(io.BytesIO(clean.content))
    assert not stored.getexif()
    assert b"PhoneMaker" not in clean.content and stored.format == "JPEG"


def test_orientation_is_applied_before_stripping() -> None:
    clean = clean_upload(io.BytesIO(jpeg_with_gps((64, 48), orientation=6)), "rotated.jpg")
    assert (clean.width, clean.height) == (48, 64)


def test_png_is_reencoded_and_large_images_shrunk() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (4000, 1000), (0, 0, 0, 0)).save(out, format="PNG")
    clean = clean_upload(io.BytesIO(out.getvalue()), "shot.png")
    assert clean.name == "shot.jpg" and max(clean.width, clean.height) == 2560


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"<html>not an image</html>", "图片"), (b"", "空"), (b"GIF89a" + b"\0" * 20, "图片")],
)
def test_non_images_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        clean_upload(io.BytesIO(data), "x.jpg")


def test_size_limit(settings: Any) -> None:
    settings.UPLOAD_MAX_IMAGE_BYTES = 100
    with pytest.raises(ValidationError, match="过大"):
        clean_upload(io.BytesIO(jpeg_with_gps()), "big.jpg")


def test_pdf_is_checked_by_content() -> None:
    clean = clean_upload(io.BytesIO(b"%PDF-1.7\n%...\n"), "letter.pdf")
    assert clean.kind == "document"
    with pytest.raises(ValidationError):
        clean_upload(io.BytesIO(b"MZ\x90\x00 executable"), "letter.pdf")


def test_attachment_download_follows_the_records_scope(personas: dict, town: dict, client_for: Any) -> None:
    attachment = Attachment.attach(
        town["a1"], SimpleUploadedFile("p.jpg", jpeg_with_gps()), personas["office"]
    )
    url = reverse("core:attachment_download", args=[attachment.pk])
    response = client_for(personas["locality"]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert client_for(personas["community"]).get(url).status_code == 404
    stored = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert not stored.getexif()
