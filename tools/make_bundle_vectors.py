"""Regenerate the sync test vectors in tests/data/bundles/ (docs/bundle-format.md §10).

    .venv/bin/python tools/make_bundle_vectors.py

Every key is derived from a fixed seed (TEST KEYS: published, never for real use), so the keys,
the trust list, the enrollment request, the receipt and every signed payload come out byte for
byte the same on each run. age encryption is randomised, so the ``.wsb`` files (and their
``ciphertext_len``/``ciphertext_sha256`` in vectors.json) change on every run: the vectors are
generated once and committed; re-run this only when the format changes on purpose, and commit
the new files together with the code and the doc.

The valid bundle is made with ``app.sync.bundle.seal``. The invalid ones that need a bundle
whose inside disagrees with its outside are assembled here from the written spec
(``_assemble``), independently of ``seal``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import struct
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyrage  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

from app.core.services.sync import rows as changes  # noqa: E402
from app.sync import bundle as fmt  # noqa: E402
from app.sync import trust  # noqa: E402
from app.sync.envelope import (  # noqa: E402
    BUNDLE_MANIFEST,
    BUNDLE_OUTER,
    canonical,
    ed25519_key_id,
    fingerprint,
    raw_public,
    sign,
)
from app.sync.keys import PublicKeys, age_key_id  # noqa: E402

OUT = ROOT / "tests" / "data" / "bundles"

PROVINCE_ID = "40"
STATION_ID = "16681"
STATION_NAME = "Công an phường Thử Nghiệm"
INSTANCE_ID = "5f0c2d8e-7a41-4c3b-9e1f-0a2b3c4d5e6f"
BUNDLE_ID = "0b6f1c3e-5a7d-4e2b-9c1a-2f3d4e5f6a7b"
CREATED_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SEQ = 4
PREV_MANIFEST_SHA256 = hashlib.sha256(b"modelward test vector: manifest of seq 3").hexdigest()

# -- keys ------------------------------------------------------------------------------------

ROLES = {
    "ward_signing": "Ed25519 signing key of ward station 16681",
    "ward_age": "age X25519 identity of ward station 16681 (self-recipient)",
    "province_signing": "Ed25519 key of province 40: signs the trust list and receipts",
    "province_age": "age X25519 identity of province 40: decrypts bundles",
    "outsider_signing": "Ed25519 key nobody enrolled (forged bundles)",
    "outsider_age": "age X25519 identity of another province (misaddressed bundles)",
}

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def seed(role: str) -> bytes:
    return hashlib.sha256(b"modelward test vector key: " + role.encode()).digest()


def _polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, g in enumerate(generator):
            check ^= g if (top >> i) & 1 else 0
    return check


def bech32(hrp: str, data: bytes) -> str:
    """BIP-173 bech32 (what age uses for its keys; age ignores the 90-character limit)."""
    accumulator = bits = 0
    words: list[int] = []
    for byte in data:
        accumulator = (accumulator << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            words.append((accumulator >> bits) & 31)
    if bits:
        words.append((accumulator << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = _polymod(expanded + words + [0] * 6) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[w] for w in words + checksum)


def age_identity(role: str) -> pyrage.x25519.Identity:
    """An age identity whose X25519 secret is the role's seed (pyrage has no from-bytes)."""
    text = bech32("age-secret-key-", seed(role)).upper()
    identity = pyrage.x25519.Identity.from_str(text)
    # cross-check against an independent X25519 implementation
    raw = X25519PrivateKey.from_private_bytes(seed(role)).public_key()
    expected = bech32("age", raw.public_bytes(Encoding.Raw, PublicFormat.Raw))
    assert str(identity.to_public()) == expected, (role, identity.to_public(), expected)
    return identity


def signing_key(role: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed(role))


