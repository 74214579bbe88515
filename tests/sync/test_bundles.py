"""Bundles end to end between a real ward database and a real province database.

Case numbers refer to ../shared/reference/signing-sync.md §4. "Rejected" always means: the
report says why (in Vietnamese), and the province database file is unchanged but for the one
audit entry that records the refusal.
"""

from __future__ import annotations

import shutil
import struct
from datetime import date
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.core.domain.errors import EnvironmentProblem, UserFacingError
from app.core.services.records import RecordService
from app.core.services.sync.ward import WardSync
from app.sync import bundle as fmt
from app.sync import keys as station_keys
from app.sync import trust
from app.sync.change_rows import encode
from app.sync.envelope import RECEIPT, canonical, sign
from tests.sync.bundle_pairs import PASSPHRASE, Pair, make_pair, receipt_bytes
from tests.sync.helpers import audit_actions, db_digest, flip, province_state, ward_state

SESSION = {
    "held_on": date(2026, 11, 2),
    "topic": "pccc_cnch",
    "place": "Nhà văn hoá khối 3",
    "audience": "Nhân dân khối 3",
    "attendance": 85,
    "presenter": "Lê Văn Hùng",
}


def records(pair: Pair) -> RecordService:
    return RecordService(pair.ward_db, author="Nguyễn Văn An", today=lambda: date(2026, 11, 23))


def rejected(pair: Pair, path: Path) -> str:
    """Import ``path``; assert it was rejected and nothing changed; return the reason."""
    before = db_digest(pair.province_db, skip_audit=True)
    actions = audit_actions(pair.province_db)
    (report,) = pair.import_(path)
    assert report.outcome == "rejected", (report.outcome, report.reason)
    assert report.reason
    assert db_digest(pair.province_db, skip_audit=True) == before
    # the one change: the refusal is on the province's audit trail (issue 13, item 5)
    assert audit_actions(pair.province_db) == [*actions, "refuse"]
    return report.reason


def test_round_trip_ward_to_province_and_back(pair: Pair) -> None:
    """T01: bundle → import → receipt → baseline advanced → next bundle only newer changes."""
    first = pair.ward.export(pair.stick, pair.ward_keys)
    assert first.seq == 1 and first.records > 100 and first.from_counter == 1
    (report,) = pair.import_(first.path)
    assert report.outcome == "new", report.reason
    assert report.summary["new"] == first.records and report.summary["conflict"] == 0
    # the province now holds exactly the ward's rows
    assert ward_state(pair.province_db) == ward_state(pair.ward_db)
    overview = {o.station_id: o for o in pair.province.overview()}["16681"]
    assert overview.last_seq == 1 and overview.missing_seqs == () and overview.forks == 0
    assert (2026, 11) in overview.months
    assert overview.records == sum(
        records(pair).count(kind)
        for kind in ("sessions", "teams", "fire_points", "cameras", "models", "officers")
    )

    assert report.receipt_path is not None and report.receipt_path.parent == pair.stick
    result = pair.ward.import_receipt(receipt_bytes(report))
    assert result.changed and result.status == "accepted"
    assert pair.ward.acked_counter() == first.to_counter
    assert [row.state for row in pair.ward.outbox()] == ["acknowledged"]

    created = records(pair).create("sessions", SESSION)
    second = pair.ward.export(pair.stick, pair.ward_keys)
    assert second.seq == 2 and second.records == 1 and second.from_counter == first.to_counter + 1
    (report,) = pair.import_(second.path)
    assert report.outcome == "new" and report.summary["new"] == 1
    assert ward_state(pair.province_db) == ward_state(pair.ward_db)
    assert created.created
    assert pair.province.overview()[0].chain_breaks == ()  # seq 2 links to seq 1


