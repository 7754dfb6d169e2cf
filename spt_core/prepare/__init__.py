"""Photos -> (image, pose, parsing) in the PG2 layout: what ``spt prepare`` does.

* :mod:`.photo`: read a photo and refuse what cannot be used (corrupt, tiny, huge).
* :mod:`.detect`: BlazePose (the ``detect`` extra) -> 18 OpenPose joints and a person mask.
* :mod:`.framing`: crop, resize and pad to the model's size, and the mapping back.
* :mod:`.rules`: an initial 10-label parsing from the mask, the pose and colour clusters.
* :mod:`.pipeline`: the whole thing over a folder, writing the dataset layout.

See docs/prepare.md.
"""
