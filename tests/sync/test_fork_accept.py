"""Resolving a fork by accepting the quarantined branch (issue 13, item 1): the province keeps
every bundle it receives, as received, and accepting the quarantined copy of a ward's history
takes out what the other copy wrote and applies the accepted copy from that archive. The result
is exactly what the province would hold had it only ever received the accepted copy."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.core.domain.errors import UserFacingError
from app.core.services.sync.province.imports import ProvinceSync
from app.db.engine import Database
from app.db.open import open_database
from app.sync.bundle import file_name
from tests.sync.helpers import audit_actions, db_digest, ward_state
from tests.sync.test_forks import SESSION, Forked, _checkpoint, _records, forked
from tests.sync.test_ownership import OTHER_WARD, _enroll

__all__ = ["forked"]  # the module fixture of test_forks, shared

WARD = "16681"
OTHER = OTHER_WARD.ward_code
REAL_ORDER = ((6, "r"), (6, "c"), (7, "c"), (7, "r"), (8, "r"), (8, "c"))


@dataclass
class Setup:
    forked: Forked
    template: Path  # bundles 1–5 of the ward and one bundle of another ward applied
    real_nine: Path  # the real station's next bundle, after the fork was resolved

    def path(self, seq: int, branch: str) -> Path:
        return (self.forked.real if branch == "r" else self.forked.clone)[seq]

    def province(self, folder: Path) -> tuple[Database, ProvinceSync]:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.template, folder / "province.sqlite")
        db = open_database(folder / "province.sqlite")
        pair = self.forked.pair
        return db, ProvinceSync(
            db, now=pair.clock, author="Trần Thị Bình", keys_folder=pair.province.keys_folder
        )

    def import_each(self, province: ProvinceSync, bundles: tuple[tuple[int, str], ...]) -> None:
        for seq, branch in bundles:
            province.import_bundles([self.path(seq, branch)], self.forked.pair.province_keys)


@pytest.fixture(scope="module")
def setup(forked: Forked) -> Iterator[Setup]:
    pair = forked.pair
    other = _enroll(pair, pair.folder / "other-ward", OTHER_WARD)
    for place in ("Phường bên 1", "Phường bên 2"):
        other.records().create("sessions", {**SESSION, "place": place})
    (report,) = pair.import_(other.sync.export(pair.stick, other.keys).path)
    assert report.outcome == "new"
    _checkpoint(pair.province_db)
    template = pair.folder / "province-with-other-ward.sqlite"
    shutil.copy(pair.province_db.path, template)
    _records(pair.ward_db).create("sessions", {**SESSION, "place": "Thật 9"})
    nine = pair.ward.export(pair.stick, pair.ward_keys)
    assert nine.seq == 9
    yield Setup(forked, template, nine.path)
    other.db.close()


def _rows(db: Database, query: str, *params: Any) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
    try:
        return sorted(connection.execute(query, params).fetchall(), key=repr)
    finally:
        connection.close()


def _station_state(db: Database, station: str) -> dict[str, Any]:
    """Everything a station's bundles wrote here, without local ids, counters or times."""
    records = {
        name: [row for row in rows if row[0] == station] for name, rows in ward_state(db).items()
    }
    carried = "entry_id, at, actor, action, table_name, record_uuid, changes, prev_hash, hash"
    return {
        "records": records,
        "versions": _rows(db, "SELECT * FROM sync_versions WHERE station_id = ?", station),
        "audit": _rows(
            db,
            f"SELECT {carried}, bundle_id, instance_id FROM sync_ward_audit WHERE station_id = ?",
            station,
        ),
        "rewrites": _rows(
            db,
            f"SELECT {carried}, bundle_id, content_sha256 FROM sync_ward_audit_rewrites "
            "WHERE station_id = ?",
            station,
        ),
        "check": _rows(
            db,
            "SELECT audit_head, audit_head_seq, audit_entries, audit_broken_at, audit_problem "
            "FROM sync_stations WHERE station_id = ?",
            station,
        ),
        "applied": _rows(
            db,
            "SELECT bundle_id, seq, manifest_sha256, summary FROM sync_inbox "
            "WHERE station_id = ? AND status = 'applied'",
            station,
        ),
    }


def _bundle_id(path: Path) -> str:
    return path.stem.split("_")[-1]


