"""Both ends through the ``modelward`` command as real subprocesses, and SIGKILL during
import and export: afterwards the databases are intact and nothing is half-applied."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import cast

import pytest

from app.db import cipher
from app.db.engine import Database
from tests.station_accounts import PASSWORDS, give_accounts
from tests.sync.bundle_pairs import Pair
from tests.sync.helpers import ward_state

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "mật khẩu trạm 2026"


def run(*args: str, check: bool = True, user: str = "truong") -> subprocess.CompletedProcess[str]:
    """The command as ``user`` (quantri: administrator, truong: chief; tests.station_accounts)."""
    env = {**_as(user), "MODELWARD_KEY_PASSPHRASE": PASSPHRASE}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "--lang", "vi", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _as(user: str) -> dict[str, str]:
    return {**os.environ, "MODELWARD_USER": user, "MODELWARD_PASSWORD": PASSWORDS[user]}


def fingerprint_in(output: str, label: str) -> str:
    line = next(line for line in output.splitlines() if label in line)
    return line.split(":", 1)[1].strip()


@pytest.fixture
def stations(tmp_path: Path, ward_template: Path) -> tuple[Path, Path, Path]:
    """A ward and a province set up, keyed, enrolled and trusting each other, all via CLI
    (the ward's records come from the template, its accounts from tests.station_accounts)."""
    ward = tmp_path / "ward" / "ward.sqlite"
    ward.parent.mkdir()
    shutil.copy(ward_template, ward)
    give_accounts(ward)
    province = tmp_path / "province" / "province.sqlite"
    province.parent.mkdir()
    stick = tmp_path / "usb"
    stick.mkdir()
    setup = ["province", "setup", "--province", "40", "--admin", "quantri"]
    run("--db", str(province), *setup, user="quantri")
    new_chief = {**_as("quantri"), "MODELWARD_NEW_PASSWORD": "tạm thời 12345"}
    for argv, env in (
        (["users", "add", "truong", "--role", "chief"], new_chief),
        (["users", "password"], {**_as("truong"), "MODELWARD_PASSWORD": "tạm thời 12345",
                                 "MODELWARD_NEW_PASSWORD": PASSWORDS["truong"]}),
    ):  # fmt: skip
        made = subprocess.run(
            [sys.executable, "-m", "app.cli", "--db", str(province), *argv],
            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
    shown = run("--db", str(province), "keys", "create", user="quantri").stdout
    province_fp = fingerprint_in(shown, "ký")
    run("--db", str(ward), "keys", "create", user="quantri")
    ward_fp = fingerprint_in(run("--db", str(ward), "keys", "show").stdout, "ký")
    run("--db", str(ward), "keys", "enrollment", "--out", str(stick / "dang-ky.mwe"))
    wrong = run(
        "--db",
        str(province),
        "trust",
        "enroll",
        str(stick / "dang-ky.mwe"),
        "--fingerprint",
        "0000 0000",
        check=False,
        user="quantri",
    )
    assert wrong.returncode == 2 and "không khớp" in wrong.stderr
    run(
        "--db",
        str(province),
        "trust",
        "enroll",
        str(stick / "dang-ky.mwe"),
        "--fingerprint",
        ward_fp,
        user="quantri",
    )
    run(
        "--db",
        str(province),
        "trust",
        "publish",
        "--out",
        str(stick / "tin-cay.mwt"),
        user="quantri",
    )
    unconfirmed = run(
        "--db",
        str(ward),
        "trust",
        "import",
        str(stick / "tin-cay.mwt"),
        check=False,
        user="quantri",
    )
    assert unconfirmed.returncode == 2 and province_fp in unconfirmed.stderr
    run(
        "--db",
        str(ward),
        "trust",
        "import",
        str(stick / "tin-cay.mwt"),
        "--fingerprint",
        province_fp,
        user="quantri",
    )
    return ward, province, stick


def test_round_trip_through_the_command_line(stations: tuple[Path, Path, Path]) -> None:
    ward, province, stick = stations
    exported = run("--db", str(ward), "bundle", "export", "--out", str(stick)).stdout
    assert "Gói 1" in exported
    (bundle,) = stick.glob("*.wsb")
    inspected = run("--db", str(province), "bundle", "inspect", str(bundle)).stdout
    assert "station_id: 16681" in inspected and "seq: 1" in inspected
    dry = run("--db", str(province), "bundle", "import", "--dry-run", str(bundle)).stdout
    assert "Chạy thử" in dry and not list(stick.glob("*.wsr"))
    imported = run("--db", str(province), "bundle", "import", str(bundle)).stdout
    assert "đã nhập" in imported
    (receipt,) = stick.glob("*.wsr")
    assert "xác nhận" in run("--db", str(ward), "receipt", "import", str(receipt)).stdout
    outbox = run("--db", str(ward), "bundle", "outbox").stdout
    assert "Công an tỉnh đã xác nhận" in outbox
    overview = run("--db", str(province), "province", "overview").stdout
    assert "16681" in overview and "#1" in overview
    # a tampered copy is refused with a Vietnamese reason and exit code 1
    bad = stick / "bad.wsb"
    data = bytearray(bundle.read_bytes())
    data[-5] ^= 0xFF
    bad.write_bytes(bytes(data))
    refused = run("--db", str(province), "bundle", "import", str(bad), check=False)
    assert refused.returncode == 1 and "bị từ chối" in refused.stdout


def _counts(path: Path) -> tuple[int, int]:
    connection = cipher.connect(path)  # encrypted: the key was unlocked by give_accounts
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        inbox = connection.execute("SELECT COUNT(*) FROM sync_inbox").fetchone()[0]
        rows = connection.execute(
            "SELECT COUNT(*) FROM outreach_sessions t JOIN units u ON u.id = t.owner_unit_id "
            "WHERE u.kind = 'ward_police'"
        ).fetchone()[0]
        return inbox, rows
    finally:
        connection.close()


def _kill_after(args: list[str], delay: float) -> int:
    env = {**_as("truong"), "MODELWARD_KEY_PASSPHRASE": PASSPHRASE}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    return process.wait(timeout=60)


def test_killing_the_import_never_leaves_half_a_bundle(pair: Pair, tmp_path: Path) -> None:
    ward, province, stick = pair.ward_db.path, pair.province_db.path, pair.stick
    # from here on only the subprocesses touch the databases (one process per database)
    pair.province_db.close()
    pair.ward_db.close()
    expected_rows = len(  # _Db: only the path, which is all the snapshot helpers read
        [r for r in ward_state(cast(Database, _Db(ward))).get("outreach_sessions", [])]
    )
    give_accounts(ward)
    give_accounts(province)
    run("--db", str(ward), "bundle", "export", "--out", str(stick))
    (bundle,) = stick.glob("*.wsb")
    pristine = tmp_path / "pristine.sqlite"
    shutil.copy(province, pristine)
    rng = random.Random(2026)
    outcomes = set()
    for _trial in range(5):
        shutil.copy(pristine, province)
        for suffix in ("-wal", "-shm"):
            Path(f"{province}{suffix}").unlink(missing_ok=True)
        _kill_after(["--db", str(province), "bundle", "import", str(bundle)], rng.uniform(0.3, 2.5))
        inbox, rows = _counts(province)
        assert (inbox, rows) in ((0, 0), (1, expected_rows)), (inbox, rows)
        outcomes.add(inbox)
        # whatever happened, importing again completes the job exactly once
        run("--db", str(province), "bundle", "import", str(bundle), check=False)
        assert _counts(province) == (1, expected_rows)
    # kills landed before and after the commit (timings are random but seeded)
    print("inbox rows after each kill:", outcomes)


def test_killing_the_export_leaves_only_whole_bundles(pair: Pair) -> None:
    ward, province, stick = pair.ward_db.path, pair.province_db.path, pair.stick
    pair.ward_db.close()
    pair.province_db.close()
    give_accounts(ward)
    give_accounts(province)
    rng = random.Random(7)
    for _trial in range(5):
        _kill_after(
            ["--db", str(ward), "bundle", "export", "--out", str(stick)], rng.uniform(0.3, 2.0)
        )
    # every file with the bundle name is complete and verifies; no half-written final file
    for path in stick.glob("*.wsb"):
        result = run("--db", str(province), "bundle", "inspect", str(path), check=False)
        assert result.returncode == 0, (path.name, result.stderr)
    assert all(not p.name.startswith("WSB1") for p in stick.glob(".*"))
    # the next export works, and takes a number no killed export could have used
    out = run("--db", str(ward), "bundle", "export", "--out", str(stick)).stdout
    number = re.search(r"Gói (\d+)", out)
    assert number is not None, out
    seq = int(number.group(1))
    names = [p.name for p in stick.glob("*.wsb")]
    assert sum(f"_{seq:08d}_" in n for n in names) == 1
    imported = run(
        "--db", str(province), "bundle", "import", *map(str, stick.glob("*.wsb")), check=False
    )
    assert "cách ly" not in imported.stdout


class _Db:
    """Just enough of a Database for the read-only snapshot helpers."""

    def __init__(self, path: Path) -> None:
        self.path = path
