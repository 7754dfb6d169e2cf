"""What the bad-input tests of the library and the command line share (issue #15)."""

from __future__ import annotations

import json
from pathlib import Path

from spt_core.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "spt_core" / "resources" / "samples"
MODEL = ROOT / "spt_core" / "resources" / "models" / "spt-synth-128x64"


def sample_points(name: str = "person_b") -> list:
    """The keypoints list of a shipped sample's pose.json (128x64 frame)."""
    return json.loads((SAMPLES / name / "pose.json").read_text())["keypoints"]


def run_cli(capsys, argv: list[str]) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``spt argv``, argparse's SystemExit included."""
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line_error(status, err: str, out: str, names: str, code: int = 2) -> None:
    """Exit ``code``, one line on stderr that mentions ``names``, no traceback anywhere."""
    assert status == code, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert names in lines[0], err
    assert "Traceback" not in out + err