def test_a_lost_stick_costs_nothing(pair: Pair) -> None:
    """Without a receipt the next bundle carries everything again (at-least-once)."""
    lost = pair.ward.export(pair.stick, pair.ward_keys)
    lost.path.unlink()
    records(pair).create("sessions", SESSION)
    again = pair.ward.export(pair.stick, pair.ward_keys)
    assert again.records == lost.records + 1 and again.from_counter == 1
    (report,) = pair.import_(again.path)
    assert report.outcome == "new"
    assert ward_state(pair.province_db) == ward_state(pair.ward_db)
    # seq 1 never arrived: shown as missing, and the receipt tells the ward
    overview = pair.province.overview()[0]
    assert overview.missing_seqs == (1,)
    receipt = pair.ward.import_receipt(receipt_bytes(report))
    assert receipt.missing_seqs == (1,)


def test_importing_the_same_bundle_again_changes_nothing(pair: Pair) -> None:
    """T27: the first import applies; the next ten are no-ops with the identical receipt."""
    path = pair.export()
    (first,) = pair.import_(path)
    receipt = receipt_bytes(first)
    before = db_digest(pair.province_db)
    for _ in range(10):
        (again,) = pair.import_(path)
        assert again.outcome == "duplicate"
        assert receipt_bytes(again) == receipt
    assert db_digest(pair.province_db) == before


def test_a_copy_under_another_name_and_part_files(pair: Pair) -> None:
    """T24: a partial ``.part`` file is skipped; a renamed copy is deduplicated by content."""
    path = pair.export()
    copy = path.with_name("copy-of-bundle.wsb")
    shutil.copy(path, copy)
    part = path.with_name(path.name + ".part")
    part.write_bytes(path.read_bytes()[:500])
    reports = pair.import_(path, copy, part)
    outcomes = sorted(r.outcome for r in reports)
    assert outcomes == ["duplicate", "new", "rejected"]
    assert ward_state(pair.province_db) == ward_state(pair.ward_db)


@pytest.mark.parametrize(
    "region",
    ["magic", "length", "outer-json", "outer-signature", "age-header", "first-chunk", "last-byte"],
)
def test_one_flipped_byte_anywhere_is_rejected(pair: Pair, region: str, tmp_path: Path) -> None:
    """T02/T03: a flipped byte in any region is caught before anything is applied."""
    path = pair.export()
    data = path.read_bytes()
    (length,) = struct.unpack(">I", data[len(fmt.MAGIC) : len(fmt.MAGIC) + 4])
    envelope_start = len(fmt.MAGIC) + 4
    cipher_start = envelope_start + length
    envelope = data[envelope_start:cipher_start]
    offsets = {
        "magic": 3,
        "length": len(fmt.MAGIC) + 3,
        "outer-json": envelope_start + envelope.index(b'"payload":"') + 20,
        "outer-signature": envelope_start + envelope.index(b'"sig":"') + 12,
        "age-header": cipher_start + 40,
        "first-chunk": cipher_start + 400,
        "last-byte": len(data) - 1,
    }
    reason = rejected(pair, flip(path, offsets[region], tmp_path / "flipped.wsb"))
    assert "gói" in reason or "tệp" in reason  # said in Vietnamese


