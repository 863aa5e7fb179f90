from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from geohazard.catalog.core import EventSequence
from geohazard.catalog.io import read_catalog
from geohazard.forecast.etas.params import ETASParams, MagnitudeLaw


@pytest.fixture(scope="session")
def paper_params(catalogs_dir: Path) -> dict:
    return json.loads((catalogs_dir / "paper_etas_params.json").read_text())["catalogs"]


@pytest.fixture(scope="session")
def qtm(catalogs_dir: Path):
    return read_catalog(catalogs_dir / "QTMSanJacinto.csv").above_completeness()


@pytest.fixture(scope="session")
def truth() -> ETASParams:
    """The parameters of ETAS_synthetic.csv."""
    return ETASParams(mu=0.02, k=0.005, alpha=0.8, c=0.1, p=1.08)


def random_sequence(rng: np.random.Generator, n: int, t_end: float, mc: float = 2.0,
                    t_nll_start: float = 0.0) -> EventSequence:
    """A clustered random catalog (uniform parents, each with a few close followers)."""
    parents = np.sort(rng.uniform(0, t_end, n // 4))
    kids = np.repeat(parents, 3) + rng.exponential(0.05, 3 * parents.size)
    times = np.sort(np.concatenate([parents, kids]))
    times = times[times < t_end]
    mags = mc + rng.exponential(1 / np.log(10), times.size)
    return EventSequence(times=times, magnitudes=mags, t_start=0.0, t_end=t_end,
                         t_nll_start=t_nll_start, mag_completeness=mc)


@pytest.fixture
def gr_law() -> MagnitudeLaw:
    return MagnitudeLaw(b=1.0, mc=2.0, m_max=8.0)
