"""A cloned ward PC and the real one send bundles 6, 7, 8 each: in whatever order they reach
the province, one history is applied and the other is quarantined whole, never mixed
(issue 13, item 1). Then the province resolves the fork, on the record."""

from __future__ import annotations

import itertools
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core.domain.errors import UserFacingError
from app.core.services.records import RecordService
from app.core.services.sync.province.imports import ProvinceSync
from app.core.services.sync.ward import WardSync
from app.db import audit
from app.db.engine import Database
from app.db.open import open_database
from tests.sync.bundle_pairs import Pair, make_pair, receipt_bytes
from tests.sync.helpers import province_state, ward_state

SESSION = {
    "held_on": date(2026, 11, 2),
    "topic": "pccc_cnch",
    "place": "Nhà văn hoá khối 3",
    "audience": "Nhân dân khối 3",
    "attendance": 85,
    "presenter": "Lê Văn Hùng",
}


def _records(db: Database) -> RecordService:
    return RecordService(db, author="Nguyễn Văn An", today=lambda: date(2026, 11, 23))


@dataclass
class Forked:
    """Bundles 1–5 applied at the province (its file kept as a template); then the ward PC
    was copied, keys and all, and each copy exported 6, 7 and 8 with its own changes."""

    pair: Pair
    province_template: Path
    real: dict[int, Path]
    clone: dict[int, Path]
    real_db: Database
    clone_db: Database

    def name(self, path: Path) -> str:
        for branch, paths in (("r", self.real), ("c", self.clone)):
            for seq, candidate in paths.items():
                if candidate == path:
                    return f"{seq}{branch}"
        raise AssertionError(path)


def _checkpoint(db: Database) -> None:
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.fixture(scope="module")
def forked(tmp_path_factory: pytest.TempPathFactory, ward_template: Path) -> Iterator[Forked]:
    pair = make_pair(tmp_path_factory.mktemp("forks") / "pair", ward_template)
    for number in range(5):
        if number:
            _records(pair.ward_db).create("sessions", {**SESSION, "attendance": number})
        (report,) = pair.import_(pair.export())
        assert report.outcome == "new"
        pair.ward.import_receipt(receipt_bytes(report))
    _checkpoint(pair.province_db)
    template = pair.folder / "province-after-5.sqlite"
    shutil.copy(pair.province_db.path, template)
    _checkpoint(pair.ward_db)
    clone_folder = pair.folder / "clone"
    shutil.copytree(pair.ward_db.path.parent, clone_folder)  # the database and its keys
    clone_db = open_database(clone_folder / pair.ward_db.path.name)
    clone = WardSync(clone_db, now=pair.clock, author="Kẻ sao chép")
    clone_keys = clone.unlock("mật khẩu trạm 2026")
    (pair.folder / "clone-stick").mkdir()
    real: dict[int, Path] = {}
    copied: dict[int, Path] = {}
    for seq in (6, 7, 8):
        pair.clock.advance(minutes=5)
        _records(pair.ward_db).create("sessions", {**SESSION, "place": f"Thật {seq}"})
        exported = pair.ward.export(pair.stick, pair.ward_keys)
        _records(clone_db).create("sessions", {**SESSION, "place": f"Bản sao {seq}"})
        _records(clone_db).create("sessions", {**SESSION, "place": f"Bản sao {seq}b"})
        other = clone.export(pair.folder / "clone-stick", clone_keys)
        assert exported.seq == other.seq == seq
        real[seq], copied[seq] = exported.path, other.path
    yield Forked(pair, template, real, copied, pair.ward_db, clone_db)
    clone_db.close()
    pair.ward_db.close()
    pair.province_db.close()


def _fresh_province(forked: Forked, folder: Path) -> tuple[Database, ProvinceSync]:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(forked.province_template, folder / "province.sqlite")
    db = open_database(folder / "province.sqlite")
    province = ProvinceSync(
        db,
        now=forked.pair.clock,
        author="Trần Thị Bình",
        keys_folder=forked.pair.province.keys_folder,
    )
    return db, province


