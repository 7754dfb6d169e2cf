"""Dialogs of the editor: training and pseudo-label search (Tools menu), model and device,
the dataset sample picker and viewer, and the help page."""
