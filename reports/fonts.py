"""Register one CJK font for PDF output, once per process.

Order of preference:

1. the path the caller passes (the application reads ``LIMS_PDF_FONT``), else
   ``os.environ['LIMS_PDF_FONT']``;
2. a TrueType CJK font found on the machine (WenQuanYi Zen Hei, AR PL UMing,
   Windows SimSun/SimHei, macOS fonts), embedded as a subset;
3. ReportLab's ``STSong-Light`` CID font, which is *not* embedded: readers
   without Chinese fonts then show empty boxes, so a warning is logged.

ReportLab embeds only TrueType outlines; OpenType/CFF fonts (Noto CJK, Source Han,
``.otf``) are skipped.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

FALLBACK_CID_FONT = "STSong-Light"

# (path, subfont index inside a .ttc collection); first existing wins.
CANDIDATE_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    ("/usr/share/fonts/arphic/uming.ttc", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
    ("C:/Windows/Fonts/simsun.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttf", 0),
    ("/Library/Fonts/Arial Unicode.ttf", 0),
    ("/System/Library/Fonts/Supplemental/Arial Unicode.ttf", 0),
    ("/Library/Fonts/Songti.ttc", 0),
    ("/System/Library/Fonts/STHeiti Medium.ttc", 0),
    ("/System/Library/Fonts/STHeiti Light.ttc", 0),
)

_SFNT_TRUETYPE = (b"\x00\x01\x00\x00", b"true")
_SFNT_CFF = b"OTTO"


@dataclass(frozen=True)
class FontInfo:
    """The font the PDFs use.

    name: ReportLab font (and family) name to pass to styles and canvases.
    path: file the font was loaded from; None for the built-in CID font.
    embedded: True when the glyphs are embedded (TrueType subset) in every PDF.
    """

    name: str
    path: str | None
    embedded: bool


_lock = threading.Lock()
_registered: dict[tuple[str | None, int], FontInfo] = {}


def register_cjk_font(path: str | None = None) -> FontInfo:
    """Register a CJK font with ReportLab and return which one is used.

    ``path`` is a TrueType font (``.ttf``, or a ``.ttc`` collection whose first
    face is used; append ``#N`` for face N). Without it, ``LIMS_PDF_FONT`` and
    then the machine's usual font folders are tried; if nothing usable is found
    the non-embedded ``STSong-Light`` CID font is registered and a warning is
    logged. Idempotent and thread-safe: the same request returns the same
    ``FontInfo`` without loading the file again.
    """
    requested = path or os.environ.get("LIMS_PDF_FONT") or None
    key = _parse_request(requested)
    with _lock:
        known = _registered.get(key)
        if known is not None:
            return known
        info = _register(key)
        _registered[key] = info
        return info


def registered_font() -> FontInfo:
    """The font registered by an earlier call, registering the default one if none was."""
    with _lock:
        if _registered:
            return next(iter(_registered.values()))
    return register_cjk_font()


def _parse_request(requested: str | None) -> tuple[str | None, int]:
    if requested is None:
        return (None, 0)
    base, sep, index = requested.rpartition("#")
    if sep and index.isdigit():
        return (base, int(index))
    return (requested, 0)


def _register(key: tuple[str | None, int]) -> FontInfo:
    path, index = key
    if path is not None:
        info = _try_truetype(path, index)
        if info is not None:
            return info
        log.warning("PDF font %s is not a usable TrueType font; looking for another one", path)
    for candidate, candidate_index in CANDIDATE_FONTS:
        if os.path.isfile(candidate):
            info = _try_truetype(candidate, candidate_index)
            if info is not None:
                return info
    log.warning(
        "No TrueType CJK font found (set LIMS_PDF_FONT); using the non-embedded %s font: "
        "Chinese text may show as boxes on computers without Chinese fonts",
        FALLBACK_CID_FONT,
    )
    if FALLBACK_CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID_FONT))
    _register_family(FALLBACK_CID_FONT)
    return FontInfo(name=FALLBACK_CID_FONT, path=None, embedded=False)


def _try_truetype(path: str, index: int) -> FontInfo | None:
    if not _has_truetype_outlines(path, index):
        return None
    name = _font_name(path, index)
    try:
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    except (TTFError, OSError, ValueError) as exc:
        log.warning("cannot load PDF font %s: %s", path, exc)
        return None
    _register_family(name)
    return FontInfo(name=name, path=path, embedded=True)


def _has_truetype_outlines(path: str, index: int) -> bool:
    """True for TrueType-outline fonts; False for CFF (.otf, Noto/Source Han) or unreadable files."""
    if path.lower().endswith((".otf", ".otc")):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(12 + 4 * (index + 1))
            if head[:4] == b"ttcf":
                offsets = head[12:]
                start = 4 * index
                if len(offsets) < start + 4:
                    return False
                fh.seek(int.from_bytes(offsets[start:start + 4], "big"))
                head = fh.read(4)
    except OSError:
        return False
    if head[:4] == _SFNT_CFF:
        return False
    return head[:4] in _SFNT_TRUETYPE


def _font_name(path: str, index: int) -> str:
    stem = "".join(ch for ch in Path(path).stem if ch.isalnum()) or "Font"
    return f"CJK-{stem}-{index}"


def _register_family(name: str) -> None:
    # No bold face ships with these fonts: <b> maps to the same face so markup never fails.
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(name, bold, italic, name)
