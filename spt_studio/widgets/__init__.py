"""Small widgets of the editor: label palette, image panels, transfer panel, overview strip,
loss plot, previews, and the settings form built from a config dataclass."""
