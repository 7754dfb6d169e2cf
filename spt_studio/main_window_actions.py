"""The main window's action table: one :class:`~spt_studio.widgets.actions.ActionSpec` row per
command (text, icon, shortcut, tip, slot), and where each action sits in the menus and toolbars.

Kept apart from :mod:`spt_studio.main_window` so the window stays wiring: adding a command is a
row here and a method on the window (or one of its mixins).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence

from spt_core import labels as lb
from spt_studio.document import MODES
from spt_studio.widgets.actions import ActionSpec
from spt_studio.widgets.label_palette import label_title

if TYPE_CHECKING:
    from spt_studio.main_window import MainWindow

MODE_TITLES = {"repose": "Repose", "paint": "Paint parsing", "transfer": "Transfer"}
MODE_ICONS = {"repose": "fa5s.walking", "paint": "fa5s.paint-brush", "transfer": "fa5s.tshirt"}


#: Actions that act on one mode's page only: enabled in that mode, so their letter and digit
#: keys cannot change the pose while painting (L, M, H) or the label while reposing (0-9).
MODE_ACTIONS: dict[str, tuple[str, ...]] = {
    "repose": ("mirror", "reset_pose", "toggle_joint", "bone_lock", "edit_source", "frame_person"),
    "paint": (
        "brush", "eraser", "fill", "picker", "brush_smaller", "brush_larger",
        *(f"label_{k}" for k in range(10)),
    ),
}  # fmt: skip


def action_table(window: MainWindow) -> list[ActionSpec]:
    """Every action of the editor window, its slots bound to ``window``."""
    std = QKeySequence.StandardKey
    specs = [
        ActionSpec(
            "open_image",
            "&Open image...",
            window.open_image,
            "fa5s.image",
            std.Open,
            "Open a photo of one person",
            needs_document=False,
        ),
        ActionSpec(
            "open_sample",
            "Open dataset &sample...",
            window.open_sample,
            "fa5s.database",
            "Ctrl+Shift+O",
            "Open a sample of a dataset folder",
            needs_document=False,
        ),
        ActionSpec(
            "open_project",
            "Open &project...",
            window.open_project,
            "fa5s.folder-open",
            "Ctrl+Shift+P",
            "Open a .sptproj project",
            needs_document=False,
        ),
        ActionSpec(
            "save",
            "&Save project",
            window.save,
            "fa5s.save",
            std.Save,
            "Save the project (.sptproj)",
        ),
        ActionSpec(
            "save_as",
            "Save project &as...",
            window.save_as,
            "",
            std.SaveAs,
            "Save the project under a new name",
        ),
        ActionSpec(
            "export",
            "&Export result PNG...",
            window.export_result,
            "fa5s.file-export",
            "Ctrl+E",
            "Write the result as PNG at the photo's size (the person redrawn in the photo)",
        ),
        ActionSpec(
            "export_model_frame",
            "Export &model frame PNG...",
            window.export_model_frame,
            "",
            "",
            "Write the model's own output at its size (letterboxed), as spt --model-frame does",
        ),
        ActionSpec("quit", "&Quit", window.close, "", std.Quit, needs_document=False),
        ActionSpec("undo", "&Undo", window.undo, "fa5s.undo", std.Undo, "Undo one gesture"),
        ActionSpec(
            "redo",
            "&Redo",
            window.redo,
            "fa5s.redo",
            std.Redo,
            "Redo",
            extra_shortcuts=("Ctrl+Y", "Ctrl+Shift+Z"),
        ),
        ActionSpec(
            "mirror",
            "&Mirror left/right",
            window.mirror_pose,
            "fa5s.arrows-alt-h",
            "M",
            "Swap the left and right side of the target pose",
        ),
        ActionSpec(
            "reset_pose",
            "&Reset to source pose",
            window.reset_pose,
            "fa5s.undo-alt",
            "Ctrl+R",
            "Make the target pose the photo's pose again",
        ),
        ActionSpec(
            "toggle_joint",
            "&Hide/show selected joint",
            window.toggle_joint,
            "fa5s.eye-slash",
            "H",
            "A hidden joint is missing for the model",
        ),
        ActionSpec(
            "bone_lock",
            "&Bone-length lock",
            window.set_bone_lock,
            "fa5s.lock",
            "L",
            "Keep bone lengths while dragging",
            checkable=True,
            pass_checked=True,
        ),
        ActionSpec(
            "frame_person",
            "&Frame the person...",
            window.set_framing,
            "fa5s.vector-square",
            "",
            "Drag a box around the person to edit: one of several people, or one the detector "
            "does not find (the template is fitted to the box)",
            checkable=True,
            pass_checked=True,
        ),
        ActionSpec(
            "edit_source",
            "Edit the &photo's pose",
            window.set_edit_source,
            "fa5s.user-edit",
            "",
            "Drag the joints onto the person in the photo: where the model believes the person "
            "stands (the target pose follows where you have not moved it)",
            checkable=True,
            pass_checked=True,
        ),
        ActionSpec(
            "keep_unchanged",
            "&Keep unchanged pixels",
            window.set_keep_unchanged,
            "",
            "",
            "Keep the photo's own pixels where nothing moved or was painted, and a moved "
            "limb's own pixels (off: the network redraws every pixel)",
            checkable=True,
            pass_checked=True,
        ),
        ActionSpec(
            "copy_pose_sample",
            "Copy pose from dataset &sample...",
            window.copy_pose_from_sample,
            "fa5s.copy",
            "",
            "Take the pose of a dataset sample",
        ),
        ActionSpec(
            "copy_pose_reference",
            "Copy pose from &second person",
            window.copy_pose_from_reference,
            "",
            "",
            "Take the pose of the second person (transfer mode)",
        ),
        ActionSpec(
            "copy_pose_image",
            "Copy pose from &image...",
            window.copy_pose_from_image,
            "",
            "",
            "Detect the pose in another photo (needs the detect extra)",
        ),
        ActionSpec(
            "brush",
            "&Brush",
            lambda: window.set_paint_tool("brush"),
            "fa5s.paint-brush",
            "B",
            "Paint the current label",
            checkable=True,
        ),
        ActionSpec(
            "eraser",
            "&Eraser",
            lambda: window.set_paint_tool("eraser"),
            "fa5s.eraser",
            "E",
            "Paint background",
            checkable=True,
        ),
        ActionSpec(
            "fill",
            "&Fill",
            lambda: window.set_paint_tool("fill"),
            "fa5s.fill-drip",
            "G",
            "Flood-fill a region of one label",
            checkable=True,
        ),
        ActionSpec(
            "picker",
            "&Picker",
            lambda: window.set_paint_tool("picker"),
            "fa5s.eye-dropper",
            "I",
            "Pick the label under the cursor",
            checkable=True,
        ),
        ActionSpec(
            "brush_smaller",
            "Smaller brush",
            lambda: window.resize_brush(1 / 1.25),
            "",
            "[",
            "Brush size / 1.25",
        ),
        ActionSpec(
            "brush_larger",
            "Larger brush",
            lambda: window.resize_brush(1.25),
            "",
            "]",
            "Brush size x 1.25",
        ),
        ActionSpec(
            "use_predicted",
            "Use &predicted parsing",
            window.use_predicted_parsing,
            "fa5s.magic",
            "P",
            "Paint from the parsing the model predicted",
        ),
        ActionSpec(
            "parsing_from_pose",
            "&Initialise from pose",
            window.parsing_from_pose,
            "fa5s.user",
            "",
            "Draw a plain parsing from the target pose",
        ),
        ActionSpec(
            "reset_parsing",
            "Reset to &source parsing",
            window.reset_parsing,
            "",
            "",
            "Make the target parsing the photo's parsing again",
        ),
        ActionSpec(
            "zoom_in", "Zoom &in", lambda: window._zoom(1.25), "fa5s.search-plus", std.ZoomIn
        ),
        ActionSpec(
            "zoom_out", "Zoom &out", lambda: window._zoom(0.8), "fa5s.search-minus", std.ZoomOut
        ),
        ActionSpec("zoom_fit", "&Fit", lambda: window._zoom(None), "fa5s.expand", "Ctrl+0"),
        ActionSpec(
            "train_recipe",
            "Train a &model...",
            window.open_recipe,
            "fa5s.dumbbell",
            "",
            "Train a whole model on a dataset (every stage of the recipe), then use it",
            needs_document=False,
        ),
        ActionSpec(
            "train",
            "Train &networks (advanced)...",
            window.open_training,
            "",
            "",
            "Train one network at a time with every setting",
            needs_document=False,
        ),
        ActionSpec(
            "search",
            "Pseudo-label &search...",
            window.open_search,
            "fa5s.search",
            "",
            "Search pseudo labels for semantic training",
            needs_document=False,
        ),
        ActionSpec(
            "model",
            "&Model and device...",
            window.choose_model,
            "fa5s.cogs",
            "",
            "Choose the model and CPU / CUDA",
            needs_document=False,
        ),
        ActionSpec(
            "help",
            "Editor &help",
            window.show_help,
            "fa5s.question-circle",
            std.HelpContents,
            needs_document=False,
        ),
        ActionSpec("about", "&About", window.show_about, "", "", needs_document=False),
    ]
    for i, mode in enumerate(MODES, start=1):
        specs.append(
            ActionSpec(
                f"mode_{mode}",
                MODE_TITLES[mode],
                lambda _c=False, m=mode: window.set_mode(m),
                MODE_ICONS[mode],
                f"Ctrl+{i}",
                f"{MODE_TITLES[mode]} mode",
                checkable=True,
                needs_document=False,
            )
        )
    for label in range(lb.NUM_LABELS):
        specs.append(
            ActionSpec(
                f"label_{label}",
                f"Label {label}: {label_title(label)}",
                lambda _c=False, k=label: window.choose_label(k),
                "",
                str(label),
                needs_document=False,
            )
        )
    return specs


#: Menu title -> action keys (None: a separator).
MENUS: dict[str, list[str | None]] = {
    "&File": [
        "open_image",
        "open_sample",
        "open_project",
        None,
        "save",
        "save_as",
        None,
        "export",
        "export_model_frame",
        None,
        "quit",
    ],
    "&Edit": ["undo", "redo"],
    "&View": [
        "mode_repose",
        "mode_paint",
        "mode_transfer",
        None,
        "zoom_in",
        "zoom_out",
        "zoom_fit",
        None,
        "keep_unchanged",
    ],
    "&Pose": [
        "frame_person",
        "edit_source",
        None,
        "mirror",
        "reset_pose",
        "toggle_joint",
        "bone_lock",
        None,
        "copy_pose_sample",
        "copy_pose_reference",
        "copy_pose_image",
    ],
    "P&arsing": [
        "brush",
        "eraser",
        "fill",
        "picker",
        "brush_smaller",
        "brush_larger",
        None,
        "use_predicted",
        "parsing_from_pose",
        "reset_parsing",
        None,
    ]
    + [f"label_{k}" for k in range(lb.NUM_LABELS)],
    "&Tools": ["train_recipe", "train", "search", None, "model"],
    "&Help": ["help", "about"],
}

#: Toolbar title -> action keys; the window shows "Pose" and "Paint" in their modes only.
TOOLBARS: dict[str, list[str | None]] = {
    "File": ["open_image", "open_sample", "save", "export", None, "undo", "redo"],
    "Mode": ["mode_repose", "mode_paint", "mode_transfer"],
    "Pose": ["frame_person", "edit_source", "mirror", "reset_pose", "toggle_joint", "bone_lock"],
    "Paint": ["brush", "eraser", "fill", "picker", "use_predicted"],
    "View": ["zoom_in", "zoom_out", "zoom_fit"],
}
