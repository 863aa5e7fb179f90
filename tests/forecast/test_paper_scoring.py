"""The RECAST paper's scoring rules, checked on counts worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geohazard.exceptions import InputError
from geohazard.forecast.paper_scoring import (
    exact_match_log_likelihood,
    fraction_below,
    inside_95_project,
    outside_95_paper,
    paper_protocol_summary,
    score_window_paper,
)


def test_fraction_below_is_strict():
    sims = np.array([0, 1, 1, 2, 5])
    assert fraction_below(sims, 1) == pytest.approx(1 / 5)
    assert fraction_below(sims, 2) == pytest.approx(3 / 5)
    assert fraction_below(sims, 0) == 0.0
    assert fraction_below(sims, 6) == 1.0


def test_paper_and_project_rules_differ_on_ties():
    # 97% of simulations are 0 and 3% are 10: an observed 0 has 0% of simulations below it,
    # so the paper calls it outside; the project's q2.5 is 0, so it is inside.
    sims = np.array([0] * 97 + [10] * 3)
    assert outside_95_paper(sims, 0)
    assert inside_95_project(sims, 0)
    # Observed 11: everything is below -> outside for both.
    assert outside_95_paper(sims, 11)
    assert not inside_95_project(sims, 11)
    # An observation in the middle of a spread distribution is inside for both.
    spread = np.arange(1000)
    assert not outside_95_paper(spread, 500)
    assert inside_95_project(spread, 500)
    # The paper's bounds: 25 of 1000 below is not outside (0.025 is not < 0.025), 24 is.
    assert not outside_95_paper(spread, 25)
    assert outside_95_paper(spread, 24)


def test_exact_match_log_likelihood():
    sims = np.array([3, 3, 4, 7])
    assert exact_match_log_likelihood(sims, 3) == pytest.approx(math.log(0.5))
    assert exact_match_log_likelihood(sims, 7) == pytest.approx(math.log(0.25))
    assert exact_match_log_likelihood(sims, 5) == -math.inf
    assert score_window_paper(sims, 5).complete_miss
    assert not score_window_paper(sims, 4).complete_miss


def test_summary_counts_misses_and_wins_with_inf_ties():
    obs = [2, 5, 9]
    a = [score_window_paper(np.array(s), o) for s, o in
         zip([[1, 2, 2, 3], [4, 5, 6], [1, 1, 1]], obs, strict=True)]  # log(1/2), log(1/3), -inf
    b = [score_window_paper(np.array(s), o) for s, o in
         zip([[1, 2, 3, 3], [4, 4, 4], [0, 0, 0]], obs, strict=True)]  # log(1/4), -inf, -inf
    out = paper_protocol_summary({"a": a, "b": b})
    assert out["wins"]["a_vs_b"] == {"wins": 2, "windows": 3}
    assert out["wins"]["b_vs_a"] == {"wins": 0, "windows": 3}  # the -inf/-inf window ties
    assert out["models"]["a"]["complete_misses"] == 1
    assert out["models"]["b"]["complete_misses"] == 2
    assert out["models"]["a"]["mean_finite_exact_match_ll"] == pytest.approx(
        (math.log(1 / 2) + math.log(1 / 3)) / 2)
    # Window 3: all of a's simulations (1) are below 9 -> outside; window 2 of b: all 4 < 5.
    assert out["models"]["a"]["outside_95"] == 1
    assert out["models"]["b"]["outside_95"] == 2
    assert out["models"]["b"]["outside_95_fraction"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("bad", [[], [[1, 2]], [1.5, 2], [-1, 2], [np.nan]])
def test_bad_counts_are_refused(bad):
    with pytest.raises(InputError, match="paper scoring"):
        fraction_below(np.array(bad), 1)


def test_models_with_different_window_counts_are_refused():
    w = score_window_paper(np.array([1, 2]), 1)
    with pytest.raises(InputError, match="same, non-zero number of windows"):
        paper_protocol_summary({"a": [w], "b": [w, w]})
