"""Who runs a command: the login of the command line, the way the app logs in, and the rule
that no command changes the data of a station without user accounts (the demo excepted)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.domain.errors import UserFacingError
from app.i18n import _

if TYPE_CHECKING:
    from app.core.domain.access import Actor
    from app.core.services.accounts import LoginResult

# (verb, action) pairs that only read the station: they run on a station without accounts
READ_ONLY = frozenset(
    {
        ("list", None),
        ("export", None),
        ("keys", "show"),
        ("keys", "enrollment"),
        ("trust", "show"),
        ("bundle", "inspect"),
        ("bundle", "outbox"),
        ("province", "overview"),
        ("audit", "verify"),
        ("audit", "list"),
        ("pack", "inspect"),
        ("pack", "list"),
        ("pack", "history"),
        ("backup", "list"),
        ("backup", "verify"),
    }
)
# verbs that open no station, or create one and its administrator themselves
WITHOUT_LOGIN = frozenset(
    {
        ("pack", "build"),
        ("pack", "init-repo"),
        ("pack", "sign"),
        ("province", "setup"),
        ("setup", "ward"),
        ("setup", "province"),
        ("users", "password"),  # logs in itself, with the password it replaces
        ("users", "recover"),  # nobody can log in: the recovery code stands for the login
    }
)


def password_from_terminal(prompt: str, *, confirm: bool, variable: str) -> str:
    """A password from ``variable`` in the environment, else typed unseen (twice when
    ``confirm``); refused without a terminal."""
    value = os.environ.get(variable)
    if value is not None:
        return value
    if sys.stdin is None or not sys.stdin.isatty():
        raise UserFacingError(
            _("No password was given and there is no terminal to type it."),
            hint=_("Set {variable}, or run the command in a terminal.").format(variable=variable),
        )
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass(_("Type the password again: ")) != value:
        raise UserFacingError(
            _("The two passwords are not the same."), hint=_("Nothing was changed.")
        )
    return value


def passphrase(prompt: str, *, variable: str, confirm: bool = False) -> str:
    """A key or backup passphrase from ``variable`` in the environment (when not empty), else
    typed unseen after ``prompt`` (twice when ``confirm``)."""
    value = os.environ.get(variable)
    if value:
        return value
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass(_("Type the passphrase again: ")) != value:
        raise UserFacingError(_("The two passphrases differ."))
    return value


def read_file(path: Path) -> bytes:
    """The bytes of a file the officer named; a file that cannot be read is refused by name."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise UserFacingError(
            _("The file {name} cannot be read: {reason}.").format(
                name=path.name, reason=error.strerror or error
            )
        ) from error


def cli_login(path: Path, username: str | None) -> LoginResult | None:
    """Log in the way the app does, when the station has accounts: the user name from --user
    or MODELWARD_USER (else asked), the password from MODELWARD_PASSWORD (else asked, unseen).
    A station without accounts returns None (see :func:`require_accounts`)."""
    from app.core.services.accounts import Accounts

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
    from app.core.services import storage

    storage.unlock(path, login.db_key)  # the database is encrypted with it (app.db.open)
    if login.must_change_password:
        raise UserFacingError(
            _("Your password was set by the administrator and must be changed first."),
            hint=_(
                "Run 'modelward users password --user {name}' (or open ModelWard) to choose "
                "your own password."
            ).format(name=login.actor.username),
        )
    return login


def actor_of(args: argparse.Namespace) -> Actor | None:
    """The logged-in user of a command (None where no login applies)."""
    login = getattr(args, "login", None)
    return None if login is None else login.actor


def log_in_for(path: Path, args: argparse.Namespace) -> LoginResult | None:
    """The login a command runs under (None where none is needed, or on a station without
    accounts where the command only reads or the database is the demo)."""
    step = (args.verb, getattr(args, "action", None))
    if args.verb in ("demo", "screenshots") or step in WITHOUT_LOGIN:
        return None
    login = cli_login(path, args.user)
    if login is None and step not in READ_ONLY and step != ("users", "add"):
        require_accounts(path)
    return login


def require_accounts(path: Path) -> None:
    """Refuse a command that changes data on a station without user accounts, unless the
    database is the demo (a missing database is left for the command to report)."""
    from app.core.services import storage

    if not path.exists():
        return
    if storage.is_encrypted(path):
        raise missing_accounts(path)
    if is_demo(path):
        return
    raise UserFacingError(
        _("This station has no user accounts yet, so no command may change its data."),
        hint=_(
            "Create the administrator first with 'modelward users add NAME --role admin' "
            "(or open ModelWard once), then log in with --user."
        ),
    )


def missing_accounts(path: Path) -> UserFacingError:
    from app.core.services.accounts import Accounts

    return UserFacingError(
        _("The user accounts of this encrypted station are missing ({path}).").format(
            path=Accounts(path).path
        ),
        hint=_(
            "Put back the 'keys' folder from the station's backup copy; without "
            "it the data cannot be opened. Do not create new accounts."
        ),
    )


def is_demo(path: Path) -> bool:
    """Whether the plaintext database at ``path`` is marked as the demo ward."""
    from app.core.services.storage import is_demo_database

    return is_demo_database(path)
