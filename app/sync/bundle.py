"""The bundle file: a signed cleartext header, then an age ciphertext holding a signed manifest,
the change rows and (format version 2) the ward's audit-trail entries (docs/bundle-format.md).

Reading follows signing-sync.md §2.4: sizes are capped before anything is allocated, the
outer signature and the ciphertext hash are checked before decrypting, the inner manifest
signature and every section hash before any change row is parsed. Nothing in the file is
ever used as a path.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import uuid as uuid_module
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.core.domain.errors import UserFacingError
from app.i18n import _
from app.sync.change_rows import column_texts, read_json_line
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
from app.sync.manifest import DEMO_FIELD as DEMO_FIELD
from app.sync.manifest import FORMAT_VERSION as FORMAT_VERSION
from app.sync.manifest import MANIFEST_FIELDS as MANIFEST_FIELDS
from app.sync.manifest import READABLE_VERSIONS as READABLE_VERSIONS
from app.sync.manifest import Manifest, ManifestError

MAGIC = b"MODELWARD-WSB/1\n"
INNER_MAGIC = b"MODELWARD-WSI/1\n"
# The format version (app.sync.manifest) is in the header too: a version-1 reader refuses a
# version-2 file as "made by a newer version" before decrypting it.
SUFFIX = ".wsb"
MAX_OUTER = 16 * 1024
MAX_MANIFEST = 1 << 20
MAX_BUNDLE = 1 << 30
MAX_LINE = 1 << 20  # one audit entry (NDJSON line), as for one change row
SECTION_NAME = re.compile(rb"^(manifest|records|audit)$")
SECTION_FIELDS = {"name", "length", "sha256"}
# the audit section's entry in the manifest also says which entries it carries
AUDIT_SECTION_FIELDS = SECTION_FIELDS | {"from_id", "to_id", "head_count", "head_hash"}
# an entry's number and the fields its hash covers (app.db.audit.CHAIN_FIELDS, checked by a test)
AUDIT_ROW_FIELDS = (
    "id",
    "at",
    "actor",
    "action",
    "table_name",
    "record_uuid",
    "changes",
    "prev_hash",
    "hash",
)
AUDIT_LINE_FIELDS = set(AUDIT_ROW_FIELDS)
# the ward's own column sizes (app.db.audit.AuditEntry); "changes" is bounded by MAX_LINE
AUDIT_TEXT_LIMITS = {
    "actor": 120,
    "action": 16,
    "table_name": 40,
    "record_uuid": 36,
    "prev_hash": 64,
    "hash": 64,
}
MAX_ID = (1 << 53) - 1
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


class BundleError(UserFacingError):
    """A bundle that cannot be accepted; the message is a Vietnamese sentence for the officer."""


def file_name(station_id: str, seq: int, bundle_id: str) -> str:
    """ASCII only, safe on FAT32/exFAT; it carries no authority."""
    return f"WSB1_{station_id}_{seq:08d}_{bundle_id}{SUFFIX}"


def age_recipients(texts: Sequence[str]) -> list[pyrage.x25519.Recipient]:
    """age recipients from their text form ("age1…"), to seal a bundle to."""
    return [pyrage.x25519.Recipient.from_str(text) for text in texts]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _section(name: bytes, body: bytes) -> bytes:
    return struct.pack(">B", len(name)) + name + struct.pack(">Q", len(body)) + body


@dataclass(frozen=True)
class AuditRange:
    """Which audit entries a bundle carries: ids ``from_id``..``to_id`` (empty when
    ``to_id < from_id``), and the ward's chain head (entry count and last hash) at export."""

    from_id: int
    to_id: int
    head_count: int
    head_hash: str


@dataclass(frozen=True)
class AuditLine:
    """One entry of the ward's hash-chained audit log, as carried (``at`` is aware UTC)."""

    id: int
    at: datetime
    actor: str
    action: str
    table_name: str
    record_uuid: str
    changes: str  # the JSON text exactly as the ward hashed it
    prev_hash: str
    hash: str


