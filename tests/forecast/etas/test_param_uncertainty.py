import numpy as np

from geohazard.forecast.etas.model import ETAS
from geohazard.forecast.etas.params import ETASParams, MagnitudeLaw
from geohazard.forecast.etas.simulate import simulate_catalog


def test_parameter_draws_follow_the_fit_covariance_and_stay_subcritical():
    truth = ETASParams(mu=0.5, k=0.008, alpha=0.8, c=0.01, p=1.15)
    seq = simulate_catalog(truth, MagnitudeLaw(b=1.0, mc=2.0, m_max=7.5), 3000.0, 4)
    model = ETAS(n_starts=1, param_draws=400).fit(seq)
    draws = model.parameter_draws(np.random.default_rng(0))
    assert len(draws) == 400
    assert all(d.branching_ratio(model.mag_law_) < 1 for d in draws)
    alpha = np.array([d.alpha for d in draws])
    # alpha is drawn on its natural scale: mean and spread match the estimate and its se
    assert abs(alpha.mean() - model.params_.alpha) < 4 * model.se_[2] / np.sqrt(400)
    assert 0.8 * model.se_[2] <= np.std(alpha) <= 1.2 * model.se_[2]
    # reproducible, and the mixture still returns the requested number of continuations
    again = model.parameter_draws(np.random.default_rng(0))
    assert [d.mu for d in again] == [d.mu for d in draws]
    model.param_draws = 10
    cont = model.sample(seq, 14.0, 501, rng=1)
    assert cont.n_samples == 501 and cont.t_start == seq.t_end
    assert np.all(np.diff(cont.offsets) >= 0)
