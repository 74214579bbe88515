"""``modelward users recover NAME`` and ``users new-recovery-code``: the administrator's way back
in with the recovery code printed at set-up, on a station where nobody can log in any more, and
a new code once the old one was used or seen.

``recover`` needs no login: the code is read from ``MODELWARD_RECOVERY_CODE`` or typed unseen,
the new password from ``MODELWARD_NEW_PASSWORD`` or typed twice."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.domain.errors import UserFacingError
from app.i18n import _

if TYPE_CHECKING:
    from app.core.services.accounts import Accounts, LoginResult

RECOVERY_CODE = "MODELWARD_RECOVERY_CODE"
NEW_PASSWORD = "MODELWARD_NEW_PASSWORD"


def _recovery_code() -> str:
    value = os.environ.get(RECOVERY_CODE)
    if value is not None:
        return value
    if sys.stdin is None or not sys.stdin.isatty():
        raise UserFacingError(
            _("No recovery code was given and there is no terminal to type it."),
            hint=_("Set {variable}, or run the command in a terminal.").format(
                variable=RECOVERY_CODE
            ),
        )
    return getpass.getpass(_("Recovery code: "))


def recover(path: Path, name: str) -> int:
    from app.cli.common import password_from_terminal
    from app.core.services.account_recovery import recover_administrator
    from app.core.services.accounts import Accounts

    accounts = Accounts(path)
    if not accounts.exists():
        raise UserFacingError(_("No user accounts have been set up for this station yet."))
    code = _recovery_code()
    password = password_from_terminal(
        _("New password for {name}: ").format(name=name.strip()),
        confirm=True,
        variable=NEW_PASSWORD,
    )
    recovery = recover_administrator(accounts, code, name, password)
    username = recovery.login.actor.username
    print(
        _("The password of the administrator {name} was reset with the recovery code.").format(
            name=username
        )
    )
    if not recovery.audited:
        print(_("The station's audit trail could not be written; see the log file."))
    print(
        _(
            "The recovery code has now been used: make a new one and keep it in the safe: "
            "'modelward users new-recovery-code --user {name}'."
        ).format(name=username)
    )
    return 0


def new_recovery_code(accounts: Accounts, login: LoginResult) -> None:
    from app.cli.setup import print_recovery_code

    code = accounts.new_recovery_code(login)
    print(_("A new recovery code was made; the old one no longer works."))
    print_recovery_code(code)
