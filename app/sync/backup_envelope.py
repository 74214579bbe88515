"""The sealed file of a backup carried on a USB stick (``*.mwbackup.age``): its layout, its
format version, and the age encryption under the backup passphrase (scrypt).

Inside the age encryption: 4 bytes (big-endian) giving the length of a JSON description, the
description, then the database file's bytes. The description names the backup file
(``file``), why and when it was taken, who carried it, the SHA-256 of the database bytes
(``sha256``), and, for a backup of an encrypted station, the one-off key the bytes are
encrypted under (``key``, hex; see ``app.core.services.backup_usb``).

The description carries ``version``: the layout above (length, then JSON) stays the same in
every version, so any ModelWard can read the number; a version newer than :data:`VERSION` is
refused with a message saying to update ModelWard first, not read as damage. Files sealed
before the number was written have none and are version 1.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from app.core.domain.errors import UserFacingError
from app.i18n import _

FORMAT = "modelward.backup/1"  # the ``format`` every version writes (what kind of file)
VERSION = 1  # the newest layout this ModelWard writes and reads
LENGTH_BYTES = 4


class DamagedEnvelope(ValueError):
    """The sealed file opened, but what is inside is not a whole ModelWard backup; ``reason``
    is the officer's text (for ``not_a_backup``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Opened:
    description: dict[str, Any]
    content: bytes  # the database file's bytes, their SHA-256 checked

    @property
    def file_name(self) -> str:
        return str(self.description["file"])

    @property
    def key_hex(self) -> str | None:
        key = self.description.get("key")
        return None if key is None else str(key)


def seal(description: dict[str, object], content: bytes, passphrase: str) -> bytes:
    """The sealed file: ``description`` (``format``, ``version`` and ``sha256`` of ``content``
    are written here) and ``content``, age-encrypted under ``passphrase``."""
    import pyrage

    document = {
        **description,
        "format": FORMAT,
        "version": VERSION,
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    encoded = json.dumps(document).encode()
    body = len(encoded).to_bytes(LENGTH_BYTES, "big") + encoded + content
    return bytes(pyrage.passphrase.encrypt(body, passphrase))


def open_sealed(data: bytes, passphrase: str, name: str) -> Opened:
    """Decrypt and read a sealed file called ``name``: a wrong passphrase or a newer format is
    a ``UserFacingError``, anything else wrong inside a :class:`DamagedEnvelope`."""
    import pyrage

    try:
        body = pyrage.passphrase.decrypt(data, passphrase)
    except pyrage.DecryptError as error:
        raise UserFacingError(
            _("The encrypted backup could not be opened: wrong passphrase or damaged file."),
            hint=_("Check the passphrase; if it is right, the file on the stick is damaged."),
        ) from error
    size = int.from_bytes(body[:LENGTH_BYTES], "big")
    try:
        description = json.loads(body[LENGTH_BYTES : LENGTH_BYTES + size])
    except ValueError as error:
        raise DamagedEnvelope(_("its description is damaged")) from error
    if not isinstance(description, dict) or not isinstance(description.get("file"), str):
        raise DamagedEnvelope(_("its description is damaged"))
    check_version(description, name)
    content = body[LENGTH_BYTES + size :]
    if hashlib.sha256(content).hexdigest() != description.get("sha256"):
        raise DamagedEnvelope(_("the file changed after it was written"))
    return Opened(description, content)


def check_version(description: dict[str, Any], name: str) -> int:
    """The description's format version (1 when it has none: sealed before versions were
    written); a newer one than this ModelWard reads is refused."""
    version = description.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DamagedEnvelope(_("its description is damaged"))
    if version > VERSION:
        raise UserFacingError(
            _(
                "The backup {name} was made by a newer version of ModelWard "
                "(backup format {version}); this version cannot read it."
            ).format(name=name, version=version),
            hint=_(
                "Update ModelWard on this computer first, then bring the backup in again. "
                "Nothing was changed."
            ),
        )
    return version
