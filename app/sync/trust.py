"""Trust lists, enrollment requests and receipts: the small signed messages of sync.

- An *enrollment request* carries a ward station's public keys, signed by its own signing key
  (proof of possession); the province confirms the fingerprint on paper before enrolling.
- A *trust list* is published by the province, signed by its key: the enrolled station keys
  (with revocation by sequence cutoff), the province's encryption recipients and receipt keys,
  a version that only goes up, and an expiry.
- A *receipt* is the province's signed acknowledgement of one bundle.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.core.domain.errors import UserFacingError
from app.i18n import _
from app.sync.envelope import (
    ENROLLMENT,
    RECEIPT,
    TRUST_LIST,
    SignedMessageError,
    canonical,
    key_id,
    open_signed,
    parse_envelope,
    public_from_hex,
    sign,
    strict_json,
)
from app.sync.keys import PublicKeys, age_key_id

MAX_MESSAGE = 4 << 20
ENROLLMENT_MAGIC = b"MODELWARD-ENROLL/1\n"
TRUST_MAGIC = b"MODELWARD-TRUST/1\n"
RECEIPT_MAGIC = b"MODELWARD-WSR/1\n"
STATION_CODE = re.compile(r"[0-9]{2,8}")


def _body(data: bytes, magic: bytes, what: str) -> bytes:
    # every message ModelWard writes is ASCII (JSON with base64 payloads)
    if len(data) > MAX_MESSAGE or not data.startswith(magic) or not data.isascii():
        raise SignedMessageError(
            _("The file is not a {what}, or it is empty or damaged.").format(what=what)
        )
    return data[len(magic) :]


def _fields(document: Any, expected: set[str]) -> dict[str, Any]:
    if not isinstance(document, dict) or set(document) != expected:
        raise SignedMessageError(_("The signed part of the file is not in the expected form."))
    return document


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise SignedMessageError(_("The signed part of the file is not in the expected form."))
    return value


def _time(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(_text(value))
    except ValueError as error:
        raise SignedMessageError(_("A date in the file is not valid.")) from error
    if moment.tzinfo is None:
        raise SignedMessageError(_("A date in the file is not valid."))
    return moment


def _code(value: Any) -> str:
    text = _text(value)
    if not STATION_CODE.fullmatch(text):
        raise SignedMessageError(_("The file names an invalid unit code."))
    return text


def _recipient(value: Any) -> str:
    text = _text(value)
    try:
        pyrage.x25519.Recipient.from_str(text)
    except pyrage.RecipientError as error:
        raise SignedMessageError(_("A public key in the file is not valid.")) from error
    return text


# -- enrollment -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrollment:
    station_id: str
    station_name: str
    province_id: str
    keys: PublicKeys
    instance_id: str
    created_at: datetime
    demo: bool = False  # made by a demo (training) database


# optional, written only as true by a demo database (absent: a real station, as in every
# request made before it existed); a real province refuses such a request
ENROLLMENT_DEMO = "demo"
ENROLLMENT_FIELDS = {
    "format",
    "station_id",
    "station_name",
    "province_id",
    "signing_key",
    "age_recipient",
    "instance_id",
    "created_at",
}


def make_enrollment(
    signing: Ed25519PrivateKey,
    public: PublicKeys,
    station: dict[str, str],
    now: datetime,
    *,
    demo: bool = False,
) -> bytes:
    document: dict[str, object] = {
        "format": "modelward.enrollment/1",
        "station_id": station["station_id"],
        "station_name": station["station_name"],
        "province_id": station["province_id"],
        "signing_key": public.signing,
        "age_recipient": public.age_recipient,
        "instance_id": station["instance_id"],
        "created_at": now.isoformat(),
    }
    if demo:
        document[ENROLLMENT_DEMO] = True
    return ENROLLMENT_MAGIC + sign(ENROLLMENT, canonical(document), signing)


def _enrollment_fields(document: Any) -> dict[str, Any]:
    """The request's fields; ``demo`` is the one optional field, and only ever true."""
    if isinstance(document, dict) and ENROLLMENT_DEMO in document:
        if document[ENROLLMENT_DEMO] is not True:
            raise SignedMessageError(_("The signed part of the file is not in the expected form."))
        return {
            **_fields(
                {k: v for k, v in document.items() if k != ENROLLMENT_DEMO}, ENROLLMENT_FIELDS
            ),
            ENROLLMENT_DEMO: True,
        }
    return _fields(document, ENROLLMENT_FIELDS)


