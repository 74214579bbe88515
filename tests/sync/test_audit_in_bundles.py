"""The ward's audit trail travels in its bundles: the province keeps every ward's entries, checks
their hash chain, and flags an entry that arrives again with other content (a rewritten
history) instead of overwriting it.

Everything runs between a real ward database and a real province database on disk (the
``pair`` fixture). "Rejected" means the report says why, in Vietnamese, and the province
database file is byte-for-byte unchanged.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyrage
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from app.core.services import audit as audit_service
from app.core.services import backup_steps as backup
from app.core.services.records import RecordService
from app.core.services.sync.province.imports import ward_audit_check
from app.core.services.sync.ward import WardSync
from app.db import audit
from app.db.open import open_database
from app.sync import bundle as fmt
from app.sync.envelope import BUNDLE_OUTER, canonical, ed25519_key_id, sign
from tests.sync.bundle_pairs import Pair, receipt_bytes
from tests.sync.helpers import audit_actions, db_digest

SESSION = {
    "held_on": date(2026, 11, 20),  # in the open reporting month (from 15/11): past ones are locked
    "topic": "pccc_cnch",
    "place": "Nhà văn hoá khối 3",
    "audience": "Nhân dân khối 3",
    "attendance": 85,
    "presenter": "Lê Văn Hùng",
}


def records(pair: Pair) -> RecordService:
    return RecordService(pair.ward_db, author="Nguyễn Văn An", today=lambda: date(2026, 11, 23))


def ward_log(pair: Pair) -> list[tuple[Any, ...]]:
    """The ward's own audit log, as rows (id, at, actor, …, hash)."""
    with sqlite3.connect(f"file:{pair.ward_db.path}?mode=ro", uri=True) as raw:
        return raw.execute(
            "SELECT id, at, actor, action, table_name, record_uuid, changes, prev_hash, hash "
            "FROM audit_log ORDER BY id"
        ).fetchall()


def province_log(pair: Pair, table: str = "sync_ward_audit") -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{pair.province_db.path}?mode=ro", uri=True) as raw:
        return raw.execute(
            "SELECT entry_id, at, actor, action, table_name, record_uuid, changes, prev_hash, "
            f"hash FROM {table} WHERE station_id = '16681' ORDER BY entry_id, id"
        ).fetchall()


def raw_ward(pair: Pair, sql: str, *args: object) -> None:
    """Change the ward's database behind the app's back (what a tamperer would do)."""
    connection = sqlite3.connect(pair.ward_db.path)
    with connection:
        connection.execute(sql, args)
    connection.close()


def opened(pair: Pair, path: Path) -> tuple[fmt.Outer, dict[str, bytes], fmt.Inner]:
    """The bundle as the ward itself can open it (it is one of the recipients)."""
    outer, _header = fmt.read_outer(
        path.read_bytes(), lambda _s: [pair.ward_keys.signing.public_key()]
    )
    plaintext = pyrage.decrypt(outer.ciphertext, [pair.ward_keys.age_identity])
    return outer, fmt._sections(plaintext), fmt.open_inner(outer, [pair.ward_keys.age_identity])


def carried_ids(pair: Pair, path: Path) -> list[int]:
    _outer, _sections, inner = opened(pair, path)
    assert inner.audit_range is not None
    return [line.id for line in fmt.parse_audit(inner.audit, inner.audit_range)]


def rewrapped(pair: Pair, sections: dict[str, bytes], out: Path) -> Path:
    """The given sections (manifest envelope untouched) encrypted again to the province under
    an outer header re-signed with the ward's real key: only the inner checks can object."""
    plaintext = fmt.INNER_MAGIC + b"".join(
        fmt._section(name.encode(), body) for name, body in sections.items()
    )
    province = pyrage.x25519.Recipient.from_str(pair.province_keys.public.age_recipient)
    ciphertext = pyrage.encrypt(plaintext, [province])
    manifest = json.loads(
        __import__("base64").b64decode(json.loads(sections["manifest"])["payload"])
    )
    header = {
        "format": "modelward.bundle",
        "format_version": manifest["format_version"],
        "bundle_id": manifest["bundle_id"],
        "station_id": manifest["station_id"],
        "seq": manifest["seq"],
        "sender_key_id": ed25519_key_id(pair.ward_keys.signing.public_key()),
        "recipient_key_ids": manifest["recipient_key_ids"],
        "ciphertext_len": len(ciphertext),
        "ciphertext_sha256": fmt.sha256(ciphertext),
        "created_at": manifest["created_at"],
    }
    envelope = sign(BUNDLE_OUTER, canonical(header), pair.ward_keys.signing)
    out.write_bytes(fmt.MAGIC + struct.pack(">I", len(envelope)) + envelope + ciphertext)
    return out


