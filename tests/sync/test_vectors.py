"""The committed test vectors of docs/bundle-format.md (tests/data/bundles/).

They pin the file format: if the code stops reading these files, or reads different values
out of them, the format changed and the doc, the vectors (tools/make_bundle_vectors.py) and
the format version must change with it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import struct
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.core.services.sync import rows as changes
from app.sync import bundle as fmt
from app.sync import trust
from app.sync.envelope import (
    BUNDLE_MANIFEST,
    BUNDLE_OUTER,
    ENROLLMENT,
    RECEIPT,
    TRUST_LIST,
    SignedMessageError,
    canonical,
    ed25519_key_id,
    fingerprint,
    pae,
    raw_public,
    sign,
)
from app.sync.keys import age_key_id

FOLDER = Path(__file__).resolve().parent.parent / "data" / "bundles"
VECTORS: dict[str, Any] = json.loads((FOLDER / "vectors.json").read_text(encoding="utf-8"))
KEYS: dict[str, Any] = json.loads((FOLDER / "keys.json").read_text(encoding="utf-8"))
VALID = VECTORS["valid_bundle"]

# the values docs/bundle-format.md documents for the valid vector
DOCUMENTED_MANIFEST = {
    "format": "modelward.bundle",
    "format_version": 1,
    "bundle_id": "0b6f1c3e-5a7d-4e2b-9c1a-2f3d4e5f6a7b",
    "station_id": "16681",
    "station_name": "Công an phường Thử Nghiệm",
    "station_instance_id": "5f0c2d8e-7a41-4c3b-9e1f-0a2b3c4d5e6f",
    "province_id": "40",
    "trust_list_version": 3,
    "seq": 4,
    "void_seqs": [2],
    "change_range": {
        "instance_id": "5f0c2d8e-7a41-4c3b-9e1f-0a2b3c4d5e6f",
        "from_counter": 1201,
        "to_counter": 1350,
    },
    "acked_through": {"seq": 1, "counter": 1200},
    "schema_version": "0003",
    "app_version": "0.1.0",
    "counts": {
        "records": 3,
        "tombstones": 1,
        "by_table": {"outreach_sessions": 2, "indicator_values": 1},
    },
    "created_at": "2026-11-23T08:00:00+00:00",
}


def ed25519(role: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(KEYS[role]["seed_hex"]))


def public(role: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(KEYS[role]["public_hex"]))


def identity(role: str) -> pyrage.x25519.Identity:
    return pyrage.x25519.Identity.from_str(KEYS[role]["identity"])


def ward_only(station_id: str) -> Sequence[Ed25519PublicKey]:
    """What the province's trust lookup gives: the enrolled key of station 16681 only."""
    if station_id != "16681":
        raise fmt.BundleError("station not enrolled")
    return [public("ward_signing")]


def read(name: str) -> bytes:
    return (FOLDER / name).read_bytes()


def parts(data: bytes) -> tuple[bytes, bytes]:
    """(outer envelope, age ciphertext): after MAGIC and the u32be length."""
    assert data.startswith(fmt.MAGIC)
    (length,) = struct.unpack(">I", data[len(fmt.MAGIC) : len(fmt.MAGIC) + 4])
    start = len(fmt.MAGIC) + 4
    return data[start : start + length], data[start + length :]


# -- keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in KEYS if r.endswith("_signing")])
def test_signing_keys_derive_from_their_seeds(role: str) -> None:
    key = ed25519(role)
    assert raw_public(key.public_key()).hex() == KEYS[role]["public_hex"]
    assert ed25519_key_id(key.public_key()) == KEYS[role]["key_id"]
    assert len(KEYS[role]["key_id"]) == 32
    assert fingerprint(KEYS[role]["key_id"]).replace(" ", "") == KEYS[role]["key_id"].upper()
    assert (
        KEYS[role]["key_id"]
        == hashlib.sha256(
            b"modelward-key/v1\0ed25519\0" + bytes.fromhex(KEYS[role]["public_hex"])
        ).hexdigest()[:32]
    )


