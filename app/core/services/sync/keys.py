"""The station's keys and the province's trust list as the screens and the command line see
them: fingerprints to compare on paper, unlocking the keys with their passphrase, checking a
typed fingerprint. The keys' file format and cryptography are ``app.sync.keys`` and
``app.sync.trust``; this module is the way in for the UI and the CLI.
"""

from __future__ import annotations

from pathlib import Path

from app.paths import keys_folder
from app.sync import keys, trust
from app.sync.envelope import fingerprint as fingerprint
from app.sync.keys import PublicKeys as PublicKeys
from app.sync.keys import StationKeys as StationKeys
from app.sync.trust import TrustListDoc as TrustListDoc

__all__ = [
    "PublicKeys",
    "StationKeys",
    "TrustListDoc",
    "fingerprint",
    "fingerprint_matches",
    "trust_list_fingerprint",
    "trust_list_signer_matches",
    "unlock_station_keys",
]


def unlock_station_keys(db_path: Path, passphrase: str) -> StationKeys:
    """The keys of the station whose database is ``db_path``, unlocked with ``passphrase``."""
    return keys.unlock(keys_folder(db_path), passphrase)


def trust_list_fingerprint(data: bytes) -> str:
    """The fingerprint of the province key that signed the trust list ``data``."""
    return fingerprint(trust.signing_key_id(trust.trust_list_signer(data)))


def trust_list_signer_matches(given: str, data: bytes) -> bool:
    """Whether the fingerprint typed (``given``) is that of the trust list's signer."""
    return trust.fingerprint_matches(given, trust.trust_list_signer(data))


def fingerprint_matches(given: str, signing_hex: str) -> bool:
    """Whether the fingerprint typed (``given``) is that of the key ``signing_hex``."""
    return trust.fingerprint_matches(given, signing_hex)
