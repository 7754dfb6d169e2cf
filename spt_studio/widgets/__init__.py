"""Small widgets of the editor: label palette, image panels, transfer panel, model chooser."""
