"""The short help page (Help > Editor help, F1); docs/editor.md holds the same text."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

HELP_MARKDOWN = """\
# SPT Studio editor

Open a photo of one person (**File > Open image**, Ctrl+O) or a dataset sample
(**File > Open dataset sample**, Ctrl+Shift+O). The result on the right re-renders after every
edit; the render time is in the status bar. The strip at the bottom shows
source | parsing | pose | result side by side.

Without the `detect` extra the editor cannot find the person in a new photo: it places a
standing template pose and a parsing drawn from it. Drag the joints onto the person, then use
**Parsing > Initialise from pose** and paint the details.

## Modes (Ctrl+1, Ctrl+2, Ctrl+3)

**Repose** - drag the joints of the target pose; the model predicts the new parsing and the image.
The dashed skeleton is the source pose. Right-click a joint (or select it and press H) to hide
it: the model then treats it as missing; right-click an empty spot to add a joint the photo
lacks. **Pose > Mirror** (M) swaps left and right,
**Pose > Reset** (Ctrl+R) returns to the source pose, **Bone-length lock** (L) keeps every bone
its length while dragging (the joint turns about its parent; dragging the neck moves the whole
body). Poses can be copied from a dataset sample or from the second person.

**Paint parsing** - paint the 10-label map the result is rendered from (for example extend the
upper clothes over the arms for long sleeves). Keys 0-9 pick a label; B brush, E eraser
(background), G flood fill, I picker; [ and ] change the brush size. The circle under the cursor
is the brush. The opacity slider fades the labels over the photo. **Parsing > Use predicted
parsing** starts from the model's prediction for the current pose.

**Transfer** - load a second person (photo or dataset sample), tick the garments to take from
them (upper clothes, pants, skirt); this person keeps face, hair and pose.

## Everywhere

Wheel zooms about the cursor, middle button or Space + drag pans, Ctrl+0 fits.
Ctrl+Z undoes one whole gesture (a drag or a stroke), Ctrl+Shift+Z redoes.
**File > Save project** (Ctrl+S) writes a `.sptproj` (photo, poses, parsings, settings);
an autosave runs every minute and is offered back after a crash.
**File > Export result** (Ctrl+E) writes the result as PNG.
**Tools > Model and device** chooses the model and CPU / CUDA; **Tools > Train** and
**Tools > Pseudo-label search** open the training and search dialogs.
"""


def show_help(parent=None) -> QDialog:
    """Open the help page (non-modal) and return the dialog."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("SPT Studio help")
    layout = QVBoxLayout(dialog)
    text = QTextBrowser()
    text.setMarkdown(HELP_MARKDOWN)
    text.setOpenExternalLinks(True)
    layout.addWidget(text)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout.addWidget(buttons)
    dialog.resize(620, 640)
    dialog.show()
    return dialog
