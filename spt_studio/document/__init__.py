"""The editor's document model, Qt-free: document, undoable commands, history, project files.

Nothing in this package imports Qt, so it is testable (and usable from scripts) without a GUI.
"""

from spt_studio.document.commands import (
    Command,
    Fill,
    LabelPatch,
    MirrorPose,
    MoveJoint,
    PaintStroke,
    ResetPose,
    SetJointVisible,
    SetParsing,
    SetPose,
    SetReference,
    SetSetting,
)
from spt_studio.document.history import History
from spt_studio.document.model import MODES, Change, Document, PersonData
from spt_studio.document.project import ProjectError, load_project, save_project

__all__ = [
    "MODES",
    "Change",
    "Command",
    "Document",
    "Fill",
    "History",
    "LabelPatch",
    "MirrorPose",
    "MoveJoint",
    "PaintStroke",
    "PersonData",
    "ProjectError",
    "ResetPose",
    "SetJointVisible",
    "SetParsing",
    "SetPose",
    "SetReference",
    "SetSetting",
    "load_project",
    "save_project",
]