_AUDIT_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
# the line json.dumps(sort_keys=True) writes for an entry of nine fields, keys in sorted order
_AUDIT_TEMPLATE = (
    '{"action":%s,"actor":%s,"at":%s,"changes":%s,"hash":%s,"id":%s,'
    '"prev_hash":%s,"record_uuid":%s,"table_name":%s}\n'
)


def encode_audit(entries: Iterable[Mapping[str, Any]]) -> bytes:
    """NDJSON, one entry per line; ``at`` as UTC ISO 8601 (what the entry hash covers)."""
    return "".join(
        _AUDIT_JSON.encode({**entry, "at": entry["at"].isoformat()}) + "\n" for entry in entries
    ).encode()


def encode_audit_rows(rows: Iterable[Sequence[Any]]) -> bytes:
    """The same NDJSON as :func:`encode_audit`, from rows (id, at, actor, action, table_name,
    record_uuid, changes, prev_hash, hash) whose ``at`` is already the ISO 8601 text: the lines
    are put together from their JSON-escaped values, column by column, byte for byte what
    ``encode_audit`` writes (rows of other types are written by the JSON encoder itself)."""
    rows = list(rows)
    columns = list(zip(*rows, strict=True))
    if (
        len(columns) == len(AUDIT_ROW_FIELDS)
        and set(map(type, columns[0])) == {int}
        and all(set(map(type, c)) == {str} for c in columns[1:])
    ):
        texts = [column_texts(c) for c in columns]  # escaped by C, column by column
        order = [texts[n] for n in (3, 2, 1, 6, 8, 0, 7, 5, 4)]  # the template's keys
        return "".join(map(_AUDIT_TEMPLATE.__mod__, zip(*order, strict=True))).encode()
    return "".join(
        _AUDIT_JSON.encode(dict(zip(AUDIT_ROW_FIELDS, row, strict=True))) + "\n" for row in rows
    ).encode()


def seal(
    manifest: Manifest | Mapping[str, Any],
    records: bytes,
    signing: Ed25519PrivateKey,
    recipients: Sequence[pyrage.x25519.Recipient],
    audit: tuple[AuditRange, bytes] | None = None,
) -> tuple[bytes, str]:
    """The bundle bytes and the manifest's SHA-256 (what receipts and the hash chain name).

    ``manifest`` is completed here with the section list; the caller fills the rest. An
    ``audit`` section (its range and NDJSON from :func:`encode_audit`) needs format version 2.
    A plain mapping is sealed as it is, unchecked (tests forge bundles that way).
    """
    if isinstance(manifest, Manifest):
        manifest = manifest.to_json()
    listed: list[dict[str, Any]] = [
        {"name": "records", "length": len(records), "sha256": sha256(records)}
    ]
    sections = _section(b"records", records)
    if audit is not None:
        span, body = audit
        listed.append(
            {
                "name": "audit",
                "length": len(body),
                "sha256": sha256(body),
                "from_id": span.from_id,
                "to_id": span.to_id,
                "head_count": span.head_count,
                "head_hash": span.head_hash,
            }
        )
        sections += _section(b"audit", body)
    manifest = {**manifest, "sections": listed}
    manifest_bytes = canonical(manifest)
    manifest_envelope = sign(BUNDLE_MANIFEST, manifest_bytes, signing)
    plaintext = INNER_MAGIC + _section(b"manifest", manifest_envelope) + sections
    ciphertext = pyrage.encrypt(plaintext, list(recipients))
    outer = {
        "format": "modelward.bundle",
        "format_version": manifest.get("format_version", FORMAT_VERSION),
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
    format_version: int = 1


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
    version = header["format_version"]
    if (
        header["format"] != "modelward.bundle"
        or isinstance(version, bool)
        or version not in READABLE_VERSIONS
    ):
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
    start = len(MAGIC)  # the rest of the file is read in place: no copy of the whole of it
    rest = len(data) - start
    if rest < 4:
        raise BundleError(_("The bundle is incomplete: the file was cut short."))
    (length,) = struct.unpack_from(">I", data, start)
    if length > MAX_OUTER or length > rest - 4:
        raise BundleError(_("The bundle is incomplete: the file was cut short."))
    try:
        envelope = parse_envelope(data[start + 4 : start + 4 + length], BUNDLE_OUTER)
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
    ciphertext = data[start + 4 + length :]
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
        format_version=header["format_version"],
    )
    return outer, header


