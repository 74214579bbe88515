"""The criteria-pack trust cases T46–T57 of signing-sync.md §4, against real signed folders."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner

from app.core.domain.errors import UserFacingError
from app.core.services import packs as service
from app.db.engine import Database
from app.sync.tuf_client import TrustError
from app.sync.tuf_repo import Expiry, Repository
from app.sync.usb_fetcher import UsbFetcher
from tests.sync.conftest import pack_file

NOW = datetime.now(UTC)


def snapshot_of(db: Database) -> list[tuple[object, ...]]:
    """Every row of the tables an install may touch, to prove a refusal changed nothing."""
    with sqlite3.connect(db.path) as raw:
        return [
            row
            for table in ("installed_packs", "pack_events", "trusted_metadata", "app_meta")
            for row in raw.execute(f"SELECT * FROM {table} ORDER BY 1")
        ]


def versions(db: Database) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for info in service.installed(db):
        found.setdefault(info.pack_id, []).append(info.version)
    return found


def refused(db: Database, folder: Path, now: datetime = NOW) -> str:
    before = snapshot_of(db)
    with pytest.raises(UserFacingError) as caught:
        service.install(db, folder, now, "test")
    assert snapshot_of(db) == before, "a refused install must leave the database unchanged"
    return caught.value.message


def test_t46_valid_repository_installs_atomically(
    db: Database, repo: Repository, tmp_path: Path
) -> None:
    result = service.install(db, repo.folder, NOW, "Nguyễn Văn An")
    assert {p.action for p in result.plans} == {"install"}
    assert versions(db) == {"bca-639-ward-police": [1], "ward-police-indicators": [1]}
    with sqlite3.connect(db.path) as raw:
        trusted = dict(raw.execute("SELECT role, version FROM trusted_metadata"))
    assert trusted == {"root": 1, "timestamp": 2, "snapshot": 2, "targets": 2}
    repo.add_packs([pack_file(tmp_path, "ward-police-indicators", version=2)])
    upgraded = service.install(db, repo.folder, NOW, "test")
    assert [p.action for p in upgraded.plans] == ["same", "upgrade"]
    assert versions(db)["ward-police-indicators"] == [1, 2]
    assert [e.action for e in service.history(db)][:1] == ["upgrade"]


def test_t46_a_failure_midway_installs_nothing(
    db: Database, repo: Repository, tmp_path: Path
) -> None:
    # The criteria pack needs the indicators pack; offering only a broken indicators pack
    # (a newer version that changes a code's meaning) must leave nothing half-installed.
    service.install(db, repo.folder, NOW, "test")
    bad = pack_file(
        tmp_path,
        "ward-police-indicators",
        version=2,
        change=lambda d: d["indicators"][0].update(aggregation="last"),
    )
    repo.add_packs([bad])
    inspection = service.inspect(db, repo.folder, NOW)
    plan = next(p for p in inspection.plans if p.pack.pack_id == "ward-police-indicators")
    assert plan.action == "refused" and "A01" in plan.reason
    assert "A01" in refused(db, repo.folder)
    assert versions(db)["ward-police-indicators"] == [1]


def test_t47_an_older_signed_release_is_a_rollback(
    installed_db: Database, repo: Repository, tmp_path: Path
) -> None:
    old_copy = tmp_path / "old-stick"
    shutil.copytree(repo.folder, old_copy)
    repo.add_packs([pack_file(tmp_path, "ward-police-indicators", version=2)])
    service.install(installed_db, repo.folder, NOW, "test")
    message = refused(installed_db, old_copy)
    assert "rollback" in message or "cũ hơn" in message
    # the same release again installs nothing, says so and changes nothing
    with pytest.raises(service.NothingInstalled) as again:
        service.install(installed_db, repo.folder, NOW, "test")
    assert {p.action for p in again.value.inspection.plans} == {"same"}


def test_t47_a_lower_pack_version_in_a_new_release_is_refused(
    installed_db: Database, repo: Repository, tmp_path: Path
) -> None:
    repo.add_packs([pack_file(tmp_path, "ward-police-indicators", version=5)])
    service.install(installed_db, repo.folder, NOW, "test")
    repo.add_packs([pack_file(tmp_path, "ward-police-indicators", version=4)])
    plans = service.inspect(installed_db, repo.folder, NOW).plans
    plan = next(p for p in plans if p.pack.pack_id == "ward-police-indicators")
    assert plan.action == "refused" and "4" in plan.reason and "5" in plan.reason
    refused(installed_db, repo.folder)
    assert max(versions(installed_db)["ward-police-indicators"]) == 5


def test_t48_expired_metadata_is_not_installed(
    installed_db: Database, repo: Repository, tmp_path: Path
) -> None:
    repo.add_packs([pack_file(tmp_path, "ward-police-indicators", version=2)])
    later = NOW + timedelta(days=200)  # past the 60-day timestamp and 180-day targets
    message = refused(installed_db, repo.folder, later)
    assert message
    # the installed packs keep working
    assert service.load_installed(installed_db, "ward-police-indicators").version == 1


def test_t48_an_already_expired_pack_is_never_newly_installed(
    installed_db: Database, repo: Repository, tmp_path: Path
) -> None:
    expired = pack_file(
        tmp_path,
        "ward-police-indicators",
        version=2,
        change=lambda d: d.update(effective_from="2020-01-01", expires="2021-12-31"),
    )
    repo.add_packs([expired])
    plan = next(
        p
        for p in service.inspect(installed_db, repo.folder, NOW).plans
        if p.pack.pack_id == "ward-police-indicators"
    )
    assert plan.action == "refused" and "31/12/2021" in plan.reason


def test_t49_a_clock_wound_back_cannot_revive_expired_metadata(
    installed_db: Database, repo: Repository, tmp_path: Path
) -> None:
    # The station has seen a time 100 days from now (a later install), so that is the
    # earliest "now" it will believe, whatever its clock says afterwards.
    short = Repository(repo.folder, repo.signers, Expiry(timestamp_days=30, snapshot_days=30))
    short.add_packs([pack_file(tmp_path, "ward-police-indicators", version=2)])
    with sqlite3.connect(installed_db.path) as raw:
        raw.execute(
            "UPDATE app_meta SET value = ? WHERE key = 'latest_known_time'",
            ((NOW + timedelta(days=100)).isoformat(),),
        )
    message = refused(installed_db, repo.folder, NOW)
    assert "timestamp" in message or "snapshot" in message
    assert service.clock_is_behind(installed_db, NOW)


def test_t50_mix_and_match_is_refused(
    installed_db: Database, repo: Repository, tmp_path: Path
) -> None:
    repo.add_packs([pack_file(tmp_path, "ward-police-indicators", version=2)])
    metadata = repo.metadata_dir
    newest = max(int(p.name.split(".")[0]) for p in metadata.glob("*.targets.json"))
    # serve the previous targets file under the newest name
    shutil.copy(metadata / f"{newest - 1}.targets.json", metadata / f"{newest}.targets.json")
    assert refused(installed_db, repo.folder)


def test_t51_root_signed_only_by_the_new_keys_is_refused(
    installed_db: Database, repo: Repository
) -> None:
    new_keys = [CryptoSigner.generate_ed25519() for _ in range(3)]
    root = repo.latest("root")
    for key_id in list(root.signed.roles["root"].keyids):
        root.signed.revoke_key(key_id, "root")
    for signer in new_keys:
        root.signed.add_key(signer.public_key, "root")
    root.signed.version += 1
    root.signatures.clear()
    for signer in new_keys:
        root.sign(signer, append=True)
    (repo.metadata_dir / "2.root.json").write_bytes(root.to_bytes())
    assert refused(installed_db, repo.folder)


def test_t51_a_proper_root_rotation_is_followed_and_a_gap_stops_the_chain(
    installed_db: Database, repo: Repository, tmp_path: Path
) -> None:
    new_keys = [CryptoSigner.generate_ed25519() for _ in range(3)]
    assert repo.rotate_root(new_keys, threshold=2) == 2
    repo.add_packs([pack_file(tmp_path, "ward-police-indicators", version=2)])
    service.install(installed_db, repo.folder, NOW, "test")
    with sqlite3.connect(installed_db.path) as raw:
        assert raw.execute(
            "SELECT version FROM trusted_metadata WHERE role = 'root'"
        ).fetchone() == (2,)
    # 3.root.json present but 2.root.json missing: a station still on root 1 cannot jump to
    # 3; it stays on root 1 (the other roles' keys did not change, so their signatures
    # still verify under root 1).
    fresh = tmp_path / "fresh.sqlite"
    from app.core.services.demo import DEMO_PROFILE
    from app.core.services.profile import set_up
    from app.db.open import open_database

    other = open_database(fresh)
    set_up(other, DEMO_PROFILE)
    repo.rotate_root([CryptoSigner.generate_ed25519() for _ in range(3)], threshold=2)
    (repo.metadata_dir / "2.root.json").unlink()
    try:
        service.install(other, repo.folder, NOW, "test")
        with sqlite3.connect(other.path) as raw:
            assert raw.execute(
                "SELECT version FROM trusted_metadata WHERE role = 'root'"
            ).fetchone() == (1,)
    finally:
        other.close()


def test_t53_a_replaced_pack_file_or_oversized_metadata_is_refused(
    installed_db: Database, repo: Repository, tmp_path: Path
) -> None:
    repo.add_packs([pack_file(tmp_path, "ward-police-indicators", version=2)])
    stored = max(
        (repo.targets_dir / "packs").glob("*.ward-police-indicators.json"),
        key=lambda p: p.stat().st_mtime_ns,
    )
    data = json.loads(stored.read_text(encoding="utf-8"))
    data["title"] = "Bộ chỉ tiêu đã bị sửa"
    stored.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    message = refused(installed_db, repo.folder)
    assert "thay đổi" in message or "changed" in message
    (repo.metadata_dir / "timestamp.json").write_bytes(b" " * (64 * 1024))
    assert refused(installed_db, repo.folder)


def test_t55_lost_trust_state_cannot_roll_packs_back(
    installed_db: Database, repo: Repository, tmp_path: Path
) -> None:
    old_copy = tmp_path / "old-stick"
    shutil.copytree(repo.folder, old_copy)
    repo.add_packs([pack_file(tmp_path, "ward-police-indicators", version=2)])
    service.install(installed_db, repo.folder, NOW, "test")
    with sqlite3.connect(installed_db.path) as raw:  # as if the TUF state were lost
        raw.execute("DELETE FROM trusted_metadata")
    inspection = service.inspect(installed_db, old_copy, NOW)
    plan = next(p for p in inspection.plans if p.pack.pack_id == "ward-police-indicators")
    assert plan.action == "refused"
    refused(installed_db, old_copy)
    assert max(versions(installed_db)["ward-police-indicators"]) == 2


def test_t56_two_instances_installing_at_once(db: Database, repo: Repository) -> None:
    """The second of two processes on one database waits for it or is refused by the
    single-instance lock; either way the packs are installed once, without a traceback."""
    db.close()  # only the two subprocesses use the database now
    from tests.station_accounts import give_accounts

    station = give_accounts(db.path)  # the command line changes no station without accounts
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "--db",
        str(db.path),
        "pack",
        "install",
        str(repo.folder),
    ]
    runs = [
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=station.env("truong"),
        )
        for _ in range(2)
    ]
    results = []
    for run in runs:
        _out, err = run.communicate(timeout=120)
        results.append((run.returncode, err))
    assert any(code == 0 for code, _err in results), results
    for code, err in results:
        assert code in (0, 2) and "Traceback" not in err
    from app.db.open import open_database

    reopened = open_database(db.path)  # encrypted now, with the key unlocked by give_accounts
    try:
        assert versions(reopened) == {"bca-639-ward-police": [1], "ward-police-indicators": [1]}
    finally:
        reopened.close()


@pytest.mark.parametrize(
    "url",
    [
        "usb://metadata/../../etc/passwd",
        "usb://metadata/..%2F..%2Fetc%2Fpasswd",
        "usb://targets/packs/%2E%2E/%2E%2E/secret.json",
        "usb://metadata/role%2Fwith%2Fslash.json",
        "usb://elsewhere/1.root.json",
        "file:///etc/passwd",
    ],
)
def test_t57_the_fetcher_stays_inside_the_repository(repo: Repository, url: str) -> None:
    (repo.folder.parent / "secret.json").write_text("{}")
    assert UsbFetcher(repo.folder)._resolve(url) is None
    assert UsbFetcher(repo.folder)._resolve("usb://metadata/1.root.json") is not None


def test_t57_a_symlink_out_of_the_repository_is_not_followed(
    repo: Repository, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    (repo.metadata_dir / "evil.json").symlink_to(outside)
    assert UsbFetcher(repo.folder)._resolve("usb://metadata/evil.json") is None


def test_a_repository_signed_by_unknown_keys_is_refused(db: Database, tmp_path: Path) -> None:
    from app.sync.tuf_repo import init_repository

    other = init_repository(tmp_path / "other", tmp_path / "keys", None)
    other.add_packs([pack_file(tmp_path, "ward-police-indicators")])
    message = refused(db, other.folder)
    assert "ký" in message or "signed" in message


def test_a_folder_that_is_not_a_repository(db: Database, tmp_path: Path) -> None:
    with pytest.raises(TrustError):
        service.inspect(db, tmp_path, NOW)


def test_requires_and_code_clashes_are_refused(
    db: Database, repo: Repository, tmp_path: Path
) -> None:
    lonely = tmp_path / "lonely"
    shutil.copytree(repo.folder, lonely)
    for stale in (lonely / "targets" / "packs").glob("*"):
        stale.unlink()
    solo = Repository(lonely, repo.signers)
    targets = solo.latest("targets")
    targets.signed.targets.clear()
    solo.add_packs([pack_file(tmp_path, "bca-639-ward-police")])
    # drop the indicators pack from the release: the criteria pack cannot be installed alone
    targets = solo.latest("targets")
    targets.signed.targets = {
        k: v for k, v in targets.signed.targets.items() if "indicators" not in k
    }
    targets.signed.version += 1
    solo._sign(targets, "targets")
    solo._write(targets, "targets")
    solo._publish_snapshot(targets.signed.version)
    plans = service.inspect(db, lonely, NOW).plans
    assert [p.action for p in plans] == ["refused"]
    assert "ward-police-indicators" in plans[0].reason

    service.install(db, repo.folder, NOW, "test")
    clash = pack_file(
        tmp_path, "ward-police-indicators", change=lambda d: d.update(pack_id="tinh-40-chi-tieu")
    )
    repo.add_packs([clash])
    plan = next(
        p
        for p in service.inspect(db, repo.folder, NOW).plans
        if p.pack.pack_id == "tinh-40-chi-tieu"
    )
    assert plan.action == "refused" and "A01" in plan.reason


def test_installed_pack_past_its_expiry_keeps_working(installed_db: Database) -> None:
    info = {i.pack_id: i for i in service.installed(installed_db)}["ward-police-indicators"]
    assert not info.expired(date(2030, 1, 1))
    with sqlite3.connect(installed_db.path) as raw:
        raw.execute("UPDATE installed_packs SET expires = '2026-01-31'")
    info = {i.pack_id: i for i in service.installed(installed_db)}["ward-police-indicators"]
    assert info.expired(date(2026, 11, 23))
    assert service.load_installed(installed_db, "ward-police-indicators").indicators


def test_the_shipped_repository_signs_exactly_the_shipped_packs() -> None:
    """resources/packs/repository must be rebuilt (tools/build_dev_repository.py) whenever a
    pack in resources/packs changes."""
    import hashlib

    from app.paths import resources_dir
    from app.sync.tuf_client import embedded_root, verify_repository

    verified = verify_repository(service.bundled_repository(), {"root": embedded_root()}, NOW)
    shipped = {
        f"packs/{p.stem}.json": hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (resources_dir() / "packs").glob("*.json")
        if "schema" not in p.name
    }
    signed = {path: hashlib.sha256(data).hexdigest() for path, data in verified.packs.items()}
    assert signed == shipped
    assert min(verified.expires.values()) > NOW + timedelta(days=3 * 365)


# --- issue 13 item 4: nothing installable is said, exits non-zero and stores nothing ------


def _rollback_relisted(db: Database, repo: Repository, tmp_path: Path) -> str:
    repo.add_packs([pack_file(tmp_path, "ward-police-indicators", version=5)])
    service.install(db, repo.folder, NOW, "test")
    repo.add_packs([pack_file(tmp_path, "ward-police-indicators", version=4)])
    return "từ chối quay lui phiên bản"


def _same_version_other_content(db: Database, repo: Repository, tmp_path: Path) -> str:
    changed = pack_file(
        tmp_path,
        "ward-police-indicators",
        version=1,
        change=lambda d: d.update(title=d["title"] + " (bản sửa)"),
    )
    repo.add_packs([changed])
    return "khác nội dung"


def _past_its_own_expiry(db: Database, repo: Repository, tmp_path: Path) -> str:
    expired = pack_file(
        tmp_path,
        "ward-police-indicators",
        version=2,
        change=lambda d: d.update(effective_from="2020-01-01", expires="2021-12-31"),
    )
    repo.add_packs([expired])
    return "31/12/2021"


NOTHING_INSTALLABLE = {
    "rollback re-listed": _rollback_relisted,
    "same version, other content": _same_version_other_content,
    "past its own expiry": _past_its_own_expiry,
}


@pytest.mark.parametrize("case", sorted(NOTHING_INSTALLABLE))
def test_nothing_installable_stores_nothing_not_even_the_new_metadata(
    installed_db: Database, repo: Repository, tmp_path: Path, case: str
) -> None:
    NOTHING_INSTALLABLE[case](installed_db, repo, tmp_path)
    later = NOW + timedelta(days=1)  # the latest-known time would move if anything were stored
    message = refused(installed_db, repo.folder, later)
    assert message.startswith("Không có gói nào được cài đặt.")
    assert "ward-police-indicators" in message and "bca-639-ward-police" in message


def _station_with_accounts(db: Database, tmp_path: Path) -> dict[str, str]:
    """The administrator's environment for the command line (the first login encrypts)."""
    import os

    from app.security.accounts import Accounts, KdfParams

    db.close()
    accounts = Accounts(db.path, kdf=KdfParams(time_cost=1, memory_cost=8, parallelism=1))
    accounts.create("quantri", "Lê Quản Trị", "mật khẩu quản trị 2026")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
    env |= {
        "MODELWARD_DATA_DIR": str(tmp_path / "data"),
        "MODELWARD_USER": "quantri",
        "MODELWARD_PASSWORD": "mật khẩu quản trị 2026",
    }
    first = _cli(db, env, "pack", "list")
    assert first.returncode == 0, first.stderr
    return env


