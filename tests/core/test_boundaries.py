"""The library stays Qt-free: every spt_core module imports with Qt made unimportable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: Imports every module of the package ``sys.argv[1]`` with the top-level packages named by the
#: other arguments made unimportable, then prints how many modules there were.
IMPORT_ALL_WITHOUT = r"""
import importlib, pkgutil, sys

package, blocked = sys.argv[1], sys.argv[2:]

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ImportError(f"{package} must not import {name}")
        return None

sys.meta_path.insert(0, Block())
top = importlib.import_module(package)
names = [m.name for m in pkgutil.walk_packages(top.__path__, package + ".")]
for name in names:
    importlib.import_module(name)
print(len(names))
"""

QT = ("PySide6", "pyqtgraph", "qtawesome")


def test_spt_core_imports_without_qt():
    done = _run(IMPORT_ALL_WITHOUT, "spt_core", *QT)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 15


INFERENCE = r"""
import sys

import numpy as np

from spt_core.person_files import read_person
from spt_core.pipeline import SPTPipeline
from spt_core.shipped import sample_dir
from spt_core.prepare.parser_predictor import ParserPredictor  # noqa: F401 (inference too)

pipe = SPTPipeline.from_pretrained(device="cpu")
a = read_person(sample_dir("person_a"))
b = read_person(sample_dir("person_b"))
result = pipe.repose(a, b.pose)
pipe.render(a, b.pose, result.parsing)
pipe.transfer(clothes_from=b, onto=a)
assert result.image.shape == (128, 64, 3) and result.image.std() > 5
print("\n".join(sorted(m for m in sys.modules if m.startswith("spt_core"))))
"""


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, "-c", script, *args], cwd=root, capture_output=True, text=True, timeout=300
    )


def test_inference_loads_no_training_code():
    # Loading the shipped model and reposing, rendering and transferring: the modules that
    # ran are the inference path, and none of them is spt_core.train.
    done = _run(INFERENCE)
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.split()
    assert "spt_core.pipeline" in loaded and "spt_core.models.loading" in loaded
    assert not [m for m in loaded if m == "spt_core.train" or m.startswith("spt_core.train.")]


def test_the_editor_document_imports_no_qt():
    done = _run(IMPORT_ALL_WITHOUT, "spt_studio.document", *QT, "shiboken6")
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 8
