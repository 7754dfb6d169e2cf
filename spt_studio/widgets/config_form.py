"""A form built from a frozen config dataclass: one editor per field, tooltips from its docstring.

int -> QSpinBox, float -> a QDoubleSpinBox that keeps the exact value it was given, bool ->
QCheckBox, a closed set of strings -> QComboBox, a path -> line edit with a browse button, a
pair such as ``size`` -> a line edit "128x64", a float tuple -> "1, 1, 1". :meth:`ConfigForm.value`
builds the dataclass, so the dataclass's own validation is the form's validation.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from spt_studio.widgets.path_row import path_row

_ATTRIBUTE_LINE = re.compile(r"^(\w+(?:\s*,\s*\w+)*)\s*:\s*(.*)$")


def field_docs(cls: type) -> dict[str, str]:
    """Field name -> its text in the class docstring's Google-style ``Attributes:`` section.

    A line ``beta1, beta2: Adam betas.`` documents both names; deeper-indented lines continue
    the previous entry.
    """
    doc = inspect.getdoc(cls) or ""
    docs: dict[str, str] = {}
    inside, names, indent = False, [], None
    for line in doc.splitlines():
        if line.strip() == "Attributes:":
            inside, indent = True, None
            continue
        if not inside:
            continue
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:  # the next section (or prose) ends the attributes
            break
        indent = depth if indent is None else indent
        match = _ATTRIBUTE_LINE.match(line.strip())
        if depth == indent and match:
            names = [n.strip() for n in match.group(1).split(",")]
            for name in names:
                docs[name] = match.group(2).strip()
        elif names:
            for name in names:
                docs[name] = f"{docs[name]} {line.strip()}".strip()
    return docs


def format_size(value: tuple[int, ...] | None) -> str:
    """(128, 64) -> "128x64"; None -> ""."""
    return "" if value is None else "x".join(str(v) for v in value)


def parse_size(text: str) -> tuple[int, int]:
    """ "128x64" (or "128, 64") -> (128, 64).

    Raises:
        ValueError: not two positive integers.
    """
    parts = [p for p in re.split(r"[x×,\s]+", text.strip().lower()) if p]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 2 or min(values) <= 0:
        raise ValueError(f"expected HxW such as 128x64, got {text!r}")
    return values  # type: ignore[return-value]


def parse_floats(text: str) -> tuple[float, ...]:
    """ "1, 0.5, 2" -> (1.0, 0.5, 2.0).

    Raises:
        ValueError: an item that is not a number.
    """
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    try:
        return tuple(float(p) for p in parts)
    except ValueError:
        raise ValueError(f"expected numbers separated by commas, got {text!r}") from None


def _field_kind(annotation: Any) -> tuple[str, bool]:
    """("int" | "float" | "bool" | "str" | "size" | "floats", optional) of a field's type."""
    optional = False
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        optional = len(rest) < len(args)
        annotation = rest[0]
        args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return "str", optional
    if typing.get_origin(annotation) is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return "floats", optional
        return "size", optional
    for kind in (bool, int, float, str):  # bool before int: bool is an int subclass
        if annotation is kind:
            return kind.__name__, optional
    raise TypeError(f"no form editor for a field of type {annotation!r}")


