"""The bundle file: a signed cleartext header, then an age ciphertext holding a signed manifest
and the change rows (docs/bundle-format.md).

Reading follows signing-sync.md §2.4: sizes are capped before anything is allocated, the
outer signature and the ciphertext hash are checked before decrypting, the inner manifest
signature and every section hash before any change row is parsed. Nothing in the file is
ever used as a path.
"""

from __future__ import annotations

import hashlib
import re
import struct
import uuid as uuid_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.core.errors import UserFacingError
from app.i18n import _
from app.sync.envelope import (
    BUNDLE_MANIFEST,
    BUNDLE_OUTER,
    SignedMessageError,
    canonical,
    ed25519_key_id,
    parse_envelope,
    sign,
    strict_json,
    verify,
)

MAGIC = b"MODELWARD-WSB/1\n"
INNER_MAGIC = b"MODELWARD-WSI/1\n"
FORMAT_VERSION = 1
SUFFIX = ".wsb"
MAX_OUTER = 16 * 1024
MAX_MANIFEST = 1 << 20
MAX_BUNDLE = 1 << 30
SECTION_NAME = re.compile(rb"^(manifest|records)$")
OUTER_FIELDS = {
    "format",
    "format_version",
    "bundle_id",
    "station_id",
    "seq",
    "sender_key_id",
    "recipient_key_ids",
    "ciphertext_len",
    "ciphertext_sha256",
    "created_at",
}
MANIFEST_FIELDS = {
    "format",
    "format_version",
    "bundle_id",
    "station_id",
    "station_name",
    "station_instance_id",
    "province_id",
    "sender_key_id",
    "recipient_key_ids",
    "trust_list_version",
    "seq",
    "prev_manifest_sha256",
    "void_seqs",
    "change_range",
    "acked_through",
    "schema_version",
    "app_version",
    "counts",
    "sections",
    "created_at",
}


class BundleError(UserFacingError):
    """A bundle that cannot be accepted; the message is a Vietnamese sentence for the officer."""


def file_name(station_id: str, seq: int, bundle_id: str) -> str:
    """ASCII only, safe on FAT32/exFAT; it carries no authority."""
    return f"WSB1_{station_id}_{seq:08d}_{bundle_id}{SUFFIX}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _section(name: bytes, body: bytes) -> bytes:
    return struct.pack(">B", len(name)) + name + struct.pack(">Q", len(body)) + body


def seal(
    manifest: dict[str, Any],
    records: bytes,
    signing: Ed25519PrivateKey,
    recipients: Sequence[pyrage.x25519.Recipient],
) -> tuple[bytes, str]:
    """The bundle bytes and the manifest's SHA-256 (what receipts and the hash chain name).

    ``manifest`` is completed here with the section list; the caller fills the rest.
    """
    manifest = {
        **manifest,
        "sections": [{"name": "records", "length": len(records), "sha256": sha256(records)}],
    }
    manifest_bytes = canonical(manifest)
    manifest_envelope = sign(BUNDLE_MANIFEST, manifest_bytes, signing)
    plaintext = (
        INNER_MAGIC + _section(b"manifest", manifest_envelope) + _section(b"records", records)
    )
    ciphertext = pyrage.encrypt(plaintext, list(recipients))
    outer = {
        "format": "modelward.bundle",
        "format_version": FORMAT_VERSION,
        "bundle_id": manifest["bundle_id"],
        "station_id": manifest["station_id"],
        "seq": manifest["seq"],
        "sender_key_id": ed25519_key_id(signing.public_key()),
        "recipient_key_ids": manifest["recipient_key_ids"],
        "ciphertext_len": len(ciphertext),
        "ciphertext_sha256": sha256(ciphertext),
        "created_at": manifest["created_at"],
    }
    outer_envelope = sign(BUNDLE_OUTER, canonical(outer), signing)
    data = MAGIC + struct.pack(">I", len(outer_envelope)) + outer_envelope + ciphertext
    return data, sha256(manifest_bytes)


@dataclass(frozen=True)
class Outer:
    """The cleartext header, verified against the sender's key."""

    bundle_id: str
    station_id: str
    seq: int
    sender_key_id: str
    recipient_key_ids: tuple[str, ...]
    ciphertext: bytes
    sender: Ed25519PublicKey
    created_at: str


def _check_uuid(value: Any) -> str:
    try:
        if not isinstance(value, str) or str(uuid_module.UUID(value)) != value:
            raise ValueError
    except ValueError as error:
        raise BundleError(_("The bundle has an invalid bundle id.")) from error
    return value


