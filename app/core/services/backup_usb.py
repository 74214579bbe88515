"""A backup carried on a USB stick: sealed under a passphrase (the file's format, its version
and the age encryption are in ``app.sync.backup_envelope``), and brought back into the backups
folder, verified, ready to restore.

A copy for a USB stick must be restorable on a new computer, where the station's key (wrapped
in ``accounts.json`` beside the database) is gone with the old disk: an encrypted backup is
re-encrypted under a fresh one-off key that travels inside the age-encrypted envelope, so the
backup passphrase alone opens it and the station's own key never leaves the computer.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from app.core.domain.errors import UserFacingError
from app.db import cipher
from app.db.backups import (
    SUFFIX,
    BackupInfo,
    not_a_backup,
    temp_beside,
    verify_backup,
    write_sidecar,
)
from app.db.errors import DatabaseLocked, locked_database
from app.fileio import atomic_write_bytes, fsync_file
from app.i18n import _
from app.paths import backups_dir
from app.sync import backup_envelope

ENCRYPTED_SUFFIX = ".mwbackup.age"
MIN_PASSPHRASE = 10


def _carried_copy(backup_path: Path, key: bytes) -> tuple[bytes, bytes]:
    """The encrypted backup re-encrypted under a fresh one-off key: (that key, the file)."""
    one_off = os.urandom(cipher.KEY_BYTES)
    with temp_beside(backup_path.parent, ".usb-") as temp:
        cipher.copy_database(backup_path, temp, source_key=key, target_key=one_off)
        return one_off, temp.read_bytes()


def export_encrypted(
    backup_path: Path, out_dir: Path, passphrase: str, *, carried_by: str = ""
) -> Path:
    """Write a verified backup to ``out_dir`` sealed with age under a passphrase
    (``app.sync.backup_envelope``).

    An encrypted backup travels under a fresh one-off key held in the sealed description
    (see the module docstring), never under the station's key. ``carried_by`` (the logged-in
    user) is written in the description."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise UserFacingError(
            _("The passphrase must have at least {n} characters.").format(n=MIN_PASSPHRASE)
        )
    info = verify_backup(backup_path)
    key = cipher.key_for_file(backup_path)
    description: dict[str, object] = {
        "file": info.path.name,
        "reason": info.reason,
        "created_at": info.created_at.isoformat(),
        "carried_by": carried_by,
    }
    if key is None:
        content = backup_path.read_bytes()
    else:
        one_off, content = _carried_copy(backup_path, key)
        description["key"] = one_off.hex()
    target = out_dir / f"{backup_path.stem}{ENCRYPTED_SUFFIX}"
    atomic_write_bytes(target, backup_envelope.seal(description, content, passphrase))
    return target


def _open_envelope(source: Path, passphrase: str) -> tuple[str, bytes, bytes | None]:
    """(the backup's file name, its database bytes, the one-off key it travels under)."""
    try:
        data = source.read_bytes()
    except OSError as error:
        raise UserFacingError(
            _("The file {name} could not be read.").format(name=source.name),
            hint=_("Check that the USB stick is connected and choose the file again."),
        ) from error
    try:
        opened = backup_envelope.open_sealed(data, passphrase, source.name)
        carried = opened.key_hex
        carried_key = bytes.fromhex(carried) if carried is not None else None
    except backup_envelope.DamagedEnvelope as error:
        raise not_a_backup(source, error.reason) from error
    except ValueError as error:  # the key is not hex
        raise not_a_backup(source, _("its description is damaged")) from error
    name = Path(opened.file_name).name
    if not name.endswith(SUFFIX):
        raise not_a_backup(source, _("the file changed after it was written"))
    if carried_key is not None and len(carried_key) != cipher.KEY_BYTES:
        raise not_a_backup(source, _("its description is damaged"))
    return name, opened.content, carried_key


def import_encrypted(
    source: Path, db_path: Path, passphrase: str, *, taken_by: str = ""
) -> BackupInfo:
    """Decrypt a USB backup into the backups folder and verify it (ready to restore); its
    sidecar names ``taken_by``, the logged-in user who brought it."""
    name, content, carried_key = _open_envelope(source, passphrase)
    key = cipher.key_for(db_path)
    if key is None and cipher.is_encrypted(db_path):
        raise locked_database(db_path.name)
    folder = backups_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{db_path.stem}-usb-{name.removeprefix(db_path.stem + '-')}"
    if carried_key == key:
        atomic_write_bytes(target, content, verify=False)
    else:
        _write_rekeyed(content, carried_key, target, key)
    try:
        info = replace(verify_backup(target), reason="usb", taken_by=taken_by)
    except UserFacingError:
        target.unlink()
        raise
    write_sidecar(info)
    return info


def _write_rekeyed(
    content: bytes, carried_key: bytes | None, target: Path, key: bytes | None
) -> None:
    """Put the database ``content`` (plaintext, or encrypted under ``carried_key``) at
    ``target`` encrypted under ``key`` (None: plaintext), with no plaintext written on the way
    when ``key`` is set."""

    def damaged(_error: Exception) -> Exception:
        return not_a_backup(target, _("it is not a ModelWard database"))

    folder = target.parent
    with (
        temp_beside(folder, ".usb-", damaged) as carried,
        temp_beside(folder, ".usb-", damaged) as rekeyed,
    ):
        try:
            if carried_key is None:
                assert key is not None
                cipher.load_image(content, rekeyed, key)  # the plaintext image stays in memory
            else:
                atomic_write_bytes(carried, content, verify=False)
                cipher.copy_database(carried, rekeyed, source_key=carried_key, target_key=key)
        except DatabaseLocked as error:
            raise not_a_backup(target, _("its description is damaged")) from error
        fsync_file(rekeyed)
        os.replace(rekeyed, target)
