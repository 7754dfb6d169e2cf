"""``spt-studio --quit-after``: the install smoke test CI runs from a wheel. It reports the
model load and exits 0 only when the model loaded."""

from __future__ import annotations

import os
import subprocess
import sys


def _studio(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "spt_studio.app", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_quit_after_reports_the_shipped_model_and_exits_zero(tmp_path):
    done = _studio("--quit-after", "120", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "model loaded: spt-synth-128x64" in done.stdout


def test_quit_after_exits_one_when_the_model_does_not_load(tmp_path):
    done = _studio("--quit-after", "120", "--model", str(tmp_path / "nothing"), cwd=tmp_path)
    assert done.returncode == 1
    assert "model failed:" in done.stdout and "nothing" in done.stdout
