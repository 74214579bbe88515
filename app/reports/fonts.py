"""The report typeface: the system Times New Roman where present (Windows), otherwise the
bundled Liberation Serif 2.1.5 (SIL OFL, metric-compatible with Times New Roman). Subsets are
embedded by reportlab."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from app.paths import resources_dir

log = logging.getLogger(__name__)
FAMILY = "VNSerif"
FACES = {"": "Regular", "-Bold": "Bold", "-Italic": "Italic", "-BoldItalic": "BoldItalic"}
WINDOWS_FILES = {
    "": "times.ttf",
    "-Bold": "timesbd.ttf",
    "-Italic": "timesi.ttf",
    "-BoldItalic": "timesbi.ttf",
}
_registered: str | None = None


def _windows_fonts() -> dict[str, Path] | None:
    folder = Path(os.environ.get("WINDIR", r"C:\\Windows")) / "Fonts"
    files = {suffix: folder / name for suffix, name in WINDOWS_FILES.items()}
    return files if all(path.is_file() for path in files.values()) else None


def _bundled_fonts() -> dict[str, Path]:
    folder = resources_dir() / "fonts"
    return {suffix: folder / f"LiberationSerif-{face}.ttf" for suffix, face in FACES.items()}


def register_fonts() -> str:
    """Register the four faces as one family once; return the name of the font files used."""
    global _registered
    if _registered is not None:
        return _registered
    chosen = "Times New Roman"
    files = _windows_fonts()
    try:
        if files is None:
            raise TTFError("no system Times New Roman")
        for suffix, path in files.items():
            pdfmetrics.registerFont(TTFont(FAMILY + suffix, str(path)))
    except (TTFError, OSError) as reason:
        log.info("using the bundled Liberation Serif (%s)", reason)
        chosen = "Liberation Serif"
        for suffix, path in _bundled_fonts().items():
            pdfmetrics.registerFont(TTFont(FAMILY + suffix, str(path)))
    pdfmetrics.registerFontFamily(
        FAMILY,
        normal=FAMILY,
        bold=FAMILY + "-Bold",
        italic=FAMILY + "-Italic",
        boldItalic=FAMILY + "-BoldItalic",
    )
    _registered = chosen
    return chosen
