"""The ``modelward`` command: no verb opens the GUI; verbs run the same services headless."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from app import __version__
from app.cli.args import (
    CommandParser,
    add_global_options,
    check_input_paths,
    finish,
    install_translations,
    preset_language,
    words_without_global_options,
)
from app.cli.errors import report
from app.cli.common import actor_of, cli_login, log_in_for
from app.core.errors import UserFacingError
from app.i18n import _, set_language
from app.logs import enable_log_rotation, setup_logging
from app.paths import data_dir, default_db_path

__all__ = ["actor_of", "cli_login", "main"]  # kept here for the verb modules that import them

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
    "setup",
    "users",
)


def _global_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="modelward",
        description=_("ModelWard: records, indicators and reports of a model ward police unit."),
    )
    parser.add_argument("--version", action="version", version=f"modelward {__version__}")
    add_global_options(parser, top=True)
    return parser


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    """Opening the GUI needs only the global options; building the verbs' parsers (and their
    translated help) is left to the runs that use a verb or ask for help. The global options
    may stand before or after the verb and its action (``modelward bundle import --db X F``)."""
    install_translations()
    preset_language(argv)
    if not words_without_global_options(argv):
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
    importing.add_argument(
        "--confirm-locked",
        action="store_true",
        help=_("chief: import rows dated in a locked month too (recorded in the audit trail)"),
    )

    exporting = verbs.add_parser("export", help=_("export records of one kind to Excel"))
    exporting.add_argument("kind")
    exporting.add_argument("file", type=Path)

    from app.cli.packs import add_parser as add_pack_parser
    from app.cli.reports import add_parser as add_report_parser
    from app.cli.sync import add_parser as add_sync_parser

    add_pack_parser(verbs)
    add_report_parser(verbs)
    add_sync_parser(verbs)
    from app.cli.audit import add_parser as add_audit_parser

    add_audit_parser(verbs)
    from app.cli.backup import add_parser as add_backup_parser

    add_backup_parser(verbs)
    from app.cli.setup import add_parser as add_setup_parser
    from app.cli.users import add_parser as add_users_parser

    add_setup_parser(verbs)
    add_users_parser(verbs)
    return finish(parser)


def _db_path(args: argparse.Namespace) -> Path:
    if args.db:
        return Path(args.db)
    if args.demo or args.verb == "demo":
        return demo_db_path()
    return default_db_path()


def main(argv: Sequence[str] | None = None) -> int:
    setup_logging()
    logging.captureWarnings(True)  # diagnostics go to the log file, never to the terminal
    try:
        args = _parse(sys.argv[1:] if argv is None else list(argv))
        if args.verb is not None:
            enable_log_rotation()  # the GUI does it once its window is shown
        if args.lang:
            set_language(args.lang)
        log.info("modelward %s started: %s", __version__, args.verb or "gui")
        if args.verb is not None:
            check_input_paths(args)
        return _dispatch(args)
    except SystemExit:
        raise  # argparse's own exit (--help, --version, a wrong argument: status 2)
    except (Exception, KeyboardInterrupt) as error:
        return report(error)


def _dispatch(args: argparse.Namespace) -> int:
    path = _db_path(args)
    if args.verb is None:
        from app.ui.app import run_gui  # Qt only when a GUI verb runs

        return run_gui(path)
    if args.verb == "demo":
        return _demo(path, args)
    args.login = log_in_for(path, args)
    if args.verb == "setup" or (args.verb, getattr(args, "action", None)) == ("province", "setup"):
        from app.cli.setup import run_setup_verb

        return run_setup_verb(path, args)
    if args.verb == "users":
        from app.cli.users import run_users_verb

        return run_users_verb(path, args)
    if args.verb == "screenshots":
        from app.ui.screenshots import render_screenshots

        for written in render_screenshots(path, args.out):
            print(written)
        return 0
    if args.verb == "report":
        from app.cli.reports import run_report_verb

        return run_report_verb(path, args)
    if args.verb == "pack":
        from app.cli.packs import run_pack_verb

        return run_pack_verb(path, args)
    if args.verb == "audit":
        from app.cli.audit import run_audit_verb

        return run_audit_verb(path, args)
    if args.verb == "backup":
        from app.cli.backup import run_backup_verb

        return run_backup_verb(path, args)
    if args.verb in ("keys", "trust", "bundle", "receipt", "province"):
        from app.cli.sync import run_sync_verb

        return run_sync_verb(path, args)
    from app.cli.records import run_record_verb

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
    from app.core import demo_accounts

    card = demo_accounts.ensure(path)  # one ready account per role, shown at the demo's login
    for line in demo_accounts.card_lines(card) if card is not None else ():
        print(line)
    if args.open:
        from app.ui.app import run_gui

        return run_gui(path)
    return 0

