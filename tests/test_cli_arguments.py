"""Command line habits (issue 13, item 17): global options before or after the verb, every
malformed argument of every verb answered with one Vietnamese line and exit status 2, never a
traceback or argparse's English, and no diagnostics on the officer's terminal."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import _parse, _parser, main
from app.cli.args import INPUT_PATHS, sub_parsers, whole_number

ROOT = Path(__file__).resolve().parent.parent
# argparse's English, a traceback, or our own English fallbacks
ENGLISH = re.compile(
    r"usage:|error:|\bargument\b|invalid choice|\brequired\b|\bexpected\b|unrecognized|"
    r"Traceback|\bError\b|No such file|predates",
    re.IGNORECASE,
)


def _leaves() -> list[list[str]]:
    """The words of every verb (and verb action) that runs something: ["bundle", "import"]."""
    parser = _parser()
    leaves = []
    for child in sub_parsers(parser):
        if not any(isinstance(a, argparse._SubParsersAction) for a in child._actions):
            leaves.append(child.prog.split()[1:])
    return leaves


LEAVES = _leaves()


def _call(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as stop:
        code = int(stop.code or 0)
    return code, capsys.readouterr().err


def _assert_clear_refusal(code: int, err: str) -> None:
    assert code == 2, err
    assert err.startswith("Lỗi: "), err
    assert not ENGLISH.search(err), err


def test_the_verb_list_is_complete() -> None:
    verbs = {words[0] for words in LEAVES}
    assert {"demo", "list", "report", "bundle", "setup", "users", "backup", "pack"} <= verbs
    assert ["bundle", "import"] in LEAVES and ["users", "reset-password"] in LEAVES


@pytest.mark.parametrize("words", LEAVES, ids=[" ".join(w) for w in LEAVES])
def test_an_unknown_option_is_one_vietnamese_line(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _call([*words, "--khong-co-tuy-chon-nay"], capsys)
    _assert_clear_refusal(code, err)
    assert "--help" in err  # and says where the right way is written


@pytest.mark.parametrize("words", LEAVES, ids=[" ".join(w) for w in LEAVES])
def test_a_missing_value_is_one_vietnamese_line(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Every option that takes a value, given none; or the verb without its required
    arguments."""
    parser = next(p for p in sub_parsers(_parser()) if p.prog.split()[1:] == words)
    takes_value = [
        a.option_strings[0]
        for a in parser._actions
        if a.option_strings and a.nargs != 0 and a.option_strings[0] not in ("-h", "--help")
    ]
    for option in takes_value or ["--db"]:
        code, err = _call([*words, option], capsys)
        _assert_clear_refusal(code, err)


WHOLE_NUMBER_OPTIONS = [
    (words, action.option_strings[0])
    for words in LEAVES
    for parser in sub_parsers(_parser())
    if parser.prog.split()[1:] == words
    for action in parser._actions
    if action.type is whole_number
]


