"""QR posters: a printable A4 page per compound with the reporting phone, the reward and a QR code that
opens the public page with the compound pre-filled; one PDF for all compounds of a unit.

ReportLab draws the page; segno encodes the QR code (drawn as vector squares, sharp at any print size).
Chinese text is set in the TrueType font of `TIPS_POSTER_FONT_PATH` (by default Debian's fonts-wqy-zenhei),
embedded as a subset of the glyphs used, so every PDF reader and print shop shows it. ReportLab embeds
TrueType outlines only: a CFF/OpenType file (the Noto CJK .ttc files) is refused, and so is a missing file;
then the posters use ReportLab's CID font STSong-Light, which is not embedded (a reader without Asian font
packs shows boxes), and a warning is logged once per process.
"""

from __future__ import annotations

import io
import itertools
import logging
import struct
from collections.abc import Iterable
from decimal import Decimal
from urllib.parse import urlencode

import segno
from django.conf import settings
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from ebsafety.core.models import Campaign, Unit

FALLBACK_FONT = "STSong-Light"
RED = (0.80, 0.10, 0.12)
PROBE = "有奖举报电话"  # characters every poster prints: a font without them is no use
logger = logging.getLogger(__name__)
# Font file path → the name its font is registered under ("" when the file was not usable).
_registered: dict[str, str] = {}
_names = itertools.count()


def _load(path: str, name: str) -> TTFont:
    """The TrueType font at `path` (the first face of a .ttc collection), if it has Chinese glyphs."""
    try:
        font = TTFont(name, path, subfontIndex=0)
    except struct.error as exc:  # a truncated file
        raise TTFError(f"damaged font file: {exc}") from exc
    if not all(ord(char) in font.face.charToGlyph for char in PROBE):
        raise TTFError("the font has no Chinese glyphs")
    return font


def _embedded_font(path: str) -> str:
    """Register the TrueType font at `path` once per process; its name, or "" if it cannot be embedded."""
    if path not in _registered:
        name = f"TipPoster{next(_names)}"
        try:
            pdfmetrics.registerFont(_load(path, name))
        except TTFError as exc:  # missing, unreadable, CFF outlines, damaged, no Chinese
            logger.warning(
                "poster font %s cannot be embedded (%s); posters use the non-embedded CID font %s",
                path,
                exc,
                FALLBACK_FONT,
            )
            name = ""
        _registered[path] = name
    return _registered[path]


def poster_font() -> str:
    """The font the posters' Chinese text is set in: the embedded TrueType font when there is a usable
    file, else the CID font the reader must supply."""
    path = (getattr(settings, "TIPS_POSTER_FONT_PATH", "") or "").strip()
    name = _embedded_font(path) if path else ""
    if not name:
        if not path and "" not in _registered:
            logger.warning("TIPS_POSTER_FONT_PATH is empty; posters use the non-embedded CID font")
            _registered[""] = ""
        if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
        return FALLBACK_FONT
    return name


def report_url(base_url: str, unit: Unit) -> str:
    """The public page's address with the compound pre-filled (what the QR code opens)."""
    return f"{base_url.rstrip('/')}/tips/report/?{urlencode({'unit': unit.code})}"


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code of `data` as filled squares in a size × size box whose lower-left corner is (x, y)."""
    qr = segno.make(data, error="m")
    rows = list(qr.matrix_iter(scale=1, border=2))
    cell = size / len(rows)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + c * cell, y + size - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def _centred(
    canvas: Canvas,
    font: str,
    text: str,
    y: float,
    size: float,
    rgb: tuple[float, float, float] = (0, 0, 0),
) -> None:
    canvas.setFillColorRGB(*rgb)
    canvas.setFont(font, size)
    canvas.drawCentredString(A4[0] / 2, y, text)


def draw_poster(
    canvas: Canvas, unit: Unit, base_url: str, phone: str, amount: Decimal | None, font: str = ""
) -> None:
    font = font or poster_font()
    width, height = A4
    canvas.setFillColorRGB(*RED)
    canvas.rect(0, height - 52 * mm, width, 52 * mm, stroke=0, fill=1)
    _centred(canvas, font, "电动自行车消防安全隐患", height - 24 * mm, 30, (1, 1, 1))
    _centred(canvas, font, "有 奖 举 报", height - 42 * mm, 34, (1, 1, 1))
    _centred(canvas, font, unit.name, height - 68 * mm, 22)
    _centred(
        canvas, font, "楼道停放充电 · 进楼入户 · 飞线充电 · 电动车进电梯 · 私自改装", height - 80 * mm, 13
    )
    qr_size = 95 * mm
    draw_qr(canvas, report_url(base_url, unit), (width - qr_size) / 2, height - 185 * mm, qr_size)
    _centred(canvas, font, "微信或手机相机扫码，拍照即可举报", height - 195 * mm, 15)
    if phone:
        _centred(canvas, font, f"举报电话：{phone}", height - 215 * mm, 26, RED)
    if amount:
        _centred(canvas, font, f"经核查属实的举报，每起奖励 {amount:.0f} 元起", height - 232 * mm, 16)
    _centred(canvas, font, "可匿名举报 · 举报人信息严格保密，仅举报受理员可见", height - 246 * mm, 13)
    canvas.setFont(font, 8)
    canvas.setFillColorRGB(0.4, 0.4, 0.4)
    canvas.drawCentredString(width / 2, 12 * mm, f"{unit.code} · {report_url(base_url, unit)}")


def posters_pdf(units: Iterable[Unit], base_url: str) -> bytes:
    """One A4 page per compound; the phone and reward amount come from each unit's active campaign."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle("有奖举报二维码海报")
    canvas.setAuthor("电动自行车消防安全专项整治")
    pages = 0
    font = poster_font()
    for unit in units:
        campaign = Campaign.active_for(unit)
        phone = campaign.param("tip_phone") if campaign else ""
        amount = campaign.param("tip_reward_amount") if campaign else None
        draw_poster(canvas, unit, base_url, phone, amount, font)
        canvas.showPage()
        pages += 1
    if not pages:
        raise ValueError("no compound")
    canvas.save()
    return buffer.getvalue()