def keys_document() -> dict[str, Any]:
    document: dict[str, Any] = {
        "warning": "TEST KEYS derived from published seeds: never use them for real data.",
        "seeds": "SHA-256('modelward test vector key: ' + role); see tools/make_bundle_vectors.py",
    }
    for role, description in ROLES.items():
        if role.endswith("_signing"):
            key = signing_key(role)
            public = raw_public(key.public_key()).hex()
            document[role] = {
                "description": description,
                "algorithm": "ed25519",
                "seed_hex": seed(role).hex(),
                "public_hex": public,
                "key_id": ed25519_key_id(key.public_key()),
                "fingerprint": fingerprint(ed25519_key_id(key.public_key())),
            }
        else:
            identity = age_identity(role)
            recipient = str(identity.to_public())
            document[role] = {
                "description": description,
                "algorithm": "x25519-age",
                "seed_hex": seed(role).hex(),
                "identity": str(identity),
                "recipient": recipient,
                "key_id": age_key_id(recipient),
                "fingerprint": fingerprint(age_key_id(recipient)),
            }
    return document


# -- the valid bundle --------------------------------------------------------------------------


def change_rows() -> list[dict[str, Any]]:
    """Two outreach sessions (one deleted) and one monthly indicator value."""
    common = {
        "created_by": "Nguyễn Văn An",
        "updated_by": "Nguyễn Văn An",
    }
    rows = [
        {
            "table": "outreach_sessions",
            "record_id": "3c1d7a52-98b4-4f0e-a6c2-1b2d3e4f5a60",
            "origin_counter": 1207,
            "op": "upsert",
            "data": {
                "held_on": "2026-11-02",
                "topic": "pccc_cnch",
                "place": "Nhà văn hoá khối 3",
                "audience": "Nhân dân khối 3",
                "attendance": 85,
                "presenter": "Lê Văn Hùng",
                "notes": None,
                "created_at": "2026-11-02T09:15:00+00:00",
                "updated_at": "2026-11-02T09:15:00+00:00",
                **common,
                "deleted_at": None,
            },
        },
        {
            "table": "outreach_sessions",
            "record_id": "8e2f4b61-0c3a-4d5e-8f70-9a1b2c3d4e5f",
            "origin_counter": 1288,
            "op": "tombstone",
            "data": {
                "held_on": "2026-10-28",
                "topic": "drugs",
                "place": "Trường THCS Hưng Dũng",
                "audience": "Học sinh khối 9",
                "attendance": 120,
                "presenter": None,
                "notes": "Nhập trùng",
                "created_at": "2026-10-28T14:00:00+00:00",
                "updated_at": "2026-11-20T07:30:00+00:00",
                **common,
                "deleted_at": "2026-11-20T07:30:00+00:00",
            },
        },
        {
            "table": "indicator_values",
            "record_id": "d4c3b2a1-6f5e-4d3c-8b2a-1f0e9d8c7b6a",
            "origin_counter": 1350,
            "op": "upsert",
            "data": {
                "indicator_code": "A01",
                "year": 2026,
                "month": 11,
                "value": 3.0,
                "comment": None,
                "created_at": "2026-11-22T10:00:00+00:00",
                "updated_at": "2026-11-22T10:00:00+00:00",
                **common,
                "deleted_at": None,
            },
        },
    ]
    # they must be rows the province accepts
    assert len(changes.parse_records(changes.encode(rows), 1350)) == len(rows)
    return rows


def manifest(keys: dict[str, Any]) -> dict[str, Any]:
    """Everything but ``sections``, which ``seal`` adds."""
    return {
        "format": "modelward.bundle",
        "format_version": 1,  # the vectors are version-1 bundles (no audit section)
        "bundle_id": BUNDLE_ID,
        "station_id": STATION_ID,
        "station_name": STATION_NAME,
        "station_instance_id": INSTANCE_ID,
        "province_id": PROVINCE_ID,
        "sender_key_id": keys["ward_signing"]["key_id"],
        "recipient_key_ids": [keys["province_age"]["key_id"], keys["ward_age"]["key_id"]],
        "trust_list_version": 3,
        "seq": SEQ,
        "prev_manifest_sha256": PREV_MANIFEST_SHA256,
        "void_seqs": [2],
        "change_range": {"instance_id": INSTANCE_ID, "from_counter": 1201, "to_counter": 1350},
        "acked_through": {"seq": 1, "counter": 1200},
        "schema_version": "0003",
        "app_version": "0.1.0",
        "counts": {
            "records": 3,
            "tombstones": 1,
            "by_table": {"outreach_sessions": 2, "indicator_values": 1},
        },
        "created_at": CREATED_AT.isoformat(),
    }


# -- hand-assembled bundles (independent of seal) ---------------------------------------------