def resealed(pair: Pair, path: Path, audit_body: bytes, out: Path, **span: int) -> Path:
    """The bundle signed again by the ward's real key with another audit section: a bundle
    the ward's software could have written, but with a malformed audit trail."""
    _outer, _sections, inner = opened(pair, path)
    assert inner.audit_range is not None
    manifest = dict(inner.manifest)
    manifest.pop("sections")
    fields = {**inner.audit_range.__dict__, **span}
    province = pyrage.x25519.Recipient.from_str(pair.province_keys.public.age_recipient)
    data, _hash = fmt.seal(
        manifest,
        inner.records,
        pair.ward_keys.signing,
        [province],
        audit=(fmt.AuditRange(**fields), audit_body),
    )
    out.write_bytes(data)
    return out


def rejected(pair: Pair, path: Path) -> str:
    before = db_digest(pair.province_db, skip_audit=True)
    actions = audit_actions(pair.province_db)
    (report,) = pair.import_(path)
    assert report.outcome == "rejected", (report.outcome, report.reason)
    assert db_digest(pair.province_db, skip_audit=True) == before
    # the one change: the refusal is on the province's audit trail (issue 13, item 5)
    assert audit_actions(pair.province_db) == [*actions, "refuse"]
    return report.reason


def restart_ward(pair: Pair) -> None:
    pair.ward_db = open_database(pair.ward_db.path)
    pair.ward = WardSync(pair.ward_db, now=pair.clock, author="Nguyễn Văn An")


# -- travelling and verifying -------------------------------------------------------------------


def test_entries_travel_verify_and_only_new_ones_follow_the_receipt(pair: Pair) -> None:
    log = ward_log(pair)
    assert len(log) > 300  # the demo year's changes
    first = pair.ward.export(pair.stick, pair.ward_keys)
    assert (first.audit_from, first.audit_to, first.audit_entries) == (1, len(log), len(log))
    _outer, _sections, inner = opened(pair, first.path)
    assert inner.manifest["format_version"] == fmt.FORMAT_VERSION == 2
    (records_entry, audit_entry) = inner.manifest["sections"]
    assert records_entry["name"] == "records" and audit_entry["name"] == "audit"
    assert (audit_entry["from_id"], audit_entry["to_id"]) == (1, len(log))
    assert (audit_entry["head_count"], audit_entry["head_hash"]) == (len(log), log[-1][-1])
    assert audit_entry["sha256"] == fmt.sha256(inner.audit)

    (report,) = pair.import_(first.path)
    assert report.outcome == "new", report.reason
    assert report.summary["audit"] == {
        "from": 1,
        "to": len(log),
        "new": len(log),
        "same": 0,
        "rewritten": 0,
    }
    # the province holds the very entries, and their chain checks out there
    assert [row[0] for row in province_log(pair)] == [row[0] for row in log]
    assert [row[2:] for row in province_log(pair)] == [row[2:] for row in log]
    check = ward_audit_check(pair.province_db, "16681")
    assert check.ok and check.entries == len(log)
    overview = pair.province.overview()[0]
    assert overview.audit_entries == len(log) and overview.audit_broken_at is None

    # the receipt moves the audit baseline; the next bundle carries only what is new
    assert pair.ward.acked_audit() == 0
    pair.ward.import_receipt(receipt_bytes(report))
    assert pair.ward.acked_audit() == len(log)
    created = records(pair).create("sessions", SESSION).created[0]
    records(pair).update("sessions", created, {**SESSION, "attendance": 99})
    second = pair.ward.export(pair.stick, pair.ward_keys)
    assert carried_ids(pair, second.path) == [len(log) + 1, len(log) + 2]
    assert second.audit_entries == 2
    (report,) = pair.import_(second.path)
    assert report.summary["audit"]["new"] == 2
    check = ward_audit_check(pair.province_db, "16681")
    assert check.ok and check.entries == len(log) + 2
    assert [row[2:] for row in province_log(pair)] == [row[2:] for row in ward_log(pair)]
    assert audit_service.verify(pair.ward_db).ok


