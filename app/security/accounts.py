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

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.errors import EnvironmentProblem, NotFound, UserFacingError, ValidationError
from app.core.fileio import atomic_write_bytes
from app.core.text import clean, nfc
from app.i18n import N_, _, ngettext
from app.sync.keys import keys_folder

FILE_NAME = "accounts.json"
FORMAT = "modelward.accounts"
VERSION = 1
DB_KEY_BYTES = 32
RECOVERY_BYTES = 20  # 160 bits: 32 base32 characters, printed as eight groups of four
MIN_PASSWORD = 8
USERNAME = re.compile(r"[a-z0-9._-]{3,32}")
MAX_FILE_BYTES = 4 * 1024 * 1024
LOCK_AFTER = 5
FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)
VOLATILE = ("failed_attempts", "locked_until")  # not covered by the MAC


class Role(StrEnum):
    OFFICER = "officer"
    CHIEF = "chief"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.OFFICER: N_("Officer"),
    Role.CHIEF: N_("Station chief"),
    Role.ADMIN: N_("Administrator"),
}


def role_label(role: Role) -> str:
    return _(ROLE_LABELS[role])


class Permission(StrEnum):
    VIEW = "view"
    EDIT_RECORDS = "edit_records"
    EDIT_INDICATORS = "edit_indicators"
    EDIT_ASSESSMENT = "edit_assessment"
    APPROVE = "approve"
    LOCK_PERIOD = "lock_period"
    SIGN_REPORTS = "sign_reports"
    EXPORT_BUNDLES = "export_bundles"
    IMPORT_BUNDLES = "import_bundles"  # the province receiving ward bundles
    IMPORT_PACKS = "import_packs"
    MANAGE_KEYS = "manage_keys"
    MANAGE_USERS = "manage_users"
    RESTORE_BACKUP = "restore_backup"
    CREATE_BACKUP = "create_backup"
    SET_UP = "set_up"


_OFFICER = frozenset(
    {
        Permission.VIEW,
        Permission.EDIT_RECORDS,
        Permission.EDIT_INDICATORS,
        Permission.EDIT_ASSESSMENT,
        Permission.CREATE_BACKUP,
    }
)
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: _OFFICER,
    Role.CHIEF: _OFFICER
    | {
        Permission.APPROVE,
        Permission.LOCK_PERIOD,
        Permission.SIGN_REPORTS,
        Permission.EXPORT_BUNDLES,
        Permission.IMPORT_BUNDLES,
        Permission.IMPORT_PACKS,
    },
    Role.ADMIN: frozenset(
        {
            Permission.VIEW,
            Permission.SET_UP,
            Permission.MANAGE_KEYS,
            Permission.MANAGE_USERS,
            Permission.RESTORE_BACKUP,
            Permission.CREATE_BACKUP,
            Permission.IMPORT_PACKS,
        }
    ),
}


@dataclass(frozen=True)
class Actor:
    username: str
    display_name: str
    role: Role
    # in-process code that no user drives (demo data, migrations, tests): every right. The GUI
    # and the CLI never make one; they act as the user who logged in.
    trusted: bool = False

    def can(self, permission: Permission) -> bool:
        return self.trusted or permission in ROLE_PERMISSIONS[self.role]


class PermissionDenied(UserFacingError):
    """The logged-in user's role does not allow the action."""


def require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise PermissionDenied(
            _("Your account ({role}) is not allowed to do this.").format(
                role=role_label(actor.role)
            ),
            hint=_("Ask the station chief or the administrator."),
        )


@dataclass(frozen=True)
class LoginResult:
    actor: Actor
    db_key: bytes = field(repr=False)
    must_change_password: bool = False


@dataclass(frozen=True)
class UserInfo:
    """What may be shown about an account: no hash, no key."""

    username: str
    display_name: str
    role: Role
    disabled: bool
    must_change_password: bool
    failed_attempts: int
    locked_until: datetime | None
    created_at: datetime
    password_changed_at: datetime


@dataclass(frozen=True)
class KdfParams:
    time_cost: int = 3
    memory_cost: int = 64 * 1024  # KiB
    parallelism: int = 1


