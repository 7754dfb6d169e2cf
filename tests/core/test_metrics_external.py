"""FID, IS and LPIPS from local network files, checked against independent computations.

The formulas are compared with closed forms (Gaussians with diagonal or proportional
covariances), an eigenvalue route to Tr sqrt(S1 S2) that does not use scipy's sqrtm, and a
line-by-line transcription of improved-GAN's IS loop. Tiny CNNs saved with torch.jit.script /
trace (and once torch.export) stand in for Inception and LPIPS, so the file path is exercised
end to end in seconds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F
from torch import nn

from spt_core.errors import DataError, SptError
from spt_core.external_metrics import (
    ExternalMetrics,
    MetricError,
    add_external_metric_args,
    external_scores,
    feature_statistics,
    fid_from_features,
    frechet_distance,
    inception_score,
    load_scripted,
    networks,
)
from tests.core.metrics_reference import improved_gan_is, reference_fid

# Exporting the stand-ins with torch.jit is the point; torch 2.13 flags it as deprecated.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*torch.jit.*deprecated:DeprecationWarning", "ignore::torch.jit.TracerWarning"
)

POOL = 16  # feature width of the stand-in Inception (2048 would make sqrtm take seconds)
SIDE = 32  # resize side used in the tests instead of 299, to keep them light


# --------------------------------------------------------------------------------------------
# Stand-in networks


class TinyInception(nn.Module):
    """[0, 1] images -> (pool (B, POOL), logits (B, 1000)); nonlinear, so features are full rank."""

    def __init__(self, pool_dim: int = POOL, classes: int = 1000) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, pool_dim, 5, stride=4)
        self.fc = nn.Linear(pool_dim, classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pool = torch.tanh(self.conv(2 * x - 1)).mean(dim=(2, 3))
        return pool, 8 * self.fc(pool)


class PoolOnly(nn.Module):
    """pytorch-fid style: one (B, POOL, 1, 1) output."""

    def __init__(self) -> None:
        super().__init__()
        self.net = TinyInception()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[0][:, :, None, None]


class WrongWidth(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3)).repeat(1, 3)  # (B, 9)


class OneChannel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, POOL, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).mean(dim=(2, 3))


class BatchNormNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, POOL, 3)
        self.bn = nn.BatchNorm2d(POOL)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x)).mean(dim=(2, 3))


class MeanSquare(nn.Module):
    """LPIPS stand-in: mean squared difference per pair, (B, 1, 1, 1) like lpips.LPIPS."""

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return ((a - b) ** 2).mean(dim=(1, 2, 3), keepdim=True)


class PerChannel(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (a - b).abs().mean(dim=(2, 3))  # (B, 3): wrong


def _save_script(module: nn.Module, path: Path) -> Path:
    torch.jit.script(module.eval()).save(str(path))
    return path


def _save_trace(module: nn.Module, path: Path, *examples: torch.Tensor) -> Path:
    torch.jit.trace(module, examples).save(str(path))
    return path


def _images(n: int, seed: int, brightness: float = 0.0, size=(24, 16)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.uniform(0, 200, (n, 1, 1, 3)) + brightness
    noise = rng.normal(0, 40, (n, *size, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory) -> Path:
    return _save_script(TinyInception(), tmp_path_factory.mktemp("nets") / "inception.pt")


@pytest.fixture(scope="module")
def lpips_file(tmp_path_factory) -> Path:
    return _save_script(MeanSquare(), tmp_path_factory.mktemp("nets") / "lpips.pt")


def _hand_outputs(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stand-in run eagerly on hand-resized [0, 1] inputs."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).double() / 255
    x = F.interpolate(x, size=(SIDE, SIDE), mode="bilinear", align_corners=False).float()
    with torch.no_grad():
        pool, logits = TinyInception().eval()(x)
    return pool.numpy(), logits.numpy()


# --------------------------------------------------------------------------------------------
# FID formula


def test_fid_of_diagonal_gaussians_matches_closed_form():
    rng = np.random.default_rng(1)
    m1, m2 = rng.normal(size=6), rng.normal(size=6)
    v1, v2 = rng.uniform(0.1, 3, 6), rng.uniform(0.1, 3, 6)
    expected = np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    assert frechet_distance(m1, np.diag(v1), m2, np.diag(v2)) == pytest.approx(expected, rel=1e-9)


def test_fid_of_proportional_full_covariances_matches_closed_form():
    # S2 = c^2 S1 -> Tr(S1 + c^2 S1 - 2 c S1) = (1 - c)^2 Tr S1, for any full S1.
    rng = np.random.default_rng(2)
    a = rng.normal(size=(8, 8))
    s1 = a @ a.T + 0.1 * np.eye(8)
    m1, m2 = rng.normal(size=8), rng.normal(size=8)
    expected = np.sum((m1 - m2) ** 2) + (1 - 1.7) ** 2 * np.trace(s1)
    assert frechet_distance(m1, s1, m2, 1.7**2 * s1) == pytest.approx(expected, rel=1e-8)


def test_fid_of_identical_sets_is_zero_and_matches_eigen_route():
    rng = np.random.default_rng(3)
    f1 = rng.normal(size=(200, 12)) @ rng.normal(size=(12, 12))
    f2 = rng.normal(size=(150, 12)) + 0.5
    _, s1 = feature_statistics(f1)
    assert abs(fid_from_features(f1, f1)) <= 1e-6 * 2 * np.trace(s1)
    assert fid_from_features(f1, f2) == pytest.approx(reference_fid(f1, f2), rel=1e-8)


def test_feature_statistics_are_mean_and_unbiased_covariance():
    f = np.random.default_rng(4).normal(size=(30, 5)).astype(np.float32)
    mu, sigma = feature_statistics(f)
    centred = f.astype(np.float64) - f.astype(np.float64).mean(0)
    np.testing.assert_allclose(mu, f.astype(np.float64).mean(0), rtol=1e-12)
    np.testing.assert_allclose(sigma, centred.T @ centred / 29, rtol=1e-10)
    with pytest.raises(MetricError):
        feature_statistics(f[:1])


def test_fid_adds_eps_when_sqrtm_is_not_finite(monkeypatch):
    real_sqrtm = scipy.linalg.sqrtm
    calls = []

    def first_call_fails(matrix):
        calls.append(matrix.copy())
        return np.full_like(matrix, np.nan) if len(calls) == 1 else real_sqrtm(matrix)

    monkeypatch.setattr(scipy.linalg, "sqrtm", first_call_fails)
    v1, v2 = np.array([1.0, 4.0]), np.array([9.0, 0.25])
    with pytest.warns(RuntimeWarning, match="adding 0.01"):
        value = frechet_distance(np.zeros(2), np.diag(v1), np.zeros(2), np.diag(v2), eps=0.01)
    np.testing.assert_allclose(calls[1], np.diag((v1 + 0.01) * (v2 + 0.01)))
    # pytorch-fid offsets only the sqrtm term; the traces keep the raw covariances.
    expected = np.sum(v1 + v2) - 2 * np.sum(np.sqrt((v1 + 0.01) * (v2 + 0.01)))
    assert value == pytest.approx(expected, rel=1e-12)


def test_fid_imaginary_part(monkeypatch):
    real_sqrtm = scipy.linalg.sqrtm
    s = np.diag([1.0, 2.0])
    # Rounding-size imaginary parts are dropped ...
    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda m: real_sqrtm(m) + 1e-9j)
    assert frechet_distance(np.zeros(2), s, np.zeros(2), s) == pytest.approx(0, abs=1e-9)
    # ... large ones are an error, as in pytorch-fid.
    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda m: real_sqrtm(m) + 0.1j * np.eye(2))
    with pytest.raises(MetricError, match="imaginary"):
        frechet_distance(np.zeros(2), s, np.zeros(2), s)


def test_fid_shape_errors_and_small_sample_warning():
    with pytest.raises(MetricError):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(MetricError):
        frechet_distance(np.zeros(3), np.eye(2), np.zeros(3), np.eye(2))
    f = np.random.default_rng(5).normal(size=(4, 6))
    # pytest.warns also absorbs a possible second warning (the sqrtm offset).
    with pytest.warns(RuntimeWarning, match="covariance is singular"):
        fid_from_features(f, f + 1)


# --------------------------------------------------------------------------------------------
# IS formula


def test_is_of_uniform_logits_is_one():
    mean, std = inception_score(np.zeros((50, 1000)))
    assert mean == pytest.approx(1.0, abs=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("n", [2, 7, 1008])
def test_is_of_confident_distinct_predictions_is_n(n):
    assert inception_score(60.0 * np.eye(n), splits=1)[0] == pytest.approx(n, rel=1e-9)


def test_is_matches_improved_gan_loop_with_uneven_splits():
    logits = np.random.default_rng(6).normal(0, 3, size=(103, 40))
    ours = inception_score(logits, splits=10)
    np.testing.assert_allclose(ours, improved_gan_is(logits, 10), rtol=1e-12)
    assert ours[1] > 0


def test_is_survives_underflow_where_the_original_gives_nan():
    logits = 1000.0 * np.eye(4)  # softmax is exactly one-hot even in float64
    with np.errstate(all="ignore"):
        assert np.isnan(improved_gan_is(logits, 1)[0])
    assert inception_score(logits, splits=1)[0] == pytest.approx(4.0)


def test_is_errors():
    with pytest.raises(MetricError, match="splits"):
        inception_score(np.zeros((9, 10)), splits=10)
    with pytest.raises(MetricError):
        inception_score(np.zeros(10))


# --------------------------------------------------------------------------------------------
# Files


def test_missing_and_non_file_paths(tmp_path):
    with pytest.raises(DataError, match="not found") as info:
        load_scripted(tmp_path / "nope.pt", "inception")
    assert "nope.pt" in str(info.value)
    with pytest.raises(DataError, match="not a file"):
        load_scripted(tmp_path, "lpips")
    with pytest.raises(ValueError):
        load_scripted(tmp_path / "nope.pt", "vgg")


def test_text_file_is_not_torchscript(tmp_path):
    path = tmp_path / "weights.txt"
    path.write_text("not a network\n")
    with pytest.raises(DataError, match="not a TorchScript file") as info:
        load_scripted(path, "inception")
    assert str(path) in str(info.value)


@pytest.mark.parametrize("what", ["state_dict", "module"])
def test_torch_save_checkpoint_is_named_as_such(tmp_path, what):
    path = tmp_path / "inception.pth"
    net = TinyInception()
    torch.save(net.state_dict() if what == "state_dict" else net, path)
    with pytest.raises(DataError, match="torch.save checkpoint") as info:
        load_scripted(path, "inception")
    assert str(path) in str(info.value)


def test_wrong_inception_output_shape(tmp_path):
    path = _save_script(WrongWidth(), tmp_path / "wrong.pt")
    with pytest.raises(DataError, match=r"returned \(2, 9\)") as info:
        load_scripted(path, "inception", resize=SIDE, pool_dim=POOL)
    assert str(path) in str(info.value)
    # The same file is right for a network whose pool is 9 wide.
    load_scripted(path, "inception", resize=SIDE, pool_dim=9)


def test_default_contract_wants_2048_features(tmp_path, inception_file):
    path = _save_script(WrongWidth(), tmp_path / "wrong.pt")
    with pytest.raises(DataError, match=r"\(2, 2048\) pool features"):
        load_scripted(path, "inception", resize=SIDE)
    # The stand-in's pool is 16 wide: by default only its 1000 logits are recognised.
    metrics = ExternalMetrics(inception_file, resize=SIDE)
    assert metrics.has_is and not metrics.has_fid
    with pytest.raises(SptError, match="no pool output"):
        metrics.fid(_images(3, 0), _images(3, 1))


def test_network_failing_on_the_probe(tmp_path):
    path = _save_script(OneChannel(), tmp_path / "gray.pt")
    with pytest.raises(DataError, match="failed on a probe batch") as info:
        load_scripted(path, "inception", resize=SIDE, pool_dim=POOL)
    assert str(path) in str(info.value)


def test_network_traced_in_training_mode_is_refused(tmp_path):
    net = BatchNormNet().train()
    path = _save_trace(net, tmp_path / "train.pt", torch.rand(4, 3, SIDE, SIDE))
    with pytest.raises(DataError, match="training mode"):
        load_scripted(path, "inception", resize=SIDE, pool_dim=POOL)
    good = _save_trace(net.eval(), tmp_path / "eval.pt", torch.rand(4, 3, SIDE, SIDE))
    load_scripted(good, "inception", resize=SIDE, pool_dim=POOL)


def test_wrong_lpips_output_shape(tmp_path):
    path = _save_script(PerChannel(), tmp_path / "lpips.pt")
    with pytest.raises(DataError, match=r"returned \(2, 3\) for 2 pairs") as info:
        load_scripted(path, "lpips")
    assert str(path) in str(info.value)
    # An Inception file given as LPIPS fails on the two-input call.
    inception = _save_script(TinyInception(), tmp_path / "inception.pt")
    with pytest.raises(DataError, match="failed on a probe batch"):
        load_scripted(inception, "lpips")


# --------------------------------------------------------------------------------------------
# End to end through files


def test_inception_inputs_are_rgb_in_unit_range_resized(inception_file):
    metrics = ExternalMetrics(inception_file, resize=SIDE, pool_dim=POOL)
    red = np.zeros((2, 24, 16, 3), np.uint8)
    red[..., 0] = 255
    x = metrics.inception_inputs(red)
    assert tuple(x.shape) == (2, 3, SIDE, SIDE)
    assert torch.all(x[:, 0] == 1) and torch.all(x[:, 1:] == 0)
    images = _images(3, 0)
    expected = F.interpolate(
        torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255,
        size=(SIDE, SIDE),
        mode="bilinear",
        align_corners=False,
    )
    torch.testing.assert_close(metrics.inception_inputs(images), expected)
    metrics.resize = None
    assert tuple(metrics.inception_inputs(images).shape) == (3, 3, 24, 16)


def test_fid_and_is_through_a_scripted_file(inception_file):
    generated, real = _images(40, 10), _images(50, 11, brightness=40)
    metrics = ExternalMetrics(inception_file, resize=SIDE, pool_dim=POOL, batch_size=7)
    assert metrics.has_fid and metrics.has_is and not metrics.has_lpips
    pool_g, logits_g = _hand_outputs(generated)
    pool_r, _ = _hand_outputs(real)
    pool, logits = metrics.inception_outputs(generated)
    np.testing.assert_allclose(pool, pool_g, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(logits, logits_g, rtol=1e-5, atol=1e-5)

    fid = metrics.fid(generated, real)
    assert fid > 0.01
    assert fid == pytest.approx(reference_fid(pool_g, pool_r), rel=1e-4)
    _, sigma = feature_statistics(pool)
    assert abs(metrics.fid(generated, generated)) <= 1e-6 * 2 * np.trace(sigma)

    ours = metrics.inception_score(generated)
    np.testing.assert_allclose(ours, improved_gan_is(logits_g, 10), rtol=1e-5)
    # Batch size does not change anything.
    one_batch = ExternalMetrics(inception_file, resize=SIDE, pool_dim=POOL, batch_size=64)
    np.testing.assert_allclose(one_batch.inception_outputs(generated)[0], pool, rtol=1e-5)


def test_pool_only_traced_file_gives_fid_not_is(tmp_path):
    path = _save_trace(PoolOnly().eval(), tmp_path / "pool.pt", torch.rand(2, 3, SIDE, SIDE))
    metrics = ExternalMetrics(path, resize=SIDE, pool_dim=POOL)
    assert metrics.has_fid and not metrics.has_is
    assert metrics.inception_outputs(_images(5, 0))[1] is None
    with pytest.raises(SptError, match="no IS"):
        metrics.inception_score(_images(20, 0))


def test_torch_export_archive_gives_the_same_scores(tmp_path, inception_file):
    batch = torch.export.Dim("batch")
    program = torch.export.export(
        TinyInception().eval(), (torch.rand(4, 3, SIDE, SIDE),), dynamic_shapes={"x": {0: batch}}
    )
    path = tmp_path / "inception.pt2"
    torch.export.save(program, str(path))
    # Loading a .pt2 archive can run code from it: refused unless the user vouches for it.
    with pytest.raises(DataError, match=r"inception\.pt2.*run Python code.*--trust-pt2"):
        ExternalMetrics(path, resize=SIDE, pool_dim=POOL)
    exported = ExternalMetrics(path, resize=SIDE, pool_dim=POOL, batch_size=7, trust_archives=True)
    scripted = ExternalMetrics(inception_file, resize=SIDE, pool_dim=POOL, batch_size=7)
    images = _images(15, 40)  # the last batch holds one image
    pairs = zip(exported.inception_outputs(images), scripted.inception_outputs(images), strict=True)
    for a, b in pairs:
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # Exported with the default static shapes, the probe batch of 2 is refused with a hint.
    static = tmp_path / "static.pt2"
    program = torch.export.export(TinyInception().eval(), (torch.rand(4, 3, SIDE, SIDE),))
    torch.export.save(program, str(static))
    with pytest.raises(DataError, match="dynamic_shapes"):
        load_scripted(static, "inception", resize=SIDE, pool_dim=POOL, trust_archive=True)


def test_lpips_through_a_scripted_file(lpips_file):
    a, b = _images(9, 20), _images(9, 21)
    metrics = ExternalMetrics(lpips=lpips_file, batch_size=4)
    expected = np.mean(((a / 127.5 - 1) - (b / 127.5 - 1)) ** 2, axis=(1, 2, 3)).mean()
    assert metrics.lpips(a, b) == pytest.approx(expected, rel=1e-5)
    assert metrics.lpips(a, a) == 0
    with pytest.raises(MetricError):
        metrics.lpips(a, b[:5])
    with pytest.raises(SptError, match="--inception"):
        metrics.fid(a, b)


# --------------------------------------------------------------------------------------------
# Command-line glue


def test_external_scores_without_flags_does_nothing():
    parser = argparse.ArgumentParser()
    add_external_metric_args(parser)
    args = parser.parse_args([])
    assert args.inception is None and args.lpips is None
    lines = []
    assert external_scores(args, np.zeros((1, 8, 8, 3), np.uint8), None, None, lines.append) == {}
    assert lines == []


def test_external_scores_with_both_flags(inception_file, lpips_file, monkeypatch):
    # The command uses the real contract (2048 features, 299 px); shrink it for the stand-in.
    monkeypatch.setattr(networks, "FID_POOL_DIM", POOL)
    monkeypatch.setattr(networks, "INCEPTION_SIZE", SIDE)
    parser = argparse.ArgumentParser()
    add_external_metric_args(parser)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(["--inception", str(inception_file), "--lpips", str(lpips_file)])
    real = _images(30, 30)
    pairs = np.stack([np.arange(24), (np.arange(24) * 7) % 30], axis=1)
    generated = _images(24, 31, brightness=20)
    lines = []
    scores = external_scores(args, generated, real, pairs, log=lines.append)
    assert set(scores) == {"fid", "is_mean", "is_std", "lpips"}
    direct = ExternalMetrics(inception_file, lpips_file, resize=SIDE, pool_dim=POOL)
    assert scores["fid"] == pytest.approx(direct.fid(generated, real), rel=1e-9)
    assert (scores["is_mean"], scores["is_std"]) == pytest.approx(
        direct.inception_score(generated), rel=1e-9
    )
    assert scores["lpips"] == pytest.approx(direct.lpips(generated, real[pairs[:, 1]]), rel=1e-9)
    assert [line.split()[0] for line in lines] == ["FID", "IS", "LPIPS"]
    # Fewer images than IS splits: IS is skipped with a note, the rest still computed.
    lines.clear()
    with pytest.warns(RuntimeWarning, match="singular"):
        few = external_scores(args, generated[:5], real, pairs[:5], log=lines.append)
    assert "is_mean" not in few and "fid" in few and any("IS skipped" in x for x in lines)