def test_truncation_at_many_offsets_is_rejected(pair: Pair, tmp_path: Path) -> None:
    """T20/T22: cut anywhere (the FAT failure mode), the file is refused, never half-applied."""
    data = pair.export().read_bytes()
    cuts = [0, 1, len(fmt.MAGIC), len(fmt.MAGIC) + 3, 60, 300, 1000, 5000, len(data) // 2]
    cuts += [len(data) - 17, len(data) - 1]
    for cut in cuts:
        short = tmp_path / f"cut-{cut}.wsb"
        short.write_bytes(data[:cut])
        rejected(pair, short)


def test_garbage_zip_and_huge_length_prefix_are_rejected(pair: Pair, tmp_path: Path) -> None:
    """T15/T18/T19: not a bundle at all, or a length prefix of 4 GiB."""
    garbage = tmp_path / "garbage.wsb"
    garbage.write_bytes(bytes(range(256)) * 40)
    assert "không phải" in rejected(pair, garbage)
    archive = tmp_path / "archive.wsb"
    import zipfile

    with zipfile.ZipFile(archive, "w") as bundle_zip:
        bundle_zip.writestr("../../etc/passwd", "x")
    rejected(pair, archive)
    huge = tmp_path / "huge.wsb"
    huge.write_bytes(fmt.MAGIC + struct.pack(">I", 0xFFFFFFFF) + b"{}" * 10)
    rejected(pair, huge)


def test_rewrapped_content_with_the_province_public_key_is_rejected(
    pair: Pair, tmp_path: Path
) -> None:
    """T04/T05: anyone can encrypt to the province; without the station key it cannot sign."""
    original = pair.export()
    outer, _header = fmt.read_outer(
        original.read_bytes(), lambda _s: [pair.ward_keys.signing.public_key()]
    )
    inner = fmt.open_inner(outer, [pair.ward_keys.age_identity])
    forger = station_keys.StationKeys(
        Ed25519PrivateKey.generate(), pyrage.x25519.Identity.generate()
    )
    manifest = dict(inner.manifest)
    manifest.pop("sections")
    province = pyrage.x25519.Recipient.from_str(pair.province_keys.public.age_recipient)
    # signed by a forger's key: the outer signature fails
    data, _hash = fmt.seal(manifest, inner.records, forger.signing, [province])
    forged = tmp_path / "forged.wsb"
    forged.write_bytes(data)
    assert "16681" in rejected(pair, forged)
    # the station's real outer header on top of a swapped ciphertext: the hash fails
    cipher_start = len(fmt.MAGIC) + 4 + struct.unpack(">I", original.read_bytes()[16:20])[0]
    swapped = tmp_path / "swapped.wsb"
    swapped.write_bytes(original.read_bytes()[:cipher_start] + data[cipher_start:])
    rejected(pair, swapped)


def test_unknown_station_and_borrowed_station_id_are_rejected(
    pair: Pair, tmp_path: Path, ward_template: Path
) -> None:
    """T06/T07: a key the province never enrolled; a real key claiming another station."""
    other = make_pair(tmp_path / "other", ward_template)  # same ward code, another province DB
    stranger = other.export()
    assert "16681" in rejected(pair, stranger)
    other.ward_db.close()
    other.province_db.close()


def test_a_bundle_for_another_province_is_rejected(pair: Pair, tmp_path: Path) -> None:
    """T10: encrypted (and addressed) only to someone else's key."""
    original = pair.export()
    outer, _header = fmt.read_outer(
        original.read_bytes(), lambda _s: [pair.ward_keys.signing.public_key()]
    )
    inner = fmt.open_inner(outer, [pair.ward_keys.age_identity])
    elsewhere = pyrage.x25519.Identity.generate()
    manifest = dict(inner.manifest)
    manifest.pop("sections")
    manifest["recipient_key_ids"] = [station_keys.age_key_id(str(elsewhere.to_public()))]
    data, _hash = fmt.seal(manifest, inner.records, pair.ward_keys.signing, [elsewhere.to_public()])
    path = tmp_path / "elsewhere.wsb"
    path.write_bytes(data)
    assert "không gửi" in rejected(pair, path) or "tỉnh" in rejected(pair, path)


def test_a_receipt_passed_off_as_a_bundle_is_rejected(pair: Pair, tmp_path: Path) -> None:
    """T09: the payload type is bound into every signature."""
    path = pair.export()
    (report,) = pair.import_(path)
    receipt = receipt_bytes(report)
    as_bundle = tmp_path / "receipt.wsb"
    as_bundle.write_bytes(receipt)
    rejected(pair, as_bundle)
    # a correctly signed envelope of another type in the bundle's header slot
    envelope = sign(RECEIPT, canonical({"x": 1}), pair.ward_keys.signing)
    confused = tmp_path / "confused.wsb"
    confused.write_bytes(fmt.MAGIC + struct.pack(">I", len(envelope)) + envelope + b"x")
    rejected(pair, confused)


def test_bad_change_rows_reject_the_whole_bundle(pair: Pair, tmp_path: Path) -> None:
    """T14/T17-style: a row of the wrong shape, signed by the real station, changes nothing."""
    original = pair.export()
    outer, _header = fmt.read_outer(
        original.read_bytes(), lambda _s: [pair.ward_keys.signing.public_key()]
    )
    inner = fmt.open_inner(outer, [pair.ward_keys.age_identity])
    manifest = dict(inner.manifest)
    manifest.pop("sections")
    province = pyrage.x25519.Recipient.from_str(pair.province_keys.public.age_recipient)
    good = [line for line in inner.records.split(b"\n") if line]
    bad_rows = [
        b'{"table":"units","record_id":"x","origin_counter":1,"op":"upsert","data":{}}',
        good[0].replace(b'"attendance":', b'"attendance":"many","x":'),
        good[0] + b" ",  # still one JSON value: accepted? no, trailing space is fine JSON
        good[0].replace(b'"op":"upsert"', b'"op":"upsert","op":"tombstone"'),
    ]
    for number, bad in enumerate(bad_rows):
        if bad == good[0] + b" ":
            continue
        rows = b"\n".join([*good[:3], bad]) + b"\n"
        data, _hash = fmt.seal(manifest, rows, pair.ward_keys.signing, [province])
        path = tmp_path / f"bad-{number}.wsb"
        path.write_bytes(data)
        rejected(pair, path)
    assert encode([]) == b""


def test_revoked_key_is_cut_off_by_sequence_number(pair: Pair) -> None:
    """T12: bundles up to the cutoff still import; later ones are refused whatever their date."""
    first = pair.export()
    records(pair).create("sessions", SESSION)
    second = pair.export()
    pair.province.revoke("16681", last_trusted_seq=1, reason="Máy tính bị mất")
    (report,) = pair.import_(first)
    assert report.outcome == "new"
    reason = rejected(pair, second)
    assert "thu hồi" in reason


def test_bundles_in_any_order_end_in_the_same_state(pair: Pair, tmp_path: Path) -> None:
    """T28/T29/T30/T32: reordering, overlap and an older version after a newer one."""
    service = records(pair)
    paths = [pair.export()]
    created = service.create("sessions", SESSION).created[0]
    paths.append(pair.export())
    service.update("sessions", created, {**SESSION, "attendance": 99})
    paths.append(pair.export())
    for path in paths:
        assert pair.import_(path)[0].outcome == "new"
    expected = province_state(pair.province_db)[0]
    assert expected == ward_state(pair.ward_db)
    # newest first: seq 3 then 2 then 1; the older versions of the session are no-ops
    backwards = pair_with_same_station(pair, tmp_path / "backwards")
    reports = [backwards.import_(p)[0] for p in reversed(paths)]
    assert [r.outcome for r in reports] == ["new", "new", "new"]
    assert reports[0].summary["new"] > 0 and reports[1].summary["updated"] == 0
    assert province_state(backwards.province_db)[0] == expected
    overview = backwards.province.overview()[0]
    assert overview.missing_seqs == ()
    backwards.province_db.close()


def pair_with_same_station(pair: Pair, folder: Path) -> Pair:
    """A fresh province database with the same province keys and the same ward enrolled."""
    from app.core.services.profile import set_up_province
    from app.core.services.sync.province.imports import ProvinceSync
    from app.db.open import open_database

    folder.mkdir(parents=True)
    db = open_database(folder / "province.sqlite")
    set_up_province(db, "40")
    province = ProvinceSync(db, now=pair.clock, keys_folder=pair.province.keys_folder)
    province.enroll(pair.ward.enrollment_request(pair.ward_keys))
    return Pair(
        pair.ward_db,
        db,
        pair.ward,
        province,
        pair.ward_keys,
        pair.province_keys,
        pair.clock,
        pair.stick,
        folder,
    )


def test_same_sequence_with_other_content_is_quarantined_as_a_fork(
    pair: Pair, tmp_path: Path
) -> None:
    """T31: a station restored from an old copy exports seq 1 again with other content."""
    import sqlite3

    backup = tmp_path / "before.sqlite"
    live, copy = sqlite3.connect(pair.ward_db.path), sqlite3.connect(backup)
    live.backup(copy)  # a real backup, taken before the first export
    live.close()
    copy.close()
    first = pair.export()
    pair.ward_db.close()
    shutil.copy(backup, pair.ward_db.path)
    for suffix in ("-wal", "-shm"):
        Path(str(pair.ward_db.path) + suffix).unlink(missing_ok=True)
    from app.core.services.sync.ward import WardSync
    from app.db.open import open_database

    pair.ward_db = open_database(pair.ward_db.path)
    pair.ward = WardSync(pair.ward_db, now=pair.clock)
    records(pair).create("sessions", SESSION)
    again = pair.export()
    assert again.name.split("_")[2] == first.name.split("_")[2] == "00000001"
    (applied,) = pair.import_(first)
    assert applied.outcome == "new"
    state = province_state(pair.province_db)[0]
    (fork,) = pair.import_(again)
    assert fork.outcome == "fork" and "cách ly" in fork.reason
    assert province_state(pair.province_db)[0] == state  # nothing of the fork applied
    assert pair.province.overview()[0].forks == 1
    (again_fork,) = pair.import_(again)  # still a fork, never "already imported"
    assert again_fork.outcome == "fork" and pair.province.overview()[0].forks == 1
    # the restored station's next bundle links to its fork, not to the bundle 1 we hold: it is
    # quarantined with its fork, never merged (issue 13, item 1)
    (next_one,) = pair.import_(pair.export())
    assert next_one.outcome == "fork" and next_one.seq == 2
    assert province_state(pair.province_db)[0] == state
    overview = pair.province.overview()[0]
    assert overview.forks == 2 and overview.chain_breaks == ()
    (branch,) = overview.branches
    assert branch.seqs == (1, 2) and branch.rival_seqs == (1,)


def test_receipts_forged_foreign_or_replayed_change_nothing(pair: Pair, tmp_path: Path) -> None:
    path = pair.export()
    (report,) = pair.import_(path)
    genuine = receipt_bytes(report)
    receipt = trust.read_receipt(genuine, [pair.province_keys.public.signing])

    def ward_digest() -> str:
        return db_digest(pair.ward_db)

    before = ward_digest()
    # forged: same content, signed by a key the trust list does not name
    forged = trust.make_receipt(receipt, Ed25519PrivateKey.generate())
    with pytest.raises(UserFacingError):
        pair.ward.import_receipt(forged)
    # foreign: a genuine province signature, but for another station
    from dataclasses import replace

    foreign = trust.make_receipt(replace(receipt, station_id="16684"), pair.province_keys.signing)
    with pytest.raises(UserFacingError, match="16684"):
        pair.ward.import_receipt(foreign)
    # for a bundle this station never made
    unknown = trust.make_receipt(
        replace(receipt, bundle_id="00000000-0000-4000-8000-000000000000"),
        pair.province_keys.signing,
    )
    with pytest.raises(UserFacingError):
        pair.ward.import_receipt(unknown)
    assert ward_digest() == before
    assert pair.ward.acked_counter() == 0

    assert pair.ward.import_receipt(genuine).changed
    after = ward_digest()
    replay = pair.ward.import_receipt(genuine)
    assert not replay.changed and ward_digest() == after


def test_returned_for_correction_reaches_the_ward(pair: Pair) -> None:
    path = pair.export()
    (report,) = pair.import_(path)
    returned = pair.province.return_for_correction(
        report.bundle_id, "Bổ sung số liệu tháng 11.", pair.province_keys, pair.stick
    )
    result = pair.ward.import_receipt(returned.read_bytes())
    assert result.status == "returned" and result.comments == "Bổ sung số liệu tháng 11."
    (row,) = pair.ward.outbox()
    assert row.state == "returned" and row.comments == "Bổ sung số liệu tháng 11."


def test_trust_list_rollback_expiry_and_pinning(pair: Pair, tmp_path: Path) -> None:
    """T43: an older or expired list is refused; the first list needs the fingerprint."""
    old = sorted(pair.stick.glob("trust-*.mwt"))[0]
    newer = pair.publish()
    assert newer != old
    with pytest.raises(UserFacingError, match="cũ hơn"):
        pair.ward.import_trust_list(old.read_bytes())
    assert not pair.ward.import_trust_list(newer.read_bytes()).changed
    pair.clock.advance(days=400)
    expired = tmp_path / "expired.mwt"
    pair.clock.advance(days=-400)
    pair.province.publish_trust_list(pair.province_keys, expired)
    pair.clock.advance(days=400)
    with pytest.raises(UserFacingError):
        pair.ward.import_trust_list(expired.read_bytes())
    # a list signed by another key than the pinned one
    stranger = station_keys.create_keys(tmp_path / "stranger", PASSPHRASE)
    pair.clock.advance(days=-400)
    other = tmp_path / "other.mwt"
    doc = pair.ward.trust_list()
    assert doc is not None
    from dataclasses import replace

    other.write_bytes(
        trust.make_trust_list(
            replace(doc, version=doc.version + 5, signer_key=stranger.public.signing),
            stranger.signing,
        )
    )
    with pytest.raises(UserFacingError):
        pair.ward.import_trust_list(other.read_bytes())


def test_export_refuses_without_keys_or_with_the_wrong_passphrase(
    pair: Pair, tmp_path: Path
) -> None:
    """T45: no unsigned bundle is ever produced."""
    with pytest.raises(UserFacingError, match=r"(?i)mật khẩu"):
        pair.ward.unlock("sai mật khẩu")
    (pair.ward.keys_folder / station_keys.SEALED_NAME).write_bytes(b"{}")
    with pytest.raises(UserFacingError):
        pair.ward.unlock(PASSPHRASE)
    assert list(pair.stick.glob("*.wsb")) == []


def test_export_to_a_missing_drive_fails_cleanly_and_the_number_is_not_reused(
    pair: Pair, tmp_path: Path
) -> None:
    """T23: the stick was pulled out; the next export says which number never left."""
    with pytest.raises(EnvironmentProblem):
        pair.ward.export(tmp_path / "no-such-stick", pair.ward_keys)
    assert [r.state for r in pair.ward.outbox()] == ["failed"]
    result = pair.ward.export(pair.stick, pair.ward_keys)
    assert result.seq == 2
    (report,) = pair.import_(result.path)
    assert report.outcome == "new"
    assert pair.province.overview()[0].missing_seqs == ()  # seq 1 declared void


def test_a_bundle_written_just_before_the_app_died_is_still_acknowledged(
    pair: Pair, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Found by the crash harness: killed between writing the file and marking it exported,
    the outbox said "failed" although the file was whole; the province imported it and the
    ward then refused its receipt. The manifest hash is now kept before the file is written."""

    def die(*_args: object) -> None:
        raise KeyboardInterrupt  # as if the process were killed right after the rename

    monkeypatch.setattr(WardSync, "_read_back", die)
    with pytest.raises(KeyboardInterrupt):
        pair.ward.export(pair.stick, pair.ward_keys)
    monkeypatch.undo()
    assert [r.state for r in pair.ward.outbox()] == ["failed"]
    (written,) = pair.stick.glob("*.wsb")
    receipts = tmp_path / "receipts"
    receipts.mkdir()
    (report,) = pair.import_(written, receipts_dir=receipts)
    assert report.outcome == "new"
    (receipt,) = receipts.iterdir()
    pair.ward.import_receipt(receipt.read_bytes())
    assert [r.state for r in pair.ward.outbox()] == ["acknowledged"]
    assert pair.ward.pending_changes() == 0


def test_the_body_is_a_real_age_file(pair: Pair, tmp_path: Path) -> None:
    """Interoperability: the reference age tool decrypts the body with the station's key."""
    age = shutil.which("age")
    if age is None:
        pytest.skip("the age command-line tool is not installed")
    import subprocess

    data = pair.export().read_bytes()
    (length,) = struct.unpack(">I", data[len(fmt.MAGIC) : len(fmt.MAGIC) + 4])
    body = tmp_path / "body.age"
    body.write_bytes(data[len(fmt.MAGIC) + 4 + length :])
    identity = tmp_path / "identity.txt"
    identity.write_text(str(pair.ward_keys.age_identity) + "\n")
    plain = subprocess.run(
        [age, "-d", "-i", str(identity), str(body)], capture_output=True, check=True
    ).stdout
    assert plain.startswith(fmt.INNER_MAGIC)
    assert b"manifest" in plain[:40] and b"outreach_sessions" in plain
