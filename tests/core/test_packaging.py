"""The shipped model and samples are package data: every file under spt_core/resources is
matched by a pyproject package-data pattern (or a wheel would install without it), and the
code finds them inside the package, not beside a checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from spt_core import shipped
from spt_core.pipeline import DEFAULT_MODEL_NAME, default_model_path

ROOT = Path(__file__).resolve().parents[2]


def test_every_shipped_file_is_package_data():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["spt_core"]
    package = ROOT / "spt_core"
    matched = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    files = {p for p in shipped.RESOURCES_DIR.rglob("*") if p.is_file()}
    assert files and files <= matched, sorted(str(p) for p in files - matched)


def test_the_shipped_model_and_samples_live_in_the_package(monkeypatch):
    monkeypatch.delenv("SPT_MODEL", raising=False)
    assert default_model_path() == shipped.MODELS_DIR / DEFAULT_MODEL_NAME
    assert shipped.RESOURCES_DIR.parent == Path(shipped.__file__).resolve().parent
    assert (default_model_path() / "model.json").is_file()
    for name in ("person_a", "person_b", "person_c", "person_d"):
        assert (shipped.sample_dir(name) / "pose.json").is_file()
