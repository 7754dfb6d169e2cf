"""Where the shipped default model and sample people are: package data inside ``spt_core``.

They install with the package (``pip install .``, a wheel, an editable install), so ``spt``,
``spt-studio`` and ``SPTPipeline.from_pretrained()`` find them from any working directory.
"""

from __future__ import annotations

from pathlib import Path

#: ``spt_core/resources``: the default model directory and the sample people.
RESOURCES_DIR = Path(__file__).resolve().parent / "resources"
#: The shipped model directories (``spt export`` format).
MODELS_DIR = RESOURCES_DIR / "models"
#: The sample people (person folders: image.png, pose.json, parsing.png).
SAMPLES_DIR = RESOURCES_DIR / "samples"


def sample_dir(name: str) -> Path:
    """The folder of the shipped sample person ``name`` (e.g. "person_a")."""
    return SAMPLES_DIR / name