@pytest.mark.parametrize("role", [r for r in KEYS if r.endswith("_age")])
def test_age_identities_match_their_recipients(role: str) -> None:
    recipient = str(identity(role).to_public())
    assert recipient == KEYS[role]["recipient"]
    assert age_key_id(recipient) == KEYS[role]["key_id"]
    assert (
        KEYS[role]["key_id"]
        == hashlib.sha256(b"modelward-key/v1\0x25519-age\0" + recipient.encode()).hexdigest()[:32]
    )


def test_identity_file_for_the_age_tool_is_the_province_key() -> None:
    lines = (FOLDER / "province-age-identity.txt").read_text(encoding="ascii").splitlines()
    assert [line for line in lines if not line.startswith("#")] == [
        KEYS["province_age"]["identity"]
    ]


# -- the valid bundle ---------------------------------------------------------------------------


def test_valid_bundle_layout() -> None:
    data = read(VALID["file"])
    assert data[:16] == b"MODELWARD-WSB/1\n" == fmt.MAGIC
    envelope, ciphertext = parts(data)
    assert len(envelope) == VALID["outer_envelope_length"] <= fmt.MAX_OUTER
    assert len(fmt.MAGIC) + 4 + len(envelope) == VALID["ciphertext_offset"]
    document = json.loads(envelope)
    assert set(document) == {"payloadType", "payload", "signatures"}
    assert document["payloadType"] == BUNDLE_OUTER
    assert BUNDLE_OUTER == "application/vnd.modelward.bundle-outer.v1+json"
    assert [s["keyid"] for s in document["signatures"]] == [KEYS["ward_signing"]["key_id"]]
    payload = base64.b64decode(document["payload"])
    # the outer header is canonical JSON, signed over PAE
    assert canonical(json.loads(payload)) == payload
    public("ward_signing").verify(
        base64.b64decode(document["signatures"][0]["sig"]), pae(BUNDLE_OUTER, payload)
    )
    assert ciphertext.startswith(b"age-encryption.org/v1\n")
    assert hashlib.sha256(ciphertext).hexdigest() == VALID["ciphertext_sha256"]


def test_valid_bundle_outer_header() -> None:
    outer, header = fmt.read_outer(read(VALID["file"]), ward_only)
    assert header == VALID["outer_header"]
    assert set(header) == fmt.OUTER_FIELDS
    assert outer.bundle_id == DOCUMENTED_MANIFEST["bundle_id"]
    assert outer.station_id == "16681"
    assert outer.seq == 4
    assert outer.sender_key_id == KEYS["ward_signing"]["key_id"]
    assert outer.recipient_key_ids == (
        KEYS["province_age"]["key_id"],
        KEYS["ward_age"]["key_id"],
    )
    assert len(outer.ciphertext) == header["ciphertext_len"]
    assert raw_public(outer.sender).hex() == KEYS["ward_signing"]["public_hex"]


@pytest.mark.parametrize("role", ["province_age", "ward_age"])
def test_valid_bundle_opens_and_its_manifest_is_as_documented(role: str) -> None:
    outer, _header = fmt.read_outer(read(VALID["file"]), ward_only)
    inner = fmt.open_inner(outer, [identity(role)])
    manifest = inner.manifest
    assert manifest == VALID["manifest"]
    assert set(manifest) == fmt.MANIFEST_FIELDS
    for name, value in DOCUMENTED_MANIFEST.items():
        assert manifest[name] == value, name
    assert manifest["sender_key_id"] == KEYS["ward_signing"]["key_id"]
    assert manifest["recipient_key_ids"] == [
        KEYS["province_age"]["key_id"],
        KEYS["ward_age"]["key_id"],
    ]
    assert (
        manifest["prev_manifest_sha256"]
        == hashlib.sha256(b"modelward test vector: manifest of seq 3").hexdigest()
    )
    assert manifest["sections"] == [
        {
            "name": "records",
            "length": len(inner.records),
            "sha256": hashlib.sha256(inner.records).hexdigest(),
        }
    ]
    assert inner.manifest_sha256 == VALID["manifest_sha256"]
    assert hashlib.sha256(canonical(manifest)).hexdigest() == inner.manifest_sha256