def test_accepting_the_quarantined_copy_is_as_if_only_it_was_received(
    setup: Setup, tmp_path: Path
) -> None:
    db, province = setup.province(tmp_path / "resolved")
    keys = setup.forked.pair.province_keys
    only, only_province = setup.province(tmp_path / "only-the-copy")
    try:
        setup.import_each(province, REAL_ORDER)  # the real station's 6 arrives first: applied
        other_before = _station_state(db, OTHER)
        assert [b.seqs for b in province.overview()[0].branches] == [(6, 7, 8)]
        clone_six = _bundle_id(setup.path(6, "c"))
        assert province.accepts_quarantined(WARD, clone_six[:8])

        result = province.resolve_fork(WARD, clone_six[:8], keys=keys)

        assert result.accepted_quarantined
        assert result.kept_seqs == (6, 7, 8) and result.rejected_seqs == (6, 7, 8)
        assert result.cutoff == 8
        setup.import_each(only_province, ((6, "c"), (7, "c"), (8, "c")))
        assert _station_state(db, WARD) == _station_state(only, WARD)
        assert ward_state(db) == ward_state(only)  # every ward's records, the other one's too
        clone_state = ward_state(setup.forked.clone_db)["outreach_sessions"]
        assert [r for r in ward_state(db)["outreach_sessions"] if r[0] == WARD] == clone_state
        assert _station_state(db, OTHER) == other_before
        statuses = dict(
            _rows(db, "SELECT bundle_id, status FROM sync_inbox WHERE station_id = ?", WARD)
        )
        for seq in (6, 7, 8):
            assert statuses[_bundle_id(setup.path(seq, "c"))] == "applied"
            assert statuses[_bundle_id(setup.path(seq, "r"))] == "rejected"
        row = province.overview()[0]
        assert row.branches == () and row.status == "revoked" and row.cutoff == 8
        assert audit_actions(db)[-2:] == ["resolve_fork", "revoke"]
        # the accepted bundles now have receipts, for the ward that sent them
        receipt = province.write_receipt_again(_bundle_id(setup.path(8, "c")), tmp_path)
        assert receipt.exists()
    finally:
        only.close()
        db.close()


def test_the_refused_copy_stays_refused_after_acceptance(setup: Setup, tmp_path: Path) -> None:
    db, province = setup.province(tmp_path / "p")
    keys = setup.forked.pair.province_keys
    try:
        setup.import_each(province, REAL_ORDER)
        province.resolve_fork(WARD, _bundle_id(setup.path(7, "c")), keys=keys)
        before = _station_state(db, WARD)
        (again,) = province.import_bundles([setup.path(7, "r")], keys)
        assert again.outcome == "rejected"
        (later,) = province.import_bundles([setup.real_nine], keys)
        assert later.outcome == "rejected" and "thu hồi" in later.reason
        (kept,) = province.import_bundles([setup.path(8, "c")], keys)
        assert kept.outcome == "duplicate"
        assert _station_state(db, WARD) == before
    finally:
        db.close()


def test_accepting_needs_the_administrator(setup: Setup, tmp_path: Path) -> None:
    from app.core.domain.access import Actor, Role

    db, province = setup.province(tmp_path / "p")
    pair = setup.forked.pair
    try:
        setup.import_each(province, REAL_ORDER)
        before = db_digest(db)
        for role in (Role.OFFICER, Role.CHIEF):
            other = ProvinceSync(
                db,
                now=pair.clock,
                actor=Actor("nguoidung", "Người dùng", role),
                keys_folder=pair.province.keys_folder,
            )
            with pytest.raises(UserFacingError):
                other.resolve_fork(WARD, _bundle_id(setup.path(6, "c")), keys=pair.province_keys)
        assert db_digest(db) == before
    finally:
        db.close()


def test_a_bundle_missing_from_the_archive_refuses_and_changes_nothing(
    setup: Setup, tmp_path: Path
) -> None:
    """Bundles received before the archive existed: the refusal names them; sent again, they
    are archived (and not applied twice), and the fork can then be resolved."""
    db, province = setup.province(tmp_path / "p")
    keys = setup.forked.pair.province_keys
    clone_seven = _bundle_id(setup.path(7, "c"))
    try:
        setup.import_each(province, REAL_ORDER)
        three = _rows(db, "SELECT bundle_id FROM sync_inbox WHERE station_id = ? AND seq = 3", WARD)
        connection = sqlite3.connect(db.path)
        with connection:
            connection.execute(
                "DELETE FROM sync_bundle_archive WHERE bundle_id IN (?, ?)",
                (three[0][0], clone_seven),
            )
        connection.close()
        before = db_digest(db)
        with pytest.raises(UserFacingError) as refused:
            province.resolve_fork(WARD, clone_seven, keys=keys)
        assert "3, 7" in str(refused.value) and "gửi lại" in str(refused.value.hint)
        assert db_digest(db) == before
        # without the keys, nothing happens either
        with pytest.raises(UserFacingError):
            province.resolve_fork(WARD, clone_seven)
        assert db_digest(db) == before
        (resent,) = province.import_bundles([setup.path(7, "c")], keys)
        assert resent.outcome == "fork"
        stick_three = setup.forked.pair.stick / file_name(WARD, 3, three[0][0])
        (again,) = province.import_bundles([stick_three], keys)
        assert again.outcome == "duplicate"
        assert province.resolve_fork(WARD, clone_seven, keys=keys).kept_seqs == (6, 7, 8)
    finally:
        db.close()