def test_a_lost_receipt_resends_overlapping_entries_harmlessly(pair: Pair) -> None:
    first = pair.export()
    (report,) = pair.import_(first)
    held = province_log(pair)
    records(pair).create("sessions", SESSION)
    again = pair.ward.export(pair.stick, pair.ward_keys)  # no receipt: from entry 1 again
    assert again.audit_from == 1 and again.audit_entries == len(held) + 1
    (report,) = pair.import_(again.path)
    assert report.outcome == "new"
    assert report.summary["audit"]["same"] == len(held)
    assert report.summary["audit"]["new"] == 1 and report.summary["audit"]["rewritten"] == 0
    assert province_log(pair)[: len(held)] == held
    assert province_log(pair, "sync_ward_audit_rewrites") == []
    assert ward_audit_check(pair.province_db, "16681").ok
    # importing the same bundle again is a duplicate: nothing at all changes
    before = db_digest(pair.province_db)
    assert pair.import_(again.path)[0].outcome == "duplicate"
    assert db_digest(pair.province_db) == before


def test_old_bundles_without_an_audit_section_still_import(pair: Pair, tmp_path: Path) -> None:
    """A version-2 bundle may leave the audit out; the province then holds no entries."""
    path = pair.export()
    _outer, _sections, inner = opened(pair, path)
    manifest = dict(inner.manifest)
    manifest.pop("sections")
    province = pyrage.x25519.Recipient.from_str(pair.province_keys.public.age_recipient)
    data, _hash = fmt.seal(manifest, inner.records, pair.ward_keys.signing, [province])
    plain = tmp_path / "no-audit.wsb"
    plain.write_bytes(data)
    (report,) = pair.import_(plain)
    assert report.outcome == "new" and "audit" not in report.summary
    assert province_log(pair) == []
    check = ward_audit_check(pair.province_db, "16681")
    assert check.ok and check.entries == 0


# -- breaks in the ward's chain, found at the province -------------------------------------------


@pytest.mark.parametrize(
    ("tamper", "entry", "kind"),
    [
        ("UPDATE audit_log SET actor = 'Người khác' WHERE id = 57", 57, audit_service.CHANGED),
        ("UPDATE audit_log SET changes = '{}' WHERE id = 120", 120, audit_service.CHANGED),
        ("DELETE FROM audit_log WHERE id = 88", 88, audit_service.MISSING),
        (
            "UPDATE audit_log SET id = -id WHERE id IN (30, 31); "
            "UPDATE audit_log SET id = 31 WHERE id = -30; "
            "UPDATE audit_log SET id = 30 WHERE id = -31",
            30,
            audit_service.ORDER,
        ),
    ],
    ids=["actor-edited", "changes-edited", "deleted", "reordered"],
)
def test_a_break_in_the_ward_chain_is_found_at_the_province(
    pair: Pair, tamper: str, entry: int, kind: str
) -> None:
    connection = sqlite3.connect(pair.ward_db.path)
    with connection:
        connection.executescript(tamper)
    connection.close()
    assert audit_service.verify(pair.ward_db).broken_at == entry  # the ward sees it too
    (report,) = pair.import_(pair.export())
    assert report.outcome == "new", report.reason  # the records still arrive
    check = ward_audit_check(pair.province_db, "16681")
    assert not check.ok and check.broken_at == entry and check.kind == kind
    assert str(entry) in check.problem and "Entry" not in check.problem  # said in Vietnamese
    overview = pair.province.overview()[0]
    assert overview.audit_broken_at == entry and overview.audit_problem == kind


def test_entries_cut_off_the_end_are_found_from_the_head(pair: Pair) -> None:
    total = len(ward_log(pair))
    raw_ward(pair, "DELETE FROM audit_log WHERE id > ?", total - 3)
    (report,) = pair.import_(pair.export())
    assert report.outcome == "new"
    check = ward_audit_check(pair.province_db, "16681")
    assert check.kind == audit_service.CUT and check.broken_at == total - 2
    assert str(total) in check.problem


