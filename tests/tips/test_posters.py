"""The QR posters embed a CJK TrueType font (a subset of the glyphs printed) when a usable font file is
configured, and fall back to the non-embedded CID font, with a warning, when it is not."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from ebsafety.tips import posters

pytestmark = pytest.mark.django_db

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture(autouse=True)
def _fresh_registry(monkeypatch: Any) -> None:
    """Each test chooses its font file anew (the choice is otherwise made once per process)."""
    monkeypatch.setattr(posters, "_registered", {})


def pdf(town: dict) -> bytes:
    return posters.posters_pdf([town["a1"], town["b1"]], "http://testserver/")


@pytest.mark.skipif(not WQY.is_file(), reason="fonts-wqy-zenhei is not installed on this machine")
def test_the_poster_embeds_a_subset_of_the_configured_font(town: dict, settings: Any, campaign: Any) -> None:
    settings.TIPS_POSTER_FONT_PATH = str(WQY)
    content = pdf(town)
    assert b"/FontFile2" in content  # TrueType outlines embedded in the file
    assert re.search(rb"/BaseFont /[A-Z]{6}\+WenQuanYiZenHei", content)  # a subset (tag + name)
    assert b"STSong-Light" not in content
    assert len(content) < 1_000_000  # the glyphs used, not the 16 MB collection


@pytest.mark.parametrize("kind", ["missing", "not a font", "damaged", "no Chinese glyphs"])
def test_an_unusable_font_file_falls_back_to_the_cid_font_with_a_warning(
    town: dict, settings: Any, tmp_path: Path, caplog: Any, kind: str
) -> None:
    path = tmp_path / "poster.ttf"
    if kind == "not a font":
        path.write_bytes(b"this is not a font")
    elif kind == "damaged":
        if not WQY.is_file():
            pytest.skip("no TrueType collection on this machine to cut short")
        path.write_bytes(WQY.read_bytes()[:5000])
    elif kind == "no Chinese glyphs":
        if not DEJAVU.is_file():
            pytest.skip("no Latin-only TrueType font on this machine")
        shutil.copy(DEJAVU, path)
    settings.TIPS_POSTER_FONT_PATH = str(path)
    with caplog.at_level(logging.WARNING, logger="ebsafety.tips.posters"):
        content = pdf(town)
        pdf(town)
    assert content.startswith(b"%PDF") and b"STSong-Light" in content and b"/FontFile2" not in content
    warnings = [r for r in caplog.records if r.name == "ebsafety.tips.posters"]
    assert len(warnings) == 1 and str(path) in warnings[0].getMessage()  # once per process, not per poster


def test_no_font_path_falls_back_too(town: dict, settings: Any, caplog: Any) -> None:
    settings.TIPS_POSTER_FONT_PATH = ""
    with caplog.at_level(logging.WARNING, logger="ebsafety.tips.posters"):
        content = pdf(town)
    assert b"STSong-Light" in content and "TIPS_POSTER_FONT_PATH" in caplog.text
