"""Every string the officer sees is in both catalogues, and the catalogues match the code."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from app.i18n import _, set_language

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _catalog(language: str) -> Catalog:
    path = ROOT / "translations" / language / "LC_MESSAGES" / "modelward.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _extracted(tmp_path: Path) -> set[str]:
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "--quiet",
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_catalogue_covers_every_string_in_the_code(language: str, tmp_path: Path) -> None:
    catalog = _catalog(language)
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    missing = _extracted(tmp_path) - known
    assert sorted(missing) == [], "run `make catalogues` and translate the new strings"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    for message in _catalog(language):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        assert message.string is not None, f"untranslated: {ids[0]!r}"
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings), f"untranslated: {ids[0]!r}"
        assert not message.fuzzy, f"fuzzy: {ids[0]!r}"
        for text in strings:
            assert unicodedata.is_normalized("NFC", text)
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(ids[0])), ids[0]


def test_vietnamese_is_the_default_and_english_switches() -> None:
    assert _("Save") == "Lưu"
    set_language("en")
    assert _("Save") == "Save"
    set_language("vi")
    assert _("Outreach sessions") != "Outreach sessions"