def read_enrollment(data: bytes) -> Enrollment:
    """An enrollment request, its self-signature checked (proof the sender holds the key)."""
    body = _body(data, ENROLLMENT_MAGIC, _("station enrollment request"))
    unverified = _enrollment_fields(strict_json(parse_envelope(body, ENROLLMENT).payload))
    key = public_from_hex(_text(unverified["signing_key"]))
    document = _enrollment_fields(open_signed(body, ENROLLMENT, [key]))
    if document["format"] != "modelward.enrollment/1":
        raise SignedMessageError(_("The signed part of the file is not in the expected form."))
    return Enrollment(
        station_id=_code(document["station_id"]),
        station_name=_text(document["station_name"])[:200],
        province_id=_code(document["province_id"]),
        keys=PublicKeys(_text(document["signing_key"]), _recipient(document["age_recipient"])),
        instance_id=_text(document["instance_id"])[:36],
        created_at=_time(document["created_at"]),
        demo=document.get(ENROLLMENT_DEMO) is True,
    )


def check_enrollment_demo(request: Enrollment, province_is_demo: bool) -> None:
    """A real province does not enroll a demo (training) station, nor a demo province a real
    one: their bundles would be refused anyway."""
    if request.demo and not province_is_demo:
        raise UserFacingError(
            _(
                "Station {code} sent this request from a demo (training) database; this real "
                "province does not enroll it."
            ).format(code=request.station_id),
            hint=_("Make the request on the station's real database."),
        )
    if province_is_demo and not request.demo:
        raise UserFacingError(
            _(
                "Station {code} is a real station; this demo (training) province does not "
                "enroll it."
            ).format(code=request.station_id),
            hint=_("Enroll it at the real province station."),
        )


# -- trust list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustedStation:
    station_id: str
    name: str
    signing_key: str
    age_recipient: str
    status: str  # active | revoked
    last_trusted_seq: int | None

    @property
    def key(self) -> Ed25519PublicKey:
        return public_from_hex(self.signing_key)


@dataclass(frozen=True)
class TrustListDoc:
    province_id: str
    province_name: str
    version: int
    issued_at: datetime
    expires: datetime
    signer_key: str
    stations: tuple[TrustedStation, ...]
    recipients: tuple[str, ...]  # age recipients of the province
    receipt_keys: tuple[str, ...]  # hex Ed25519 keys that sign receipts

    def station(self, station_id: str) -> TrustedStation | None:
        return next((s for s in self.stations if s.station_id == station_id), None)

    @property
    def recipient_ids(self) -> list[str]:
        return [age_key_id(r) for r in self.recipients]


TRUST_FIELDS = {
    "format",
    "province_id",
    "province_name",
    "version",
    "issued_at",
    "expires",
    "signer_key",
    "stations",
    "recipients",
    "receipt_keys",
}
STATION_FIELDS = {
    "station_id",
    "name",
    "signing_key",
    "age_recipient",
    "status",
    "last_trusted_seq",
}


def make_trust_list(doc: TrustListDoc, signing: Ed25519PrivateKey) -> bytes:
    document = {
        "format": "modelward.trust-list/1",
        "province_id": doc.province_id,
        "province_name": doc.province_name,
        "version": doc.version,
        "issued_at": doc.issued_at.isoformat(),
        "expires": doc.expires.isoformat(),
        "signer_key": doc.signer_key,
        "stations": [
            {
                "station_id": s.station_id,
                "name": s.name,
                "signing_key": s.signing_key,
                "age_recipient": s.age_recipient,
                "status": s.status,
                "last_trusted_seq": s.last_trusted_seq,
            }
            for s in doc.stations
        ],
        "recipients": list(doc.recipients),
        "receipt_keys": list(doc.receipt_keys),
    }
    return TRUST_MAGIC + sign(TRUST_LIST, canonical(document), signing)


def trust_list_signer(data: bytes) -> str:
    """The key the list says signed it (hex) — to show its fingerprint before pinning it."""
    body = _body(data, TRUST_MAGIC, _("province trust list"))
    document = _fields(strict_json(parse_envelope(body, TRUST_LIST).payload), TRUST_FIELDS)
    key = _text(document["signer_key"])
    public_from_hex(key)
    return key


