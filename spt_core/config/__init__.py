"""Configuration dataclasses (frozen; saved as JSON with ``to_dict`` / ``from_dict``).

- :mod:`spt_core.config.networks`: one architecture per network (G_S/D_S, G_A/D_A/D_F, the pose
  regressor P, the human parser);
- :mod:`spt_core.config.training`: optimisation, the 256-px schedule, loss weights, the
  pseudo-label search and what each kind of run reads besides its dataset;
- :mod:`spt_core.config.base`: serialisation, and the form hints (choices, paths) the fields
  carry in their metadata.
"""

from spt_core.config.base import field_choices, from_dict, path_fields, to_dict
from spt_core.config.networks import (
    APPEARANCE_NORMS,
    SEMANTIC_NORMS,
    AppearanceNetConfig,
    ParserConfig,
    PoseNetConfig,
    SemanticNetConfig,
)
from spt_core.config.training import (
    PARSING_MODES,
    STYLE_VARIANTS,
    AppearanceLossWeights,
    AppearanceRunInputs,
    JointRunInputs,
    ProgressiveConfig,
    SearchConfig,
    SemanticLossWeights,
    SemanticRunInputs,
    TrainConfig,
)

__all__ = [
    "APPEARANCE_NORMS",
    "PARSING_MODES",
    "SEMANTIC_NORMS",
    "STYLE_VARIANTS",
    "AppearanceRunInputs",
    "AppearanceLossWeights",
    "AppearanceNetConfig",
    "JointRunInputs",
    "ParserConfig",
    "PoseNetConfig",
    "ProgressiveConfig",
    "SearchConfig",
    "SemanticRunInputs",
    "SemanticLossWeights",
    "SemanticNetConfig",
    "TrainConfig",
    "field_choices",
    "from_dict",
    "path_fields",
    "to_dict",
]
