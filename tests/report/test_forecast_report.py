import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from geohazard.examples import synthetic_catalog
from geohazard.forecast.backtest import backtest
from geohazard.forecast.forecasting import issue_forecast
from geohazard.forecast.poisson import PoissonGR
from geohazard.report.forecast import write_forecast_report
from tests.browser import render


@pytest.fixture(scope="module")
def setup():
    cat = synthetic_catalog(years=6, rng=11)
    train = cat.to_sequence("train")
    models = {"poisson": PoissonGR().fit(train), "poisson_b08": PoissonGR(b=0.8).fit(train)}
    return cat, models


def test_backtest_windows_and_scores(setup):
    cat, models = setup
    md = cat.metadata
    res = backtest(cat, models, md.test_start, md.end, days=30, n_samples=400, rng=0)
    n_windows = len(res.windows)
    assert n_windows == int((cat.day_of(md.end) - cat.day_of(md.test_start)) // 30)
    days = cat.days()
    for (t0, t1), ev in zip(res.windows, res.evaluations["poisson"], strict=True):
        assert ev.observed == int(((days > t0) & (days <= t1)).sum())
    # same rate, same seedless structure: both have identical count laws -> similar scores
    s = res.summaries["poisson"]
    assert s.n_windows == n_windows and s.zero_likelihood_misses >= 0
    d = res.to_dict()
    assert d["comparison"]["poisson_vs_poisson_b08"]["windows"] == n_windows
    # reproducible
    again = backtest(cat, models, md.test_start, md.end, days=30, n_samples=400, rng=0)
    assert [e.log_score for e in again.evaluations["poisson"]] == [
        e.log_score for e in res.evaluations["poisson"]]


def test_report_renders_in_headless_chromium(setup, tmp_path):
    cat, models = setup
    md = cat.metadata
    history = cat.to_sequence(t_end=md.test_start)
    fc = issue_forecast(models["poisson"], history, 14.0, 500, name="poisson", rng=1)
    days = cat.days()
    obs = days[(days > fc.t_start) & (days <= fc.t_end)]
    bt = backtest(cat, models, md.test_start, md.end, days=60, n_samples=200, rng=2)
    path = write_forecast_report(tmp_path / "report.html", [fc], observed_times=obs, backtest=bt)
    html = path.read_text()
    assert html.count("<figure>") == 3 and "http" not in html.split("<body>")[1][:2000]
    shot = tmp_path / "shot.png"
    counts = render(path, screenshot=shot)
    assert counts == {"total": 3, "rendered": 3}
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.std() > 10  # not a blank page


def test_backtest_only_report_has_verdicts_and_one_comparison_table(setup, tmp_path):
    cat, models = setup
    md = cat.metadata
    bt = backtest(cat, models, md.test_start, md.end, days=60, n_samples=200, rng=2)
    path = write_forecast_report(tmp_path / "bt.html", [], backtest=bt, origin=cat.origin,
                                 title="backtest")
    html = path.read_text()
    summary = html.split('id="summary"')[1].split("</section>")[0]
    for name, s in bt.summaries.items():
        assert f"{name} " in summary and f"mean PIT {s.mean_pit:.2f}" in summary
    assert html.count("<table>") == 2  # the comparison across models and the pairwise wins
    pairs = re.findall(r"<tr><td>(\w+) vs (\w+)</td>", html)
    assert len(pairs) == 1 and set(pairs[0]) == {"poisson", "poisson_b08"}  # once per pair
    assert "<th scope=\"col\">poisson</th><th scope=\"col\">poisson_b08</th>" in html
    assert f"{cat.origin + pd.Timedelta(days=float(bt.windows[0][0])):%Y-%m-%d}" in html
    assert render(path) == {"total": 2, "rendered": 2}
