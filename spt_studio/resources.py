"""Process-wide set-up the Qt side of SPT Studio needs before any widget exists.

PySide6 6.12 wheels return ``None`` from void methods without taking a reference: correct on
Python >= 3.12, where None is immortal, but on 3.11 every ``item.setPos(...)`` lowers None's
reference count by one, and once it is used up (about 5,000 at start-up: seconds of dragging)
Python aborts with "Fatal Python error: none_dealloc". (Measured here: PySide6 6.12.0, CPython
3.11.7, ``sys.getrefcount(None)`` drops by exactly one per ``QGraphicsItem.setPos`` call.)
:func:`protect_none_refcount` gives None a reference count no session can exhaust, which is
what 3.12 does by design.
"""

from __future__ import annotations

import sys

_HEADROOM = 1 << 40


def protect_none_refcount() -> None:
    """Make None effectively immortal under PySide6 6.12.0 on CPython < 3.12 (idempotent;
    a no-op elsewhere). pyproject.toml excludes 6.12.0; this guards environments that have it
    anyway."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    try:
        import PySide6
    except ImportError:
        return
    if not PySide6.__version__.startswith("6.12.0"):
        return
    import ctypes

    # ob_refcnt is the first field of every CPython object (a Py_ssize_t).
    refcount = ctypes.c_ssize_t.from_address(id(None))
    if refcount.value < _HEADROOM:
        refcount.value += _HEADROOM


protect_none_refcount()