def read_trust_list(data: bytes, anchor: str) -> TrustListDoc:
    """A trust list verified against the pinned province key ``anchor`` (hex)."""
    body = _body(data, TRUST_MAGIC, _("province trust list"))
    document = _fields(open_signed(body, TRUST_LIST, [public_from_hex(anchor)]), TRUST_FIELDS)
    if document["format"] != "modelward.trust-list/1" or document["signer_key"] != anchor:
        raise SignedMessageError(_("The signed part of the file is not in the expected form."))
    version = document["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SignedMessageError(_("The signed part of the file is not in the expected form."))
    stations = []
    if not isinstance(document["stations"], list):
        raise SignedMessageError(_("The signed part of the file is not in the expected form."))
    for entry in document["stations"]:
        entry = _fields(entry, STATION_FIELDS)
        cutoff = entry["last_trusted_seq"]
        if cutoff is not None and (isinstance(cutoff, bool) or not isinstance(cutoff, int)):
            raise SignedMessageError(_("The signed part of the file is not in the expected form."))
        if entry["status"] not in ("active", "revoked"):
            raise SignedMessageError(_("The signed part of the file is not in the expected form."))
        public_from_hex(_text(entry["signing_key"]))
        stations.append(
            TrustedStation(
                _code(entry["station_id"]),
                _text(entry["name"])[:200],
                entry["signing_key"],
                _recipient(entry["age_recipient"]),
                entry["status"],
                cutoff,
            )
        )
    recipients = document["recipients"]
    receipt_keys = document["receipt_keys"]
    if not isinstance(recipients, list) or not recipients or not isinstance(receipt_keys, list):
        raise SignedMessageError(_("The signed part of the file is not in the expected form."))
    for key in receipt_keys:
        public_from_hex(_text(key))
    return TrustListDoc(
        province_id=_code(document["province_id"]),
        province_name=_text(document["province_name"])[:200],
        version=version,
        issued_at=_time(document["issued_at"]),
        expires=_time(document["expires"]),
        signer_key=anchor,
        stations=tuple(stations),
        recipients=tuple(_recipient(r) for r in recipients),
        receipt_keys=tuple(receipt_keys),
    )


# -- receipts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    station_id: str
    bundle_id: str
    seq: int
    manifest_sha256: str
    status: str  # accepted | returned
    comments: str
    instance_id: str
    applied_through: int
    missing_seqs: tuple[int, ...]
    province_id: str
    issued_at: datetime


RECEIPT_FIELDS = {
    "format",
    "station_id",
    "bundle_id",
    "seq",
    "manifest_sha256",
    "status",
    "comments",
    "instance_id",
    "applied_through",
    "missing_seqs",
    "province_id",
    "issued_at",
}


def make_receipt(receipt: Receipt, signing: Ed25519PrivateKey) -> bytes:
    document = {
        "format": "modelward.receipt/1",
        "station_id": receipt.station_id,
        "bundle_id": receipt.bundle_id,
        "seq": receipt.seq,
        "manifest_sha256": receipt.manifest_sha256,
        "status": receipt.status,
        "comments": receipt.comments,
        "instance_id": receipt.instance_id,
        "applied_through": receipt.applied_through,
        "missing_seqs": list(receipt.missing_seqs),
        "province_id": receipt.province_id,
        "issued_at": receipt.issued_at.isoformat(),
    }
    return RECEIPT_MAGIC + sign(RECEIPT, canonical(document), signing)


def receipt_name(station_id: str, seq: int, bundle_id: str) -> str:
    return f"WSR1_{station_id}_{seq:08d}_{bundle_id}.wsr"


def read_receipt(data: bytes, keys: list[str]) -> Receipt:
    """A receipt verified against the province receipt keys of the current trust list."""
    body = _body(data, RECEIPT_MAGIC, _("province receipt"))
    document = _fields(
        open_signed(body, RECEIPT, [public_from_hex(k) for k in keys]), RECEIPT_FIELDS
    )
    if document["format"] != "modelward.receipt/1" or document["status"] not in (
        "accepted",
        "returned",
    ):
        raise SignedMessageError(_("The signed part of the file is not in the expected form."))
    if not isinstance(document["missing_seqs"], list):
        raise SignedMessageError(_("The signed part of the file is not in the expected form."))
    numbers = [document["seq"], document["applied_through"], *document["missing_seqs"]]
    if any(isinstance(n, bool) or not isinstance(n, int) for n in numbers):
        raise SignedMessageError(_("The signed part of the file is not in the expected form."))
    return Receipt(
        station_id=_code(document["station_id"]),
        bundle_id=_text(document["bundle_id"]),
        seq=document["seq"],
        manifest_sha256=_text(document["manifest_sha256"]),
        status=document["status"],
        comments=_text(document["comments"])[:4000],
        instance_id=_text(document["instance_id"]),
        applied_through=document["applied_through"],
        missing_seqs=tuple(document["missing_seqs"]),
        province_id=_code(document["province_id"]),
        issued_at=_time(document["issued_at"]),
    )


def signing_key_id(hex_key: str) -> str:
    return key_id("ed25519", bytes.fromhex(hex_key))


def fingerprint_matches(given: str, signing_hex: str) -> bool:
    """Whether ``given`` (as typed from paper: any case, spaces allowed) is the fingerprint of
    the Ed25519 key ``signing_hex``. Compared in constant time; the caller must never show the
    expected value, or the paper check proves nothing."""
    expected = signing_key_id(signing_hex).upper()
    typed = "".join(given.split()).upper()
    return hmac.compare_digest(typed.encode(), expected.encode())