DEFAULT_KDF = KdfParams()
# Ceiling for parameters read from the file, which is not authenticated until after the KDF ran.
MAX_KDF = KdfParams(time_cost=16, memory_cost=1024 * 1024, parallelism=8)


# --- the file, parsed ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Wrap:
    nonce: bytes
    wrapped: bytes
    salt: bytes = b""
    kdf: KdfParams = DEFAULT_KDF


@dataclass(frozen=True)
class _User(UserInfo):
    password_hash: str
    key: _Wrap

    def info(self) -> UserInfo:
        return UserInfo(**{item.name: getattr(self, item.name) for item in fields(UserInfo)})


@dataclass(frozen=True)
class _Keyring:
    created_at: datetime
    db_key_check: bytes
    users: tuple[_User, ...]
    recovery: _Wrap
    mac: bytes = b""

    def find(self, username: str) -> _User | None:
        return next((user for user in self.users if user.username == username), None)

    def with_user(self, user: _User) -> _Keyring:
        users = [user if old.username == user.username else old for old in self.users]
        if self.find(user.username) is None:
            users.append(user)
        return replace(self, users=tuple(users))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _wrap_json(wrap: _Wrap) -> dict[str, Any]:
    document: dict[str, Any] = {"nonce": _b64(wrap.nonce), "wrapped": _b64(wrap.wrapped)}
    if wrap.salt:
        document["salt"] = _b64(wrap.salt)
        document["kdf"] = {"name": "argon2id", **vars(wrap.kdf)}
    return document


def _user_json(user: _User) -> dict[str, Any]:
    document = {item.name: getattr(user, item.name) for item in fields(user)}
    for name in ("created_at", "password_changed_at", "locked_until"):
        document[name] = _time(document[name])
    return {**document, "role": user.role.value, "key": _wrap_json(user.key)}


def _document(keyring: _Keyring) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": _time(keyring.created_at),
        "db_key_check": _b64(keyring.db_key_check),
        "users": [_user_json(user) for user in keyring.users],
        "recovery": _wrap_json(keyring.recovery),
        "mac": keyring.mac.hex(),
    }


def _field(document: Any, key: str, kind: type[Any]) -> Any:
    if not isinstance(document, dict):
        raise ValueError("not an object")
    value = document[key]
    # bool is an int in Python; a counter must not be read from true/false
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{key} has the wrong type")
    return value


def _bytes(document: Any, key: str, length: int | None = None) -> bytes:
    value = base64.b64decode(_field(document, key, str), validate=True)
    if length is not None and len(value) != length:
        raise ValueError(f"{key} has the wrong length")
    return value


def _moment(document: Any, key: str) -> datetime:
    value = datetime.fromisoformat(_field(document, key, str))
    if value.tzinfo is None:
        raise ValueError(f"{key} has no time zone")
    return value


def _parse_kdf(document: Any) -> KdfParams:
    if _field(document, "name", str) != "argon2id":
        raise ValueError("unknown KDF")
    return _check_params(KdfParams(*(_field(document, name, int) for name in vars(DEFAULT_KDF))))


def _check_params(params: KdfParams) -> KdfParams:
    for name, value in vars(params).items():
        if not 1 <= value <= getattr(MAX_KDF, name):
            raise ValueError(f"KDF {name} out of range")
    if params.memory_cost < 8 * params.parallelism:
        raise ValueError("argon2 needs 8 KiB per lane")
    return params


def _check_hash(password_hash: str) -> str:
    params = extract_parameters(password_hash)  # InvalidHashError if it is not an argon2 hash
    if params.type is not Type.ID:
        raise ValueError("not argon2id")
    _check_params(KdfParams(params.time_cost, params.memory_cost, params.parallelism))
    return password_hash


def _parse_wrap(document: Any, *, with_kdf: bool) -> _Wrap:
    nonce = _bytes(document, "nonce", 12)
    wrapped = _bytes(document, "wrapped", DB_KEY_BYTES + 16)
    if not with_kdf:
        return _Wrap(nonce, wrapped)
    salt = _bytes(document, "salt", 16)
    return _Wrap(nonce, wrapped, salt, _parse_kdf(_field(document, "kdf", dict)))


