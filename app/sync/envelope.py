"""Signed messages: DSSE envelopes over Ed25519, key ids, and a strict JSON reader.

Every signed thing ModelWard exchanges (bundle headers and manifests, receipts, trust lists,
enrollment requests) is a DSSE envelope: the signature covers ``PAE(payloadType, payload)``,
so one kind of message can never be passed off as another, and the payload bytes that were
verified are the bytes that get parsed (no canonicalisation, no re-parsing).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.core.domain.errors import UserFacingError
from app.i18n import _

BUNDLE_OUTER = "application/vnd.modelward.bundle-outer.v1+json"
BUNDLE_MANIFEST = "application/vnd.modelward.bundle-manifest.v1+json"
RECEIPT = "application/vnd.modelward.receipt.v1+json"
TRUST_LIST = "application/vnd.modelward.trust-list.v1+json"
ENROLLMENT = "application/vnd.modelward.enrollment.v1+json"

MAX_SAFE_INTEGER = 2**53 - 1  # the largest integer every JSON reader keeps exactly


class SignedMessageError(UserFacingError):
    """A message that is malformed, not signed by the expected key, or of the wrong kind.

    The message is a Vietnamese sentence (through gettext) fit to show the officer.
    """


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(algorithm: str, raw: bytes) -> str:
    """A key's id: a hint for lookups, never a reason to trust (signing-sync.md §2.6)."""
    return hashlib.sha256(b"modelward-key/v1\0" + algorithm.encode() + b"\0" + raw).hexdigest()[:32]


def ed25519_key_id(key: Ed25519PublicKey) -> str:
    return key_id("ed25519", raw_public(key))


def fingerprint(identifier: str) -> str:
    """A key id in groups of four for reading aloud or comparing on paper."""
    return " ".join(identifier[i : i + 4].upper() for i in range(0, len(identifier), 4))


def public_from_hex(text: str) -> Ed25519PublicKey:
    try:
        raw = bytes.fromhex(text)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError) as error:
        raise SignedMessageError(_("A public key in the file is not valid.")) from error


def sign(payload_type: str, payload: bytes, key: Ed25519PrivateKey) -> bytes:
    """The DSSE envelope (JSON bytes) carrying ``payload`` signed by ``key``."""
    signature = key.sign(pae(payload_type, payload))
    envelope = {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [
            {
                "keyid": ed25519_key_id(key.public_key()),
                "sig": base64.b64encode(signature).decode(),
            }
        ],
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[tuple[str, bytes], ...]  # (key id hint, signature)

    @property
    def key_ids(self) -> list[str]:
        return [keyid for keyid, _sig in self.signatures]


def parse_envelope(data: bytes, expected_type: str) -> Envelope:
    """Parse a DSSE envelope without trusting anything in it yet."""
    document = strict_json(data)
    if not isinstance(document, dict) or set(document) != {
        "payloadType",
        "payload",
        "signatures",
    }:
        raise SignedMessageError(_("The signed part of the file is not in the expected form."))
    payload_type = document["payloadType"]
    if payload_type != expected_type:
        raise SignedMessageError(
            _("The file holds a different kind of signed message than expected.")
        )
    signatures = document["signatures"]
    if not isinstance(signatures, list) or not 1 <= len(signatures) <= 8:
        raise SignedMessageError(_("The file carries no valid signature."))
    try:
        payload = base64.b64decode(document["payload"], validate=True)
        parsed = []
        for entry in signatures:
            if not isinstance(entry, dict) or set(entry) != {"keyid", "sig"}:
                raise SignedMessageError(_("The file carries no valid signature."))
            parsed.append((str(entry["keyid"]), base64.b64decode(entry["sig"], validate=True)))
    except (binascii.Error, TypeError) as error:
        raise SignedMessageError(_("The signed part of the file is damaged.")) from error
    return Envelope(payload_type, payload, tuple(parsed))


def verify(envelope: Envelope, keys: Iterable[Ed25519PublicKey]) -> Ed25519PublicKey:
    """The first of ``keys`` whose signature verifies; key ids are only hints."""
    message = pae(envelope.payload_type, envelope.payload)
    for key in keys:
        for _keyid, signature in envelope.signatures:
            try:
                key.verify(signature, message)
            except InvalidSignature:
                continue
            return key
    raise SignedMessageError(
        _("The signature does not match any trusted key: the file was changed or forged.")
    )


def open_signed(data: bytes, expected_type: str, keys: Iterable[Ed25519PublicKey]) -> Any:
    """Verify a DSSE envelope against ``keys`` and return its payload parsed strictly."""
    envelope = parse_envelope(data, expected_type)
    verify(envelope, keys)
    return strict_json(envelope.payload)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise SignedMessageError(_("The file repeats the field {field}.").format(field=key))
        result[key] = value
    return result


def _int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise SignedMessageError(_("The file holds a number too large to be genuine."))
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise SignedMessageError(_("The file holds a number that is not valid."))
    return value


def _constant(text: str) -> Any:
    raise SignedMessageError(_("The file holds a number that is not valid."))


def strict_json(data: bytes) -> Any:
    """JSON with no duplicate keys, no NaN/Infinity and no integers beyond 2^53."""
    try:
        return json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
        )
    except SignedMessageError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise SignedMessageError(_("Part of the file is not readable JSON.")) from error


def canonical(document: Any) -> bytes:
    """Stable JSON bytes for content we sign (what was signed is what is parsed)."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
