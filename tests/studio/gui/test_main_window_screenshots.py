"""Offscreen screenshots of each editor mode (docs/screenshot_*.png).

The shots go to a temporary folder; to refresh the ones in docs/, name the folder::

    SPT_SCREENSHOTS=docs pytest tests/studio/gui/test_main_window_screenshots.py

``SPT_SCREENSHOT_MODEL=SEMANTIC_RUN,APPEARANCE_RUN`` renders with two trained runs
(``SPTPipeline.from_checkpoints``); otherwise the default model when one is shipped, else the
untrained random pipeline (whose results are noise).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from editor_helpers import SIZE, wait_for_render
from PySide6.QtCore import QPoint
from PySide6.QtTest import QTest

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_studio.document import PaintStroke, SetPose
from spt_studio.document.pose_ops import move_joint

OUT = os.environ.get("SPT_SCREENSHOTS")


def screenshot_pipeline():
    from spt_core.errors import SptError
    from spt_core.pipeline import SPTPipeline

    runs = os.environ.get("SPT_SCREENSHOT_MODEL")
    if runs:
        semantic, appearance = runs.split(",")
        return SPTPipeline.from_checkpoints(semantic, appearance, device="cpu")
    try:
        return SPTPipeline.from_pretrained(None, device="cpu")
    except SptError:
        return SPTPipeline.random(size=SIZE, seed=0)


def test_screenshots(qtbot, tmp_path):
    from spt_core.data.dataset import PersonDataset
    from spt_core.data.synthetic import generate_dataset
    from spt_studio.main_window import MainWindow

    # Without SPT_SCREENSHOTS the shots go to a temporary folder: the test still drives every
    # mode and checks the pictures.
    out = Path(OUT) if OUT else tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    generate_dataset(tmp_path / "synth", count=8, size=SIZE, seed=11, workers=1)
    dataset = PersonDataset(tmp_path / "synth")
    window = MainWindow(pipeline=screenshot_pipeline(), autosave_ms=0)
    window.ask_before_close = False
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)

    def shoot(name: str) -> None:
        wait_for_render(qtbot, window, timeout=60000)
        qtbot.wait(150)  # let the throttled overview catch up
        window.grab().save(str(out / f"screenshot_{name}.png"))

    window.open_sample(dataset, 0)
    shoot("main_window")

    # Repose: the pose of another photo of the same person, then the left arm raised a little
    # (the bone-length lock keeps the arm's length).
    doc = window.doc
    window.copy_pose(dataset.poses[2], dataset.size, dataset.names[2])
    pose = doc.target_pose
    shoulder = pose[sk.L_SHOULDER]
    pose = move_joint(pose, sk.L_ELBOW, (shoulder[0] + 14, shoulder[1] - 6), True)
    window.history.push(SetPose(doc, pose, text="raise arm"))
    window.pose_canvas.select_joint(sk.L_WRIST)
    shoot("repose")

    # Paint: back to the source pose, short sleeves: the forearms painted as bare arms.
    window.reset_pose()
    window.set_mode("paint")
    for elbow, wrist, label in ((3, 4, lb.RIGHT_ARM), (6, 7, lb.LEFT_ARM)):
        window.history.push(
            PaintStroke.segment(
                doc,
                "target_parsing",
                tuple(pose_of(doc, elbow)),
                tuple(pose_of(doc, wrist)),
                3.5,
                label,
            )
        )
    window.choose_label(lb.LEFT_ARM)
    window.brush_spin.setValue(7)
    canvas = window.label_canvas
    wrist = doc.target_pose[sk.L_WRIST]
    QTest.mouseMove(canvas.viewport(), canvas.mapFromScene(canvas.to_scene(*wrist)) + QPoint(4, 8))
    shoot("paint")

    # Transfer: the garments of another person (identity 1).
    window.load_reference_sample(dataset, 5)
    window.transfer_panel.checks[lb.PANTS].setChecked(True)
    window.transfer_panel.checks[lb.SKIRT].setChecked(True)
    shoot("transfer")
    # ... and reposed in the new clothes: the second person's pose.
    window.copy_pose_from_reference()
    shoot("transfer_reposed")
    from PySide6.QtGui import QImage

    for name in ("main_window", "repose", "paint", "transfer", "transfer_reposed"):
        image = QImage(str(out / f"screenshot_{name}.png"))
        assert (image.width(), image.height()) == (1280, 800), name
    window.renderer.shutdown()


def pose_of(doc, joint: int) -> np.ndarray:
    return doc.target_pose[joint]
