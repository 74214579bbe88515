"""A station's own keys: an Ed25519 signing key and an age (X25519) identity.

The private keys live in one file next to the database (never inside it, so they are never in
a database backup), sealed with a key derived from the officer's passphrase (scrypt, then
ChaCha20-Poly1305 from ``cryptography``). A second, public file lets the app show the
fingerprints for enrollment without asking for the passphrase.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pyrage
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from app.core.domain.errors import UserFacingError
from app.fileio import atomic_write_bytes
from app.i18n import _
from app.paths import keys_folder as keys_folder
from app.sync.envelope import ed25519_key_id, fingerprint, key_id, raw_public

SEALED_NAME = "station-keys.sealed"
PUBLIC_NAME = "station-keys.public.json"
AAD = b"modelward-station-keys/v1"
SCRYPT_N = 2**15
MIN_PASSPHRASE = 8
PASSPHRASE_ENV = "MODELWARD_KEY_PASSPHRASE"


@dataclass(frozen=True)
class PublicKeys:
    signing: str  # hex of the raw Ed25519 public key
    age_recipient: str  # "age1..."

    @property
    def signing_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.signing))

    @property
    def signing_id(self) -> str:
        return key_id("ed25519", bytes.fromhex(self.signing))

    @property
    def age_id(self) -> str:
        return age_key_id(self.age_recipient)

    def fingerprints(self) -> dict[str, str]:
        return {"signing": fingerprint(self.signing_id), "encryption": fingerprint(self.age_id)}


def age_key_id(recipient: str) -> str:
    return key_id("x25519-age", recipient.encode())


@dataclass(frozen=True)
class StationKeys:
    signing: Ed25519PrivateKey
    age_identity: pyrage.x25519.Identity

    @property
    def public(self) -> PublicKeys:
        return PublicKeys(
            raw_public(self.signing.public_key()).hex(), str(self.age_identity.to_public())
        )

    @property
    def signing_id(self) -> str:
        return ed25519_key_id(self.signing.public_key())


def _kdf(salt: bytes) -> Scrypt:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=8, p=1)


def _seal(keys: StationKeys, passphrase: str) -> bytes:
    secret = json.dumps(
        {
            "ed25519": keys.signing.private_bytes(
                Encoding.Raw, PrivateFormat.Raw, NoEncryption()
            ).hex(),
            "age": str(keys.age_identity),
        }
    ).encode()
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = ChaCha20Poly1305(_kdf(salt).derive(passphrase.encode())).encrypt(nonce, secret, AAD)
    document = {
        "format": "modelward.station-keys",
        "version": 1,
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": 8, "p": 1},
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "sealed": base64.b64encode(sealed).decode(),
    }
    return json.dumps(document, indent=1).encode()


def has_keys(folder: Path) -> bool:
    return (folder / SEALED_NAME).is_file()


def create_keys(folder: Path, passphrase: str) -> StationKeys:
    """Generate and store a new key pair set; refuses to overwrite existing keys."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise UserFacingError(
            _("The passphrase must have at least {n} characters.").format(n=MIN_PASSPHRASE)
        )
    if has_keys(folder):
        raise UserFacingError(
            _("This station already has keys."),
            hint=_("Replacing keys needs a new enrollment with the province."),
        )
    keys = StationKeys(Ed25519PrivateKey.generate(), pyrage.x25519.Identity.generate())
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / SEALED_NAME, _seal(keys, passphrase))
    public = {"signing": keys.public.signing, "age_recipient": keys.public.age_recipient}
    atomic_write_bytes(folder / PUBLIC_NAME, json.dumps(public, indent=1).encode())
    return keys


def _missing() -> UserFacingError:
    return UserFacingError(
        _("This station has no keys yet, or its key file is missing or damaged."),
        hint=_(
            "Create the station keys on the Sync screen (or with 'modelward keys create') and "
            "enroll them with the province again. Nothing is exported unsigned."
        ),
    )


def load_public(folder: Path) -> PublicKeys:
    try:
        document = json.loads((folder / PUBLIC_NAME).read_text(encoding="utf-8"))
        public = PublicKeys(str(document["signing"]), str(document["age_recipient"]))
        public.signing_key  # noqa: B018 - checks the key parses
        pyrage.x25519.Recipient.from_str(public.age_recipient)
        return public
    except (OSError, ValueError, KeyError, TypeError, pyrage.RecipientError) as error:
        raise _missing() from error


def unlock(folder: Path, passphrase: str) -> StationKeys:
    """The station's private keys; a wrong passphrase or a damaged file is a clear error."""
    try:
        document = json.loads((folder / SEALED_NAME).read_text(encoding="utf-8"))
        kdf = document["kdf"]
        if document.get("format") != "modelward.station-keys" or kdf["name"] != "scrypt":
            raise ValueError("unknown key file")
        salt = base64.b64decode(document["salt"])
        nonce = base64.b64decode(document["nonce"])
        sealed = base64.b64decode(document["sealed"])
        scrypt = Scrypt(salt=salt, length=32, n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"]))
        key = scrypt.derive(passphrase.encode())
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise _missing() from error
    try:
        secret = json.loads(ChaCha20Poly1305(key).decrypt(nonce, sealed, AAD))
    except InvalidTag as error:
        raise UserFacingError(
            _("The key passphrase is wrong."),
            hint=_("Type it again; it is the passphrase chosen when the keys were created."),
        ) from error
    try:
        keys = StationKeys(
            Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret["ed25519"])),
            pyrage.x25519.Identity.from_str(secret["age"]),
        )
    except (ValueError, KeyError, TypeError, pyrage.IdentityError) as error:
        raise _missing() from error
    public = load_public(folder)
    if public != keys.public:
        raise _missing()
    return keys
