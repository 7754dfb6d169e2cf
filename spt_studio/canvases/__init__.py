"""Qt canvases: the pose canvas (drag joints) and the label canvas (paint the parsing)."""
