"""The demo ward's ready-made accounts: one per role, whose names and passwords (and the
station key's passphrase, for the chief's approvals) the demo's login screen shows, so that a
newcomer can try every role at once instead of inventing an administrator who cannot enter data.

The demo is encrypted like a real station: the same login unwraps the same kind of key, so the
demo trains the real steps and runs the same code. What is shown comes from a *card* kept beside
the accounts (``keys/<db stem>/demo-accounts.json``). The card also holds the demo database's
key — no secret, since the passwords on the card unwrap it anyway — and that is what makes it
trustworthy: it is shown only when its key opens this very database file and the file is marked
as the demo (``profile.DEMO_KEY``). A card copied beside a real station's database opens nothing
there and is never shown; a demo account name is refused on a station that is not the demo
(:func:`refuse_on_real_station`); demo accounts are only ever made in a database marked as the
demo.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.domain.access import Actor, Role, role_label
from app.core.domain.errors import EnvironmentProblem, UserFacingError
from app.core.services.profile import DEMO_KEY, StationProfile
from app.db import cipher
from app.db.errors import database_errors
from app.fileio import atomic_write_bytes
from app.i18n import _
from app.security.accounts import DEFAULT_KDF, Accounts, KdfParams, LoginResult
from app.sync import keys as station_keys

FILE_NAME = "demo-accounts.json"
FORMAT = "modelward.demo-accounts"
VERSION = 1
MAX_CARD_BYTES = 64 * 1024


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    password: str


@dataclass(frozen=True)
class DemoCard:
    """What the demo's login screen shows."""

    accounts: tuple[DemoAccount, ...]
    # None when the station had keys of its own before the demo was built into it
    key_passphrase: str | None


DEMO_ACCOUNTS = (
    DemoAccount("demo.canbo", "Nguyễn Văn An", Role.OFFICER, "canbo-demo"),
    DemoAccount("demo.truong", "Phạm Văn Thắng", Role.CHIEF, "truong-demo"),
    DemoAccount("demo.quantri", "Lê Thị Hoa", Role.ADMIN, "quantri-demo"),
)
DEMO_USERNAMES = frozenset(account.username for account in DEMO_ACCOUNTS)
KEY_PASSPHRASE = "khoatram-demo"


def card_path(db_path: Path) -> Path:
    return station_keys.keys_folder(db_path) / FILE_NAME


def _demo_flag(db_path: Path, key: bytes | None) -> bool:
    """Whether the database at ``db_path``, opened with ``key`` (None: a plaintext file), is
    marked as the demo; False when the key does not open it or it is no database."""
    if not db_path.is_file():
        return False
    use = key if cipher.is_encrypted(db_path) else None
    try:
        with contextlib.closing(cipher.connect(db_path, readonly=True, key=use)) as raw:
            row = raw.execute("SELECT value FROM app_meta WHERE key = ?", (DEMO_KEY,)).fetchone()
    except Exception as error:  # sqlcipher3's errors exist only once it was imported
        if isinstance(error, database_errors(UserFacingError, EnvironmentProblem)):
            return False
        raise
    return row is not None and row[0] == "1"


def _card_document(card: DemoCard, db_key: bytes) -> bytes:
    document = {
        "format": FORMAT,
        "version": VERSION,
        "db_key": db_key.hex(),
        "key_passphrase": card.key_passphrase,
        "accounts": [
            {
                "username": a.username,
                "display_name": a.display_name,
                "role": a.role.value,
                "password": a.password,
            }
            for a in card.accounts
        ],
    }
    return json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8")


def _parse_card(raw: bytes) -> tuple[DemoCard, bytes]:
    document: Any = json.loads(raw.decode("utf-8"))
    if document.get("format") != FORMAT or document.get("version") != VERSION:
        raise ValueError("not a demo card of this version")
    db_key = bytes.fromhex(str(document["db_key"]))
    if len(db_key) != cipher.KEY_BYTES:
        raise ValueError("bad key length")
    accounts = tuple(
        DemoAccount(
            str(item["username"]),
            str(item["display_name"]),
            Role(item["role"]),
            str(item["password"]),
        )
        for item in document["accounts"]
    )
    passphrase = document["key_passphrase"]
    return DemoCard(accounts, None if passphrase is None else str(passphrase)), db_key


def _read(db_path: Path) -> tuple[DemoCard, bytes] | None:
    try:
        with card_path(db_path).open("rb") as stream:
            raw = stream.read(MAX_CARD_BYTES + 1)
        if len(raw) > MAX_CARD_BYTES:
            return None
        card, db_key = _parse_card(raw)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return (card, db_key) if _demo_flag(db_path, db_key) else None