def test_valid_bundle_plaintext_follows_the_section_encoding() -> None:
    """Parse the inner container by hand, as the doc describes it."""
    _envelope, ciphertext = parts(read(VALID["file"]))
    plaintext = pyrage.decrypt(ciphertext, [identity("province_age")])
    assert plaintext.startswith(b"MODELWARD-WSI/1\n")
    position = len(b"MODELWARD-WSI/1\n")
    sections = []
    while position < len(plaintext):
        name_length = plaintext[position]
        name = plaintext[position + 1 : position + 1 + name_length]
        (length,) = struct.unpack(">Q", plaintext[position + 1 + name_length :][:8])
        start = position + 1 + name_length + 8
        sections.append((name, plaintext[start : start + length]))
        position = start + length
    assert position == len(plaintext)
    assert [name for name, _body in sections] == [b"manifest", b"records"]
    envelope = json.loads(sections[0][1])
    assert envelope["payloadType"] == BUNDLE_MANIFEST
    assert BUNDLE_MANIFEST == "application/vnd.modelward.bundle-manifest.v1+json"
    payload = base64.b64decode(envelope["payload"])
    assert hashlib.sha256(payload).hexdigest() == VALID["manifest_sha256"]
    # the same key signs inside and outside; Ed25519 is deterministic, so re-signing the
    # payload gives the very bytes in the file
    assert sign(BUNDLE_MANIFEST, payload, ed25519("ward_signing")) == sections[0][1]
    assert sections[1][1] == changes.encode(VALID["records"])
    assert hashlib.sha256(sections[1][1]).hexdigest() == VALID["records_sha256"]


def test_valid_bundle_records_parse() -> None:
    outer, _header = fmt.read_outer(read(VALID["file"]), ward_only)
    inner = fmt.open_inner(outer, [identity("province_age")])
    assert inner.records.endswith(b"\n") and inner.records.count(b"\n") == 3
    rows = [json.loads(line) for line in inner.records.splitlines()]
    assert rows == VALID["records"]
    parsed = changes.parse_records(inner.records, inner.manifest["change_range"]["to_counter"])
    assert [(c.table, c.record_id, c.counter, c.deleted) for c in parsed] == [
        ("outreach_sessions", "3c1d7a52-98b4-4f0e-a6c2-1b2d3e4f5a60", 1207, False),
        ("outreach_sessions", "8e2f4b61-0c3a-4d5e-8f70-9a1b2c3d4e5f", 1288, True),
        ("indicator_values", "d4c3b2a1-6f5e-4d3c-8b2a-1f0e9d8c7b6a", 1350, False),
    ]
    assert parsed[0].data["attendance"] == 85
    assert parsed[0].data["topic"] == "pccc_cnch"
    assert parsed[2].data["value"] == 3.0
    counts = inner.manifest["counts"]
    assert counts["records"] == len(parsed)
    assert counts["tombstones"] == sum(c.deleted for c in parsed)
    # a lower to_counter than the rows' versions is refused
    with pytest.raises(changes.ChangeError):
        changes.parse_records(inner.records, 1300)


def test_valid_bundle_is_refused_for_an_unknown_station_key() -> None:
    with pytest.raises(fmt.BundleError):
        fmt.read_outer(read(VALID["file"]), lambda _station: [public("outsider_signing")])


def test_valid_bundle_is_not_for_another_province() -> None:
    outer, _header = fmt.read_outer(read(VALID["file"]), ward_only)
    assert KEYS["outsider_age"]["key_id"] not in outer.recipient_key_ids
    with pytest.raises(fmt.BundleError):
        fmt.open_inner(outer, [identity("outsider_age")])


# -- the invalid bundles ------------------------------------------------------------------------


def test_every_bundle_in_the_folder_is_described() -> None:
    described = {VALID["file"]} | {v["file"] for v in VECTORS["invalid_bundles"]}
    assert {p.name for p in FOLDER.glob("*.wsb")} == described
    assert len(VECTORS["invalid_bundles"]) >= 3