def _branch_status(db: Database) -> dict[str, str]:
    """seq + r/c → status, for bundles 6–8 of both copies."""
    import sqlite3

    connection = sqlite3.connect(db.path)
    try:
        rows = connection.execute(
            "SELECT bundle_id, seq, status FROM sync_inbox WHERE seq >= 6"
        ).fetchall()
    finally:
        connection.close()
    return {f"{seq}{bundle_id}": status for bundle_id, seq, status in rows}


def _assert_one_history(forked: Forked, db: Database, order: str) -> str:
    statuses = {}
    for branch, paths in (("r", forked.real), ("c", forked.clone)):
        for seq, path in paths.items():
            bundle_id = path.stem.split("_")[-1]
            statuses[f"{seq}{branch}"] = _branch_status(db).get(f"{seq}{bundle_id}")
    applied = {key[-1] for key, status in statuses.items() if status == "applied"}
    assert len(applied) == 1, (order, statuses)
    (winner,) = applied
    loser = "c" if winner == "r" else "r"
    assert all(statuses[f"{s}{winner}"] == "applied" for s in (6, 7, 8)), (order, statuses)
    assert all(statuses[f"{s}{loser}"] == "fork" for s in (6, 7, 8)), (order, statuses)
    expected = ward_state(forked.real_db if winner == "r" else forked.clone_db)
    assert province_state(db)[0] == expected, order
    return winner


def _import_in_order(forked: Forked, folder: Path, order: tuple[Path, ...], batch: int) -> str:
    db, province = _fresh_province(forked, folder)
    try:
        for start in range(0, len(order), batch):
            province.import_bundles(list(order[start : start + batch]), forked.pair.province_keys)
        names = " ".join(forked.name(p) for p in order)
        winner = _assert_one_history(forked, db, names)
        (row,) = province.overview()
        (branch,) = row.branches
        assert branch.seqs == (6, 7, 8) and branch.rival_seqs == (6, 7, 8)
        return winner
    finally:
        db.close()


def _all_orders(forked: Forked) -> list[tuple[Path, ...]]:  # the 720 orders of the six
    six = [*forked.real.values(), *forked.clone.values()]
    return list(itertools.permutations(six))


def _snapshot(source: Path, target: Path) -> None:
    import sqlite3

    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
    live.close()
    copy.close()


def _applied_names(forked: Forked, db: Database) -> frozenset[str]:
    statuses = _branch_status(db)
    return frozenset(
        f"{seq}{branch}"
        for branch, paths in (("r", forked.real), ("c", forked.clone))
        for seq, path in paths.items()
        if statuses.get(f"{seq}{path.stem.split('_')[-1]}") == "applied"
    )


def test_every_order_of_both_copies_never_mixes_them(forked: Forked, tmp_path: Path) -> None:
    """All 720 orders, one bundle per import. After every import the applied bundles 6–8 are
    of one copy only; at the end that copy is applied whole, the other quarantined whole.

    The province decides from its database alone, so two orders that reach the same state
    (the same bundles received, the same ones applied) go on identically: each state is
    imported into once and its continuations are shared, which covers every order."""
    names = {f"{seq}{branch}": path for branch, paths in (("r", forked.real), ("c", forked.clone))
             for seq, path in paths.items()}  # fmt: skip
    states: dict[tuple[frozenset[str], frozenset[str]], int] = {}  # state → orders through it
    winners: set[str] = set()
    counter = itertools.count()

    def visit(snapshot: Path, received: frozenset[str]) -> int:
        if len(received) == len(names):
            db = open_database(snapshot)
            try:
                winners.add(_assert_one_history(forked, db, " ".join(sorted(received))))
            finally:
                db.close()
            return 1
        orders = 0
        for name in sorted(set(names) - received):
            folder = tmp_path / f"s{next(counter)}"
            _snapshot(snapshot, folder / "province.sqlite")
            db = open_database(folder / "province.sqlite")
            province = ProvinceSync(
                db, now=forked.pair.clock, keys_folder=forked.pair.province.keys_folder
            )
            try:
                province.import_bundles([names[name]], forked.pair.province_keys)
                applied = _applied_names(forked, db)
            finally:
                db.close()
            assert len({a[-1] for a in applied}) <= 1, (received, name, applied)  # never mixed
            key = (received | {name}, applied)
            if key not in states:
                states[key] = visit(folder / "province.sqlite", received | {name})
            orders += states[key]
        return orders

    start = tmp_path / "start" / "province.sqlite"
    _snapshot(forked.province_template, start)
    assert visit(start, frozenset()) == 720
    assert winners == {"r", "c"}  # whichever copy's chain the province meets first


