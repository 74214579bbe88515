"""The accounts file (``keys/<db stem>/accounts.json``) as data: its parsed form, its JSON, the
MAC over it, and the argon2id and ChaCha20-Poly1305 wrapping of the database key it holds.
``app.security.accounts`` reads, checks and writes it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from argon2 import extract_parameters
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.domain.access import Role
from app.core.domain.errors import UserFacingError
from app.core.domain.text import nfc
from app.i18n import _

FORMAT = "modelward.accounts"
VERSION = 1
DB_KEY_BYTES = 32
RECOVERY_BYTES = 20  # 160 bits: 32 base32 characters, printed as eight groups of four
USERNAME = re.compile(r"[a-z0-9._-]{3,32}")
VOLATILE = ("failed_attempts", "locked_until")  # not covered by the MAC


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
class Wrap:
    nonce: bytes
    wrapped: bytes
    salt: bytes = b""
    kdf: KdfParams = DEFAULT_KDF


@dataclass(frozen=True)
class StoredUser(UserInfo):
    password_hash: str
    key: Wrap

    def info(self) -> UserInfo:
        return UserInfo(**{item.name: getattr(self, item.name) for item in fields(UserInfo)})


@dataclass(frozen=True)
class Keyring:
    created_at: datetime
    db_key_check: bytes
    users: tuple[StoredUser, ...]
    recovery: Wrap
    mac: bytes = b""

    def find(self, username: str) -> StoredUser | None:
        return next((user for user in self.users if user.username == username), None)

    def with_user(self, user: StoredUser) -> Keyring:
        users = [user if old.username == user.username else old for old in self.users]
        if self.find(user.username) is None:
            users.append(user)
        return replace(self, users=tuple(users))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _wrap_json(wrap: Wrap) -> dict[str, Any]:
    document: dict[str, Any] = {"nonce": _b64(wrap.nonce), "wrapped": _b64(wrap.wrapped)}
    if wrap.salt:
        document["salt"] = _b64(wrap.salt)
        document["kdf"] = {"name": "argon2id", **vars(wrap.kdf)}
    return document


def _user_json(user: StoredUser) -> dict[str, Any]:
    document = {item.name: getattr(user, item.name) for item in fields(user)}
    for name in ("created_at", "password_changed_at", "locked_until"):
        document[name] = _time(document[name])
    return {**document, "role": user.role.value, "key": _wrap_json(user.key)}


def document_of(keyring: Keyring) -> dict[str, Any]:
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
    return check_params(KdfParams(*(_field(document, name, int) for name in vars(DEFAULT_KDF))))


def check_params(params: KdfParams) -> KdfParams:
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
    check_params(KdfParams(params.time_cost, params.memory_cost, params.parallelism))
    return password_hash


def _parse_wrap(document: Any, *, with_kdf: bool) -> Wrap:
    nonce = _bytes(document, "nonce", 12)
    wrapped = _bytes(document, "wrapped", DB_KEY_BYTES + 16)
    if not with_kdf:
        return Wrap(nonce, wrapped)
    salt = _bytes(document, "salt", 16)
    return Wrap(nonce, wrapped, salt, _parse_kdf(_field(document, "kdf", dict)))


def _parse_user(document: Any) -> StoredUser:
    username = _field(document, "username", str)
    if not USERNAME.fullmatch(username):
        raise ValueError("bad user name")
    return StoredUser(
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


def parse_document(document: Any) -> Keyring:
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
    return Keyring(
        created_at=_moment(document, "created_at"),
        db_key_check=_bytes(document, "db_key_check", 32),
        users=users,
        recovery=_parse_wrap(_field(document, "recovery", dict), with_kdf=False),
        mac=bytes.fromhex(_field(document, "mac", str)),
    )


# --- keys and MAC ----------------------------------------------------------------------------


def _hkdf(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(key)


def db_key_check(db_key: bytes) -> bytes:
    return _hkdf(db_key, b"modelward-db-key-check")


def keyring_mac(keyring: Keyring, db_key: bytes) -> bytes:
    document = document_of(keyring)
    del document["mac"]
    for user in document["users"]:
        for name in VOLATILE:
            del user[name]
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = _hkdf(db_key, b"modelward-accounts-mac")
    return hmac.new(key, canonical.encode(), hashlib.sha256).digest()


def _aad(owner: str) -> bytes:
    return f"{FORMAT}/v{VERSION}/{owner}".encode()


def password_key(password: str, salt: bytes, kdf: KdfParams) -> bytes:
    return hash_secret_raw(
        nfc(password).encode(),
        salt,
        time_cost=kdf.time_cost,
        memory_cost=kdf.memory_cost,
        parallelism=kdf.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def recovery_key(code: bytes) -> bytes:
    return _hkdf(code, b"modelward-recovery-wrap")


def seal(key: bytes, db_key: bytes, owner: str) -> tuple[bytes, bytes]:
    nonce = os.urandom(12)
    return nonce, ChaCha20Poly1305(key).encrypt(nonce, db_key, _aad(owner))


def open_wrap(key: bytes, wrap: Wrap, owner: str) -> bytes | None:
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
