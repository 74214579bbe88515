"""Station user accounts: roles, permissions, argon2id logins and the database key they unlock.

Roles keep duties apart. An *officer* enters data (records, indicators, the self-assessment)
and can make a backup. The station *chief* does what an officer does and also approves, locks
periods, signs reports and exports (or, at the province, imports) sync bundles. The
*administrator* sets the station up and manages keys, users and restores, but neither enters data
nor approves it: whoever holds the user list must not also be able to vouch for the figures.
Services call :func:`require` before acting; this module only knows who may do what.

The accounts live in ``keys/<db stem>/accounts.json`` next to the database and never inside it,
because the database will be encrypted with a key that only a login can unlock. For every user
the file holds an argon2id password hash and the 32-byte database key wrapped (ChaCha20-Poly1305)
under a second argon2id derivation of the password with its own salt; a ``recovery`` entry holds
the same key wrapped under a random code printed once at set-up. The database key is never
written unwrapped. An HMAC keyed from the database key covers the whole file except the lock-out
counters, which change on failed logins when no key is at hand: after every unwrap the MAC is
checked, so a role changed or a user added by editing the file is refused.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

from app.core.domain.access import (
    ROLE_LABELS,
    ROLE_PERMISSIONS,
    Actor,
    Permission,
    PermissionDenied,
    Role,
    require,
    role_label,
)
from app.core.domain.errors import EnvironmentProblem, NotFound, UserFacingError, ValidationError
from app.core.domain.text import clean, nfc
from app.fileio import atomic_write_bytes
from app.i18n import _, ngettext
from app.paths import keys_folder
from app.security.keyring_file import (
    DB_KEY_BYTES,
    DEFAULT_KDF,
    FORMAT,
    MAX_KDF,
    RECOVERY_BYTES,
    USERNAME,
    VERSION,
    KdfParams,
    Keyring,
    StoredUser,
    UserInfo,
    Wrap,
    check_params,
    db_key_check,
    document_of,
    format_recovery_code,
    keyring_mac,
    open_wrap,
    parse_document,
    parse_recovery_code,
    password_key,
    recovery_key,
    seal,
)

# the names other modules import from here (roles and the file format moved out)
__all__ = [
    "DB_KEY_BYTES",
    "DEFAULT_KDF",
    "FILE_NAME",
    "FORMAT",
    "MAX_KDF",
    "MIN_PASSWORD",
    "RECOVERY_BYTES",
    "ROLE_LABELS",
    "ROLE_PERMISSIONS",
    "VERSION",
    "Accounts",
    "Actor",
    "KdfParams",
    "LoginResult",
    "Permission",
    "PermissionDenied",
    "Role",
    "UserInfo",
    "format_recovery_code",
    "parse_recovery_code",
    "require",
    "role_label",
]

FILE_NAME = "accounts.json"
MIN_PASSWORD = 8
MAX_FILE_BYTES = 4 * 1024 * 1024
LOCK_AFTER = 5
FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginResult:
    actor: Actor
    db_key: bytes = field(repr=False)
    must_change_password: bool = False


# --- messages --------------------------------------------------------------------------------


def _damaged() -> UserFacingError:
    return UserFacingError(
        _("The station accounts file is missing, damaged or not a ModelWard accounts file."),
        hint=_("Restore the keys folder from a backup, then log in again."),
    )


def _tampered() -> UserFacingError:
    return UserFacingError(
        _("The station accounts file has been changed outside ModelWard and cannot be trusted."),
        hint=_("Restore the keys folder from a backup, or ask the administrator for help."),
    )


def _wrong_login() -> UserFacingError:
    return UserFacingError(_("Wrong user name or password."))


def _stale_session() -> UserFacingError:
    return UserFacingError(_("Your login is no longer valid. Log in again."))


def _wait_message(wait: timedelta) -> str:
    seconds = max(1, int(-(-wait.total_seconds() // 1)))
    if seconds <= 60:
        text = ngettext(
            "Too many failed attempts. Try again in {n} second.",
            "Too many failed attempts. Try again in {n} seconds.",
            seconds,
        )
        return text.format(n=seconds)
    minutes = -(-seconds // 60)
    text = ngettext(
        "Too many failed attempts. Try again in {n} minute.",
        "Too many failed attempts. Try again in {n} minutes.",
        minutes,
    )
    return text.format(n=minutes)


def _password_errors(username: str, password: str, field_name: str) -> dict[str, str]:
    if len(nfc(password)) < MIN_PASSWORD:
        message = _("The password must have at least {n} characters.").format(n=MIN_PASSWORD)
        return {field_name: message}
    if nfc(password).strip().lower() == username:
        return {field_name: _("The password must not be the same as the user name.")}
    return {}


def _normal_username(username: str) -> str:
    return nfc(username).strip().lower()


def _lock_until(failures: int, now: datetime) -> datetime | None:
    if failures < LOCK_AFTER:
        return None
    doublings = min(failures - LOCK_AFTER, 10)  # 30 s x 2**5 already passes the 15 min cap
    return now + min(FIRST_LOCK * (1 << doublings), MAX_LOCK)


def _refuse_if_locked(locked_until: datetime | None, now: datetime) -> None:
    if locked_until is None or locked_until <= now:
        return
    wait = locked_until - now
    # Only a clock set back gives a longer wait: that must not lock an officer out for days.
    if wait <= MAX_LOCK:
        raise UserFacingError(_wait_message(wait))


def _actor(user: StoredUser) -> Actor:
    return Actor(user.username, user.display_name, user.role)


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --- the keyring -----------------------------------------------------------------------------


class Accounts:
    """The accounts of the station whose database is ``db_path``.

    ``clock`` must return an aware datetime. ``kdf`` sets the argon2id cost of new hashes and
    key wraps; tests pass a cheap one, the app keeps the default (64 MiB, 3 passes).
    """

    def __init__(
        self,
        db_path: Path,
        *,
        clock: Callable[[], datetime] = _utc_now,
        kdf: KdfParams = DEFAULT_KDF,
    ) -> None:
        self.db_path = db_path
        self.path = keys_folder(db_path) / FILE_NAME
        self._clock = clock
        self._kdf = check_params(kdf)
        self._hasher = PasswordHasher(
            time_cost=kdf.time_cost,
            memory_cost=kdf.memory_cost,
            parallelism=kdf.parallelism,
            type=Type.ID,
        )
        # Lock-out state for user names that do not exist, so that locking reveals nothing.
        self._phantoms: dict[str, tuple[int, datetime | None]] = {}

    def exists(self) -> bool:
        return self.path.is_file()

    def users(self) -> list[UserInfo]:
        """Every account, by user name. Not authenticated: fine for a login list, not for rights."""
        return [user.info() for user in sorted(self._read().users, key=lambda u: u.username)]

    def list_users(self, admin: LoginResult) -> list[UserInfo]:
        """Every account with its state, for an administrator (checked against the file)."""
        keyring = self._authorize(admin, Permission.MANAGE_USERS)
        return [user.info() for user in sorted(keyring.users, key=lambda u: u.username)]

    def create(
        self, admin_username: str, admin_display_name: str, admin_password: str
    ) -> tuple[LoginResult, str]:
        """Set up the station's accounts with one administrator; returns the recovery code."""
        if self.exists():
            raise UserFacingError(_("This station already has user accounts."))
        username, display_name = self._check_new(None, admin_username, admin_display_name)
        self._check_password(username, admin_password, "password")
        db_key, code = os.urandom(DB_KEY_BYTES), os.urandom(RECOVERY_BYTES)
        admin = self._new_user(
            username, display_name, Role.ADMIN, admin_password, db_key, must_change=False
        )
        recovery = Wrap(*seal(recovery_key(code), db_key, "recovery"))
        keyring = Keyring(admin.created_at, db_key_check(db_key), (admin,), recovery)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise EnvironmentProblem(
                _("Could not create the folder {folder}.").format(folder=self.path.parent)
            ) from error
        self._write(keyring, db_key)
        return LoginResult(_actor(admin), db_key), format_recovery_code(code)

    def login(self, username: str, password: str) -> LoginResult:
        """Check the password and unwrap the database key, with lock-out after failures."""
        keyring, name, now = self._read(), _normal_username(username), self._clock()
        user = keyring.find(name)
        if user is None:
            self._phantom_failure(name, password, now)
            raise _wrong_login()
        _refuse_if_locked(user.locked_until, now)
        db_key = self._unwrap(user, password)
        if db_key is None:
            failures = user.failed_attempts + 1
            failed = replace(
                user, failed_attempts=failures, locked_until=_lock_until(failures, now)
            )
            self._store(keyring.with_user(failed))
            raise _wrong_login()
        self._verify(keyring, db_key)
        if user.disabled:
            raise UserFacingError(
                _("This account is disabled."), hint=_("Ask the administrator to enable it.")
            )
        if user.failed_attempts or user.locked_until:
            self._store(keyring.with_user(replace(user, failed_attempts=0, locked_until=None)))
        return LoginResult(_actor(user), db_key, user.must_change_password)

    def change_password(self, username: str, old_password: str, new_password: str) -> LoginResult:
        """A user changes their own password (required after a reset or a new account)."""
        self._check_password(_normal_username(username), new_password, "new_password")
        if nfc(new_password) == nfc(old_password):
            raise ValidationError(
                {"new_password": _("The new password must be different from the old one.")}
            )
        session = self.login(username, old_password)
        keyring = self._read()
        user = self._existing(keyring, session.actor.username)
        updated = self._with_password(user, new_password, session.db_key, must_change=False)
        self._write(keyring.with_user(updated), session.db_key)
        return replace(session, must_change_password=False)

    def add_user(
        self,
        admin: LoginResult,
        username: str,
        display_name: str,
        role: Role,
        temporary_password: str,
    ) -> UserInfo:
        """An administrator adds an account; its owner must change the password at first login."""
        keyring = self._authorize(admin, Permission.MANAGE_USERS)
        name, display = self._check_new(keyring, username, display_name)
        self._check_password(name, temporary_password, "password")
        user = self._new_user(name, display, Role(role), temporary_password, admin.db_key)
        self._write(keyring.with_user(user), admin.db_key)
        return user.info()

    def reset_password(self, admin: LoginResult, username: str, temporary_password: str) -> None:
        """An administrator sets a temporary password and clears the lock-out."""
        keyring = self._authorize(admin, Permission.MANAGE_USERS)
        user = self._existing(keyring, username)
        self._check_password(user.username, temporary_password, "password")
        updated = self._with_password(user, temporary_password, admin.db_key, must_change=True)
        self._write(keyring.with_user(updated), admin.db_key)

    def set_disabled(self, admin: LoginResult, username: str, disabled: bool) -> None:
        keyring = self._authorize(admin, Permission.MANAGE_USERS)
        user = self._existing(keyring, username)
        self._write_keeping_an_admin(keyring.with_user(replace(user, disabled=disabled)), admin)

    def set_role(self, admin: LoginResult, username: str, role: Role) -> None:
        keyring = self._authorize(admin, Permission.MANAGE_USERS)
        user = self._existing(keyring, username)
        self._write_keeping_an_admin(keyring.with_user(replace(user, role=Role(role))), admin)

    def recover(self, recovery_code: str, username: str, new_password: str) -> LoginResult:
        """Reset an administrator's password with the code printed at set-up."""
        keyring = self._read()
        code = parse_recovery_code(recovery_code)
        db_key = (
            None if code is None else open_wrap(recovery_key(code), keyring.recovery, "recovery")
        )
        if db_key is None:
            raise UserFacingError(
                _("The recovery code is wrong."),
                hint=_("Type it exactly as printed at set-up; dashes and spaces do not matter."),
            )
        self._verify(keyring, db_key)
        user = keyring.find(_normal_username(username))
        if user is None or user.role is not Role.ADMIN:
            raise UserFacingError(
                _("The recovery code can only reset the password of an administrator.")
            )
        self._check_password(user.username, new_password, "new_password")
        updated = self._with_password(user, new_password, db_key, must_change=False)
        updated = replace(updated, disabled=False)
        self._write(keyring.with_user(updated), db_key)
        return LoginResult(_actor(updated), db_key)

    def new_recovery_code(self, admin: LoginResult) -> str:
        """Replace the recovery code (after it was used or exposed); the old one stops working."""
        keyring = self._authorize(admin, Permission.MANAGE_KEYS)
        code = os.urandom(RECOVERY_BYTES)
        recovery = Wrap(*seal(recovery_key(code), admin.db_key, "recovery"))
        self._write(replace(keyring, recovery=recovery), admin.db_key)
        return format_recovery_code(code)

    # --- helpers -----------------------------------------------------------------------------

    def _read(self) -> Keyring:
        try:
            with self.path.open("rb") as stream:
                raw = stream.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError as error:
            raise UserFacingError(
                _("No user accounts have been set up for this station yet.")
            ) from error
        except OSError as error:
            raise EnvironmentProblem(
                _("Could not read the station accounts file: {reason}.").format(
                    reason=error.strerror
                )
            ) from error
        try:
            if len(raw) > MAX_FILE_BYTES:
                raise ValueError("file too large")
            return parse_document(json.loads(raw.decode("utf-8")))
        except (ValueError, KeyError, TypeError, RecursionError, InvalidHashError) as error:
            raise _damaged() from error

    def _store(self, keyring: Keyring) -> None:
        text = json.dumps(document_of(keyring), indent=1, ensure_ascii=False)
        atomic_write_bytes(self.path, text.encode("utf-8"))

    def _write(self, keyring: Keyring, db_key: bytes) -> None:
        self._store(replace(keyring, mac=keyring_mac(keyring, db_key)))

    def _write_keeping_an_admin(self, keyring: Keyring, admin: LoginResult) -> None:
        if not any(u.role is Role.ADMIN and not u.disabled for u in keyring.users):
            raise UserFacingError(
                _("The last administrator cannot be disabled or given another role."),
                hint=_("Add or enable another administrator first."),
            )
        self._write(keyring, admin.db_key)

    def _verify(self, keyring: Keyring, db_key: bytes) -> None:
        if not hmac.compare_digest(db_key_check(db_key), keyring.db_key_check):
            raise _tampered()
        if not hmac.compare_digest(keyring_mac(keyring, db_key), keyring.mac):
            raise _tampered()

    def _authorize(self, session: LoginResult, permission: Permission) -> Keyring:
        """The keyring, once the session's key, the file and the user's current role agree."""
        require(session.actor, permission)
        keyring = self._read()
        if not hmac.compare_digest(db_key_check(session.db_key), keyring.db_key_check):
            raise _stale_session()
        self._verify(keyring, session.db_key)
        user = keyring.find(session.actor.username)
        if user is None or user.disabled:
            raise _stale_session()
        require(_actor(user), permission)  # the role may have changed since the login
        return keyring

    def _unwrap(self, user: StoredUser, password: str) -> bytes | None:
        try:
            self._hasher.verify(user.password_hash, nfc(password))
        except (VerificationError, InvalidHashError):
            return None
        key = password_key(password, user.key.salt, user.key.kdf)
        db_key = open_wrap(key, user.key, f"user:{user.username}")
        if db_key is None:  # the hash accepts the password but the wrap does not: an edited file
            raise _tampered()
        return db_key

    def _phantom_failure(self, name: str, password: str, now: datetime) -> None:
        """Behave for an unknown user name as for a known one with a wrong password."""
        failures, locked_until = self._phantoms.get(name, (0, None))
        _refuse_if_locked(locked_until, now)
        password_key(password, os.urandom(16), self._kdf)  # the same work as a real check
        if len(self._phantoms) > 1000:
            self._phantoms.clear()
        self._phantoms[name] = (failures + 1, _lock_until(failures + 1, now))

    def _existing(self, keyring: Keyring, username: str) -> StoredUser:
        user = keyring.find(_normal_username(username))
        if user is None:
            raise NotFound(
                _("There is no account named {username}.").format(username=username.strip())
            )
        return user

    def _check_new(
        self, keyring: Keyring | None, username: str, display_name: str
    ) -> tuple[str, str]:
        name, display = _normal_username(username), clean(display_name)
        errors: dict[str, str] = {}
        if not USERNAME.fullmatch(name):
            errors["username"] = _(
                "The user name must have 3 to 32 characters: lowercase letters a–z, digits, "
                "dot, hyphen or underscore."
            )
        elif keyring is not None and keyring.find(name) is not None:
            errors["username"] = _("This user name is already taken.")
        if not display or len(display) > 100:
            errors["display_name"] = _("Enter the full name (at most 100 characters).")
        if errors:
            raise ValidationError(errors)
        return name, display

    def _check_password(self, username: str, password: str, field_name: str) -> None:
        errors = _password_errors(username, password, field_name)
        if errors:
            raise ValidationError(errors)

    def _with_password(
        self, user: StoredUser, password: str, db_key: bytes, *, must_change: bool
    ) -> StoredUser:
        salt = os.urandom(16)
        wrap_key = password_key(password, salt, self._kdf)
        nonce, wrapped = seal(wrap_key, db_key, f"user:{user.username}")
        return replace(
            user,
            password_hash=self._hasher.hash(nfc(password)),
            key=Wrap(nonce, wrapped, salt, self._kdf),
            password_changed_at=self._clock(),
            must_change_password=must_change,
            failed_attempts=0,
            locked_until=None,
        )

    def _new_user(
        self,
        name: str,
        display_name: str,
        role: Role,
        password: str,
        db_key: bytes,
        *,
        must_change: bool = True,
    ) -> StoredUser:
        now = self._clock()
        blank = StoredUser(
            name, display_name, role, False, must_change, 0, None, now, now, "", Wrap(b"", b"")
        )
        return self._with_password(blank, password, db_key, must_change=must_change)