def test_orders_in_batches_apply_one_history_whole(forked: Forked, tmp_path: Path) -> None:
    orders = _all_orders(forked)
    for number, order in enumerate(random.Random(13).sample(orders, 30)):
        batch = 2 + number % 5  # 2 to 6 files in one import
        _import_in_order(forked, tmp_path / f"b{number}", order, batch)


def test_the_continuation_of_a_fork_is_quarantined_with_it(forked: Forked, tmp_path: Path) -> None:
    """The reported case: the clone's 6 is quarantined, then its 7 must not be merged."""
    db, province = _fresh_province(forked, tmp_path / "p")
    keys = forked.pair.province_keys
    try:
        assert province.import_bundles([forked.real[6]], keys)[0].outcome == "new"
        assert province.import_bundles([forked.clone[6]], keys)[0].outcome == "fork"
        (seventh,) = province.import_bundles([forked.clone[7]], keys)
        assert seventh.outcome == "fork" and "cách ly" in seventh.reason
        assert seventh.receipt_path is None
        (real_seventh,) = province.import_bundles([forked.real[7]], keys)
        assert real_seventh.outcome == "new"
        entries = _audit_actions(db)
        assert entries.count("quarantine") == 2
    finally:
        db.close()


def _audit_actions(db: Database) -> list[str]:
    with db.read() as session:
        return [entry.action for entry in reversed(audit.entries(session))]


def test_resolving_keeps_the_applied_branch_and_revokes_the_key(
    forked: Forked, tmp_path: Path
) -> None:
    db, province = _fresh_province(forked, tmp_path / "p")
    keys = forked.pair.province_keys
    try:
        paths = [forked.clone[6], forked.real[6], forked.real[7], forked.clone[7]]
        for path in paths:
            province.import_bundles([path], keys)
        station = province.overview()[0].station_id
        (branch,) = province.overview()[0].branches
        quarantined = branch.bundles[0].bundle_id
        # accepting the quarantined branch applies it from the archive: without the keys to
        # open it, that is refused and nothing changes (tests/sync/test_fork_accept.py)
        with pytest.raises(UserFacingError) as refused:
            province.resolve_fork(station, quarantined)
        assert "khoá" in str(refused.value)
        assert province.overview()[0].branches  # nothing changed
        kept = forked.clone[7].stem.split("_")[-1]
        result = province.resolve_fork(station, kept)
        assert result.rejected_seqs == (6, 7) and result.cutoff == 7
        row = province.overview()[0]
        assert row.branches == () and row.status == "revoked" and row.cutoff == 7
        assert _audit_actions(db)[-2:] == ["resolve_fork", "revoke"]
        # the rejected bundles stay refused, and so does anything new from the old key
        (again,) = province.import_bundles([forked.real[7]], keys)
        assert again.outcome == "rejected"
        (later,) = province.import_bundles([forked.clone[8]], keys)
        assert later.outcome == "rejected" and "thu hồi" in later.reason
    finally:
        db.close()