def test_an_entry_edited_after_it_was_sent_is_kept_as_evidence(pair: Pair) -> None:
    """No receipt yet, so the next bundle re-sends entry 12, now edited: the province keeps
    the first version and flags the second as a rewrite."""
    (report,) = pair.import_(pair.export())
    original = province_log(pair)[11]
    raw_ward(pair, "UPDATE audit_log SET changes = '{\"attendance\": [1, 2]}' WHERE id = 12")
    (report,) = pair.import_(pair.export())
    assert report.outcome == "new" and report.summary["audit"]["rewritten"] == 1
    assert province_log(pair)[11] == original  # never overwritten
    (rewrite,) = province_log(pair, "sync_ward_audit_rewrites")
    assert rewrite[0] == 12 and rewrite[6] == '{"attendance": [1, 2]}'
    check = ward_audit_check(pair.province_db, "16681")
    assert check.kind == audit_service.REWRITTEN and check.broken_at == 12
    (row,) = [r for r in audit_service.ward_entries(pair.province_db, "16681", 10**6) if r.rewrites]
    assert row.entry_id == 12
    assert [r.entry_id for r in audit_service.ward_rewrites(pair.province_db, "16681")] == [12]


def test_a_ward_restored_from_a_backup_is_flagged_as_rewritten(pair: Pair) -> None:
    ward_path = pair.ward_db.path
    first = pair.ward.export(pair.stick, pair.ward_keys)
    (report,) = pair.import_(first.path)
    pair.ward.import_receipt(receipt_bytes(report))
    old = backup.create_backup(ward_path, "manual")  # audit acknowledged through first.audit_to
    records(pair).create("sessions", {**SESSION, "place": "Trước khôi phục"})
    second = pair.ward.export(pair.stick, pair.ward_keys)
    (report,) = pair.import_(second.path)
    pair.ward.import_receipt(receipt_bytes(report))
    held = province_log(pair)
    assert len(held) == first.audit_to + 1
    pair.ward_db.close()

    backup.restore_backup(ward_path, old.path, actor="Quản trị")
    restart_ward(pair)
    records(pair).create("sessions", {**SESSION, "place": "Sau khôi phục"})
    # entry first.audit_to + 1 is now the restore itself, then the new session
    restored_log = ward_log(pair)
    assert restored_log[first.audit_to][3] == "restore-db"
    assert audit_service.verify(pair.ward_db).ok  # the ward's own chain is sound
    third = pair.ward.export(pair.stick, pair.ward_keys)
    assert third.audit_from == first.audit_to + 1  # the baseline kept in the backup
    (report,) = pair.import_(third.path)
    assert report.outcome == "new", report.reason
    assert report.summary["audit"] == {
        "from": first.audit_to + 1,
        "to": first.audit_to + 2,
        "new": 1,
        "same": 0,
        "rewritten": 1,
    }
    # what the province held is untouched; the other version is kept beside it
    assert province_log(pair)[: len(held)] == held
    (rewrite,) = province_log(pair, "sync_ward_audit_rewrites")
    assert rewrite == restored_log[first.audit_to]
    check = ward_audit_check(pair.province_db, "16681")
    assert check.kind == audit_service.REWRITTEN and check.broken_at == first.audit_to + 1
    assert "khôi phục" in check.problem  # "restored from a backup", in Vietnamese
    assert pair.province.overview()[0].audit_broken_at == first.audit_to + 1
    # the same bundle again: still one piece of evidence, nothing else changes
    before = db_digest(pair.province_db)
    assert pair.import_(third.path)[0].outcome == "duplicate"
    assert db_digest(pair.province_db) == before


# -- tampering and malformed sections ------------------------------------------------------------


def test_an_audit_section_changed_after_signing_is_rejected(pair: Pair, tmp_path: Path) -> None:
    path = pair.export()
    _outer, sections, _inner = opened(pair, path)
    edited = sections["audit"].replace(b'"actor":"', b'"actor":"X', 1)
    assert edited != sections["audit"]
    # the ward's real outer signature over a new ciphertext; the signed manifest as it was
    reason = rejected(pair, rewrapped(pair, {**sections, "audit": edited}, tmp_path / "a.wsb"))
    assert "nhật ký" in reason.lower()
    # the section dropped while the manifest still lists it
    without = {k: v for k, v in sections.items() if k != "audit"}
    assert "nhật ký" in rejected(pair, rewrapped(pair, without, tmp_path / "b.wsb")).lower()
    # the ciphertext swapped under the original header: the header's hash catches it
    data = path.read_bytes()
    start = len(fmt.MAGIC) + 4 + struct.unpack(">I", data[16:20])[0]
    other = rewrapped(pair, {**sections, "audit": edited}, tmp_path / "c.wsb").read_bytes()
    other_start = len(fmt.MAGIC) + 4 + struct.unpack(">I", other[16:20])[0]
    swapped = tmp_path / "swapped.wsb"
    swapped.write_bytes(data[:start] + other[other_start:])
    rejected(pair, swapped)
    # and the genuine file still imports afterwards
    assert pair.import_(path)[0].outcome == "new"