def _literal_values(annotation: Any) -> tuple[str, ...]:
    """The values of a ``Literal[...]`` (or ``Literal[...] | None``) annotation, else ()."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if typing.get_origin(arg) is typing.Literal:
                return tuple(str(v) for v in typing.get_args(arg))
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(str(v) for v in typing.get_args(annotation))
    return ()


class ExactDoubleSpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox showing short numbers ("0.0002", "0.0344828") that gives back the exact
    float it was set to until the user changes it.

    Why: a plain spin box rounds 1/29 to its decimals, and a resumed run compares the form's
    loss weights with the checkpoint's for equality.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setDecimals(12)
        self.setRange(-1e12, 1e12)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.setKeyboardTracking(False)
        self._exact: float | None = None

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt's name)
        return f"{value:.10g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt's name)
        try:
            return float(text.replace(self.locale().decimalPoint(), "."))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        from PySide6.QtGui import QValidator

        if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d*)?([eE][-+]?\d*)?", text.strip()):
            try:
                float(text)
                return QValidator.State.Acceptable, text, pos
            except ValueError:
                return QValidator.State.Intermediate, text, pos
        return QValidator.State.Invalid, text, pos

    def set_exact(self, value: float) -> None:
        """Show ``value`` and remember it exactly."""
        self._exact = float(value)
        self.setValue(self._exact)

    def exact_value(self) -> float:
        """The remembered value while the shown one still agrees with it, else the shown one."""
        shown = self.value()
        exact = self._exact
        if exact is not None and math.isclose(shown, exact, rel_tol=1e-9, abs_tol=1e-12):
            return exact
        return shown


def _count_box() -> QSpinBox:
    """The editor of an int field: any count up to two billion, read once typing ends."""
    box = QSpinBox()
    box.setRange(0, 2_000_000_000)
    box.setKeyboardTracking(False)
    return box


def _text_editor(kind: str, optional: bool) -> QLineEdit:
    """The editor of a str, size or floats field (the placeholder says the expected form)."""
    edit = QLineEdit()
    if kind == "size":
        edit.setPlaceholderText("none" if optional else "HxW, e.g. 128x64")
    elif kind == "floats":
        edit.setPlaceholderText("numbers separated by commas")
    return edit


#: Field kind -> (editor factory, name of the signal it emits on every change); the kinds a
#: line edit or a combo box shows are handled apart.
_EDITORS: dict[str, tuple[Callable[[], QWidget], str]] = {
    "bool": (QCheckBox, "toggled"),
    "int": (_count_box, "valueChanged"),
    "float": (ExactDoubleSpinBox, "valueChanged"),
}


def value_error(build: Callable[[], object]) -> str | None:
    """The message of the ValueError ``build()`` raises (why settings are refused), or None.

    Forms call it to enable or disable the buttons that would use the settings.
    """
    try:
        build()
    except ValueError as exc:
        return str(exc)
    return None


class ConfigForm(QWidget):
    """Editors for the fields of a config dataclass.

    Args:
        cls: the frozen dataclass.
        value: initial values (defaults when None).
        choices: field -> allowed strings (a combo box instead of a line edit); ``Literal``
            fields get theirs from the annotation.
        paths: field -> "file" or "folder" (a line edit with a browse button).
        hidden: fields not shown (they keep the value last set).
        parent: Qt parent.

    Signals:
        changed: any editor changed.
    """

    changed = Signal()

    def __init__(
        self,
        cls: type,
        value: Any | None = None,
        choices: Mapping[str, Iterable[str]] | None = None,
        paths: Mapping[str, str] | None = None,
        hidden: Iterable[str] = (),
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls!r} is not a dataclass")
        self.cls = cls
        self.choices = {k: tuple(v) for k, v in (choices or {}).items()}
        self.paths = dict(paths or {})
        self.hidden = set(hidden)
        self.editors: dict[str, QWidget] = {}
        self.kinds: dict[str, tuple[str, bool]] = {}
        self._hidden_values: dict[str, Any] = {}
        hints = typing.get_type_hints(cls)
        docs = field_docs(cls)
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for field in dataclasses.fields(cls):
            self.kinds[field.name] = _field_kind(hints[field.name])
            literal = _literal_values(hints[field.name])
            if literal and field.name not in self.choices:
                self.choices[field.name] = literal
            if field.name in self.hidden:
                continue
            editor, holder = self._make_editor(field.name)
            self.editors[field.name] = editor
            label = QLabel(field.name.replace("_", " "))
            tip = docs.get(field.name, "")
            label.setToolTip(tip)
            editor.setToolTip(tip)
            layout.addRow(label, holder)
        self.set_value(value if value is not None else cls())

    # ---- building -------------------------------------------------------------------------

    def _make_editor(self, name: str) -> tuple[QWidget, QWidget]:
        """(the editor of field ``name``, what the form shows: the editor or its path row)."""
        kind, optional = self.kinds[name]
        if name in self.choices:
            editor = QComboBox()
            editor.addItems(list(self.choices[name]))
            signal = "currentIndexChanged"
        elif kind in _EDITORS:
            make, signal = _EDITORS[kind]
            editor = make()
        else:
            editor = _text_editor(kind, optional)
            signal = "textChanged"
        getattr(editor, signal).connect(self.changed)
        if name not in self.paths or not isinstance(editor, QLineEdit):  # only text is browsed
            return editor, editor
        row = path_row(editor, f"choose a {self.paths[name]}", lambda: self._browse(name))
        return editor, row

    def _browse(self, name: str) -> None:
        editor = self.editors[name]
        if self.paths[name] == "folder":
            chosen = QFileDialog.getExistingDirectory(self, name, editor.text())
        else:
            chosen = QFileDialog.getOpenFileName(self, name, editor.text())[0]
        if chosen:
            editor.setText(chosen)

    # ---- values -----------------------------------------------------------------------------

    def set_value(self, config: Any) -> None:
        """Show the fields of ``config`` (an instance of the form's dataclass)."""
        if not isinstance(config, self.cls):
            raise TypeError(f"expected a {self.cls.__name__}, got {type(config).__name__}")
        self.blockSignals(True)
        try:
            for field in dataclasses.fields(config):
                value = getattr(config, field.name)
                if field.name in self.hidden:
                    self._hidden_values[field.name] = value
                else:
                    self._show(field.name, value)
        finally:
            self.blockSignals(False)
        self.changed.emit()

    def _show(self, name: str, value: Any) -> None:
        editor = self.editors[name]
        kind, _ = self.kinds[name]
        if isinstance(editor, QComboBox):
            if editor.findText(str(value)) < 0:  # a saved value outside the known set
                editor.addItem(str(value))
            editor.setCurrentText(str(value))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, ExactDoubleSpinBox):
            editor.set_exact(float(value))
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value))
        elif kind == "size":
            editor.setText(format_size(value))
        elif kind == "floats":
            editor.setText(", ".join(f"{v:g}" for v in value))
        else:
            editor.setText("" if value is None else str(value))

    def _read(self, name: str) -> Any:
        editor = self.editors[name]
        kind, optional = self.kinds[name]
        if isinstance(editor, QComboBox):
            return editor.currentText()
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, ExactDoubleSpinBox):
            return editor.exact_value()
        if isinstance(editor, QSpinBox):
            return editor.value()
        text = editor.text().strip()
        if optional and not text:
            return None
        if kind == "size":
            return parse_size(text)
        if kind == "floats":
            return parse_floats(text)
        return text

    def value(self) -> Any:
        """The dataclass the editors describe.

        Raises:
            ValueError: a field that does not parse, or values the dataclass refuses; the
                message starts with the field name where one is to blame.
        """
        values = dict(self._hidden_values)
        for name in self.editors:
            try:
                values[name] = self._read(name)
            except ValueError as exc:
                raise ValueError(f"{name.replace('_', ' ')}: {exc}") from None
        try:
            return self.cls(**values)
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from None

    def error(self) -> str | None:
        """Why :meth:`value` would fail, or None."""
        return value_error(self.value)