def test_resolving_needs_the_key_managers_role(forked: Forked, tmp_path: Path) -> None:
    from app.core.domain.access import Actor, Role

    db, _province = _fresh_province(forked, tmp_path / "p")
    try:
        officer = ProvinceSync(
            db,
            now=forked.pair.clock,
            actor=Actor("canbo", "Cán bộ", Role.OFFICER),
            keys_folder=forked.pair.province.keys_folder,
        )
        with pytest.raises(UserFacingError):
            officer.resolve_fork("16681", "whatever")
    finally:
        db.close()


def test_the_province_screen_shows_both_branches_and_resolves(
    qtbot: QtBot, forked: Forked, tmp_path: Path
) -> None:
    from app.ui.widgets.province_page import ProvincePage

    db, province = _fresh_province(forked, tmp_path / "p")
    keys = forked.pair.province_keys
    try:
        for path in (forked.real[6], forked.clone[6], forked.clone[7], forked.real[7]):
            province.import_bundles([path], keys)
        page = ProvincePage(db, 2026, service=province)
        qtbot.addWidget(page)
        qtbot.waitUntil(lambda: not page.refreshing(), timeout=10000)
        warnings = page.model.text(0, 7)
        clone_six = forked.clone[6].stem.split("_")[-1][:8]
        assert "nhánh từ gói số 6" in warnings and "#6, #7" in warnings
        assert f"#6 {clone_six}" in warnings and "#7" in warnings
        asked: list[str] = []

        def confirm(_title: str, text: str, _yes: str) -> bool:
            asked.append(text)
            return True

        page.confirm_action = confirm
        page.overview.selectRow(0)
        dialog = page.resolve_fork()  # the choice: tests/ui/test_fork_dialog.py
        assert dialog is not None
        dialog.choices[0].setChecked(True)  # the history applied here
        dialog.resolve_button.click()
        qtbot.waitUntil(lambda: dialog.resolution is not None, timeout=10000)
        result = dialog.resolution
        assert result is not None and result.rejected_seqs == (6, 7)
        assert "6, 7" in asked[0]
        qtbot.waitUntil(lambda: not page.refreshing(), timeout=10000)
        assert page.model.text(0, 2) == "đã thu hồi sau gói số 7"
        assert "nhánh" not in page.model.text(0, 7)
    finally:
        db.close()


def test_a_restored_ward_arriving_out_of_order_is_not_a_fork(pair: Pair) -> None:
    """A ward restored from a backup rewrites audit entries on purpose, under a new instance.
    Its next bundle arrives before the one it follows, while the province already holds other
    entries under the same numbers: it is applied, not taken for a copy's fork."""
    from app.core.services import backup_steps as backup

    ward_path = pair.ward_db.path
    (report,) = pair.import_(pair.export())
    pair.ward.import_receipt(receipt_bytes(report))
    old = backup.create_backup(ward_path, "manual")
    _records(pair.ward_db).create("sessions", {**SESSION, "place": "Trước khôi phục"})
    (second,) = pair.import_(pair.export())  # carries entry N+1; no receipt reaches the ward
    assert second.outcome == "new"
    _records(pair.ward_db).create("sessions", {**SESSION, "place": "Trước khôi phục 2"})
    third = pair.export()  # not imported yet
    pair.ward_db.close()
    backup.restore_backup(ward_path, old.path, actor="Quản trị")
    pair.ward_db = open_database(ward_path)
    pair.ward = WardSync(pair.ward_db, now=pair.clock, author="Nguyễn Văn An")
    _records(pair.ward_db).create("sessions", {**SESSION, "place": "Sau khôi phục"})
    fourth = pair.export()  # links to the third, carries other entries from N+1 on
    (late,) = pair.import_(fourth)
    assert late.outcome == "new", late.reason
    (early,) = pair.import_(third)
    assert early.outcome == "new", early.reason
    row = pair.province.overview()[0]
    assert row.forks == 0 and row.branches == () and row.missing_seqs == ()