def _section(name: bytes, body: bytes) -> bytes:
    return bytes([len(name)]) + name + len(body).to_bytes(8, "big") + body


def _assemble(
    inner_manifest: dict[str, Any],
    records: bytes,
    manifest_signer: Ed25519PrivateKey,
    outer_signer: Ed25519PrivateKey,
    recipients: list[pyrage.x25519.Recipient],
    outer_overrides: dict[str, Any] | None = None,
) -> bytes:
    manifest_envelope = sign(BUNDLE_MANIFEST, canonical(inner_manifest), manifest_signer)
    plaintext = (
        b"MODELWARD-WSI/1\n"
        + _section(b"manifest", manifest_envelope)
        + _section(b"records", records)
    )
    ciphertext = pyrage.encrypt(plaintext, recipients)
    return _outer(inner_manifest, ciphertext, outer_signer, outer_overrides or {})


def _outer(
    source: dict[str, Any],
    ciphertext: bytes,
    signer: Ed25519PrivateKey,
    overrides: dict[str, Any],
) -> bytes:
    header = {
        "format": "modelward.bundle",
        "format_version": 1,
        "bundle_id": source["bundle_id"],
        "station_id": source["station_id"],
        "seq": source["seq"],
        "sender_key_id": ed25519_key_id(signer.public_key()),
        "recipient_key_ids": source["recipient_key_ids"],
        "ciphertext_len": len(ciphertext),
        "ciphertext_sha256": hashlib.sha256(ciphertext).hexdigest(),
        "created_at": source["created_at"],
        **overrides,
    }
    envelope = sign(BUNDLE_OUTER, canonical(header), signer)
    return b"MODELWARD-WSB/1\n" + struct.pack(">I", len(envelope)) + envelope + ciphertext


