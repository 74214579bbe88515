"""Showcase verbs of the command line: ``demo`` builds a demo ward, ``screenshots`` renders the
main screens (no Qt until a verb needs it)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from app.core.domain.errors import UserFacingError
from app.i18n import _


def add_parser(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = verbs.add_parser("demo", help=_("build a demo ward with years of history"))
    demo.add_argument("--years", type=int, default=3)
    demo.add_argument(
        "--if-missing", action="store_true", help=_("do nothing if the database already exists")
    )
    demo.add_argument("--open", action="store_true", help=_("open the app on it afterwards"))

    shots = verbs.add_parser("screenshots", help=_("render every main screen to PNG files"))
    shots.add_argument("--out", type=Path, required=True)


def run_screenshots_verb(path: Path, args: argparse.Namespace) -> int:
    from app.ui.screenshots import render_screenshots

    for written in render_screenshots(path, args.out):
        print(written)
    return 0


def run_demo_verb(path: Path, args: argparse.Namespace) -> int:
    from app.core.services.demo import DemoBuilder
    from app.core.services.storage import open_database

    if path.exists() and args.if_missing:
        print(_("Demo database already exists: {path}").format(path=path))
    else:
        if path.exists():
            raise UserFacingError(
                _("{path} already exists; the demo is only built into a new file.").format(
                    path=path
                )
            )
        db = open_database(path)
        try:
            counts = DemoBuilder(db, args.years, date.today()).build()
        finally:
            db.close()
        print(
            _("Demo ward built in {path}: {counts}").format(
                path=path, counts=", ".join(f"{k} {v}" for k, v in counts.items())
            )
        )
    from app.core.services import demo_accounts

    card = demo_accounts.ensure(path)  # one ready account per role, shown at the demo's login
    for line in demo_accounts.card_lines(card) if card is not None else ():
        print(line)
    if args.open:
        from app.ui.app import run_gui

        return run_gui(path)
    return 0