def test_the_archive_keeps_each_received_file_as_it_arrived(setup: Setup, tmp_path: Path) -> None:
    db, province = setup.province(tmp_path / "p")
    keys = setup.forked.pair.province_keys
    try:
        archived_before = _rows(db, "SELECT count(*) FROM sync_bundle_archive")
        province.import_bundles([setup.path(6, "r")], keys, dry_run=True)
        assert _rows(db, "SELECT count(*) FROM sync_bundle_archive") == archived_before
        setup.import_each(province, ((6, "r"), (6, "c")))  # applied, then quarantined
        for path in (setup.path(6, "r"), setup.path(6, "c")):
            data = path.read_bytes()
            (row,) = _rows(
                db,
                "SELECT sha256, station_id, seq, data FROM sync_bundle_archive WHERE bundle_id = ?",
                _bundle_id(path),
            )
            assert row == (hashlib.sha256(data).hexdigest(), WARD, 6, data)
        broken = tmp_path / "broken.mwb"
        broken.write_bytes(setup.path(7, "r").read_bytes()[:-10])
        count = _rows(db, "SELECT count(*) FROM sync_bundle_archive")
        assert province.import_bundles([broken], keys)[0].outcome == "rejected"
        assert _rows(db, "SELECT count(*) FROM sync_bundle_archive") == count
    finally:
        db.close()


def test_the_command_accepts_the_quarantined_copy_on_an_encrypted_province(
    setup: Setup, tmp_path: Path
) -> None:
    """``modelward province resolve-fork`` as a real subprocess, on a province with accounts
    and an encrypted database: the administrator accepts the quarantined copy (the command
    asks for the key passphrase), the chief cannot; the archive is as unreadable as the rest."""
    from tests.station_accounts import give_accounts
    from tests.sync.test_sync_cli_and_crashes import run

    folder = tmp_path / "province"
    db, province = setup.province(folder)
    try:
        setup.import_each(province, REAL_ORDER)
        _checkpoint(db)
    finally:
        db.close()
    path = folder / "province.sqlite"
    shutil.copytree(setup.forked.pair.province.keys_folder, folder / "keys" / path.stem)
    give_accounts(path)
    clone_six, clone_eight = _bundle_id(setup.path(6, "c")), _bundle_id(setup.path(8, "c"))
    resolve = ("--db", str(path), "province", "resolve-fork", WARD, "--accept", clone_six[:8])
    refused = run(*resolve, check=False, user="truong")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    done = run(*resolve, user="quantri").stdout
    assert "6, 7, 8" in done and "gỡ bỏ" in done
    run("--db", str(path), "bundle", "receipt", clone_eight, "--out", str(tmp_path))
    assert list(tmp_path.glob(f"*{clone_eight}*"))
    stored = path.read_bytes()
    assert b"sync_bundle_archive" not in stored and b"WSB1" not in stored


def test_a_branch_that_parted_before_the_applied_bundles_is_not_mixed_in(
    setup: Setup, tmp_path: Path
) -> None:
    """The real 6 and 7 are applied, then the copy's 7 and 8 arrive (its 6 never does): the
    copy's 7 does not follow the real 6, so accepting it would mix the two histories."""
    db, province = setup.province(tmp_path / "p")
    keys = setup.forked.pair.province_keys
    try:
        setup.import_each(province, ((6, "r"), (7, "r"), (7, "c"), (8, "c")))
        before = db_digest(db)
        with pytest.raises(UserFacingError) as refused:
            province.resolve_fork(WARD, _bundle_id(setup.path(7, "c")), keys=keys)
        assert "trộn" in str(refused.value)
        assert db_digest(db) == before
        setup.import_each(province, ((6, "c"),))  # now the branch starts where they parted
        result = province.resolve_fork(WARD, _bundle_id(setup.path(7, "c")), keys=keys)
        assert result.kept_seqs == (6, 7, 8) and result.rejected_seqs == (6, 7)
    finally:
        db.close()
