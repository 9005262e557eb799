"""Checking and cleaning uploaded files: photos are re-encoded (metadata and GPS stripped), documents are
checked by their content, everything is size-limited. Nothing trusts a file's name or declared type."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO"}
PDF_MAGIC = b"%PDF-"
MAX_SIDE = 2560


@dataclass
class CleanFile:
    content: bytes
    name: str
    kind: str  # "image" | "document"
    mime: str
    sha256: str
    width: int | None = None
    height: int | None = None


def _read_limited(upload: IO[bytes] | Any, limit: int) -> bytes:
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(f"文件过大，上限为 {limit // (1024 * 1024)} MB。")
    if not data:
        raise ValidationError("文件是空的。")
    return data


def clean_image(upload: IO[bytes] | Any, original_name: str = "photo") -> CleanFile:
    """Open by content, refuse non-images and decompression bombs, apply the EXIF orientation, shrink to at
    most 2560 px, and re-encode as JPEG without any metadata (EXIF, GPS, maker notes are all dropped)."""
    data = _read_limited(upload, settings.UPLOAD_MAX_IMAGE_BYTES)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in IMAGE_FORMATS:
                raise ValidationError("只能上传 JPEG、PNG、WEBP 等图片。")
            probe.verify()
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)
            width, height = image.size
    except Image.DecompressionBombError as exc:
        raise ValidationError("图片像素过多，已拒绝。") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationError("文件不是有效的图片。") from exc
    content = out.getvalue()
    stem = original_name.rsplit(".", 1)[0][:80] or "photo"
    return CleanFile(
        content, f"{stem}.jpg", "image", "image/jpeg", hashlib.sha256(content).hexdigest(), width, height
    )


def clean_document(upload: IO[bytes] | Any, original_name: str = "document.pdf") -> CleanFile:
    """Evidence documents: PDF only, checked by its magic bytes (images go through clean_image)."""
    data = _read_limited(upload, settings.UPLOAD_MAX_DOCUMENT_BYTES)
    if not data.startswith(PDF_MAGIC):
        raise ValidationError("只能上传 PDF 文件或图片。")
    stem = original_name.rsplit(".", 1)[0][:80] or "document"
    return CleanFile(data, f"{stem}.pdf", "document", "application/pdf", hashlib.sha256(data).hexdigest())


def clean_upload(upload: IO[bytes] | Any, original_name: str) -> CleanFile:
    """An image (re-encoded) or a PDF, decided by the content."""
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(PDF_MAGIC):
        return clean_document(upload, original_name)
    return clean_image(upload, original_name)