def read_card(db_path: Path) -> DemoCard | None:
    """The demo card of ``db_path`` if there is one and it proves itself against the database
    (its key opens the file and the file is the demo); None for every real station."""
    found = _read(db_path)
    return None if found is None else found[0]


def refuse_on_real_station(station: StationProfile, actor: Actor) -> None:
    """A demo account name is never accepted on a station that is not the demo."""
    if actor.username in DEMO_USERNAMES and not station.is_demo:
        raise UserFacingError(
            _("The account {username} belongs to the demo and cannot be used here.").format(
                username=actor.username
            ),
            hint=_(
                "This station holds real data. Log in with your own account; ask the "
                "administrator to disable the demo account."
            ),
        )


def _not_a_demo(db_path: Path) -> UserFacingError:
    return UserFacingError(
        _("{path} is not a demo database; demo accounts are only made in the demo.").format(
            path=db_path
        )
    )


def _add_users(accounts: Accounts, admin: LoginResult, wanted: tuple[DemoAccount, ...]) -> None:
    """Add ``wanted`` with their passwords ready for use (no forced change at first login)."""
    for account in wanted:
        temporary = secrets.token_urlsafe(12)
        accounts.add_user(admin, account.username, account.display_name, account.role, temporary)
        accounts.change_password(account.username, temporary, account.password)


def _finish(db_path: Path, db_key: bytes) -> DemoCard:
    """The station key for the chief's approvals, then the card (last: only a complete demo
    shows one)."""
    folder = station_keys.keys_folder(db_path)
    passphrase: str | None = None
    if not station_keys.has_keys(folder):
        station_keys.create_keys(folder, KEY_PASSPHRASE)
        passphrase = KEY_PASSPHRASE
    card = DemoCard(DEMO_ACCOUNTS, passphrase)
    atomic_write_bytes(card_path(db_path), _card_document(card, db_key))
    return card


def create(db_path: Path, *, kdf: KdfParams = DEFAULT_KDF) -> DemoCard:
    """Give the freshly built, plaintext demo database at ``db_path`` its three accounts, its
    station key and its card, then encrypt it like a real station. The database must be
    closed (``backup.encrypt_station``)."""
    from app.core.services.backup_steps import encrypt_station

    if cipher.is_encrypted(db_path) or not _demo_flag(db_path, None):
        raise _not_a_demo(db_path)
    accounts = Accounts(db_path, kdf=kdf)
    if accounts.exists():
        raise UserFacingError(_("This station already has user accounts."))
    if station_keys.has_keys(station_keys.keys_folder(db_path)):
        raise UserFacingError(_("This station already has keys."))
    admin_account = next(a for a in DEMO_ACCOUNTS if a.role is Role.ADMIN)
    admin, _code = accounts.create(
        admin_account.username, admin_account.display_name, admin_account.password
    )
    _add_users(accounts, admin, tuple(a for a in DEMO_ACCOUNTS if a is not admin_account))
    card = _finish(db_path, admin.db_key)
    encrypt_station(db_path, admin.db_key)
    return card


def add_to_station(db_path: Path, admin: LoginResult, *, kdf: KdfParams = DEFAULT_KDF) -> DemoCard:
    """A demo built from the set-up screen, into a station whose administrator the newcomer
    has just created: the three demo accounts are added beside that administrator."""
    if not _demo_flag(db_path, admin.db_key):
        raise _not_a_demo(db_path)
    accounts = Accounts(db_path, kdf=kdf)
    existing = {user.username for user in accounts.users()}
    _add_users(accounts, admin, tuple(a for a in DEMO_ACCOUNTS if a.username not in existing))
    return _finish(db_path, admin.db_key)


def ensure(db_path: Path, *, kdf: KdfParams = DEFAULT_KDF) -> DemoCard | None:
    """The card of the demo at ``db_path``, making the accounts first for a plaintext demo
    that has none (a demo built before accounts existed); None for any other database."""
    from app.core.services.backup_steps import encrypt_station

    found = _read(db_path)
    if found is not None:
        card, db_key = found
        if not cipher.is_encrypted(db_path):  # an earlier run stopped before encrypting
            encrypt_station(db_path, db_key)
        return card
    if Accounts(db_path).exists() or cipher.is_encrypted(db_path):
        return None
    if not _demo_flag(db_path, None):
        return None
    return create(db_path, kdf=kdf)


def card_lines(card: DemoCard) -> list[str]:
    """The card as lines for a terminal (``modelward demo``)."""
    lines = [_("Demo accounts (only in this demo database):")]
    lines += [
        _("  {role}: user name {username}, password {password}").format(
            role=role_label(a.role), username=a.username, password=a.password
        )
        for a in card.accounts
    ]
    if card.key_passphrase is not None:
        lines.append(
            _("  Station key passphrase (for approvals): {passphrase}").format(
                passphrase=card.key_passphrase
            )
        )
    return lines
