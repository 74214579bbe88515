"""The sealed USB backup file (app.sync.backup_envelope): a format version is written and
checked, a newer one is refused in Vietnamese before anything is written, and files sealed
before the version existed still open."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pyrage
import pytest

from app.core.domain.errors import UserFacingError
from app.core.services import backup_steps as backup
from app.db import cipher
from app.db.engine import Database
from app.paths import backups_dir
from app.sync import backup_envelope

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
PASSPHRASE = "mật khẩu sao lưu dài"


def _seal_by_hand(target: Path, description: dict[str, object], content: bytes) -> Path:
    """The layout every ModelWard so far wrote: 4-byte length, JSON description, database."""
    encoded = json.dumps(description).encode()
    body = len(encoded).to_bytes(4, "big") + encoded + content
    target.write_bytes(pyrage.passphrase.encrypt(body, PASSPHRASE))
    return target


def _old_description(info: backup.BackupInfo, content: bytes) -> dict[str, object]:
    """Exactly what export_encrypted wrote before the version field existed."""
    return {
        "format": "modelward.backup/1",
        "file": info.path.name,
        "reason": info.reason,
        "created_at": info.created_at.isoformat(),
        "sha256": hashlib.sha256(content).hexdigest(),
        "carried_by": "Nguyễn Văn An",
    }


def _clear_backups(db_path: Path) -> None:
    for old in backup.list_backups(db_path):
        old.path.unlink()
        old.path.with_suffix(".json").unlink()


def test_a_usb_copy_records_its_format_version(db: Database, tmp_path: Path) -> None:
    info = backup.create_backup(db.path, "manual", now=NOW)
    sealed = backup.export_encrypted(info.path, tmp_path, PASSPHRASE)
    opened = backup_envelope.open_sealed(sealed.read_bytes(), PASSPHRASE, sealed.name)
    assert opened.description["version"] == backup_envelope.VERSION == 1
    assert opened.description["format"] == "modelward.backup/1"
    assert opened.content == info.path.read_bytes()


def test_a_usb_copy_from_a_newer_modelward_is_refused_in_vietnamese(
    db: Database, tmp_path: Path
) -> None:
    info = backup.create_backup(db.path, "manual", now=NOW)
    content = info.path.read_bytes()
    newer = {**_old_description(info, content), "version": backup_envelope.VERSION + 1}
    sealed = _seal_by_hand(tmp_path / "newer.mwbackup.age", newer, content)
    _clear_backups(db.path)
    with pytest.raises(UserFacingError) as refused:
        backup.import_encrypted(sealed, db.path, PASSPHRASE)
    assert "phiên bản mới hơn" in refused.value.message
    assert "newer.mwbackup.age" in refused.value.message
    assert refused.value.hint and "Cập nhật" in refused.value.hint
    assert backup.list_backups(db.path) == []  # nothing was written
    assert not any(p.suffix == ".sqlite" for p in backups_dir(db.path).iterdir())


@pytest.mark.parametrize("version", ["2", 0, -1, True, None])
def test_a_version_that_is_no_number_reads_as_damage(
    db: Database, tmp_path: Path, version: object
) -> None:
    info = backup.create_backup(db.path, "manual", now=NOW)
    content = info.path.read_bytes()
    odd = {**_old_description(info, content), "version": version}
    sealed = _seal_by_hand(tmp_path / "odd.mwbackup.age", odd, content)
    with pytest.raises(UserFacingError) as refused:
        backup.import_encrypted(sealed, db.path, PASSPHRASE)
    assert "không dùng được làm bản sao lưu ModelWard" in refused.value.message


def test_a_usb_copy_sealed_before_versions_existed_still_opens(
    db: Database, tmp_path: Path
) -> None:
    info = backup.create_backup(db.path, "manual", now=NOW)
    content = info.path.read_bytes()
    sealed = _seal_by_hand(tmp_path / "old.mwbackup.age", _old_description(info, content), content)
    _clear_backups(db.path)
    brought = backup.import_encrypted(sealed, db.path, PASSPHRASE, taken_by="Trần Thị Bình")
    assert brought.sha256 == info.sha256 and brought.verified
    assert backup.verify_backup(brought.path).instance_id == info.instance_id


def test_an_old_usb_copy_of_an_encrypted_station_still_opens(tmp_path: Path) -> None:
    """The old layout with a one-off key (an encrypted station's copy) opens too."""
    from app.db.open import open_database

    path = tmp_path / "station.sqlite"
    key = os.urandom(cipher.KEY_BYTES)
    cipher.unlock(path, key)
    try:
        open_database(path).close()
        info = backup.create_backup(path, "manual", now=NOW)
        one_off = os.urandom(cipher.KEY_BYTES)
        carried = tmp_path / "carried.sqlite"
        cipher.copy_database(info.path, carried, source_key=key, target_key=one_off)
        content = carried.read_bytes()
        description = {**_old_description(info, content), "key": one_off.hex()}
        sealed = _seal_by_hand(tmp_path / "old.mwbackup.age", description, content)
        _clear_backups(path)
        brought = backup.import_encrypted(sealed, path, PASSPHRASE)
        assert cipher.key_for_file(brought.path) == key
        assert backup.verify_backup(brought.path).instance_id == info.instance_id
    finally:
        cipher.forget(path)