def _line(pair: Pair, number: int) -> dict[str, Any]:
    row = ward_log(pair)[number - 1]
    names = ("id", "at", "actor", "action", "table_name", "record_uuid", "changes", "prev_hash")
    entry = dict(zip((*names, "hash"), row, strict=True))
    entry["at"] = datetime.fromisoformat(entry["at"]).replace(tzinfo=UTC)
    return entry


@pytest.mark.parametrize(
    "case",
    [
        "not-json",
        "missing-field",
        "extra-field",
        "wrong-type",
        "naive-time",
        "id-outside-range",
        "repeated-id",
        "cut-short",
        "range-says-more",
        "actor-too-long",
        "line-too-long",
        "bad-range",
        "lone-surrogate",
        "time-off-the-calendar",
    ],
)
def test_a_malformed_audit_section_is_rejected_clearly(
    pair: Pair, tmp_path: Path, case: str
) -> None:
    path = pair.export()
    first, second = _line(pair, 1), _line(pair, 2)
    good = fmt.encode_audit([first, second])
    bodies: dict[str, tuple[bytes, dict[str, int]]] = {
        "not-json": (b"{not json\n", {"from_id": 1, "to_id": 1}),
        "missing-field": (
            fmt.encode_audit([{k: v for k, v in first.items() if k != "hash"}]),
            {"from_id": 1, "to_id": 1},
        ),
        "extra-field": (fmt.encode_audit([{**first, "x": 1}]), {"from_id": 1, "to_id": 1}),
        "wrong-type": (good.replace(b'"id":1,', b'"id":"1",', 1), {"from_id": 1, "to_id": 2}),
        "naive-time": (good.replace(b"+00:00", b"", 1), {"from_id": 1, "to_id": 2}),
        "id-outside-range": (good, {"from_id": 2, "to_id": 2}),
        "repeated-id": (fmt.encode_audit([first, first]), {"from_id": 1, "to_id": 1}),
        "cut-short": (good[:-1], {"from_id": 1, "to_id": 2}),
        "range-says-more": (good, {"from_id": 1, "to_id": 3}),
        "actor-too-long": (
            fmt.encode_audit([{**first, "actor": "A" * 121}]),
            {"from_id": 1, "to_id": 1},
        ),
        "line-too-long": (
            fmt.encode_audit([{**first, "changes": "x" * fmt.MAX_LINE}]),
            {"from_id": 1, "to_id": 1},
        ),
        "bad-range": (b"", {"from_id": 0, "to_id": -1}),
        "lone-surrogate": (
            good.replace(b'"actor":"', b'"actor":"\\ud800', 1),
            {"from_id": 1, "to_id": 2},
        ),
        "time-off-the-calendar": (
            good.replace(first["at"].isoformat().encode(), b"0001-01-01T00:00:00+01:00", 1),
            {"from_id": 1, "to_id": 2},
        ),
    }
    body, span = bodies[case]
    assert body != good or case in ("id-outside-range", "range-says-more")
    reason = rejected(pair, resealed(pair, path, body, tmp_path / f"{case}.wsb", **span))
    assert "nhật ký" in reason.lower(), reason


