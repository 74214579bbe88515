"""The station's users as the screens and the command line reach them: logging in, the first
administrator, adding, disabling and re-roling users, changing and recovering passwords.

Who may do what is :mod:`app.core.domain.access`. The accounts file itself — argon2id password
hashes, the database key wrapped under each password and under the recovery code, the MAC over
the whole file — is :mod:`app.security.accounts` and :mod:`app.security.keyring_file`, the only
place that touches that cryptography; this module is the way in for the UI and the CLI.
"""

from __future__ import annotations

from app.security.accounts import MIN_PASSWORD as MIN_PASSWORD
from app.security.accounts import Accounts as Accounts
from app.security.accounts import KdfParams as KdfParams
from app.security.accounts import LoginResult as LoginResult
from app.security.accounts import UserInfo as UserInfo

__all__ = ["MIN_PASSWORD", "Accounts", "KdfParams", "LoginResult", "UserInfo"]
