"""QR posters: a printable A4 page per compound with the reporting phone, the reward and a QR code that
opens the public page with the compound pre-filled; one PDF for all compounds of a unit.

ReportLab draws the page; segno encodes the QR code (drawn as vector squares, sharp at any print size).
Chinese text uses ReportLab's built-in CID font STSong-Light, which the PDF reader supplies: no font file.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from urllib.parse import urlencode

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from ebsafety.core.models import Campaign, Unit

FONT = "STSong-Light"
RED = (0.80, 0.10, 0.12)


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


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
    canvas: Canvas, text: str, y: float, size: float, rgb: tuple[float, float, float] = (0, 0, 0)
) -> None:
    canvas.setFillColorRGB(*rgb)
    canvas.setFont(_font(), size)
    canvas.drawCentredString(A4[0] / 2, y, text)


def draw_poster(canvas: Canvas, unit: Unit, base_url: str, phone: str, amount: Decimal | None) -> None:
    width, height = A4
    canvas.setFillColorRGB(*RED)
    canvas.rect(0, height - 52 * mm, width, 52 * mm, stroke=0, fill=1)
    _centred(canvas, "电动自行车消防安全隐患", height - 24 * mm, 30, (1, 1, 1))
    _centred(canvas, "有 奖 举 报", height - 42 * mm, 34, (1, 1, 1))
    _centred(canvas, unit.name, height - 68 * mm, 22)
    _centred(canvas, "楼道停放充电 · 进楼入户 · 飞线充电 · 电动车进电梯 · 私自改装", height - 80 * mm, 13)
    qr_size = 95 * mm
    draw_qr(canvas, report_url(base_url, unit), (width - qr_size) / 2, height - 185 * mm, qr_size)
    _centred(canvas, "微信或手机相机扫码，拍照即可举报", height - 195 * mm, 15)
    if phone:
        _centred(canvas, f"举报电话：{phone}", height - 215 * mm, 26, RED)
    if amount:
        _centred(canvas, f"经核查属实的举报，每起奖励 {amount:.0f} 元起", height - 232 * mm, 16)
    _centred(canvas, "可匿名举报 · 举报人信息严格保密，仅举报受理员可见", height - 246 * mm, 13)
    canvas.setFont(_font(), 8)
    canvas.setFillColorRGB(0.4, 0.4, 0.4)
    canvas.drawCentredString(width / 2, 12 * mm, f"{unit.code} · {report_url(base_url, unit)}")


def posters_pdf(units: Iterable[Unit], base_url: str) -> bytes:
    """One A4 page per compound; the phone and reward amount come from each unit's active campaign."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle("有奖举报二维码海报")
    canvas.setAuthor("电动自行车消防安全专项整治")
    pages = 0
    for unit in units:
        campaign = Campaign.active_for(unit)
        phone = campaign.param("tip_phone") if campaign else ""
        amount = campaign.param("tip_reward_amount") if campaign else None
        draw_poster(canvas, unit, base_url, phone, amount)
        canvas.showPage()
        pages += 1
    if not pages:
        raise ValueError("no compound")
    canvas.save()
    return buffer.getvalue()
