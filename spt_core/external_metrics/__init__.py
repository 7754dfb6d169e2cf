"""FID, IS and LPIPS from network files the user has on disk (nothing is ever downloaded).

The weights behind these metrics (Inception-v3, LPIPS's AlexNet/VGG) cannot ship with the
project and must not be fetched at run time, so the user exports them once, on a machine that
has pytorch-fid / torchvision / lpips, as **TorchScript** files (``torch.jit.trace(...).save``)
or **torch.export** archives (``torch.export.save``, ``.pt2``); snippets in
docs/external_metrics.md. Both keep the code with the weights, so loading needs neither package
here. (torch 2.13 warns that torch.jit is deprecated, hence the second format.)

Modules:

* :mod:`~spt_core.external_metrics.scores`: the formulas on numbers (Fréchet distance, feature
  statistics, FID from features, Inception Score); numpy and scipy only.
* :mod:`~spt_core.external_metrics.networks`: the contracts of the user's network files;
  loading a TorchScript / .pt2 file, probing it, finding its outputs' roles, error hints.
* :mod:`~spt_core.external_metrics.runner`: :class:`ExternalMetrics`, which runs the files on
  images and scores them.
* :mod:`~spt_core.external_metrics.cli`: the ``--inception`` / ``--lpips`` flags of the
  ``spt eval`` commands and the scores they ask for.

Contracts (checked on a probe batch when a file is loaded):

* **Inception file** (FID and IS): ``forward(x)`` with ``x`` float (B, 3, H, W), RGB in [0, 1].
  By default the images are resized to 299 x 299 (bilinear, ``align_corners=False``, as
  pytorch-fid) before the call; ``resize=None`` passes them at their own size. It returns a
  tensor or a tuple/list of tensors; each output of shape (B, 2048) or (B, 2048, 1, 1) is the
  pool feature used by FID, each of shape (B, 1000) or (B, 1008) is the logits used by IS.
  Other outputs are ignored; a file with only one of the two gives only that metric.
* **LPIPS file**: ``forward(a, b)`` with two float batches (B, 3, H, W) in [-1, 1]; returns
  (B,), (B, 1) or (B, 1, 1, 1) distances. The reported LPIPS is their mean.

The formulas follow the reference code exactly: FID is pytorch-fid's
``calculate_frechet_distance`` (scipy ``sqrtm``, ``eps`` offset when the product is singular,
tolerance on the imaginary part); IS is improved-GAN's ``get_inception_score`` (softmax,
10 splits, ``exp(mean KL(p(y|x) || p(y)))``, mean and population std over splits).

Qt-free; torch is imported only when a network is loaded or run, scipy only when a score is
computed.
"""

from spt_core.external_metrics.cli import add_external_metric_args, external_scores
from spt_core.external_metrics.networks import (
    FID_POOL_DIM,
    INCEPTION_SIZE,
    LOGIT_DIMS,
    inception_roles,
    load_scripted,
    lpips_distances,
)
from spt_core.external_metrics.runner import DEFAULT_BATCH_SIZE, ExternalMetrics
from spt_core.external_metrics.scores import (
    FID_EPS,
    IS_SPLITS,
    MetricError,
    feature_statistics,
    fid_from_features,
    frechet_distance,
    inception_score,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FID_EPS",
    "FID_POOL_DIM",
    "INCEPTION_SIZE",
    "IS_SPLITS",
    "LOGIT_DIMS",
    "ExternalMetrics",
    "MetricError",
    "add_external_metric_args",
    "external_scores",
    "feature_statistics",
    "fid_from_features",
    "frechet_distance",
    "inception_roles",
    "inception_score",
    "load_scripted",
    "lpips_distances",
]