@dataclass(frozen=True)
class Inner:
    """The decrypted content: ``manifest`` is the signed JSON as it arrived, ``parsed`` the
    same manifest checked and typed."""

    manifest: dict[str, Any]
    manifest_sha256: str
    records: bytes
    parsed: Manifest
    audit: bytes = b""  # verified against the manifest, not parsed (see parse_audit)
    audit_range: AuditRange | None = None  # None: the bundle carries no audit section

    @property
    def demo(self) -> bool:
        """Made by a demo (training) database: its records are invented."""
        return self.parsed.demo


def _sections(plaintext: bytes) -> dict[str, bytes]:
    if not plaintext.startswith(INNER_MAGIC):
        raise BundleError(_("The bundle's content is not in the expected form."))
    position = len(INNER_MAGIC)
    sections: dict[str, bytes] = {}
    while position < len(plaintext):
        if len(sections) >= 3:
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
    if not {"manifest", "records"} <= set(sections):
        raise BundleError(_("The bundle's content is not in the expected form."))
    return sections


def _listed_section(entry: Any, name: str, body: bytes, fields: set[str]) -> bool:
    """Whether a manifest ``sections`` entry describes ``body`` exactly."""
    return (
        isinstance(entry, dict)
        and set(entry) == fields
        and entry.get("name") == name
        and entry.get("length") == len(body)
        and entry.get("sha256") == sha256(body)
    )


