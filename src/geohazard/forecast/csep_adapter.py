"""The one module that talks to pyCSEP: catalog-based N and M tests on our forecasts.

pyCSEP works with space-time-magnitude catalogs; temporal forecasts are mapped onto a
single spatial cell (every event at the cell centre), which leaves the N- and M-tests
exactly the temporal tests. Located catalogs can pass their own region.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from geohazard.forecast.forecasting import Forecast


def _region(mag_edges: np.ndarray) -> Any:
    from csep.core import regions

    return regions.CartesianGrid2D.from_origins(
        np.array([[0.0, 0.0]]), dh=1.0, magnitudes=np.asarray(mag_edges, dtype=np.float64))


def _csep_catalog(times_days: np.ndarray, mags: np.ndarray, origin: pd.Timestamp,
                  region: Any, catalog_id: int) -> Any:
    from csep.core.catalogs import CSEPCatalog

    n = len(times_days)
    ev = np.zeros(n, dtype=CSEPCatalog.dtype)
    ev["id"] = [f"{catalog_id}-{j}".encode() for j in range(n)]
    epoch_ms = origin.value // 1_000_000
    ev["origin_time"] = epoch_ms + np.round(np.asarray(times_days) * 86_400_000).astype(np.int64)
    ev["latitude"], ev["longitude"], ev["depth"] = 0.5, 0.5, 0.0
    ev["magnitude"] = mags
    return CSEPCatalog(data=ev, catalog_id=catalog_id, region=region)


def csep_catalog_tests(
    forecast: Forecast,
    observed_times: np.ndarray,
    observed_mags: np.ndarray,
    mag_edges: np.ndarray,
) -> dict[str, dict[str, Any]]:
    """Run pyCSEP's catalog-based N- and M-tests.

    Parameters
    ----------
    forecast
        A simulation forecast (its ``origin`` anchors the times).
    observed_times, observed_mags
        Observed events in the forecast window (days since the origin).
    mag_edges
        Left edges of the magnitude bins.

    Returns
    -------
    dict
        ``{"n_test": {...}, "m_test": {...}}`` with pyCSEP's quantiles and statistics.
    """
    from csep.core import catalog_evaluations
    from csep.core.forecasts import CatalogForecast

    origin = forecast.origin if forecast.origin is not None else pd.Timestamp(0, tz="UTC")
    region = _region(mag_edges)
    cont = forecast.continuations
    catalogs = [_csep_catalog(*cont.sample(i), origin, region, i) for i in range(cont.n_samples)]
    observed = _csep_catalog(observed_times, observed_mags, origin, region, -1)
    start = (origin + pd.to_timedelta(forecast.t_start, unit="D")).to_pydatetime()
    end = (origin + pd.to_timedelta(forecast.t_end, unit="D")).to_pydatetime()
    fc = CatalogForecast(catalogs=catalogs, region=region, n_cat=len(catalogs), name=forecast.model,
                         start_time=start.astimezone(dt.UTC), end_time=end.astimezone(dt.UTC))
    out = {}
    for key, fn in (("n_test", catalog_evaluations.number_test),
                    ("m_test", catalog_evaluations.magnitude_test)):
        res = fn(fc, observed)
        q = res.quantile
        out[key] = {"quantile": [float(v) for v in q] if isinstance(q, tuple) else float(q),
                    "observed_statistic": float(res.observed_statistic),
                    "status": res.status}
    return out