def _cli(db: Database, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--db", str(db.path), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _files(db: Database, tmp_path: Path) -> dict[str, bytes]:
    """The database, its sidecar files and the backups, byte for byte."""
    found = {
        path.name: path.read_bytes()
        for path in db.path.parent.glob(db.path.name + "*")
        if path.is_file() and not path.name.endswith(".lock")
    }
    backups = tmp_path / "data" / "backups"
    found |= {f"backup/{p.name}": b"" for p in backups.glob("*")} if backups.exists() else {}
    return found


@pytest.mark.parametrize("case", sorted(NOTHING_INSTALLABLE))
def test_the_command_line_says_nothing_was_installed_and_exits_non_zero(
    installed_db: Database, repo: Repository, tmp_path: Path, case: str
) -> None:
    reason = NOTHING_INSTALLABLE[case](installed_db, repo, tmp_path)
    env = _station_with_accounts(installed_db, tmp_path)
    before = _files(installed_db, tmp_path)
    result = _cli(installed_db, env, "pack", "install", str(repo.folder))
    assert result.returncode != 0
    assert "Không có gói nào được cài đặt" in result.stderr
    assert reason in result.stderr and "Đã cài đặt" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert _files(installed_db, tmp_path) == before  # not a byte changed, no backup taken


def test_a_clock_set_back_warns_on_the_command_line_and_history_keeps_the_trusted_time(
    installed_db: Database, repo: Repository, tmp_path: Path
) -> None:
    seen = NOW + timedelta(days=20)
    with sqlite3.connect(installed_db.path) as raw:
        raw.execute(
            "UPDATE app_meta SET value = ? WHERE key = 'latest_known_time'", (seen.isoformat(),)
        )
    repo.add_packs([pack_file(tmp_path, "ward-police-indicators", version=2)])
    inspection = service.install(installed_db, repo.folder, NOW, "test")
    assert inspection.clock_behind and inspection.trusted_at == seen
    newest = service.history(installed_db)[0]
    assert (newest.version, newest.at, newest.trusted_at) == (2, NOW, seen)
    assert "trusted_at" not in newest.summary

    env = _station_with_accounts(installed_db, tmp_path)
    warned = _cli(installed_db, env, "pack", "inspect", str(repo.folder))
    assert warned.returncode == 0, warned.stderr
    assert "Đồng hồ máy tính đang chậm hơn" in warned.stderr
    history = _cli(installed_db, env, "pack", "history")
    line = next(x for x in history.stdout.splitlines() if "v2" in x)
    assert f"{seen.astimezone():%d/%m/%Y %H:%M}" in line and f"{NOW.astimezone():%d/%m/%Y}" in line
