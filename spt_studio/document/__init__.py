"""The editor's document model, Qt-free: document, undoable commands, history, the editing
session (the editor's rules), render requests, project files.

Nothing in this package imports Qt, so it is testable (and usable from scripts) without a GUI.
"""

from spt_studio.document.commands import (
    Command,
    Fill,
    LabelPatch,
    MoveJoint,
    MoveSourceJoint,
    PaintStroke,
    PlacePerson,
    SetJointVisible,
    SetParsing,
    SetPose,
    SetReference,
    SetSetting,
    mirror_pose_command,
    reset_pose_command,
)
from spt_studio.document.history import History
from spt_studio.document.model import MODES, Change, Document, PersonData
from spt_studio.document.project import ProjectError, load_project, save_project
from spt_studio.document.render_request import RenderRequest
from spt_studio.document.session import EditorSession, Overview

__all__ = [
    "MODES",
    "Change",
    "Command",
    "Document",
    "EditorSession",
    "Fill",
    "History",
    "LabelPatch",
    "MoveJoint",
    "MoveSourceJoint",
    "Overview",
    "PaintStroke",
    "PersonData",
    "PlacePerson",
    "ProjectError",
    "RenderRequest",
    "SetJointVisible",
    "SetParsing",
    "SetPose",
    "SetReference",
    "SetSetting",
    "load_project",
    "mirror_pose_command",
    "reset_pose_command",
    "save_project",
]
