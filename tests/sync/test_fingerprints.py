"""A wrong fingerprint is only called wrong: the right value is never printed, or the paper
check would prove nothing (issue 13, item 7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.sync.trust import fingerprint_matches
from tests.sync.test_sync_cli_and_crashes import ROOT, fingerprint_in

ENV = {
    "MODELWARD_KEY_PASSPHRASE": "mật khẩu trạm 2026",
    "MODELWARD_USER": "quantri",
    "MODELWARD_PASSWORD": "mật khẩu quản trị 2026",
}


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``modelward`` as the station's administrator would run it."""
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "--lang", "vi", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **ENV},
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def set_up(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A new ward and a new province, each set up from the command line with its admin."""
    ward = tmp_path / "ward" / "ward.sqlite"
    province = tmp_path / "province" / "province.sqlite"
    stick = tmp_path / "usb"
    for folder in (ward.parent, province.parent, stick):
        folder.mkdir()
    run("--db", str(province), "province", "setup", "--province", "40", "--admin", "quantri")
    run(
        "--db", str(ward), "setup", "ward", "--unit", "16681", "--province", "40",
        "--name", "Công an phường Trường Vinh", "--admin", "quantri",
    )  # fmt: skip
    return ward, province, stick


def _near_miss(real: str) -> str:
    """The real fingerprint with its last character changed: what a careless copy looks like."""
    last = "0" if real[-1] != "0" else "1"
    return real[:-1] + last


def test_fingerprint_matching_ignores_case_and_spaces_only() -> None:
    key = "11" * 32
    from app.sync.envelope import fingerprint
    from app.sync.trust import signing_key_id

    printed = fingerprint(signing_key_id(key))
    assert fingerprint_matches(printed, key)
    assert fingerprint_matches(printed.lower().replace(" ", ""), key)
    assert fingerprint_matches("  " + printed.replace(" ", "   ") + " ", key)
    assert not fingerprint_matches(_near_miss(printed), key)
    assert not fingerprint_matches("", key)
    assert not fingerprint_matches(printed[:-5], key)
    assert not fingerprint_matches("Đ" + printed, key)


def test_wrong_fingerprints_never_show_the_right_one(tmp_path: Path) -> None:
    ward, province, stick = set_up(tmp_path)
    province_fp = fingerprint_in(run("--db", str(province), "keys", "create").stdout, "ký")
    run("--db", str(ward), "keys", "create")
    ward_fp = fingerprint_in(run("--db", str(ward), "keys", "show").stdout, "ký")
    request = stick / "dang-ky.mwe"
    run("--db", str(ward), "keys", "enrollment", "--out", str(request))

    # province side: trust enroll
    wrong = run(
        "--db", str(province), "trust", "enroll", str(request), "--fingerprint",
        _near_miss(ward_fp), check=False,
    )  # fmt: skip
    output = wrong.stdout + wrong.stderr
    assert wrong.returncode == 2 and "không khớp" in output
    for shown in (ward_fp, ward_fp.replace(" ", ""), ward_fp.replace(" ", "").lower()):
        assert shown not in output
    assert "16681" not in run("--db", str(province), "province", "overview").stdout

    run("--db", str(province), "trust", "enroll", str(request), "--fingerprint", ward_fp)
    trust_list = stick / "tin-cay.mwt"
    run("--db", str(province), "trust", "publish", "--out", str(trust_list))

    # ward side: the first trust import with a wrong fingerprint
    wrong = run(
        "--db", str(ward), "trust", "import", str(trust_list), "--fingerprint",
        _near_miss(province_fp), check=False,
    )  # fmt: skip
    output = wrong.stdout + wrong.stderr
    assert wrong.returncode == 2 and "không khớp" in output
    for shown in (province_fp, province_fp.replace(" ", ""), province_fp.replace(" ", "").lower()):
        assert shown not in output
    assert "Chưa cài danh sách tin cậy" in run("--db", str(ward), "trust", "show").stdout
    # the right one still works
    run("--db", str(ward), "trust", "import", str(trust_list), "--fingerprint", province_fp)
