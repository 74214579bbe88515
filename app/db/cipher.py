"""Encryption at rest with SQLCipher: the keys unlocked in this process, keyed connections, and
the one-way move of a plaintext station database to an encrypted one.

A station database is encrypted with a random 32-byte key that only a login unwraps
(``app.security.accounts``). The login puts the key here, in process memory only, under the
database's resolved path; every connection to that file (SQLAlchemy's pool, backups, checks,
migrations) takes it from here. The key is applied raw (``PRAGMA key = "x'<64 hex>'"``), so no
PBKDF2 runs per connection: the key is already random, a passphrase KDF would add ~130 ms to
every pooled connection and no strength. Every connection to a file, keyed or not, goes through
sqlcipher3's DB-API module (:func:`dbapi`): one SQLite build, the one sqlcipher3 bundles, so its
fixes (the 3.51.3 WAL-reset fix among them) apply to plaintext databases too; SQLCipher without a
key reads and writes plaintext files exactly like SQLite.

What leaves no plaintext behind, and what cannot: :func:`encrypt_plaintext` writes the encrypted
copy beside the original, checks it row for row, replaces the original atomically and then
overwrites the old file's blocks with zeros before they are freed (POSIX). Blocks freed earlier
(an old WAL, rotated backups, an SSD's remapped pages, snapshots of a copy-on-write file system)
may still hold plaintext; only full-disk encryption covers those. Keys are never logged, never
put into an exception's text and never written anywhere by this module; Python cannot wipe the
bytes objects that held them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, Final, cast

from app.db.errors import (
    SQLITE_NOTADB,
    DatabaseLocked,
    damaged_database,
    locked_database,
    sqlite_code,
    wrong_database_key,
)
from app.db.keyring import KEY_BYTES as KEY_BYTES
from app.db.keyring import forget as forget
from app.db.keyring import forget_all as forget_all
from app.db.keyring import key_for as key_for
from app.db.keyring import unlock as unlock
from app.db.keyring import unlocked_keys
from app.fileio import fsync_file, fsync_folder, fsync_handle

PLAINTEXT_HEADER: Final = b"SQLite format 3\x00"


class _Registered:
    """The default ``key`` argument: use the key unlocked for the file, if any."""

    def __repr__(self) -> str:
        return "REGISTERED"


REGISTERED: Final = _Registered()
KeyArg = bytes | None | _Registered


# -- what is on disk -------------------------------------------------------------------------


def _head(path: Path, size: int) -> bytes:
    try:
        with open(path, "rb") as stream:
            return stream.read(size)
    except (FileNotFoundError, IsADirectoryError):
        return b""


def is_encrypted(path: Path) -> bool:
    """True when ``path`` has content but not the plaintext SQLite header (SQLCipher, or a file
    that is no database at all); False for a plaintext database, an empty or a missing file."""
    head = _head(path, len(PLAINTEXT_HEADER))
    return bool(head) and head != PLAINTEXT_HEADER


def is_plaintext(path: Path) -> bool:
    """True when ``path`` starts with the plaintext SQLite header."""
    return _head(path, len(PLAINTEXT_HEADER)) == PLAINTEXT_HEADER


def looks_encrypted(path: Path) -> bool:
    """Whether a non-SQLite file could be SQLCipher: whole pages, and a first page of random
    bytes. Only chooses the message (locked, or not a database); both refuse the file."""
    if not is_encrypted(path):
        return False
    size = path.stat().st_size
    sample = _head(path, 1024)
    return size % 512 == 0 and len(sample) == 1024 and len(set(sample)) >= 200


# -- connections -----------------------------------------------------------------------------


_quiet = False


def dbapi() -> ModuleType:
    """The DB-API module every connection to a database file uses (sqlcipher3's)."""
    return _sqlcipher()


def sqlite_version_info() -> tuple[int, int, int]:
    """The version of the SQLite build every connection uses."""
    return cast(tuple[int, int, int], tuple(_sqlcipher().sqlite_version_info))


def sqlite_version() -> str:
    return str(_sqlcipher().sqlite_version)


def _sqlcipher() -> ModuleType:
    """sqlcipher3's DB-API module, imported on first use (plaintext stations never load it)."""
    global _quiet
    from sqlcipher3 import dbapi2

    if not _quiet:
        # SQLCipher writes a wrong key's HMAC failures to stderr; the app reports them itself
        with contextlib.closing(dbapi2.connect(":memory:")) as quiet:
            quiet.execute("PRAGMA cipher_log_level = NONE")
        _quiet = True
    return cast(ModuleType, dbapi2)


def key_pragma_value(key: bytes) -> str:
    """SQLCipher's raw-key literal ``x'<64 hex>'`` (used in PRAGMA key and ATTACH … KEY)."""
    if len(key) != KEY_BYTES:
        raise ValueError("a database key is 32 random bytes")
    return f"x'{key.hex()}'"


def _uri(path: Path, readonly: bool) -> str:
    return f"file:{path}?mode=ro" if readonly else f"file:{path}"


def _open_keyed(path: Path, key: bytes, readonly: bool) -> sqlite3.Connection | None:
    """A sqlcipher3 connection with ``key`` applied, or None when the key does not fit."""
    dbapi2 = _sqlcipher()
    raw = dbapi2.connect(_uri(path, readonly), uri=True)
    try:
        raw.execute(f'PRAGMA key = "{key_pragma_value(key)}"')
        raw.execute("SELECT count(*) FROM sqlite_master").fetchone()
        # the engine's 64 MiB page cache: a miss costs a decryption, which makes a backup's
        # integrity_check twice as slow with SQLite's 2 MiB default
        raw.execute("PRAGMA cache_size = -65536")
    except dbapi2.Error as error:
        raw.close()
        if sqlite_code(error) == SQLITE_NOTADB:
            return None
        raise
    return cast(sqlite3.Connection, raw)


def _refusal(path: Path, tried: bool) -> DatabaseLocked:
    return wrong_database_key(path.name) if tried else locked_database(path.name)


def _find(path: Path, readonly: bool) -> tuple[bytes | None, sqlite3.Connection | None]:
    """The key that opens ``path`` and, for an encrypted file, an open connection with it.

    A plaintext file: no key. A new (missing or empty) file: the key unlocked for that path,
    if any. An encrypted file: the key unlocked for it, else any other unlocked key that fits
    (a backup, a copy); :class:`DatabaseLocked` when none does. A file that is no database at
    all gets no key, so SQLite reports it as damaged like any other.
    """
    if not is_encrypted(path):
        return (key_for(path) if not _head(path, 1) else None), None
    keys = unlocked_keys(key_for(path))
    for key in keys:
        raw = _open_keyed(path, key, readonly)
        if raw is not None:
            return key, raw
    if looks_encrypted(path):
        raise _refusal(path, bool(keys))
    return None, None


def resolve_key(path: Path, key: KeyArg) -> bytes | None:
    """``key`` itself, or for :data:`REGISTERED` the result of :func:`key_for_file`."""
    return key_for_file(path) if isinstance(key, _Registered) else key


def key_for_file(path: Path) -> bytes | None:
    """The key :func:`connect` would use for ``path`` (see ``_find``); raises
    :class:`DatabaseLocked` when the file is encrypted and no unlocked key opens it."""
    key, raw = _find(path, readonly=True)
    if raw is not None:
        raw.close()
    return key


def connect(path: Path, *, readonly: bool = False, key: KeyArg = REGISTERED) -> sqlite3.Connection:
    """A DB-API connection to ``path`` (sqlcipher3's module), with the key applied first when one
    applies, and without one exactly like a plain ``sqlite3.connect``.

    ``key`` defaults to the unlocked key that opens the file (see ``_find``); pass bytes to
    force a key (a new encrypted file) or None to force plaintext. Raises
    :class:`DatabaseLocked` / :class:`WrongDatabaseKey` when the key does not open the file.
    """
    if isinstance(key, _Registered):
        key, found = _find(path, readonly)
        if found is not None:
            return found
    if key is None:
        return cast(sqlite3.Connection, _sqlcipher().connect(_uri(path, readonly), uri=True))
    raw = _open_keyed(path, key, readonly)
    if raw is None:
        raise wrong_database_key(path.name) if looks_encrypted(path) else damaged_database()
    return raw


def sqlalchemy_url(path: Path, key: bytes) -> Any:
    """The URL of SQLAlchemy's pysqlcipher dialect with the raw key as its "passphrase": the
    dialect runs ``PRAGMA key = "x'…'"`` first on every new connection. (The URL never renders
    the key: SQLAlchemy masks passwords, and without a user name it shows none at all.)"""
    from sqlalchemy import URL

    return URL.create("sqlite+pysqlcipher", password=key_pragma_value(key), database=str(path))


# -- copying between keys ----------------------------------------------------------------------


def copy_database(
    source: Path, target: Path, *, source_key: bytes | None, target_key: bytes | None
) -> None:
    """Copy the database at ``source`` into the new file ``target`` under ``target_key`` (None:
    plaintext). The same key both sides uses SQLite's online backup API (page by page); a
    change of key uses ``sqlcipher_export``, which rewrites every row through the new key, and
    the header fields it does not copy (``user_version``, ``application_id``) are copied here."""
    if source_key == target_key:
        with (
            contextlib.closing(connect(source, readonly=True, key=source_key)) as src,
            contextlib.closing(connect(target, key=target_key)) as dst,
        ):
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        return
    # read-write: an ATTACHed database inherits a read-only connection's flags
    if source_key is None:
        src = cast(sqlite3.Connection, _sqlcipher().connect(_uri(source, False), uri=True))
    else:
        keyed = _open_keyed(source, source_key, readonly=False)
        if keyed is None:
            raise wrong_database_key(source.name)
        src = keyed
    with contextlib.closing(src):
        src.isolation_level = None
        target_literal = key_pragma_value(target_key) if target_key is not None else ""
        src.execute("ATTACH DATABASE ? AS target KEY ?", (str(target), target_literal))
        try:
            src.execute("SELECT sqlcipher_export('target')")
            for header in ("user_version", "application_id"):
                (value,) = src.execute(f"PRAGMA main.{header}").fetchone()
                src.execute(f"PRAGMA target.{header} = {int(value)}")
        finally:
            src.execute("DETACH DATABASE target")


def load_image(image: bytes, target: Path, key: bytes) -> None:
    """Write the plaintext SQLite database ``image`` (bytes in memory) into the new encrypted
    file ``target``, never putting the plaintext on disk: the image is opened in memory with
    the standard module (sqlcipher3 has no ``deserialize``; an in-memory database has no WAL,
    so the one-build rule of :func:`dbapi` does not matter there) and its schema and rows are
    copied into a keyed connection."""
    memory = sqlite3.connect(":memory:")
    with contextlib.closing(memory), contextlib.closing(connect(target, key=key)) as dst:
        memory.deserialize(image)
        dst.isolation_level = None
        dst.execute("BEGIN")
        objects = memory.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite_%' ORDER BY type = 'table' DESC, rowid"
        ).fetchall()
        for kind, name, sql in objects:
            if kind != "table":
                continue
            dst.execute(sql)
            rows = memory.execute(f'SELECT * FROM "{name}"')
            width = len(rows.description)
            marks = ", ".join("?" * width)
            dst.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
        for kind, _name, sql in objects:
            if kind != "table":
                dst.execute(sql)
        for header in ("user_version", "application_id"):
            (value,) = memory.execute(f"PRAGMA {header}").fetchone()
            dst.execute(f"PRAGMA {header} = {int(value)}")
        dst.execute("COMMIT")


