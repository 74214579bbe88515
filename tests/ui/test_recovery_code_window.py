"""The recovery-code step as a real X server shows it (Xvfb, Qt's xcb platform): the screen
holds the code window and nothing else — no part of the account form around or under it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def x_display() -> Iterator[str]:
    """A private Xvfb with a black root window; ``make test`` installs Xvfb
    (packaging/linux/ensure-system-deps.sh)."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (make sysdeps installs it)")
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1024x768x24", "-br", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as numbers:
            number = numbers.readline().strip()
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


def test_the_screen_shows_only_the_code_window_after_create(x_display: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=x_display, QT_QPA_PLATFORM="xcb", MODELWARD_DATA_DIR=str(tmp_path))
    child = subprocess.run(
        [sys.executable, "-m", "tests.ui.recovery_window_child", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    shown = json.loads(child.stdout.strip().splitlines()[-1])
    assert shown["code_shown"]
    assert shown["windows"] == ["CreateAdminDialog"], shown  # no second window over the form
    x, y, width, height = shown["window"]
    dx, dy, dwidth, dheight = shown["drawn"]
    # everything drawn on the screen lies within the code window (2-pixel sampling)...
    assert x - 2 <= dx and y - 2 <= dy, shown
    assert dx + dwidth <= x + width + 2 and dy + dheight <= y + height + 2, shown
    # ...and is what that window paints, not the form behind it
    assert shown["same_pixels"], shown
