"""Training: learning a known renewal process, exact validation, resume, checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from geohazard.forecast.recast import Recast, TrainConfig
from geohazard.forecast.recast.data import Normaliser, gap_arrays
from geohazard.forecast.recast.train import build_module, split_sequences
from geohazard.testing import renewal_log_likelihood

from ._synth import renewal_catalog

TINY = dict(hidden=8, n_components=4, window=64, warmup=32, batch_windows=4, val_window=256,
            val_warmup=256)


@pytest.fixture(scope="module")
def catalog():
    return renewal_catalog(1500, seed=3)


@pytest.fixture(scope="module")
def fitted(catalog, tmp_path_factory) -> Recast:
    torch.set_num_threads(1)
    cfg = TrainConfig(seed=0, max_epochs=60, patience=10, min_delta=0.0, lr=2e-2, **TINY)
    return Recast(cfg, work_dir=tmp_path_factory.mktemp("fit")).fit(catalog)


def test_tiny_model_learns_the_renewal_process(catalog, fitted: Recast) -> None:
    seqs = split_sequences(catalog)
    test = seqs["test"]
    true_nll = -renewal_log_likelihood(test, 0.6, 0.5) / test.n_scored
    got = fitted.log_likelihood(test).nll_per_event
    # an untrained network with the same initialisation scores much worse
    norm = Normaliser.fit(seqs["train"], 0.01)
    fresh = build_module(fitted.config, norm, gap_arrays(seqs["train"], norm), 1.0)
    init = Recast(fitted.config)
    init.net_, init.normaliser_ = fresh.net.eval(), norm
    init_nll = init.log_likelihood(test).nll_per_event
    assert got == pytest.approx(true_nll, abs=0.03)
    # training at least halves the excess over the truth (about 2.3x for seeds 0-3; the
    # former 3x held for lucky seeds only)
    assert init_nll - true_nll > 2 * (got - true_nll)


def test_windowed_validation_equals_the_exact_pass(catalog, fitted: Recast) -> None:
    exact = fitted.log_likelihood(split_sequences(catalog)["val"]).nll_per_day
    assert fitted.fit_info_.best_val_nll_per_day == pytest.approx(exact, abs=1e-4)


def test_paper_loop_validates_on_the_whole_sequence(catalog, tmp_path: Path) -> None:
    cfg = TrainConfig.paper(seed=1, max_epochs=2, **{k: TINY[k] for k in ("hidden",
                                                                           "n_components")})
    model = Recast(cfg, work_dir=tmp_path).fit(catalog)
    exact = model.log_likelihood(split_sequences(catalog)["val"]).nll_per_day
    assert model.fit_info_.epochs == 2
    assert model.fit_info_.best_val_nll_per_day == pytest.approx(exact, abs=1e-4)


def test_resume_after_a_kill_reproduces_the_uninterrupted_run(catalog, tmp_path: Path) -> None:
    # dropout (global torch RNG) and an lr schedule that steps: both must resume exactly
    base = dict(seed=5, dropout=0.2, patience=100, lr_patience=1, lr=5e-2, **TINY)
    full = Recast(TrainConfig(max_epochs=8, **base), work_dir=tmp_path / "a").fit(catalog)
    last = torch.load(tmp_path / "a" / "last.ckpt", weights_only=True)
    assert last["optimizer_states"][0]["param_groups"][0]["lr"] < 5e-2  # the schedule acted
    Recast(TrainConfig(max_epochs=4, **base), work_dir=tmp_path / "b").fit(catalog)
    assert torch.load(tmp_path / "b" / "last.ckpt", weights_only=True)["epoch"] == 3
    resumed = Recast(TrainConfig(max_epochs=8, **base), work_dir=tmp_path / "b").fit(catalog)
    assert resumed.fit_info_.epochs == 8
    for (k, v), w in zip(full.net_.state_dict().items(), resumed.net_.state_dict().values(),
                         strict=True):
        assert torch.equal(v, w), k


def test_checkpoint_round_trip_with_weights_only(catalog, fitted: Recast, tmp_path: Path
                                                 ) -> None:
    path = fitted.save(tmp_path / "model.pt")
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "geohazard-recast-1"
    loaded = Recast.load(path)
    seq = split_sequences(catalog)["test"]
    a = fitted.log_likelihood(seq, include_magnitude=True)
    b = loaded.log_likelihood(seq, include_magnitude=True)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-12)
    assert loaded.normaliser_ == fitted.normaliser_


def test_lightning_checkpoint_loads_with_weights_only(fitted: Recast) -> None:
    ckpt = torch.load(fitted.fit_info_.best_checkpoint, weights_only=True)
    assert "state_dict" in ckpt


def test_bad_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    from geohazard.exceptions import InputError

    bad = tmp_path / "x.pt"
    torch.save({"format": "other"}, bad)
    with pytest.raises(InputError, match="not a RECAST checkpoint"):
        Recast.load(bad)
    with pytest.raises(InputError, match="not found"):
        Recast.load(tmp_path / "missing.pt")


def test_magnitude_terms(catalog, fitted: Recast) -> None:
    seq = split_sequences(catalog)["test"]
    res = fitted.log_likelihood(seq, include_magnitude=True)
    # the fixed-b GR term is the exponential log-likelihood of the magnitudes
    norm = fitted.normaliser_
    beta = norm.b * np.log(10)
    m = seq.magnitudes[seq.scored]
    expected = np.sum(np.log(beta) - beta * (m - norm.mag_min))
    assert res.extra["ll_magnitude_gr"] == pytest.approx(expected, rel=1e-6)
    assert norm.b == pytest.approx(1.0, abs=0.1)  # synthetic b = 1
    assert res.includes_magnitude and res.log_likelihood == pytest.approx(
        res.extra["ll_time"] + res.extra["ll_magnitude_learned"])


def test_bad_settings_raise() -> None:
    from geohazard.exceptions import ParameterError

    with pytest.raises(ParameterError, match="dropout"):
        TrainConfig(dropout=1.5).check()


def test_training_with_extra_features_scores_and_samples(tmp_path: Path) -> None:
    cat = renewal_catalog(600, seed=4, with_depth=True)
    cfg = TrainConfig(seed=0, max_epochs=3, features=("depth",), **TINY)
    model = Recast(cfg, work_dir=tmp_path).fit(cat)
    seqs = split_sequences(cat, ("depth",))
    res = model.log_likelihood(seqs["test"])
    assert np.isfinite(res.log_likelihood) and "ll_features_normalised" in res.extra
    assert model.net_.encoder.rnn.input_size == 3  # log time, magnitude, depth
    cont, feats = model.sample_with_features(seqs["test"], 2.0, 20, rng=0)
    assert feats.values.shape == (cont.times.size, 1)
    loaded = Recast.load(model.save(tmp_path / "m.pt"))
    assert loaded.log_likelihood(seqs["test"]).log_likelihood == pytest.approx(
        res.log_likelihood, rel=1e-12)


def test_training_leaves_the_global_random_state_alone(catalog, tmp_path):
    """No global seeding in the library: torch, numpy and random states are unchanged."""
    import random

    torch.manual_seed(1234)
    np.random.seed(99)  # noqa: NPY002 - the global state is what is checked
    before = (torch.get_rng_state().clone(), np.random.get_state()[1].copy(),  # noqa: NPY002
              random.getstate())
    Recast(TrainConfig(**TINY, max_epochs=1, seed=5)).fit(catalog)
    after = (torch.get_rng_state(), np.random.get_state()[1], random.getstate())  # noqa: NPY002
    assert torch.equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2] == after[2]