def _parse_user(document: Any) -> _User:
    username = _field(document, "username", str)
    if not USERNAME.fullmatch(username):
        raise ValueError("bad user name")
    return _User(
        username=username,
        display_name=_field(document, "display_name", str),
        role=Role(_field(document, "role", str)),
        password_hash=_check_hash(_field(document, "password_hash", str)),
        key=_parse_wrap(_field(document, "key", dict), with_kdf=True),
        created_at=_moment(document, "created_at"),
        password_changed_at=_moment(document, "password_changed_at"),
        must_change_password=_field(document, "must_change_password", bool),
        disabled=_field(document, "disabled", bool),
        failed_attempts=max(0, _field(document, "failed_attempts", int)),
        locked_until=None
        if document["locked_until"] is None
        else _moment(document, "locked_until"),
    )


def _parse(document: Any) -> _Keyring:
    if _field(document, "format", str) != FORMAT:
        raise ValueError("not an accounts file")
    if _field(document, "version", int) > VERSION:
        raise UserFacingError(
            _("The station accounts file was made by a newer version of ModelWard."),
            hint=_("Update ModelWard on this computer before logging in."),
        )
    if document["version"] != VERSION:
        raise ValueError("unknown version")
    users = tuple(_parse_user(user) for user in _field(document, "users", list))
    if not users or len({user.username for user in users}) != len(users):
        raise ValueError("no users, or a user twice")
    return _Keyring(
        created_at=_moment(document, "created_at"),
        db_key_check=_bytes(document, "db_key_check", 32),
        users=users,
        recovery=_parse_wrap(_field(document, "recovery", dict), with_kdf=False),
        mac=bytes.fromhex(_field(document, "mac", str)),
    )


# --- keys and MAC ----------------------------------------------------------------------------


