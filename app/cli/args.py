"""The command line's argument parser: Vietnamese messages (argparse's own texts go through our
catalogue), the global options before or after any verb, and argument types that say in the
officer's language what is wrong with a value."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

from app.core.domain.errors import UserFacingError
from app.i18n import LANGUAGES, N_, _, set_language
from app.paths import DB_FILE_NAME

# argparse's own English texts (Python 3.11 to 3.13) that can reach the officer: they are looked
# up in our catalogue instead of Python's, which has no Vietnamese. The %-placeholders are
# argparse's own and stay as they are.
ARGPARSE_TEXTS = frozenset(
    {
        N_("usage: "),
        N_("positional arguments"),
        N_("options"),
        N_("show this help message and exit"),
        N_("show program's version number and exit"),
        N_("argument %(argument_name)s: %(message)s"),
        N_("the following arguments are required: %s"),
        N_("unrecognized arguments: %s"),
        N_("invalid choice: %(value)r (choose from %(choices)s)"),
        N_("invalid %(type)s value: %(value)r"),
        N_("expected one argument"),
        N_("expected at most one argument"),
        N_("expected at least one argument"),
        N_("ambiguous option: %(option)s could match %(matches)s"),
        N_("not allowed with argument %s"),
        N_("one of the arguments %s is required"),
        N_("ignored explicit argument %r"),
        N_("unexpected option string: %s"),
        N_("can't open '%(filename)s': %(error)s"),
        N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    }
)


def _argparse_gettext(message: str) -> str:
    return _(message) if message in ARGPARSE_TEXTS else message


def _argparse_ngettext(singular: str, plural: str, count: int) -> str:
    if singular == "expected %s argument":
        return _("expected {n} arguments").format(n="%s")
    return singular if count == 1 else plural


def install_translations() -> None:
    """argparse calls its module-level ``_`` and ``ngettext`` when it builds a message."""
    argparse._ = _argparse_gettext  # type: ignore[attr-defined]
    argparse.ngettext = _argparse_ngettext  # type: ignore[attr-defined]


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one Vietnamese line and a pointer to the help,
    exit status 2 (sub-parsers are made of the same class)."""

    def error(self, message: str) -> NoReturn:
        print(_("Error: {message}").format(message=message), file=sys.stderr)
        print(
            _("See '{command} --help' for how to write this command.").format(command=self.prog),
            file=sys.stderr,
        )
        raise SystemExit(2)


# -- the global options, accepted before or after the verb and its action --------------------

GLOBAL_VALUE_OPTIONS = ("--db", "--user", "--lang")


def add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``--db``, ``--demo``, ``--lang`` and ``--user``. Below the top level their default is
    SUPPRESS, so a value given before the verb is kept when none is given after it."""
    default: dict[str, object] = {} if top else {"default": argparse.SUPPRESS}
    parser.add_argument(
        "--db",
        type=Path,
        help=_("database file (default: {path})").format(
            path=Path(_("<data folder>")) / DB_FILE_NAME
        ),
        **default,  # type: ignore[arg-type]
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help=_("use the demo ward database"),
        **default,  # type: ignore[arg-type]
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=_("interface language"),
        **default,  # type: ignore[arg-type]
    )
    parser.add_argument(
        "--user",
        help=_(
            "log in as this user (or set MODELWARD_USER); the password is asked for, "
            "or read from MODELWARD_PASSWORD"
        ),
        **default,  # type: ignore[arg-type]
    )


def sub_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every parser below ``parser`` (verbs, their actions, …), depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield child
                yield from sub_parsers(child)


# the names of positional arguments in usage lines and errors ("argument KIND: …")
POSITIONAL_NAMES = {
    "kind": N_("KIND"),
    "file": N_("FILE"),
    "files": N_("FILE"),
    "source": N_("FILE"),
    "path": N_("FOLDER"),
    "repo": N_("FOLDER"),
    "station": N_("STATION"),
    "bundle_id": N_("BUNDLE"),
    "name": N_("USER"),
    "VERB": N_("VERB"),
    "ACTION": N_("ACTION"),
}
# the names of option values in usage lines ("--out FILE"); others are called VALUE
VALUE_NAME = N_("VALUE")
OPTION_VALUE_NAMES = {
    "db": N_("FILE"),
    "out": N_("PATH"),
    "file": N_("FILE"),
    "receipts": N_("FOLDER"),
    "repo": N_("FOLDER"),
    "keys": N_("FOLDER"),
    "user": N_("USER"),
    "admin": N_("USER"),
    "full_name": N_("FULL_NAME"),
    "name": N_("NAME"),
    "date": N_("DATE"),
    "period": N_("PERIOD"),
    "year": N_("YEAR"),
    "years": N_("NUMBER"),
    "last": N_("NUMBER"),
    "after_seq": N_("NUMBER"),
    "fingerprint": N_("FINGERPRINT"),
    "record_kind": N_("KIND"),
}


def finish(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Once every verb is added: the global options on every sub-parser, the officer's wording
    for whole numbers wherever a verb asked for ``type=int``, and positional arguments named in
    the interface language."""
    for child in sub_parsers(parser):
        known = {option for action in child._actions for option in action.option_strings}
        if "--db" not in known:
            add_global_options(child, top=False)
    for each in (parser, *sub_parsers(parser)):
        for action in each._actions:
            if action.type is int:
                action.type = whole_number
            _name_value(action)
    return parser


