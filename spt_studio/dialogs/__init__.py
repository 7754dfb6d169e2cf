"""Dialogs of the editor: training and pseudo-label search (Tools menu)."""
