"""Bad input at the ``spt`` command line (issue #15, defects 8 and 9): flags, exceptions
at the CLI boundary (one line, a documented exit status, no traceback), a closed pipe, and
Market junk names in ``spt synth --poses``. Cases are built here; none is a file in git."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from reliability_helpers import ROOT, assert_one_line_error, run_cli, sample_points

from spt_core import cli
from spt_core import skeleton as sk
from spt_core.cli import main
from spt_core.errors import DataError


def _csv_row(name: str, ys: list, xs: list) -> str:
    return f"{name}: [{', '.join(map(str, ys))}]: [{', '.join(map(str, xs))}]"


# --------------------------------------------------------------------------------------------
# The command line boundary


TRAIN = ["train", "semantic", "--data", "d", "--pseudo", "p", "--out", "o"]


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["synth", "--out", "x", "--count", "0"], "--count"),
        (["synth", "--out", "x", "--count", "-3"], "--count"),
        (["synth", "--out", "x", "--workers", "0"], "--workers"),
        ([*TRAIN, "--steps", "-5"], "--steps"),
        ([*TRAIN, "--lr", "nan"], "--lr"),
        ([*TRAIN, "--batch-size", "0"], "--batch-size"),
        (["bench", "warp", "--repeats", "0"], "--repeats"),
        (["search", "d", "--out", "o", "--show", "-1"], "--show"),
    ],
    ids=lambda v: "_".join(v) if isinstance(v, list) else v,
)  # fmt: skip
def test_bad_flag_values_are_usage_errors(capsys, argv, flag):
    status, out, err = run_cli(capsys, argv)
    assert status == 2
    assert flag in err.splitlines()[-1] and "Traceback" not in out + err


def test_existing_output_names_the_overwrite_flag(tmp_path, capsys):
    out_dir = tmp_path / "set"
    out_dir.mkdir()
    (out_dir / "something.txt").write_text("mine")
    status, out, err = run_cli(capsys, ["synth", "--out", str(out_dir), "--count", "1", "--quiet"])
    assert_one_line_error(status, err, out, "--overwrite")
    assert "overwrite=True" not in err


def _raising(exc: BaseException):
    def command(args):
        raise exc

    return command


RAISED_CASES = {
    "disk_full": (OSError(errno.ENOSPC, "No space left", "/data/out.png"), 3, "disk is full"),
    "read_only": (OSError(errno.EROFS, "Read-only file system", "/ro/out.png"), 3, "read-only"),
    "permission": (PermissionError(errno.EACCES, "Permission denied", "/x/y.png"), 3, "/x/y.png"),
    "not_found": (FileNotFoundError(errno.ENOENT, "No such file", "/x/in.png"), 2, "/x/in.png"),
    "key_error": (KeyError("semantic"), 2, "missing entry 'semantic'"),
    "value_error": (ValueError("count must be at least 1,\n got 0"), 2, "count must be"),
    "type_error": (TypeError("'str' object cannot be interpreted as an integer"), 2, "integer"),
    "bad_zip": (zipfile.BadZipFile("File is not a zip file"), 2, "damaged"),
    "unexpected": (RuntimeError("boom"), 70, "SPT_DEBUG=1"),
    "data_error": (DataError("/d/annotations.csv", "bad row", 3), 2, "annotations.csv, line 3"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(RAISED_CASES))
def test_exceptions_become_one_line_and_an_exit_status(monkeypatch, capsys, case):
    exc, code, words = RAISED_CASES[case]
    monkeypatch.delenv("SPT_DEBUG", raising=False)
    monkeypatch.setattr(cli.data, "cmd_data_check", _raising(exc))
    parser = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: _with_func(parser(), _raising(exc)))
    status, out, err = run_cli(capsys, ["data", "check", "somewhere"])
    assert_one_line_error(status, err, out, words, code)


def _with_func(parser, func):
    """The real parser, whose parsed ``func`` is replaced (to raise a chosen exception)."""
    parse = parser.parse_args

    def parse_args(argv=None):
        args = parse(argv)
        args.func = func
        return args

    parser.parse_args = parse_args
    return parser


def test_debug_lets_the_traceback_through(monkeypatch):
    monkeypatch.setenv("SPT_DEBUG", "1")
    parser = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: _with_func(parser(), _raising(KeyError("x"))))
    with pytest.raises(KeyError):
        main(["data", "check", "somewhere"])


def test_interrupt_exits_130(monkeypatch, capsys):
    parser = cli.build_parser
    monkeypatch.setattr(
        cli, "build_parser", lambda: _with_func(parser(), _raising(KeyboardInterrupt()))
    )
    status, out, err = run_cli(capsys, ["data", "check", "somewhere"])
    assert status == 130 and err.strip() == "spt: interrupted"


def test_a_closed_pipe_stops_quietly(tmp_path):
    """``spt repose | head -0``: the reader is gone before spt writes; no traceback, 141."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "spt_core.cli", "repose", "--out", str(tmp_path / "r.png")],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            timeout=120,
            env={**os.environ, "SPT_DEBUG": ""},
        )
    finally:
        os.close(write_end)
    assert done.returncode == cli.EXIT_BROKEN_PIPE, done.stderr
    assert b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr


# --------------------------------------------------------------------------------------------
# Defect 9: Market junk names


@pytest.mark.parametrize(
    ("name", "junk"),
    [
        ("0000_c1s6_023071_04.jpg.jpg", True),
        ("-1_c1s1_000401_03.jpg.jpg", True),
        ("0000_c6s1_000151_01.jpg", True),
        ("0002_c1s1_000451_03.jpg.jpg", False),
        ("00000_01.png", False),
    ],
)
def test_market_junk_names_with_doubled_extensions(name, junk):
    from spt_core.data.layouts import is_market_junk

    assert is_market_junk(name) is junk


def _pose_csv_with_junk(path: Path) -> Path:
    rows = [sk.CSV_HEADER]
    for i, sample in enumerate(["person_a", "person_b", "person_c", "person_d"]):
        points = sample_points(sample)
        ys = [-1 if p is None else round(p[1]) for p in points]
        xs = [-1 if p is None else round(p[0]) for p in points]
        rows.append(_csv_row(f"000{i + 1}_c1s1_00000{i}_01.jpg", ys, xs))
        if i < 2:
            rows.append(_csv_row(f"{('0000', '-1')[i]}_c1s6_02307{i}_04.jpg.jpg", ys, xs))
    path.write_text("\n".join(rows) + "\n")
    return path


def test_pose_pool_drops_and_counts_market_junk(tmp_path):
    from spt_core.data.synth.posing import load_pose_pool

    pool = load_pose_pool(_pose_csv_with_junk(tmp_path / "poses.csv"))
    assert pool.rows == 6 and pool.junk == 2
    assert not any(name.startswith(("0000_", "-1_")) for name in pool.names)
    assert pool.summary()["skipped_market_junk"] == 2


def test_synth_reports_the_junk_rows(tmp_path, capsys):
    csv = _pose_csv_with_junk(tmp_path / "poses.csv")
    argv = ["synth", "--out", str(tmp_path / "set"), "--count", "2", "--poses", str(csv)]
    status, out, err = run_cli(capsys, argv + ["--workers", "1", "--quiet"])
    assert status == 0, err
    assert "2 Market junk" in out
