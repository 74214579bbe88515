"""gettext through Babel: the single source of every string the officer sees (no Qt here).

Message ids are English; Vietnamese is the default language. Catalogues live in
``translations/<lang>/LC_MESSAGES/modelward.po``; ``make`` compiles them to ``.mo`` and, when a
``.mo`` is missing (a fresh checkout run without make), the ``.po`` is compiled in memory.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.paths import translations_dir

DOMAIN = "modelward"
DEFAULT_LANGUAGE = "vi"
LANGUAGES = ("vi", "en")

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def _load(language: str, folder: Path) -> gettext.NullTranslations:
    messages = folder / language / "LC_MESSAGES"
    mo_file = messages / f"{DOMAIN}.mo"
    po_file = messages / f"{DOMAIN}.po"
    if mo_file.exists() and (
        not po_file.exists() or mo_file.stat().st_mtime >= po_file.stat().st_mtime
    ):
        with mo_file.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if po_file.exists():
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=language, domain=DOMAIN)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)
    return gettext.NullTranslations()


def set_language(language: str, folder: Path | None = None) -> None:
    """Switch every later ``_()`` call to ``language`` ("vi" or "en")."""
    global _translations, _language
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    _translations = _load(language, folder or translations_dir())
    _language = language


def current_language() -> str:
    return _language


@contextmanager
def language(code: str) -> Iterator[None]:
    """Run a block in ``code`` and switch back: official documents are always Vietnamese,
    whatever language the interface uses."""
    previous = _language
    if code == previous:
        yield
        return
    set_language(code)
    try:
        yield
    finally:
        set_language(previous)


def babel_locale() -> str:
    """The Babel locale for numbers and dates in the current language."""
    return "vi_VN" if _language == "vi" else "en_GB"


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translations.ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it yet (module-level labels)."""
    return message


set_language(DEFAULT_LANGUAGE)
