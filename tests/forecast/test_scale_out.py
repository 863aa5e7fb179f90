"""Backtest windows on a real Dask cluster of worker processes (issue 18)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geohazard.examples import synthetic_catalog
from geohazard.exceptions import InputError
from geohazard.forecast.archive import ForecastArchive
from geohazard.forecast.backtest import backtest
from geohazard.forecast.etas.model import ETAS
from geohazard.forecast.poisson import PoissonGR
from geohazard.forecast.scale import backtest_on_cluster
from tests.cluster import kill_busiest_worker, local_cluster

pytest.importorskip("distributed")


def _text(data: dict) -> str:
    return json.dumps(data, sort_keys=True, default=repr)


def _archived(archive: ForecastArchive) -> list[tuple]:
    rows = []
    for rec in archive.list():
        evals = [{k: v for k, v in e.items() if k not in ("id", "created", "created_at")}
                 for e in archive.evaluations(rec["id"])]
        rec = {k: v for k, v in rec.items() if k != "created_at"}
        rec["summary"] = {k: v for k, v in rec["summary"].items() if k != "seconds"}  # timing
        rows.append(_text({"rec": rec,
                           "counts": archive.counts(rec["id"]).tolist(), "evals": evals}))
    return rows


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as c:
        yield c


def test_backtest_on_cluster_equals_serial_archive_included(tmp_path, client):
    """Per window, batched, and with a worker SIGKILLed mid-run: all equal the serial run."""
    catalog = synthetic_catalog(years=1.2, rng=11)
    start = catalog.origin + pd.Timedelta(days=300)
    history = catalog.to_sequence(t_end=start)
    models = {"poisson": PoissonGR().fit(history),
              "etas": ETAS(n_starts=1, max_iter=200).fit(history)}
    edges = np.round(np.arange(2.0, 7.0, 0.5), 2)
    kwargs = {"days": 7.0, "n_samples": 100, "mag_edges": edges, "rng": 18}
    end = start + pd.Timedelta(days=56)
    serial = backtest(catalog, models, start, end, archive=ForecastArchive(tmp_path / "s.db"),
                      **kwargs)
    calls = []
    par = backtest(catalog, models, start, end, archive=ForecastArchive(tmp_path / "c.db"),
                   client=client, progress=lambda d, t: calls.append((d, t)), **kwargs)
    batched = backtest_on_cluster(client, catalog, models, start, end, windows_per_task=3,
                                  **kwargs)  # tasks of 3, 3 and 2 windows
    held = []

    def kill_once(done, total):
        if done == 1:
            held.append(kill_busiest_worker(client))

    killed = backtest_on_cluster(client, catalog, models, start, end, windows_per_task=1,
                                 archive=ForecastArchive(tmp_path / "k.db"),
                                 progress=kill_once, **kwargs)
    assert _text(batched.to_dict()) == _text(serial.to_dict())
    assert held and held[0] >= 1  # the killed worker had windows to lose
    assert _text(killed.to_dict()) == _text(serial.to_dict())
    assert _archived(ForecastArchive(tmp_path / "k.db")) == \
        _archived(ForecastArchive(tmp_path / "s.db"))  # nothing lost, nothing twice
    assert len(par.windows) == 8 and calls[-1] == (8, 8)
    assert _text(par.to_dict()) == _text(serial.to_dict())  # NaN == NaN, floats exact
    for name in models:
        np.testing.assert_array_equal(par.intervals[name], serial.intervals[name])
    assert _archived(ForecastArchive(tmp_path / "c.db")) == \
        _archived(ForecastArchive(tmp_path / "s.db"))


def test_prospective_on_cluster_equals_serial_and_resumes(tmp_path, client):
    """Daily issuing: each issue time a task; archive ids and contents as a serial run."""
    from geohazard.forecast.prospective import run_prospective

    client.wait_for_workers(2, timeout=60)  # a worker killed above is back
    catalog = synthetic_catalog(years=1.1, rng=12)
    start = catalog.origin + pd.Timedelta(days=330)
    history = catalog.to_sequence(t_end=start)
    models = {"poisson": (PoissonGR().fit(history), {"params_hash": "p1"}),
              "etas": (ETAS(n_starts=1, max_iter=200).fit(history), {"params_hash": "e1"})}
    end = start + pd.Timedelta(days=5)
    kw = {"every_days": 1.0, "days": 7.0, "n_samples": 50, "seed": 18}
    serial = run_prospective(catalog, models, ForecastArchive(tmp_path / "s.db"), start, end,
                             **kw)
    first = ForecastArchive(tmp_path / "c.db")
    run_prospective(catalog, models, first, start, start + pd.Timedelta(days=2), **kw)
    resumed = run_prospective(catalog, models, first, start, end, client=client, **kw)
    assert resumed.skipped == 6 and len(resumed.issued) == len(serial.issued) - 6
    assert _archived(first) == _archived(ForecastArchive(tmp_path / "s.db"))
    with pytest.raises(InputError, match="refit"):
        run_prospective(catalog, models, first, start, end, client=client,
                        refit=lambda name, t: models[name], refit_every_days=7.0, **kw)
