"""The tool interface: press, move and release with the canvas's Qt mouse events."""

from __future__ import annotations


class Tool:
    """A mouse tool bound to one canvas.

    Attributes:
        name: short name (menu text, status bar).
        canvas: the canvas whose history the tool edits.
    """

    name = "tool"

    def __init__(self, canvas):
        self.canvas = canvas

    def press(self, event) -> None:
        """Left button pressed."""

    def move(self, event) -> None:
        """Mouse moved (with or without a button)."""

    def release(self, event) -> None:
        """Left button released."""
