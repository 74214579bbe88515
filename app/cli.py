"""The ``modelward`` command: no verb opens the GUI; verbs run the same services headless."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from app.core.errors import Cancelled, EnvironmentProblem, UserFacingError, ValidationError
from app.i18n import LANGUAGES, _, set_language
from app.logs import enable_log_rotation, setup_logging
from app.paths import DB_FILE_NAME, data_dir, default_db_path

if TYPE_CHECKING:
    from app.security.accounts import Actor, LoginResult

log = logging.getLogger(__name__)
DEMO_DB_NAME = "demo.sqlite"


def demo_db_path() -> Path:
    return data_dir() / DEMO_DB_NAME


VERBS = (
    "demo",
    "screenshots",
    "list",
    "import",
    "export",
    "pack",
    "report",
    "keys",
    "trust",
    "bundle",
    "receipt",
    "province",
    "audit",
    "backup",
)


def _global_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelward",
        description=_("ModelWard: records, indicators and reports of a model ward police unit."),
    )
    parser.add_argument("--version", action="version", version=f"modelward {__version__}")
    parser.add_argument(
        "--db",
        type=Path,
        help=_("database file (default: {path})").format(path=Path("<data folder>") / DB_FILE_NAME),
    )
    parser.add_argument("--demo", action="store_true", help=_("use the demo ward database"))
    parser.add_argument("--lang", choices=LANGUAGES, help=_("interface language"))
    parser.add_argument(
        "--user",
        help=_(
            "log in as this user (or set MODELWARD_USER); the password is asked for, "
            "or read from MODELWARD_PASSWORD"
        ),
    )
    return parser


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    """Opening the GUI needs only the global options; building the verbs' parsers (and their
    translated help) is left to the runs that use a verb or ask for help."""
    if not any(word in VERBS or word in ("-h", "--help") for word in argv):
        args = _global_parser().parse_args(argv)
        args.verb = None
        return args
    return _parser().parse_args(argv)


def _parser() -> argparse.ArgumentParser:
    parser = _global_parser()
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    demo = verbs.add_parser("demo", help=_("build a demo ward with years of history"))
    demo.add_argument("--years", type=int, default=3)
    demo.add_argument(
        "--if-missing", action="store_true", help=_("do nothing if the database already exists")
    )
    demo.add_argument("--open", action="store_true", help=_("open the app on it afterwards"))

    shots = verbs.add_parser("screenshots", help=_("render every main screen to PNG files"))
    shots.add_argument("--out", type=Path, required=True)

    listing = verbs.add_parser("list", help=_("print the records of one kind"))
    listing.add_argument("kind")
    listing.add_argument("--search", default="")

    importing = verbs.add_parser("import", help=_("import records from an Excel or CSV file"))
    importing.add_argument("kind")
    importing.add_argument("file", type=Path)
    importing.add_argument(
        "--yes", action="store_true", help=_("import every new row without asking")
    )

    exporting = verbs.add_parser("export", help=_("export records of one kind to Excel"))
    exporting.add_argument("kind")
    exporting.add_argument("file", type=Path)

    from app.cli_packs import add_parser as add_pack_parser
    from app.cli_reports import add_parser as add_report_parser
    from app.cli_sync import add_parser as add_sync_parser

    add_pack_parser(verbs)
    add_report_parser(verbs)
    add_sync_parser(verbs)
    from app.cli_audit import add_parser as add_audit_parser

    add_audit_parser(verbs)
    from app.cli_backup import add_parser as add_backup_parser

    add_backup_parser(verbs)
    return parser


def _db_path(args: argparse.Namespace) -> Path:
    if args.db:
        return Path(args.db)
    if args.demo or args.verb == "demo":
        return demo_db_path()
    return default_db_path()


def main(argv: Sequence[str] | None = None) -> int:
    setup_logging()
    args = _parse(sys.argv[1:] if argv is None else list(argv))
    if args.verb is not None:
        enable_log_rotation()  # the GUI does it once its window is shown
    if args.lang:
        set_language(args.lang)
    log.info("modelward %s started: %s", __version__, args.verb or "gui")
    try:
        return _dispatch(args)
    except Cancelled:
        return 1
    except ValidationError as error:
        for message in error.field_errors.values():
            print(_("Error: {message}").format(message=message), file=sys.stderr)
        return 2
    except (UserFacingError, EnvironmentProblem) as error:
        print(_("Error: {message}").format(message=str(error)), file=sys.stderr)
        return 2


def cli_login(path: Path, username: str | None) -> LoginResult | None:
    """Log in the way the app does, when the station has accounts: the user name from --user
    or MODELWARD_USER (else asked), the password from MODELWARD_PASSWORD (else asked, unseen).
    A station without accounts yet returns None: the app's first start creates them."""
    import getpass
    import os

    from app.security.accounts import Accounts

    accounts = Accounts(path)
    if not accounts.exists():
        return None
    name = username or os.environ.get("MODELWARD_USER")
    password = os.environ.get("MODELWARD_PASSWORD")
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if not name or password is None:
        if not interactive:
            raise UserFacingError(
                _("This station has user accounts: log in to use this command."),
                hint=_("Pass --user (or set MODELWARD_USER) and set MODELWARD_PASSWORD."),
            )
        name = name or input(_("User name: "))
        password = getpass.getpass(_("Password: "))
    login = accounts.login(name, password)
    from app.db import cipher

    cipher.unlock(path, login.db_key)  # the database is encrypted with it (app.db.open)
    if login.must_change_password:
        raise UserFacingError(
            _("Your password was set by the administrator and must be changed first."),
            hint=_("Open ModelWard and log in once to choose your own password."),
        )
    return login


def actor_of(args: argparse.Namespace) -> Actor | None:
    """The logged-in user of a command (None on a station without accounts yet)."""
    login = getattr(args, "login", None)
    return None if login is None else login.actor


def _dispatch(args: argparse.Namespace) -> int:
    path = _db_path(args)
    if args.verb is None:
        from app.ui.app import run_gui  # Qt only when a GUI verb runs

        return run_gui(path)
    if args.verb == "demo":
        return _demo(path, args)
    if args.verb != "screenshots":
        args.login = cli_login(path, args.user)
    if args.verb == "screenshots":
        from app.ui.screenshots import render_screenshots

        for written in render_screenshots(path, args.out):
            print(written)
        return 0
    if args.verb == "report":
        from app.cli_reports import run_report_verb

        return run_report_verb(path, args)
    if args.verb == "pack":
        from app.cli_packs import run_pack_verb

        return run_pack_verb(path, args)
    if args.verb == "audit":
        from app.cli_audit import run_audit_verb

        return run_audit_verb(path, args)
    if args.verb == "backup":
        from app.cli_backup import run_backup_verb

        return run_backup_verb(path, args)
    if args.verb in ("keys", "trust", "bundle", "receipt", "province"):
        from app.cli_sync import run_sync_verb

        return run_sync_verb(path, args)
    from app.cli_records import run_record_verb

    return run_record_verb(args.verb, path, args)


def _demo(path: Path, args: argparse.Namespace) -> int:
    from app.core.demo import DemoBuilder
    from app.db.open import open_database

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
    if args.open:
        from app.ui.app import run_gui

        return run_gui(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