def split(data: bytes) -> tuple[bytes, bytes]:
    """(outer envelope, age ciphertext) of a well-formed bundle."""
    start = len(fmt.MAGIC)
    (length,) = struct.unpack(">I", data[start : start + 4])
    return data[start + 4 : start + 4 + length], data[start + 4 + length :]


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def invalid_bundles(
    valid: bytes, base: dict[str, Any], records: bytes, keys: dict[str, Any]
) -> list[tuple[str, str, str, str | None, str, bytes]]:
    """(file name, function that must reject it, the check that fails, the exception class
    chained as the BundleError's cause or None, description, bytes)."""
    ward = signing_key("ward_signing")
    outsider = signing_key("outsider_signing")
    to_province = [
        age_identity("province_age").to_public(),
        age_identity("ward_age").to_public(),
    ]
    envelope, ciphertext = split(valid)
    prefix_len = len(fmt.MAGIC) + 4 + len(envelope)
    sealed_manifest = {
        **base,
        "sections": [
            {
                "name": "records",
                "length": len(records),
                "sha256": hashlib.sha256(records).hexdigest(),
            }
        ],
    }

    outer_doc = json.loads(envelope)
    signature = bytearray(base64.b64decode(outer_doc["signatures"][0]["sig"]))
    signature[10] ^= 0x01
    outer_doc["signatures"][0]["sig"] = base64.b64encode(bytes(signature)).decode()
    broken_envelope = json.dumps(outer_doc, separators=(",", ":")).encode()
    assert len(broken_envelope) == len(envelope)

    flipped_ciphertext = _flip(ciphertext, len(ciphertext) // 2)
    unknown = _assemble(
        {**sealed_manifest, "sender_key_id": keys["outsider_signing"]["key_id"]},
        records,
        outsider,
        outsider,
        to_province,
    )
    elsewhere = {
        **sealed_manifest,
        "recipient_key_ids": [keys["outsider_age"]["key_id"]],
    }
    return [
        (
            "invalid-magic-vnps.wsb",
            "read_outer",
            "magic",
            None,
            "The valid bundle with the magic of signing-sync.md §2.2 ('VNPS-WSB/1\\n') instead of "
            "'MODELWARD-WSB/1\\n'.",
            b"VNPS-WSB/1\n" + valid[len(fmt.MAGIC) :],
        ),
        (
            "invalid-truncated-header.wsb",
            "read_outer",
            "outer length",
            None,
            "The valid bundle cut in the middle of the outer envelope.",
            valid[: len(fmt.MAGIC) + 4 + len(envelope) // 2],
        ),
        (
            "invalid-truncated.wsb",
            "read_outer",
            "ciphertext_len",
            None,
            "The valid bundle with its last 100 bytes missing (ciphertext_len does not match).",
            valid[:-100],
        ),
        (
            "invalid-ciphertext-flipped.wsb",
            "read_outer",
            "ciphertext_sha256",
            None,
            "One bit flipped in the middle of the age ciphertext (ciphertext_sha256 does not "
            "match).",
            valid[:prefix_len] + flipped_ciphertext,
        ),
        (
            "invalid-ciphertext-flipped-resigned.wsb",
            "open_inner",
            "age decryption",
            "DecryptError",
            "The same flipped ciphertext, with an outer header re-signed by the ward's own key "
            "over the new length and hash: it passes read_outer, and age authentication rejects "
            "it.",
            _outer(sealed_manifest, flipped_ciphertext, ward, {}),
        ),
        (
            "invalid-outer-signature.wsb",
            "read_outer",
            "outer signature",
            "SignedMessageError",
            "One bit flipped in the outer envelope's Ed25519 signature (re-encoded in base64, "
            "same length).",
            fmt.MAGIC + struct.pack(">I", len(envelope)) + broken_envelope + ciphertext,
        ),
        (
            "invalid-unknown-signer.wsb",
            "read_outer",
            "outer signature",
            "SignedMessageError",
            "A well-formed bundle for station 16681 signed (outside and inside) by a key that "
            "was never enrolled.",
            unknown,
        ),
        (
            "invalid-wrong-recipient.wsb",
            "open_inner",
            "age decryption",
            "DecryptError",
            "A genuine bundle of the ward encrypted only to another province's age key: the "
            "signature verifies, the province's identity cannot decrypt it.",
            _assemble(elsewhere, records, ward, ward, [age_identity("outsider_age").to_public()]),
        ),
        (
            "invalid-manifest-seq-mismatch.wsb",
            "open_inner",
            "header and manifest agree",
            None,
            "Outer header says seq 4, the signed manifest inside says seq 5.",
            _assemble(
                {**sealed_manifest, "seq": SEQ + 1},
                records,
                ward,
                ward,
                to_province,
                {"seq": SEQ},
            ),
        ),
        (
            "invalid-manifest-other-signer.wsb",
            "open_inner",
            "manifest signature",
            "SignedMessageError",
            "Outer header signed by the ward; the inner manifest signed by another key.",
            _assemble(sealed_manifest, records, outsider, ward, to_province),
        ),
        (
            "invalid-records-swapped.wsb",
            "open_inner",
            "records length and sha256",
            None,
            "The records section differs from the length and SHA-256 the signed manifest lists.",
            _assemble(
                sealed_manifest,
                records.replace(b'"attendance":85', b'"attendance":95'),
                ward,
                ward,
                to_province,
            ),
        ),
    ]


# -- the small signed messages -----------------------------------------------------------------


def messages(keys: dict[str, Any], manifest_sha256: str) -> list[dict[str, Any]]:
    ward = signing_key("ward_signing")
    province = signing_key("province_signing")
    ward_public = PublicKeys(keys["ward_signing"]["public_hex"], keys["ward_age"]["recipient"])
    enrollment = trust.make_enrollment(
        ward,
        ward_public,
        {
            "station_id": STATION_ID,
            "station_name": STATION_NAME,
            "province_id": PROVINCE_ID,
            "instance_id": INSTANCE_ID,
        },
        datetime(2026, 11, 10, 9, 0, tzinfo=UTC),
    )
    issued = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    trust_doc = trust.TrustListDoc(
        province_id=PROVINCE_ID,
        province_name="Công an tỉnh Nghệ An",
        version=3,
        issued_at=issued,
        expires=issued + timedelta(days=180),
        signer_key=keys["province_signing"]["public_hex"],
        stations=(
            trust.TrustedStation(
                STATION_ID,
                STATION_NAME,
                keys["ward_signing"]["public_hex"],
                keys["ward_age"]["recipient"],
                "active",
                None,
            ),
            trust.TrustedStation(
                "16699",
                "Công an phường Thu Hồi",
                keys["outsider_signing"]["public_hex"],
                keys["outsider_age"]["recipient"],
                "revoked",
                7,
            ),
        ),
        recipients=(keys["province_age"]["recipient"],),
        receipt_keys=(keys["province_signing"]["public_hex"],),
    )
    receipt = trust.Receipt(
        station_id=STATION_ID,
        bundle_id=BUNDLE_ID,
        seq=SEQ,
        manifest_sha256=manifest_sha256,
        status="accepted",
        comments="",
        instance_id=INSTANCE_ID,
        applied_through=1350,
        missing_seqs=(3,),
        province_id=PROVINCE_ID,
        issued_at=datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
    )
    made = [
        ("enrollment-16681.mwe", "enrollment", enrollment, "ward_signing"),
        (
            "trust-list-v3.mwt",
            "trust_list",
            trust.make_trust_list(trust_doc, province),
            "province_signing",
        ),
        (
            trust.receipt_name(STATION_ID, SEQ, BUNDLE_ID),
            "receipt",
            trust.make_receipt(receipt, province),
            "province_signing",
        ),
    ]
    described = []
    for name, kind, data, signer in made:
        (OUT / name).write_bytes(data)
        body = data[data.index(b"\n") + 1 :]
        payload = base64.b64decode(json.loads(body)["payload"])
        described.append(
            {
                "file": name,
                "kind": kind,
                "magic": data[: data.index(b"\n") + 1].decode(),
                "signed_by": signer,
                "payload_sha256": hashlib.sha256(payload).hexdigest(),
                "payload": json.loads(payload),
                "expect": "valid",
            }
        )
    return described


# -- main --------------------------------------------------------------------------------------


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    keys = keys_document()
    (OUT / "keys.json").write_text(
        json.dumps(keys, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (OUT / "province-age-identity.txt").write_text(
        "# TEST KEY (tests/data/bundles/keys.json province_age): never for real data\n"
        + keys["province_age"]["identity"]
        + "\n",
        encoding="ascii",
    )

    rows = change_rows()
    records = changes.encode(rows)
    base = manifest(keys)
    recipients = [
        pyrage.x25519.Recipient.from_str(keys["province_age"]["recipient"]),
        pyrage.x25519.Recipient.from_str(keys["ward_age"]["recipient"]),
    ]
    valid, manifest_sha256 = fmt.seal(base, records, signing_key("ward_signing"), recipients)
    (OUT / "valid.wsb").write_bytes(valid)
    envelope, ciphertext = split(valid)
    outer_header = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
    sealed = {
        **base,
        "sections": [
            {
                "name": "records",
                "length": len(records),
                "sha256": hashlib.sha256(records).hexdigest(),
            }
        ],
    }
    assert hashlib.sha256(canonical(sealed)).hexdigest() == manifest_sha256

    invalid = []
    for name, stage, check, cause, description, data in invalid_bundles(valid, base, records, keys):
        (OUT / name).write_bytes(data)
        invalid.append(
            {
                "file": name,
                "expect": "BundleError",
                "stage": stage,
                "check": check,
                "cause": cause,
                "description": description,
            }
        )

    vectors = {
        "about": (
            "Test vectors for docs/bundle-format.md, made by tools/make_bundle_vectors.py. "
            "Keys: keys.json (TEST KEYS). Checked by tests/sync/test_vectors.py."
        ),
        "keys": "keys.json",
        "valid_bundle": {
            "file": "valid.wsb",
            "expect": "valid",
            "signed_by": "ward_signing",
            "decrypt_with": ["province_age", "ward_age"],
            "magic": fmt.MAGIC.decode(),
            "outer_envelope_length": len(envelope),
            "ciphertext_offset": len(fmt.MAGIC) + 4 + len(envelope),
            "outer_header": outer_header,
            "manifest": sealed,
            "manifest_sha256": manifest_sha256,
            "records_sha256": hashlib.sha256(records).hexdigest(),
            "records": rows,
            "ciphertext_sha256": hashlib.sha256(ciphertext).hexdigest(),
        },
        "invalid_bundles": invalid,
        "messages": messages(keys, manifest_sha256),
    }
    (OUT / "vectors.json").write_text(
        json.dumps(vectors, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(list(OUT.iterdir()))} files to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
