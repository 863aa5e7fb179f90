"""Every forecast model follows one contract (issue 12): scikit-learn settings, one way to fit,
one name for the fit report, the temporal and located protocols."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from geohazard.examples import synthetic_catalog
from geohazard.exceptions import InputError, ParameterError
from geohazard.forecast import (
    ETAS,
    KernelHeadConfig,
    KernelRecast,
    LocatedModel,
    PointProcessModel,
    PoissonGR,
    Recast,
    SpatialETAS,
    SpatialPoisson,
    SpatialRecast,
)
from geohazard.forecast.recast import TrainConfig
from tests.forecast.test_spatial_eval import located_catalog

SETTINGS = [
    ETAS(taper_days=100.0, param_draws=5), PoissonGR(b=1.1),
    SpatialETAS(taper_days=1000.0, lookback_events=50), SpatialPoisson(b=1.0, neighbors=4),
    SpatialRecast(TrainConfig(hidden=8), location_components=4, refit_steps=0),
    Recast(TrainConfig(hidden=8)),
    KernelRecast(TrainConfig(hidden=8), KernelHeadConfig(steps=10)),
]


@pytest.mark.parametrize("model", SETTINGS, ids=lambda m: type(m).__name__)
def test_clone_copies_the_settings_and_repr_shows_them(model):
    twin = clone(model)
    assert type(twin) is type(model) and twin is not model
    assert twin.get_params().keys() == model.get_params().keys()
    for key, value in model.get_params().items():
        assert twin.get_params()[key] == value, key
    assert repr(twin) == repr(model) and repr(model).startswith(type(model).__name__ + "(")


def test_the_issue_example_and_set_params():
    model = clone(ETAS(taper_days=100))
    assert repr(model) == "ETAS(taper_days=100)"
    assert model.set_params(param_draws=3) is model and model.param_draws == 3
    with pytest.raises(ParameterError, match="no setting 'tapper'"):
        model.set_params(tapper=1)
    assert repr(ETAS()) == "ETAS()" and repr(Recast()) == "Recast()"


def test_init_stores_settings_only():
    for model in (Recast(), SpatialRecast(), KernelRecast(), ETAS(), PoissonGR()):
        learned = [k for k in vars(model) if k.endswith("_")]
        assert learned == [], (type(model).__name__, learned)


@pytest.fixture(scope="module")
def catalog():
    return synthetic_catalog(years=3, rng=2)


def test_one_fit_signature_catalog_with_fit_end_or_a_sequence(catalog):
    end = catalog.metadata.test_start
    seq = catalog.above_completeness().to_sequence(t_end=end,
                                                   t_nll_start=catalog.metadata.train_start)
    for cls in (PoissonGR, ETAS):
        kw = {"n_starts": 1} if cls is ETAS else {}
        a, b = cls(**kw).fit(catalog, fit_end=end), cls(**kw).fit(seq)
        assert a.log_likelihood(seq).log_likelihood == pytest.approx(
            b.log_likelihood(seq).log_likelihood, rel=1e-10)
        assert a.fit_report_ is not None
        with pytest.raises(InputError, match="fit_end applies to a Catalog"):
            cls().fit(seq, fit_end=end)


def test_recast_says_how_to_fit_a_sequence(catalog):
    with pytest.raises(InputError, match="fit_sequences"):
        Recast().fit(catalog.to_sequence("train"))
    with pytest.raises(InputError, match="future events"):
        Recast().fit(catalog, fit_end=catalog.metadata.train_start)


def test_etas_report_has_one_name(catalog):
    model = ETAS(n_starts=1).fit(catalog)
    with pytest.warns(DeprecationWarning, match="fit_report_"):
        assert model.report_ is model.fit_report_


def test_temporal_and_located_protocols():
    cat = located_catalog(n=400, seed=1, days=200.0)
    located = SpatialPoisson().fit(cat, fit_end=cat.metadata.test_start)
    assert isinstance(located, LocatedModel) and isinstance(located, PointProcessModel)
    test = cat.to_sequence("test", features=("longitude", "latitude"))
    dens = located.spatial_log_density(test)
    assert dens.shape == (test.n_scored,) and np.isfinite(dens).all()
    assert not isinstance(PoissonGR(), LocatedModel)
    assert isinstance(PoissonGR(), PointProcessModel)


def test_one_b_value_estimator_for_poisson_etas_and_recast(catalog):
    from geohazard.catalog.stats import b_value
    from geohazard.forecast.etas.params import b_value_mle
    from geohazard.forecast.recast.data import Normaliser

    mc, delta = catalog.metadata.mag_completeness, catalog.metadata.mag_roundoff
    seq = catalog.to_sequence("train")
    mags = seq.magnitudes[seq.scored]
    assert b_value_mle(mags, mc, delta) == pytest.approx(b_value(mags, mc, delta).b, rel=1e-12)
    poisson = PoissonGR().fit(seq)
    assert poisson.b_ == pytest.approx(b_value(seq.magnitudes, mc, 0.0, strict=False).b,
                                       rel=1e-12)
    norm = Normaliser.fit(seq, delta)
    assert norm.b == pytest.approx(b_value(seq.magnitudes, mc, delta).b, rel=1e-12)