@pytest.mark.parametrize(
    "vector", VECTORS["invalid_bundles"], ids=[v["file"] for v in VECTORS["invalid_bundles"]]
)
def test_invalid_bundle_is_rejected(vector: dict[str, Any]) -> None:
    data = read(vector["file"])
    assert vector["expect"] == "BundleError"
    if vector["stage"] == "read_outer":
        with pytest.raises(fmt.BundleError) as caught:
            fmt.read_outer(data, ward_only)
    else:
        assert vector["stage"] == "open_inner"
        # the outside is genuine: only opening it shows the problem
        outer, _header = fmt.read_outer(data, ward_only)
        with pytest.raises(fmt.BundleError) as caught:
            fmt.open_inner(outer, [identity("province_age"), identity("ward_age")])
    assert str(caught.value)
    # the check that failed shows in the chained cause (age, a signature, or none)
    cause = caught.value.__cause__
    assert (type(cause).__name__ if cause is not None else None) == vector["cause"]


def test_flipped_ciphertext_differs_from_the_valid_one_in_one_bit() -> None:
    _e, good = parts(read(VALID["file"]))
    _e, bad = parts(read("invalid-ciphertext-flipped.wsb"))
    assert len(good) == len(bad)
    differences = [(a ^ b) for a, b in zip(good, bad, strict=True) if a != b]
    assert differences == [1]


# -- trust list, enrollment request, receipt ----------------------------------------------------


