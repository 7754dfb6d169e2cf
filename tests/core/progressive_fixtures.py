"""Shared set-up of the 256-px schedule tests (a pytest plugin:
``pytest_plugins = ["progressive_fixtures"]``).

Six synthetic 64x64 people at both sizes and a finished 2-step run of the 32x32 stage (the
"128-px" global generator, D_A and face GAN), built once per session: the schedule tests grow
it into the 64x64 local-enhanced model, the joint tests train that end to end.
"""

from __future__ import annotations

import numpy as np
import pytest
from progressive_configs import BIG, SMALL, STAGE

from spt_core import skeleton as sk
from spt_core.config import AppearanceLossWeights
from spt_core.data import synthetic
from spt_core.data.dataset import PersonDataset
from spt_core.data.samples import PersonSamples
from spt_core.train.appearance import AppearanceTrainer


@pytest.fixture(scope="session")
def progressive_stage(tmp_path_factory) -> dict:
    """{"root", "data", "dataset", "big", "small", "r128"}: data and the small stage's run."""
    root = tmp_path_factory.mktemp("progressive")
    synthetic.generate_dataset(root / "data", count=6, seed=4, size=(64, 64), workers=1)
    dataset = PersonDataset(root / "data")
    big = PersonSamples.from_dataset(dataset, BIG.size)
    small = PersonSamples.from_dataset(dataset, SMALL.size)
    assert not np.isnan(big.poses[:, list(sk.HEAD_JOINTS)]).all(), "the faces need heads"
    list(AppearanceTrainer(small, SMALL, AppearanceLossWeights(), STAGE, root / "r128").run())
    return {
        "root": root,
        "data": root / "data",
        "dataset": dataset,
        "big": big,
        "small": small,
        "r128": root / "r128",
    }