# -- checking that two files hold the same database ------------------------------------------


def _tables(raw: sqlite3.Connection) -> list[str]:
    rows = raw.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND (name NOT LIKE 'sqlite_%' OR name = 'sqlite_sequence') ORDER BY name"
    )
    return [str(name) for (name,) in rows]


def _schema(raw: sqlite3.Connection) -> set[tuple[str, str, str, str]]:
    rows = raw.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    )
    return {(str(t), str(n), str(tb), str(s)) for t, n, tb, s in rows}


def table_digest(raw: sqlite3.Connection, table: str) -> tuple[int, str]:
    """Row count and an order-independent digest of every row's values (the sum of the rows'
    SHA-256 modulo 2^256): sqlcipher_export renumbers the hidden rowid, never the content."""
    total, count = 0, 0
    for row in raw.execute(f'SELECT * FROM "{table}"'):
        digest = hashlib.sha256(repr(tuple(row)).encode("utf-8", "surrogatepass")).digest()
        total = (total + int.from_bytes(digest, "big")) % (1 << 256)
        count += 1
    return count, f"{total:064x}"


def database_digest(raw: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    return {table: table_digest(raw, table) for table in _tables(raw)}


class CopyMismatch(Exception):
    """The encrypted copy differs from the plaintext original (a bug or a failing disk)."""


def verify_same(original: sqlite3.Connection, copy: sqlite3.Connection) -> int:
    """integrity_check on ``copy``, then the same schema and, table by table, the same row count
    and content digest as ``original``; returns the number of rows compared."""
    check = copy.execute("PRAGMA integrity_check(1)").fetchone()
    if not check or check[0] != "ok":
        raise CopyMismatch("integrity_check failed on the encrypted copy")
    if _schema(original) != _schema(copy):
        raise CopyMismatch("the encrypted copy has another schema")
    before, after = database_digest(original), database_digest(copy)
    if before != after:
        differing = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
        raise CopyMismatch(f"tables differ in the encrypted copy: {', '.join(differing)}")
    for header in ("user_version", "application_id"):
        if (
            original.execute(f"PRAGMA {header}").fetchone()
            != copy.execute(f"PRAGMA {header}").fetchone()
        ):
            raise CopyMismatch(f"{header} differs in the encrypted copy")
    return sum(count for count, _digest in before.values())


# -- plaintext to encrypted ------------------------------------------------------------------


def _wipe(handle: int) -> None:
    """Overwrite an open file with zeros and flush it (best effort, see the module docstring)."""
    size = os.fstat(handle).st_size
    zeros = bytes(1 << 20)
    os.lseek(handle, 0, os.SEEK_SET)
    written = 0
    while written < size:
        written += os.write(handle, zeros[: min(len(zeros), size - written)])
    fsync_handle(handle)


def encrypt_plaintext(path: Path, key: bytes, *, lock: bool = True) -> int:
    """Replace the plaintext database at ``path`` by an encrypted copy under ``key``; return the
    number of rows carried over.

    The database must be closed (``lock`` takes the instance lock to make sure no other
    process has it open). Steps: checkpoint the WAL into the file, ``sqlcipher_export`` into a
    temp file beside it, check the copy (integrity_check, schema, every table's row count and
    content digest, header fields), fsync, remove the old ``-wal``/``-shm``, atomically
    replace, fsync the folder, then overwrite the old file's blocks with zeros. Until the
    replace the original is untouched; after it only the encrypted file exists. Nothing is
    changed if any step fails (the temp file is removed).
    """
    from app.db import instance_lock

    if not is_encrypted(path) and not _head(path, 1):
        raise ValueError("nothing to encrypt: the database file is missing or empty")
    if is_encrypted(path):
        raise ValueError("the database file is not a plaintext SQLite database")
    if lock:
        instance_lock.acquire(path)
    try:
        return _encrypt_locked(path, key)
    finally:
        if lock:
            instance_lock.release(path)


def _encrypt_locked(path: Path, key: bytes) -> int:
    folder = path.parent
    handle, temp_name = tempfile.mkstemp(prefix=".encrypt-", suffix=".tmp", dir=folder)
    os.close(handle)
    temp = Path(temp_name)
    try:
        with contextlib.closing(connect(path, key=None)) as plain:
            plain.isolation_level = None
            plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        copy_database(path, temp, source_key=None, target_key=key)
        with (
            contextlib.closing(connect(path, readonly=True, key=None)) as original,
            contextlib.closing(connect(temp, readonly=True, key=key)) as copy,
        ):
            rows = verify_same(original, copy)
        fsync_file(temp)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{path}{suffix}").unlink()
        old = os.open(path, os.O_RDWR) if os.name == "posix" else None
        try:
            os.replace(temp, path)
            fsync_folder(folder)
            if old is not None:
                _wipe(old)  # the old inode is gone from the folder; zero its blocks, then free
        finally:
            if old is not None:
                os.close(old)
        return rows
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