def message(kind: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [m for m in VECTORS["messages"] if m["kind"] == kind]
    (found,) = matches
    return found


@pytest.mark.parametrize(
    ("kind", "magic", "payload_type"),
    [
        ("enrollment", b"MODELWARD-ENROLL/1\n", ENROLLMENT),
        ("trust_list", b"MODELWARD-TRUST/1\n", TRUST_LIST),
        ("receipt", b"MODELWARD-WSR/1\n", RECEIPT),
    ],
)
def test_message_encoding(kind: str, magic: bytes, payload_type: str) -> None:
    vector = message(kind)
    data = read(vector["file"])
    assert data.startswith(magic) and vector["magic"] == magic.decode()
    envelope = json.loads(data[len(magic) :])
    assert envelope["payloadType"] == payload_type
    payload = base64.b64decode(envelope["payload"])
    assert json.loads(payload) == vector["payload"]
    assert canonical(vector["payload"]) == payload
    assert hashlib.sha256(payload).hexdigest() == vector["payload_sha256"]
    signer = ed25519(vector["signed_by"])
    assert sign(payload_type, payload, signer) == data[len(magic) :]


def test_enrollment_request_verifies() -> None:
    request = trust.read_enrollment(read(message("enrollment")["file"]))
    assert request.station_id == "16681"
    assert request.station_name == "Công an phường Thử Nghiệm"
    assert request.province_id == "40"
    assert request.instance_id == "5f0c2d8e-7a41-4c3b-9e1f-0a2b3c4d5e6f"
    assert request.keys.signing == KEYS["ward_signing"]["public_hex"]
    assert request.keys.age_recipient == KEYS["ward_age"]["recipient"]
    assert fingerprint(request.keys.signing_id) == KEYS["ward_signing"]["fingerprint"]
    assert request.created_at.isoformat() == "2026-11-10T09:00:00+00:00"


def test_enrollment_request_with_a_changed_payload_is_refused() -> None:
    data = read(message("enrollment")["file"])
    magic = b"MODELWARD-ENROLL/1\n"
    envelope = json.loads(data[len(magic) :])
    payload = json.loads(base64.b64decode(envelope["payload"]))
    payload["station_id"] = "16682"
    envelope["payload"] = base64.b64encode(canonical(payload)).decode()
    with pytest.raises(SignedMessageError):
        trust.read_enrollment(magic + json.dumps(envelope).encode())


def test_trust_list_verifies_against_the_pinned_province_key() -> None:
    data = read(message("trust_list")["file"])
    anchor = KEYS["province_signing"]["public_hex"]
    assert trust.trust_list_signer(data) == anchor
    assert fingerprint(trust.signing_key_id(anchor)) == KEYS["province_signing"]["fingerprint"]
    doc = trust.read_trust_list(data, anchor)
    assert (doc.province_id, doc.version) == ("40", 3)
    assert doc.province_name == "Công an tỉnh Nghệ An"
    assert doc.issued_at.isoformat() == "2026-11-20T07:00:00+00:00"
    assert doc.expires.isoformat() == "2027-05-19T07:00:00+00:00"
    assert doc.recipients == (KEYS["province_age"]["recipient"],)
    assert doc.recipient_ids == [KEYS["province_age"]["key_id"]]
    assert doc.receipt_keys == (anchor,)
    ward = doc.station("16681")
    assert ward is not None and ward.status == "active" and ward.last_trusted_seq is None
    assert ward.signing_key == KEYS["ward_signing"]["public_hex"]
    revoked = doc.station("16699")
    assert revoked is not None and (revoked.status, revoked.last_trusted_seq) == ("revoked", 7)
    # any other anchor is refused
    with pytest.raises(SignedMessageError):
        trust.read_trust_list(data, KEYS["ward_signing"]["public_hex"])


def test_receipt_verifies_and_names_the_valid_bundle() -> None:
    data = read(message("receipt")["file"])
    assert message("receipt")["file"] == trust.receipt_name(
        "16681", 4, VALID["outer_header"]["bundle_id"]
    )
    receipt = trust.read_receipt(data, [KEYS["province_signing"]["public_hex"]])
    assert receipt.station_id == "16681"
    assert receipt.bundle_id == VALID["manifest"]["bundle_id"]
    assert receipt.seq == 4
    assert receipt.manifest_sha256 == VALID["manifest_sha256"]
    assert (receipt.status, receipt.comments) == ("accepted", "")
    assert receipt.instance_id == VALID["manifest"]["station_instance_id"]
    assert receipt.applied_through == VALID["manifest"]["change_range"]["to_counter"]
    assert receipt.missing_seqs == (3,)
    assert receipt.province_id == "40"
    with pytest.raises(SignedMessageError):
        trust.read_receipt(data, [KEYS["ward_signing"]["public_hex"]])


def test_message_kinds_cannot_be_swapped() -> None:
    """A receipt's envelope is not accepted as a trust list, even from the same key."""
    receipt = read(message("receipt")["file"])
    as_trust_list = b"MODELWARD-TRUST/1\n" + receipt[len(b"MODELWARD-WSR/1\n") :]
    with pytest.raises(SignedMessageError):
        trust.read_trust_list(as_trust_list, KEYS["province_signing"]["public_hex"])


# -- interoperability with the reference age tool ----------------------------------------------


def _age() -> str:
    tool = shutil.which("age")
    if tool is None:
        pytest.skip(
            "the reference `age` command-line tool is not installed (Debian: apt install age)"
        )
    return tool


def test_reference_age_tool_decrypts_the_valid_bundle(tmp_path: Path) -> None:
    tool = _age()
    _envelope, ciphertext = parts(read(VALID["file"]))
    assert len(ciphertext) == VALID["outer_header"]["ciphertext_len"]
    key_file = tmp_path / "province.key"
    key_file.write_text(KEYS["province_age"]["identity"] + "\n", encoding="ascii")
    result = subprocess.run(
        [tool, "-d", "-i", str(key_file)], input=ciphertext, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout.startswith(b"MODELWARD-WSI/1\n")
    assert result.stdout == pyrage.decrypt(ciphertext, [identity("province_age")])
    assert changes.encode(VALID["records"]) in result.stdout


def test_reference_age_tool_refuses_the_flipped_ciphertext() -> None:
    tool = _age()
    _envelope, ciphertext = parts(read("invalid-ciphertext-flipped.wsb"))
    result = subprocess.run(
        [tool, "-d", "-i", str(FOLDER / "province-age-identity.txt")],
        input=ciphertext,
        capture_output=True,
        check=False,
    )
    assert result.returncode != 0
    assert not result.stdout.startswith(b"MODELWARD-WSI/1\n")