def _hkdf(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(key)


def _db_key_check(db_key: bytes) -> bytes:
    return _hkdf(db_key, b"modelward-db-key-check")


def _mac(keyring: _Keyring, db_key: bytes) -> bytes:
    document = _document(keyring)
    del document["mac"]
    for user in document["users"]:
        for name in VOLATILE:
            del user[name]
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = _hkdf(db_key, b"modelward-accounts-mac")
    return hmac.new(key, canonical.encode(), hashlib.sha256).digest()


def _aad(owner: str) -> bytes:
    return f"{FORMAT}/v{VERSION}/{owner}".encode()


def _password_key(password: str, salt: bytes, kdf: KdfParams) -> bytes:
    return hash_secret_raw(
        nfc(password).encode(),
        salt,
        time_cost=kdf.time_cost,
        memory_cost=kdf.memory_cost,
        parallelism=kdf.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def _recovery_key(code: bytes) -> bytes:
    return _hkdf(code, b"modelward-recovery-wrap")


def _seal(key: bytes, db_key: bytes, owner: str) -> tuple[bytes, bytes]:
    nonce = os.urandom(12)
    return nonce, ChaCha20Poly1305(key).encrypt(nonce, db_key, _aad(owner))


def _open(key: bytes, wrap: _Wrap, owner: str) -> bytes | None:
    try:
        return ChaCha20Poly1305(key).decrypt(wrap.nonce, wrap.wrapped, _aad(owner))
    except InvalidTag:
        return None


def format_recovery_code(code: bytes) -> str:
    text = base64.b32encode(code).decode().rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_recovery_code(text: str) -> bytes | None:
    """The code's bytes, forgiving case, spaces, dashes and 0/1/8 typed for O/I/B."""
    cleaned = re.sub(r"[\s-]", "", text.upper()).translate(str.maketrans("018", "OIB"))
    try:
        code = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        return None
    return code if len(code) == RECOVERY_BYTES else None


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


def _actor(user: _User) -> Actor:
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
        self.path = keys_folder(db_path) / FILE_NAME
        self._clock = clock
        self._kdf = _check_params(kdf)
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
        recovery = _Wrap(*_seal(_recovery_key(code), db_key, "recovery"))
        keyring = _Keyring(admin.created_at, _db_key_check(db_key), (admin,), recovery)
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
        db_key = None if code is None else _open(_recovery_key(code), keyring.recovery, "recovery")
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
        recovery = _Wrap(*_seal(_recovery_key(code), admin.db_key, "recovery"))
        self._write(replace(keyring, recovery=recovery), admin.db_key)
        return format_recovery_code(code)

    # --- helpers -----------------------------------------------------------------------------

    def _read(self) -> _Keyring:
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
            return _parse(json.loads(raw.decode("utf-8")))
        except (ValueError, KeyError, TypeError, RecursionError, InvalidHashError) as error:
            raise _damaged() from error

    def _store(self, keyring: _Keyring) -> None:
        text = json.dumps(_document(keyring), indent=1, ensure_ascii=False)
        atomic_write_bytes(self.path, text.encode("utf-8"))

    def _write(self, keyring: _Keyring, db_key: bytes) -> None:
        self._store(replace(keyring, mac=_mac(keyring, db_key)))

    def _write_keeping_an_admin(self, keyring: _Keyring, admin: LoginResult) -> None:
        if not any(u.role is Role.ADMIN and not u.disabled for u in keyring.users):
            raise UserFacingError(
                _("The last administrator cannot be disabled or given another role."),
                hint=_("Add or enable another administrator first."),
            )
        self._write(keyring, admin.db_key)

    def _verify(self, keyring: _Keyring, db_key: bytes) -> None:
        if not hmac.compare_digest(_db_key_check(db_key), keyring.db_key_check):
            raise _tampered()
        if not hmac.compare_digest(_mac(keyring, db_key), keyring.mac):
            raise _tampered()

    def _authorize(self, session: LoginResult, permission: Permission) -> _Keyring:
        """The keyring, once the session's key, the file and the user's current role agree."""
        require(session.actor, permission)
        keyring = self._read()
        if not hmac.compare_digest(_db_key_check(session.db_key), keyring.db_key_check):
            raise _stale_session()
        self._verify(keyring, session.db_key)
        user = keyring.find(session.actor.username)
        if user is None or user.disabled:
            raise _stale_session()
        require(_actor(user), permission)  # the role may have changed since the login
        return keyring

    def _unwrap(self, user: _User, password: str) -> bytes | None:
        try:
            self._hasher.verify(user.password_hash, nfc(password))
        except (VerificationError, InvalidHashError):
            return None
        key = _password_key(password, user.key.salt, user.key.kdf)
        db_key = _open(key, user.key, f"user:{user.username}")
        if db_key is None:  # the hash accepts the password but the wrap does not: an edited file
            raise _tampered()
        return db_key

    def _phantom_failure(self, name: str, password: str, now: datetime) -> None:
        """Behave for an unknown user name as for a known one with a wrong password."""
        failures, locked_until = self._phantoms.get(name, (0, None))
        _refuse_if_locked(locked_until, now)
        _password_key(password, os.urandom(16), self._kdf)  # the same work as a real check
        if len(self._phantoms) > 1000:
            self._phantoms.clear()
        self._phantoms[name] = (failures + 1, _lock_until(failures + 1, now))

    def _existing(self, keyring: _Keyring, username: str) -> _User:
        user = keyring.find(_normal_username(username))
        if user is None:
            raise NotFound(
                _("There is no account named {username}.").format(username=username.strip())
            )
        return user

    def _check_new(
        self, keyring: _Keyring | None, username: str, display_name: str
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
        self, user: _User, password: str, db_key: bytes, *, must_change: bool
    ) -> _User:
        salt = os.urandom(16)
        wrap_key = _password_key(password, salt, self._kdf)
        nonce, wrapped = _seal(wrap_key, db_key, f"user:{user.username}")
        return replace(
            user,
            password_hash=self._hasher.hash(nfc(password)),
            key=_Wrap(nonce, wrapped, salt, self._kdf),
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
    ) -> _User:
        now = self._clock()
        blank = _User(
            name, display_name, role, False, must_change, 0, None, now, now, "", _Wrap(b"", b"")
        )
        return self._with_password(blank, password, db_key, must_change=must_change)