def test_a_version_1_bundle_may_not_carry_an_audit_section(pair: Pair, tmp_path: Path) -> None:
    path = pair.export()
    _outer, _sections, inner = opened(pair, path)
    manifest = {**inner.manifest, "format_version": 1}
    manifest.pop("sections")
    assert inner.audit_range is not None
    province = pyrage.x25519.Recipient.from_str(pair.province_keys.public.age_recipient)
    data, _hash = fmt.seal(
        manifest,
        inner.records,
        pair.ward_keys.signing,
        [province],
        audit=(inner.audit_range, inner.audit),
    )
    old = tmp_path / "v1-with-audit.wsb"
    old.write_bytes(data)
    rejected(pair, old)
    # a version the reader does not know is "made by a newer version"
    data, _hash = fmt.seal(
        {**manifest, "format_version": 3}, inner.records, pair.ward_keys.signing, [province]
    )
    newer = tmp_path / "v3.wsb"
    newer.write_bytes(data)
    assert "mới hơn" in rejected(pair, newer)


SPAN = fmt.AuditRange(1, 3, 3, "0" * 64)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_audit_sections_give_clear_errors(blob: bytes) -> None:
    try:
        fmt.parse_audit(blob, SPAN)
    except fmt.BundleError as error:
        assert error.message


@settings(max_examples=200, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)),
        min_size=1,
        max_size=6,
    ),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=1500)),
)
def test_mutated_audit_sections_give_clear_errors(
    edits: list[tuple[int, int]], cut: int | None
) -> None:
    at = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    entries = []
    previous = audit.GENESIS
    for number in (1, 2, 3):
        changes = json.dumps({"place": [None, "Nhà văn hoá khối 3"]}, ensure_ascii=False)
        digest = audit.entry_hash(
            number, at, "Nguyễn Văn An", "create", "outreach_sessions", "u" * 36, changes, previous
        )
        entries.append(
            {
                "id": number,
                "at": at,
                "actor": "Nguyễn Văn An",
                "action": "create",
                "table_name": "outreach_sessions",
                "record_uuid": "u" * 36,
                "changes": changes,
                "prev_hash": previous,
                "hash": digest,
            }
        )
        previous = digest
    good = fmt.encode_audit(entries)
    assert [line.id for line in fmt.parse_audit(good, SPAN)] == [1, 2, 3]
    buffer = bytearray(good)
    for position, value in edits:
        buffer[position % len(buffer)] = value
    try:
        fmt.parse_audit(bytes(buffer[:cut] if cut is not None else buffer), SPAN)
    except fmt.BundleError as error:
        assert error.message


# -- what the officer sees ---------------------------------------------------------------------


def _rewritten_at_12(pair: Pair) -> None:
    pair.import_(pair.export())
    raw_ward(pair, "UPDATE audit_log SET actor = 'Người khác' WHERE id = 12")
    pair.import_(pair.export())


def test_audit_verify_at_the_province_checks_every_ward(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    pair.import_(pair.export())
    assert main(["--db", str(pair.province_db.path), "audit", "verify"]) == 0
    out = capsys.readouterr().out
    held = len(province_log(pair))
    assert "16681 Công an phường" in out and f"{held} mục" in out  # each ward, in Vietnamese
    raw_ward(pair, "UPDATE audit_log SET actor = 'Người khác' WHERE id = 12")
    pair.import_(pair.export())
    assert main(["--db", str(pair.province_db.path), "audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "16681" in out and "Mục 12" in out and "viết lại" in out
    # at the ward, only its own log is checked (edited entry 12 is found there)
    assert main(["--db", str(pair.ward_db.path), "audit", "verify"]) == 1
    assert "Mục 12 đã bị sửa" in capsys.readouterr().out


def test_the_province_screen_shows_the_ward_audit_trail(qtbot: QtBot, pair: Pair) -> None:
    from app.ui.widgets.province_page import ProvincePage

    _rewritten_at_12(pair)
    page = ProvincePage(pair.province_db, 2026, service=pair.province)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: not page.refreshing(), timeout=10000)
    warnings = page.model.text(0, 7)
    assert "nhật ký thay đổi bị viết lại từ mục 12" in warnings
    page.overview.selectRow(0)
    dialog = page.open_ward()
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.loading(), timeout=10000)
    assert "Mục 12" in dialog.audit_result.text() and "viết lại" in dialog.audit_result.text()
    assert dialog.audit_model.rowCount() == min(500, len(province_log(pair)))
    assert dialog.audit_model.text(0, 0) == str(len(province_log(pair)))  # newest first
    assert dialog.rewrites_model.rowCount() == 1
    assert dialog.rewrites_model.text(0, 0) == "12"
    assert dialog.rewrites_model.text(0, 2) == "Người khác"
    dialog.close()
