"""The ``modelward`` command: no verb opens the GUI; verbs run the same services headless."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
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
from app.i18n import _, set_language
from app.logs import enable_log_rotation, setup_logging
from app.paths import data_dir, default_db_path

log = logging.getLogger(__name__)
DEMO_DB_NAME = "demo.sqlite"

Handler = Callable[[Path, argparse.Namespace], int]

# The one dispatch table: verb -> (module of its verb group, handler). Each module also builds
# its verbs' parsers (``add_parser``), in this order in the help. The modules are imported only
# when a verb runs or its help is asked for: opening the GUI imports none of them.
VERBS: dict[str, tuple[str, str]] = {
    "demo": ("app.cli.demo", "run_demo_verb"),
    "screenshots": ("app.cli.demo", "run_screenshots_verb"),
    "list": ("app.cli.records", "run_record_verb"),
    "import": ("app.cli.records", "run_record_verb"),
    "export": ("app.cli.records", "run_record_verb"),
    "pack": ("app.cli.packs", "run_pack_verb"),
    "report": ("app.cli.reports", "run_report_verb"),
    "keys": ("app.cli.sync", "run_sync_verb"),
    "trust": ("app.cli.sync", "run_sync_verb"),
    "bundle": ("app.cli.sync", "run_sync_verb"),
    "receipt": ("app.cli.sync", "run_sync_verb"),
    "province": ("app.cli.sync", "run_sync_verb"),  # ``province setup``: handed to app.cli.setup
    "audit": ("app.cli.audit", "run_audit_verb"),
    "backup": ("app.cli.backup", "run_backup_verb"),
    "setup": ("app.cli.setup", "run_setup_verb"),
    "users": ("app.cli.users", "run_users_verb"),
}


def demo_db_path() -> Path:
    return data_dir() / DEMO_DB_NAME


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
    for module in dict.fromkeys(module for module, _handler in VERBS.values()):
        importlib.import_module(module).add_parser(verbs)
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
        from app.cli.errors import report  # only on failure: not on the way to the window

        return report(error)


def _handler(verb: str) -> Handler:
    module, name = VERBS[verb]
    handler: Handler = getattr(importlib.import_module(module), name)
    return handler


def _dispatch(args: argparse.Namespace) -> int:
    path = _db_path(args)
    if args.verb is None:
        from app.ui.app import run_gui  # Qt only when a GUI verb runs

        return run_gui(path)
    from app.cli.common import log_in_for  # getpass and termios: a verb's, not the GUI's

    if args.verb != "demo":  # the demo makes its own accounts
        args.login = log_in_for(path, args)
    return _handler(args.verb)(path, args)
