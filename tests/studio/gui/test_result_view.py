"""The result view follows the canvas's zoom and pan (issue #16): it shows the same part of the
picture as the canvas of the current mode."""

from __future__ import annotations

import numpy as np
from editor_helpers import wait_for_render
from PySide6.QtCore import QPointF

from spt_core.person_files import read_person
from spt_core.shipped import sample_dir
from spt_studio.document.model import Document

pytest_plugins = ["editor_fixtures"]


def test_the_result_view_shows_what_the_canvas_shows(qtbot, make_window):
    person = read_person(sample_dir("person_b"))
    window = make_window()
    window.set_document(Document.from_person("b", person.image, person.pose, person.parsing))
    wait_for_render(qtbot, window)
    view = window.result_panel.view
    assert view.region is None  # fitted: the whole result
    canvas = window.pose_canvas
    canvas.set_zoom(20.0, QPointF(canvas.viewport().width() / 2, canvas.viewport().height() / 2))
    region = canvas.shown_region()
    assert region is not None and region.width() < 64
    assert view.region == region
    # Panning moves it too.
    canvas.horizontalScrollBar().setValue(canvas.horizontalScrollBar().value() + 40)
    assert view.region == canvas.shown_region() != region
    # What the view paints at its centre is the result's pixel at the region's centre.
    view.resize(200, 400)
    window.doc.result[...] = 0
    centre = canvas.shown_region().center()
    x, y = int(centre.x()), int(centre.y())
    window.doc.result[y - 1 : y + 2, x - 1 : x + 2] = (255, 0, 0)
    window.result_panel.set_image(window.doc.result)
    shot = view.grab().toImage()
    colour = shot.pixelColor(view.width() // 2, view.height() // 2)
    assert (colour.red(), colour.green(), colour.blue()) == (255, 0, 0)
    # Another mode: the view follows that mode's canvas (fitted here: the whole result).
    window.set_mode("paint")
    assert view.region == window.label_canvas.shown_region()
    window.set_mode("repose")
    window._zoom(None)  # View > Fit
    assert view.region is None
    assert np.asarray(window.doc.result).shape == (128, 64, 3)