@pytest.mark.parametrize(
    ("words", "option"),
    WHOLE_NUMBER_OPTIONS,
    ids=[" ".join([*w, o]) for w, o in WHOLE_NUMBER_OPTIONS],
)
def test_a_number_that_is_not_one(
    words: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _call([*words, option, "x"], capsys)
    _assert_clear_refusal(code, err)
    assert "không phải số nguyên" in err


def test_every_number_option_is_checked() -> None:
    assert {"--years", "--last", "--after-seq"} <= {o for _w, o in WHOLE_NUMBER_OPTIONS}


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "month", "--period", "2026-02", "--out", "x.pdf", "--date", "31/02/2026"],
        ["report", "month", "--period", "2026-02", "--out", "x.pdf", "--date", "2026-02-01"],
        ["report", "weekly", "--period", "2026", "--out", "x.pdf"],
        ["report", "month", "--period", "2026-13", "--out", "x.pdf"],
        ["report", "quarter", "--period", "2026-Q5", "--out", "x.pdf"],
        ["list", "bicycles"],
        ["export", "bicycles", "x.xlsx"],
        ["demo", "--years", "ba"],
        ["frobnicate"],
        ["--lang", "fr", "list", "sessions"],
        ["users", "add", "nvan", "--role", "boss"],
        ["setup", "ward", "--unit", "16681", "--province", "99", "--name", "X", "--admin", "qt"],
        ["setup", "ward", "--unit", "1668", "--province", "40", "--name", "CA X", "--admin", "a"],
        ["province", "setup", "--province", "00", "--admin", "qt"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_malformed_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _call(argv, capsys)
    _assert_clear_refusal(code, err)


MISSING = "khong-co-tep-nay.bin"
INPUT_FILE_COMMANDS = {
    ("import", None): ["import", "sessions", MISSING],
    ("trust", "import"): ["trust", "import", MISSING],
    ("trust", "enroll"): ["trust", "enroll", MISSING, "--fingerprint", "AB"],
    ("bundle", "inspect"): ["bundle", "inspect", MISSING],
    ("bundle", "import"): ["bundle", "import", MISSING],
    ("receipt", "import"): ["receipt", "import", MISSING],
    ("backup", "verify"): ["backup", "verify", MISSING],
    ("backup", "restore"): ["backup", "restore", MISSING],
    ("backup", "from-usb"): ["backup", "from-usb", MISSING],
    ("pack", "inspect"): ["pack", "inspect", MISSING],
    ("pack", "install"): ["pack", "install", MISSING],
    ("pack", "build"): ["pack", "build", MISSING, "--out", "x.json"],
    ("pack", "sign"): ["pack", "sign", MISSING, "--repo", "r", "--keys", "k"],
}


def test_every_input_file_is_checked() -> None:
    assert set(INPUT_FILE_COMMANDS) == set(INPUT_PATHS)


@pytest.mark.parametrize("step", list(INPUT_FILE_COMMANDS), ids=lambda s: " ".join(filter(None, s)))
def test_a_missing_input_file(
    step: tuple[str, str | None], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(tmp_path / word) if word == MISSING else word for word in INPUT_FILE_COMMANDS[step]]
    code, err = _call([*argv, "--db", str(tmp_path / "station.sqlite")], capsys)
    _assert_clear_refusal(code, err)
    assert "Không có tệp hoặc thư mục" in err and MISSING in err
    assert not (tmp_path / "station.sqlite").exists()  # refused before anything was opened


@pytest.mark.parametrize(
    ("argv", "db", "rest"),
    [
        (["--db", "A", "list", "sessions"], "A", {"kind": "sessions"}),
        (["demo", "--db", "A", "--years", "2"], "A", {"years": 2}),
        (["list", "sessions", "--db", "A", "--user", "u"], "A", {"user": "u"}),
        (["bundle", "import", "--db", "A", "F"], "A", {"files": [Path("F")]}),
        (["bundle", "--db", "A", "import", "F", "G"], "A", {"files": [Path("F"), Path("G")]}),
        (
            ["--db", "B", "report", "month", "--period", "2026-01", "--out", "o", "--db", "A"],
            "A",
            {},
        ),
        (["users", "list", "--lang", "en", "--db", "A"], "A", {"lang": "en"}),
        (["--user", "x", "keys", "show", "--db", "A"], "A", {"user": "x"}),
    ],
)
def test_global_options_before_or_after_the_verb(
    argv: list[str], db: str, rest: dict[str, object]
) -> None:
    args = _parse(argv)
    assert args.db == Path(db)
    for name, value in rest.items():
        assert getattr(args, name) == value


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_the_real_command_takes_db_after_the_verb_and_prints_no_diagnostics(
    tmp_path: Path,
) -> None:
    """``modelward demo --db X`` failed before; the demo's list prints nothing on stderr, and
    the log has no SQLite warning: every connection uses sqlcipher3's SQLite (3.51.3 or later)."""
    env = dict(os.environ, MODELWARD_DATA_DIR=str(tmp_path))
    db = tmp_path / "elsewhere.sqlite"
    built = _run("demo", "--db", str(db), "--years", "1", env=env)
    assert built.returncode == 0, built.stderr
    assert db.exists() and not (tmp_path / "demo.sqlite").exists()
    demo_officer = {**env, "MODELWARD_USER": "demo.canbo", "MODELWARD_PASSWORD": "canbo-demo"}
    listed = _run("list", "teams", "--db", str(db), env=demo_officer)
    assert listed.returncode == 0 and listed.stderr == ""
    assert "Tổ liên gia" in listed.stdout
    wrong = _run(
        "report", "month", "--period", "2026-02", "--out", str(tmp_path / "x.pdf"),
        "--date", "31/02/2026", "--db", str(db), env=env,
    )  # fmt: skip
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("Lỗi: ") and not ENGLISH.search(wrong.stderr)
    log = (tmp_path / "logs" / "modelward.log").read_text(encoding="utf-8")
    assert "predates" not in log and "WAL-reset" not in log
