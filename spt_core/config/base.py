"""Serialising config dataclasses, and the form hints they carry in their field metadata.

A field's ``metadata`` may hold ``choices`` (the closed set of a string field, which its
``__post_init__`` also checks) and ``path`` ("file" or "folder": the field names something on
disk). The editor's forms read both through :func:`field_choices` and :func:`path_fields`, so
the hints live beside the values they describe.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def to_dict(config: Any) -> dict:
    """A JSON-ready dict of a config dataclass (tuples become lists)."""
    return dataclasses.asdict(config)


def from_dict(cls: type[T], data: dict) -> T:
    """Build ``cls`` from a dict, rejecting unknown keys (a typo must not pass silently).

    Keys a class lists in its ``RETIRED_FIELDS`` (fields removed from it; older checkpoints
    still carry them) are dropped.
    """
    names = {f.name: f for f in dataclasses.fields(cls)}
    retired = set(getattr(cls, "RETIRED_FIELDS", ()))
    data = {key: value for key, value in data.items() if key not in retired}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown keys {unknown}")
    values = {}
    for key, value in data.items():
        default = names[key].default
        values[key] = (
            tuple(value) if isinstance(default, tuple) and isinstance(value, list) else value
        )
    return cls(**values)


def choice(default: str, choices: tuple[str, ...]) -> Any:
    """A string field with a closed set of values (checked by the class's ``__post_init__``)."""
    return dataclasses.field(default=default, metadata={"choices": tuple(choices)})


def path(kind: str, default: str = "") -> Any:
    """A string field naming a ``kind`` ("file" or "folder") on disk; empty = not given."""
    return dataclasses.field(default=default, metadata={"path": kind})


def field_choices(cls: type) -> dict[str, tuple[str, ...]]:
    """Field name -> allowed values of the closed string fields of a config dataclass.

    ``TrainConfig.device`` lists "auto", "cpu" and the CUDA devices this machine has.
    """
    choices = {
        f.name: tuple(f.metadata["choices"])
        for f in dataclasses.fields(cls)
        if "choices" in f.metadata
    }
    if any(f.name == "device" and f.metadata.get("devices") for f in dataclasses.fields(cls)):
        from spt_core.devices import available_devices

        choices["device"] = available_devices()
    return choices


def path_fields(cls: type) -> dict[str, str]:
    """Field name -> "file" or "folder" for the fields that name something on disk."""
    return {f.name: f.metadata["path"] for f in dataclasses.fields(cls) if "path" in f.metadata}


def arguments(config: Any, *names: str, **renamed: str) -> dict[str, Any]:
    """Keyword arguments for a network's constructor taken from a config.

    ``names`` are fields passed under their own name; ``renamed`` maps a parameter to the field
    that holds it (``base_channels="disc_channels"``). Every name is explicit, so a field can
    never reach a network by an accidental match of names.
    """
    values = {name: getattr(config, name) for name in names}
    values.update({parameter: getattr(config, field) for parameter, field in renamed.items()})
    return values
