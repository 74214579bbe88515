"""Re-extract UI strings, update the vi/en catalogues, fill English with the English ids,
and list the Vietnamese messages still to translate. Run by `make catalogues`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "modelward.pot"


def _po(language: str) -> Path:
    return ROOT / "translations" / language / "LC_MESSAGES" / "modelward.po"


def main() -> int:
    babel = [sys.executable, "-m", "babel.messages.frontend"]
    subprocess.run(
        [
            *babel,
            "--quiet",
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(POT),
            "--no-location",
            "--sort-output",
            "--project",
            "ModelWard",
            "-c",
            "TRANSLATORS:",
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    subprocess.run(
        [
            *babel,
            "--quiet",
            "update",
            "-i",
            str(POT),
            "-d",
            "translations",
            "-D",
            "modelward",
            "--no-fuzzy-matching",
            "--ignore-obsolete",
        ],
        cwd=ROOT,
        check=True,
    )
    english = _po("en")
    with english.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if message.id:
            message.string = message.id if isinstance(message.id, str) else tuple(message.id)
            message.flags.discard("fuzzy")
    with english.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, omit_header=False, width=100)
    with _po("vi").open("rb") as handle:
        todo = [m.id for m in read_po(handle, locale="vi") if m.id and not m.string]
    for message_id in todo:
        print(f"vi: untranslated: {message_id!r}")
    return 1 if todo else 0


if __name__ == "__main__":
    raise SystemExit(main())