def _count(value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_ID:
        raise ValueError(value)
    return value


def _audit_range(entry: dict[str, Any]) -> AuditRange:
    """The range an audit section entry declares, checked for form only."""
    try:
        from_id = _count(entry["from_id"], 1)
        to_id = _count(entry["to_id"], from_id - 1)
        head_count = _count(entry["head_count"], 0)
        head_hash = entry["head_hash"]
        if not isinstance(head_hash, str) or len(head_hash) > AUDIT_TEXT_LIMITS["hash"]:
            raise ValueError(head_hash)
    except ValueError as error:
        raise BundleError(
            _("The bundle's audit trail section is not in the expected form.")
        ) from error
    return AuditRange(from_id, to_id, head_count, head_hash)


def _check_sections(
    manifest: dict[str, Any], sections: dict[str, bytes], version: int
) -> AuditRange | None:
    """Every section present is listed in the signed manifest with its length and hash, and
    every section listed is present; version 1 knows only "records"."""
    listed = manifest["sections"]
    if (
        not isinstance(listed, list)
        or not 1 <= len(listed) <= (2 if version >= 2 else 1)
        or not _listed_section(listed[0], "records", sections["records"], SECTION_FIELDS)
        or ("audit" in sections and version < 2)
    ):
        raise BundleError(_("The bundle's records do not match its manifest."))
    if len(listed) == 1 and "audit" not in sections:
        return None
    if len(listed) == 1 or "audit" not in sections:  # one listed without the other
        raise BundleError(
            _("The bundle's audit trail does not match its manifest: it was changed.")
        )
    if not _listed_section(listed[1], "audit", sections["audit"], AUDIT_SECTION_FIELDS):
        raise BundleError(
            _("The bundle's audit trail does not match its manifest: it was changed.")
        )
    return _audit_range(listed[1])


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
    try:
        parsed = Manifest.from_json(manifest)
    except ManifestError as error:
        raise BundleError(error.message) from error
    if parsed.format_version != outer.format_version:
        raise BundleError(_("The bundle's manifest is not in the expected form."))
    if (
        parsed.bundle_id != outer.bundle_id
        or parsed.station_id != outer.station_id
        or parsed.seq != outer.seq
        or parsed.recipient_key_ids != outer.recipient_key_ids
    ):
        raise BundleError(
            _("The bundle's header and manifest disagree: the file was tampered with.")
        )
    span = _check_sections(manifest, sections, outer.format_version)
    return Inner(
        manifest,
        sha256(envelope.payload),
        sections["records"],
        parsed,
        sections.get("audit", b""),
        span,
    )


def _audit_text(document: dict[str, Any], name: str, escaped: bool = True) -> str:
    value = document[name]
    limit = AUDIT_TEXT_LIMITS.get(name)
    if not isinstance(value, str) or (limit is not None and len(value) > limit):
        raise ValueError(name)
    if escaped:  # a lone surrogate (legal in JSON as an escape) can be neither hashed nor stored
        value.encode()
    return value


def _audit_line(document: Any, span: AuditRange, escaped: bool = True) -> AuditLine:
    """One decoded audit NDJSON line, checked for form. Its *content* is not judged here: an
    entry whose hash does not follow is evidence for the province's chain check, not a
    reason to refuse the ward's records."""
    if not isinstance(document, dict) or set(document) != AUDIT_LINE_FIELDS:
        raise ValueError("fields")
    number = _count(document["id"], span.from_id)
    if number > span.to_id:
        raise ValueError("id")
    at = datetime.fromisoformat(_audit_text(document, "at"))
    if at.tzinfo is None:
        raise ValueError("at")
    at = at.astimezone(UTC)  # OverflowError at the ends of the calendar
    names = ("actor", "action", "table_name", "record_uuid", "changes", "prev_hash", "hash")
    texts = [_audit_text(document, name, escaped) for name in names]
    return AuditLine(number, at, *texts)


def parse_audit(blob: bytes, span: AuditRange) -> list[AuditLine]:
    """The entries of an audit section whose hash the manifest vouched for: every line the
    expected form, ids strictly increasing inside the declared range, the last one ``to_id``.

    A gap in the ids is allowed (an entry deleted at the ward is for the chain check to
    report), a repeated or out-of-order id is not."""
    lines: list[AuditLine] = []
    for number, raw in enumerate(blob.split(b"\n"), start=1):
        if not raw:
            continue
        if len(raw) > MAX_LINE:
            raise BundleError(
                _("Audit trail entry {n} of the bundle is too long.").format(n=number)
            )
        try:
            # valid UTF-8 holds no surrogate: only a \u escape can make one
            line = _audit_line(read_json_line(raw), span, b"\\u" in raw)
            if lines and line.id <= lines[-1].id:
                raise ValueError("order")
        except (SignedMessageError, ValueError, TypeError, OverflowError) as error:
            raise BundleError(
                _("Audit trail entry {n} of the bundle is not in the expected form.").format(
                    n=number
                )
            ) from error
        lines.append(line)
    if blob and not blob.endswith(b"\n"):
        raise BundleError(_("The bundle's audit trail is cut short."))
    if (lines[-1].id if lines else span.from_id - 1) != span.to_id:
        raise BundleError(_("The bundle's audit trail does not hold the entries it lists."))
    return lines


def check_demo(inner: Inner, station_id: str, seq: int, province_is_demo: bool) -> None:
    """Training data and real data never mix: a real province refuses a demo station's
    bundle, and a demo province refuses a real station's."""
    if inner.demo and not province_is_demo:
        raise BundleError(
            _(
                "Bundle {seq} of station {code} was made with a demo (training) database: its "
                "records are invented, so this province did not import it."
            ).format(seq=seq, code=station_id),
            hint=_(
                "Send bundles from the station's real database. Demo data can only be tried "
                "with a demo province."
            ),
        )
    if province_is_demo and not inner.demo:
        raise BundleError(
            _(
                "Bundle {seq} of station {code} comes from a real station; this demo (training) "
                "province does not import real records."
            ).format(seq=seq, code=station_id),
            hint=_("Import it at the real province station."),
        )
