"""Signing and checking approvals with the station's Ed25519 key.

An approval is signed with the key the station signs its bundles with, unlocked by the
chief's passphrase: an officer who can edit the database cannot forge one, and the province
checks it with the station key it enrolled (signing-sync.md §2.6). The signed text is the
DSSE pre-authentication encoding of the canonical JSON of the approval's fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.sync.envelope import SignedMessageError, canonical, pae, public_from_hex, raw_public

PAYLOAD_TYPE = "application/vnd.modelward.approval+json"


def signed_text(fields: Mapping[str, Any]) -> bytes:
    return pae(PAYLOAD_TYPE, canonical(dict(fields)))


def sign(fields: Mapping[str, Any], key: Ed25519PrivateKey) -> tuple[str, str]:
    """(public key hex, signature hex) of ``fields`` signed by ``key``."""
    return raw_public(key.public_key()).hex(), key.sign(signed_text(fields)).hex()


def verify(fields: Mapping[str, Any], public_hex: str, signature_hex: str) -> bool:
    """True if ``signature_hex`` is ``public_hex``'s signature over exactly ``fields``."""
    try:
        public_from_hex(public_hex).verify(bytes.fromhex(signature_hex), signed_text(fields))
    except (InvalidSignature, SignedMessageError, ValueError):
        return False
    return True
