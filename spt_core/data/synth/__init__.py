"""Synthetic people with exact poses and parsings (see :mod:`spt_core.data.synthetic`)."""
