"""A wrong fingerprint is only called wrong: the right value is never printed, or the paper
check would prove nothing (issue 13, item 7)."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.sync.trust import fingerprint_matches
from tests.sync.test_sync_cli_and_crashes import fingerprint_in, run


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


def test_wrong_fingerprints_never_show_the_right_one(tmp_path: Path, ward_template: Path) -> None:
    ward = tmp_path / "ward" / "ward.sqlite"
    ward.parent.mkdir()
    shutil.copy(ward_template, ward)
    province = tmp_path / "province" / "province.sqlite"
    province.parent.mkdir()
    stick = tmp_path / "usb"
    stick.mkdir()
    run("--db", str(province), "province", "setup", "--province", "40")
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