def _check_seq(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BundleError(_("The bundle has an invalid sequence number."))
    return value


def _damaged(error: SignedMessageError) -> BundleError:
    return BundleError(
        _("The bundle header is damaged or was changed: {problem}").format(problem=str(error))
    )


def _check_header(header: Any) -> str:
    """The header's form and version; returns the station id it names."""
    if not isinstance(header, dict) or set(header) != OUTER_FIELDS:
        raise BundleError(_("The bundle header is not in the expected form."))
    if header["format"] != "modelward.bundle" or header["format_version"] != FORMAT_VERSION:
        raise BundleError(
            _("The bundle was made by a newer version of ModelWard."),
            hint=_("Update ModelWard, then import the bundle again."),
        )
    station_id = header["station_id"]
    if not isinstance(station_id, str) or not re.fullmatch(r"[0-9]{2,8}", station_id):
        raise BundleError(_("The bundle names an invalid station."))
    return station_id


def read_outer(
    data: bytes, keys_for: Callable[[str], Sequence[Ed25519PublicKey]]
) -> tuple[Outer, dict[str, Any]]:
    """Check magic, sizes, the outer signature and the ciphertext hash; decrypt nothing.

    ``keys_for(station_id)`` returns the keys trusted for that station, or raises
    ``BundleError`` when the station is unknown or revoked.
    """
    if len(data) > MAX_BUNDLE:
        raise BundleError(_("The file is too large to be a bundle."))
    if not data.startswith(MAGIC):
        raise BundleError(
            _("The file is not a ModelWard sync bundle, or it is empty or incomplete.")
        )
    rest = data[len(MAGIC) :]
    if len(rest) < 4:
        raise BundleError(_("The bundle is incomplete: the file was cut short."))
    (length,) = struct.unpack(">I", rest[:4])
    if length > MAX_OUTER or length > len(rest) - 4:
        raise BundleError(_("The bundle is incomplete: the file was cut short."))
    try:
        envelope = parse_envelope(rest[4 : 4 + length], BUNDLE_OUTER)
        header = strict_json(envelope.payload)
    except SignedMessageError as error:
        raise _damaged(error) from error
    station_id = _check_header(header)
    try:
        sender = verify(envelope, keys_for(station_id))
    except SignedMessageError as error:
        raise BundleError(
            _(
                "The bundle's signature does not match the key enrolled for station {station}: "
                "the file was changed, or it was not made by that station."
            ).format(station=station_id)
        ) from error
    ciphertext = rest[4 + length :]
    if header["ciphertext_len"] != len(ciphertext):
        raise BundleError(_("The bundle is incomplete: the file was cut short."))
    if header["ciphertext_sha256"] != sha256(ciphertext):
        raise BundleError(_("The bundle's content was changed after it was signed."))
    recipients = header["recipient_key_ids"]
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise BundleError(_("The bundle header is not in the expected form."))
    outer = Outer(
        bundle_id=_check_uuid(header["bundle_id"]),
        station_id=station_id,
        seq=_check_seq(header["seq"]),
        sender_key_id=str(header["sender_key_id"]),
        recipient_key_ids=tuple(recipients),
        ciphertext=ciphertext,
        sender=sender,
        created_at=str(header["created_at"]),
    )
    return outer, header


@dataclass(frozen=True)
class Inner:
    manifest: dict[str, Any]
    manifest_sha256: str
    records: bytes


def _sections(plaintext: bytes) -> dict[str, bytes]:
    if not plaintext.startswith(INNER_MAGIC):
        raise BundleError(_("The bundle's content is not in the expected form."))
    position = len(INNER_MAGIC)
    sections: dict[str, bytes] = {}
    while position < len(plaintext):
        if len(sections) >= 2:
            raise BundleError(_("The bundle's content is not in the expected form."))
        name_length = plaintext[position]
        name = plaintext[position + 1 : position + 1 + name_length]
        if not SECTION_NAME.fullmatch(name) or name.decode() in sections:
            raise BundleError(_("The bundle's content is not in the expected form."))
        start = position + 1 + name_length
        if start + 8 > len(plaintext):
            raise BundleError(_("The bundle is incomplete: the file was cut short."))
        (length,) = struct.unpack(">Q", plaintext[start : start + 8])
        if length > len(plaintext) - start - 8:
            raise BundleError(_("The bundle is incomplete: the file was cut short."))
        sections[name.decode()] = plaintext[start + 8 : start + 8 + length]
        position = start + 8 + length
    if set(sections) != {"manifest", "records"}:
        raise BundleError(_("The bundle's content is not in the expected form."))
    return sections


def open_inner(outer: Outer, identities: Sequence[pyrage.x25519.Identity]) -> Inner:
    """Decrypt, verify the inner manifest with the same key, and check every section."""
    try:
        plaintext = pyrage.decrypt(outer.ciphertext, list(identities))
    except pyrage.DecryptError as error:
        raise BundleError(
            _(
                "The bundle cannot be decrypted with this unit's key: it was made for another "
                "province, or it is damaged."
            )
        ) from error
    sections = _sections(plaintext)
    if len(sections["manifest"]) > MAX_MANIFEST:
        raise BundleError(_("The bundle's content is not in the expected form."))
    try:
        envelope = parse_envelope(sections["manifest"], BUNDLE_MANIFEST)
        verify(envelope, [outer.sender])
        manifest = strict_json(envelope.payload)
    except SignedMessageError as error:
        raise BundleError(
            _("The bundle's manifest is damaged or was changed: {problem}").format(
                problem=str(error)
            )
        ) from error
    if (
        not isinstance(manifest, dict)
        or set(manifest) != MANIFEST_FIELDS
        or manifest["format"] != "modelward.bundle"
        or manifest["format_version"] != FORMAT_VERSION
    ):
        raise BundleError(_("The bundle's manifest is not in the expected form."))
    if (
        manifest["bundle_id"] != outer.bundle_id
        or manifest["station_id"] != outer.station_id
        or manifest["seq"] != outer.seq
        or manifest["recipient_key_ids"] != list(outer.recipient_key_ids)
    ):
        raise BundleError(
            _("The bundle's header and manifest disagree: the file was tampered with.")
        )
    listed = manifest["sections"]
    if (
        not isinstance(listed, list)
        or len(listed) != 1
        or not isinstance(listed[0], dict)
        or set(listed[0]) != {"name", "length", "sha256"}
        or listed[0].get("name") != "records"
        or listed[0].get("length") != len(sections["records"])
        or listed[0].get("sha256") != sha256(sections["records"])
    ):
        raise BundleError(_("The bundle's records do not match its manifest."))
    return Inner(manifest, sha256(envelope.payload), sections["records"])
