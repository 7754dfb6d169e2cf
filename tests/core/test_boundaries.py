"""The library stays Qt-free: every spt_core module imports with Qt made unimportable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import importlib, pkgutil, sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "pyqtgraph", "qtawesome"):
            raise ImportError(f"spt_core must not import {name}")
        return None

sys.meta_path.insert(0, Block())
import spt_core
names = [m.name for m in pkgutil.walk_packages(spt_core.__path__, "spt_core.")]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def test_spt_core_imports_without_qt():
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 15