def _name_value(action: argparse.Action) -> None:
    """Name a positional argument or an option's value in the interface language (usage lines
    and errors); choices keep their list."""
    if not action.option_strings:
        name = action.metavar if isinstance(action.metavar, str) else action.dest
        if name in POSITIONAL_NAMES:
            action.metavar = _(POSITIONAL_NAMES[name])
    elif action.metavar is None and action.choices is None and action.nargs != 0:
        action.metavar = _(OPTION_VALUE_NAMES.get(action.dest, VALUE_NAME))


# (verb, action) -> the arguments that name files or folders the command reads
INPUT_PATHS: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("import", None): ("file",),
    ("trust", "import"): ("file",),
    ("trust", "enroll"): ("file",),
    ("bundle", "inspect"): ("file",),
    ("bundle", "import"): ("files",),
    ("receipt", "import"): ("file",),
    ("backup", "verify"): ("file",),
    ("backup", "restore"): ("file",),
    ("backup", "from-usb"): ("file",),
    ("pack", "inspect"): ("path",),
    ("pack", "install"): ("path",),
    ("pack", "build"): ("source",),
    ("pack", "sign"): ("files",),
}


def check_input_paths(args: argparse.Namespace) -> None:
    """Refuse a command whose input file or folder does not exist, before anything runs (and
    before a password is asked for)."""
    step = (args.verb, getattr(args, "action", None))
    for dest in INPUT_PATHS.get(step, ()):
        value = getattr(args, dest, None)
        for path in value if isinstance(value, list) else [value]:
            if not isinstance(path, Path):
                continue
            if not path.exists():
                raise UserFacingError(
                    _("The file or folder {path} does not exist.").format(path=path),
                    hint=_("Check the name and the folder, and that the USB stick is plugged in."),
                )
            if not os.access(path, os.R_OK):
                raise UserFacingError(
                    _("This computer account may not read {path}.").format(path=path),
                    hint=_("Copy the file to a folder of your own, or ask the administrator."),
                )


def words_without_global_options(argv: Sequence[str]) -> list[str]:
    """``argv`` without the global options and their values (to tell a GUI run from a verb)."""
    words: list[str] = []
    skip = False
    for word in argv:
        if skip:
            skip = False
            continue
        if word in GLOBAL_VALUE_OPTIONS:
            skip = True
            continue
        if word == "--demo" or word.split("=", 1)[0] in GLOBAL_VALUE_OPTIONS:
            continue
        words.append(word)
    return words


def preset_language(argv: Sequence[str]) -> None:
    """Apply ``--lang`` (wherever it is) before the parser is built, so its help and errors are
    in that language; a wrong value is left for the parser to report."""
    for index, word in enumerate(argv):
        value = None
        if word == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        elif word.startswith("--lang="):
            value = word.split("=", 1)[1]
        if value in LANGUAGES:
            set_language(value)


# -- argument types with the officer's wording -------------------------------------------------


def whole_number(text: str) -> int:
    if not re.fullmatch(r"\s*-?\d+\s*", text):
        raise argparse.ArgumentTypeError(
            _("{value} is not a whole number; write digits only, e.g. 3.").format(value=text)
        )
    return int(text)


def calendar_day(text: str) -> date:
    """A date written dd/mm/yyyy, checked against the calendar (31/02 is refused)."""
    match = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*", text)
    try:
        if match is None:
            raise ValueError(text)
        day, month, year = (int(group) for group in match.groups())
        return date(year, month, day)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{value} is not a date; write the day as dd/mm/yyyy, e.g. 05/01/2027.").format(
                value=text
            )
        ) from None
