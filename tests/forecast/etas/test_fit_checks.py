"""Suspect ETAS fits are never quiet (issue 11, silent case 6) and bad settings are refused."""

from __future__ import annotations

import json
import logging
import math

import numpy as np
import pandas as pd
import pytest

from geohazard.catalog.core import EventSequence
from geohazard.exceptions import InputError, ParameterError
from geohazard.forecast.etas.model import ETAS, fit_warnings, tied_times
from geohazard.forecast.etas.params import ETASParams, MagnitudeLaw
from geohazard.forecast.etas.simulate import simulate_catalog
from tests.badinput import run_main

TRUTH = ETASParams(mu=0.5, k=0.002, alpha=1.0, c=0.01, p=1.2)
LAW = MagnitudeLaw(b=1.0, mc=2.0, m_max=7.0)


@pytest.fixture(scope="module")
def seq() -> EventSequence:
    return simulate_catalog(TRUTH, LAW, 500.0, rng=3)


def _tied(seq: EventSequence, every: int = 4) -> EventSequence:
    """Every ``every``-th event moved onto its predecessor's time (a tie)."""
    t = seq.times.copy()
    t[every::every] = t[every - 1:-1:every][: t[every::every].size]
    return EventSequence(times=np.sort(t), magnitudes=seq.magnitudes, t_start=0.0,
                         t_end=seq.t_end, t_nll_start=0.0, mag_completeness=seq.mag_completeness)


@pytest.mark.parametrize("n_max", [5.0, 1.0, 0.0, -0.5, math.nan])
def test_constrained_fit_refuses_a_branching_bound_outside_0_1(seq, n_max) -> None:
    """``n_max = 5`` used to return n = 4.24 under the 'constrained' label."""
    with pytest.raises(ParameterError, match="n_max"):
        ETAS(constrained=True, n_max=n_max).fit(seq)


@pytest.mark.parametrize("settings", [{"n_starts": 0}, {"taper_days": -3.0},
                                      {"fixed_alpha": 9.0}, {"max_iter": 0},
                                      {"constrained": True, "p_min": 0.9}])
def test_settings_outside_their_ranges_are_refused(seq, settings) -> None:
    with pytest.raises(ParameterError):
        ETAS(**settings).fit(seq)


def test_an_explosive_fit_is_warned_about() -> None:
    """p <= 1 without a taper: branching ratio inf, and n >= 1, are both named."""
    inf_fit = fit_warnings(TRUTH.replace(p=0.95), LAW, ())
    assert any("n = inf" in w and "explosive" in w for w in inf_fit)
    hot = fit_warnings(TRUTH.replace(k=0.02), LAW, ())
    assert any(">= 1" in w and "explosive" in w for w in hot)
    assert fit_warnings(TRUTH, LAW, ()) == ()


def test_parameters_at_bounds_and_ties_are_warned_about() -> None:
    out = fit_warnings(TRUTH, LAW, ("k", "c"), ties=7)
    assert any("search bounds (k, c)" in w for w in out)
    assert any("7 events share their time" in w for w in out)
    binds = fit_warnings(TRUTH, LAW, ("n",), constrained=True)
    assert any("constraint binds (n)" in w for w in binds)


def test_a_fit_on_tied_times_reports_and_logs_the_ties(seq, caplog) -> None:
    tied = _tied(seq)
    assert tied_times(tied) > 10
    with caplog.at_level(logging.WARNING, logger="geohazard.forecast.etas.model"):
        model = ETAS(n_starts=1).fit(tied)
    assert any("tied times" in w for w in model.report_.warnings)
    assert "tied times" in caplog.text
    assert list(model.summary()["report"]["warnings"]) == list(model.report_.warnings)


def test_a_clean_fit_has_no_warnings(seq) -> None:
    model = ETAS(n_starts=1).fit(seq)
    assert model.report_.warnings == ()
    assert model.branching_ratio_ < 1


def test_too_few_events_names_the_scored_window() -> None:
    origin = pd.Timestamp("2020-01-01", tz="UTC")
    seq = EventSequence(times=np.array([1.0, 2.0]), magnitudes=np.array([2.5, 3.0]),
                        t_start=0.0, t_end=10.0, t_nll_start=5.0, mag_completeness=2.0,
                        origin=origin)
    with pytest.raises(InputError, match=r"got 0 in the scored window 2020-01-06 00:00 to "
                                         r"2020-01-11 00:00 \(events above Mc 2\)"):
        ETAS().fit(seq)


def test_cli_fit_prints_the_warnings_and_writes_them_to_json(seq, tmp_path) -> None:
    from geohazard.catalog.io import write_catalog
    from geohazard.cli.etas import _to_catalog

    tied = _tied(seq)
    cat = _to_catalog(tied.times, tied.magnitudes, "2000-01-01", 0.0, tied.t_end, 2.0, "tied")
    write_catalog(cat, tmp_path / "tied.csv")
    res = run_main(["etas", "fit", str(tmp_path / "tied.csv"), "--starts", "1", "--json",
                    str(tmp_path / "fit.json")])
    assert res.code == 0, res.output
    assert "warning:" in res.err and "tied times" in res.err
    report = json.loads((tmp_path / "fit.json").read_text())["report"]
    assert any("tied times" in w for w in report["warnings"])


def test_nan_reads_as_nan_in_messages() -> None:
    """Not ``np.float64(nan)``: messages are for people."""
    with pytest.raises(ParameterError) as info:
        ETASParams(mu=np.float64("nan"), k=0.01, alpha=1.0, c=0.01, p=1.2)
    assert "= nan" in str(info.value) and "np.float64" not in str(info.value)
    with pytest.raises(ParameterError) as info:
        ETASParams(mu=0.1, k=0.01, alpha=1.0, c=0.01, p=1.2, tau=np.float64("inf"))
    assert "= inf days" in str(info.value) and "np.float64" not in str(info.value)
    with pytest.raises(ParameterError, match=r"b = nan") as info:
        MagnitudeLaw(b=np.float64("nan"), mc=2.0)


def test_cli_score_warns_about_explosive_parameters(seq, tmp_path) -> None:
    from geohazard.catalog.io import write_catalog
    from geohazard.cli.etas import _to_catalog

    write_catalog(_to_catalog(seq.times, seq.magnitudes, "2000-01-01", 0.0, seq.t_end, 2.0, "s"),
                  tmp_path / "s.csv")
    (tmp_path / "p.json").write_text(json.dumps({**TRUTH.to_dict(), "p": 0.95}))
    res = run_main(["etas", "score", str(tmp_path / "s.csv"), "--params",
                    str(tmp_path / "p.json")])
    assert res.code == 0, res.output
    assert "warning: ETAS parameters: branching ratio n = inf" in " ".join(res.err.split())
