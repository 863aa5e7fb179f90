"""`forecast backtest` and `forecast run` on a Dask cluster (--engine dask / --scheduler).

The cluster runs windows (backtest) and issue times (run) as tasks; the figures and the
archive must equal the serial run's exactly, and bad cluster flags are one-line errors that
leave nothing behind.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.badinput import Case, check_case, run_main

CAT = "{shared}/catalogs/QTMSanJacinto.csv"
SPAN = ["--start", "2017-06-01", "--end", "2017-08-10", "--days", "14", "--samples", "300",
        "--seed", "3"]


def _backtest(tmp, shared, *extra):
    out = tmp / f"bt{len(extra)}.json"
    args = ["forecast", "backtest", "--catalog", CAT.format(shared=shared), "--model",
            "poisson,etas", *SPAN, "--json", str(out), *extra]
    res = run_main(args)
    assert res.code == 0, res.output
    data = json.loads(out.read_text())
    data.pop("seconds", None)
    return data


WALL_CLOCK = {"created_at", "issued_at", "evaluated_at", "seconds"}  # when, not what


def _archive_rows(path):
    """Every archived row, without the wall-clock columns."""
    out = {}
    with sqlite3.connect(path) as con:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        for t in tables:
            cur = con.execute(f"select * from {t} order by 1")
            names = [d[0] for d in cur.description]
            out[t] = [tuple(_what(n, v) for n, v in zip(names, row, strict=True)
                            if n not in WALL_CLOCK) for row in cur.fetchall()]
    return out


def _what(name, value):
    """A stored value without its wall-clock parts (a summary's ``seconds``)."""
    if name in ("summary", "result") and isinstance(value, str):
        data = json.loads(value)
        if isinstance(data, dict):
            data.pop("seconds", None)
        return data
    return value


def test_backtest_and_run_on_a_local_cluster_equal_serial(tmp_path, shared_data):
    serial = _backtest(tmp_path, shared_data)
    cluster = _backtest(tmp_path, shared_data, "--engine", "dask")
    assert cluster == serial
    rows = {}
    for engine in ("serial", "dask"):
        archive = tmp_path / f"{engine}.sqlite"
        res = run_main(["forecast", "run", "--catalog", CAT.format(shared=shared_data),
                        "--archive", str(archive), "--start", "2017-09-01", "--end",
                        "2017-09-04", "--model", "poisson", "--samples", "200", "--seed", "1",
                        "--engine", engine])
        assert res.code == 0, res.output
        rows[engine] = _archive_rows(archive)
    assert rows["dask"] == rows["serial"]
    assert any(len(v) >= 4 for v in rows["serial"].values())  # 4 issue times archived


CASES = [
    Case("backtest-bad-engine", ["forecast", "backtest", "--catalog", CAT, "--model", "poisson",
                                 *SPAN, "--engine", "spark", "--json", "{tmp}/x.json"],
         "--engine"),
    Case("backtest-bad-scheduler", ["forecast", "backtest", "--catalog", CAT, "--model",
                                    "poisson", *SPAN, "--scheduler", "not an address",
                                    "--json", "{tmp}/x.json"], "--scheduler"),
    Case("run-bad-scheduler", ["forecast", "run", "--catalog", CAT, "--archive", "{tmp}/a.sqlite",
                               "--start", "2017-09-01", "--scheduler", "tcp://", "--model",
                               "poisson"], "--scheduler"),
    Case("run-refit-on-cluster", ["forecast", "run", "--catalog", CAT, "--archive",
                                  "{tmp}/a.sqlite", "--start", "2017-09-01", "--refit-every",
                                  "7", "--engine", "dask", "--model", "poisson"],
         ["--refit-every", "--engine"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_cluster_flags(case, tmp_path, shared_data):
    check_case(case, tmp_path, shared_data)


def test_landslide_terrain_on_a_local_cluster_equals_serial(tmp_path):
    """`landslide terrain --engine dask`: one task per tile, the same GeoTIFFs bit for bit."""
    import numpy as np
    import rioxarray
    import xarray as xr

    y = np.arange(70) * -30.0 + 4_000_000.0
    x = np.arange(90) * 30.0 + 500_000.0
    yy, xx = np.meshgrid(y, x, indexing="ij")
    z = 800 + 300 * np.exp(-(((xx - x.mean()) / 600) ** 2)) + 0.01 * (yy - y.min())
    dem = xr.DataArray(z, coords={"y": y, "x": x}, dims=("y", "x")).rio.write_crs("EPSG:32611")
    dem.rio.to_raster(tmp_path / "dem.tif")
    out = {}
    for engine in ("serial", "dask"):
        res = run_main(["landslide", "terrain", str(tmp_path / "dem.tif"), "--out",
                        str(tmp_path / engine), "--products", "slope_deg,relief", "--tile", "32",
                        "--engine", engine])
        assert res.code == 0, res.output
        out[engine] = {p.name: rioxarray.open_rasterio(p).values
                       for p in sorted((tmp_path / engine).glob("*.tif"))}
    assert set(out["dask"]) == set(out["serial"]) == {"slope_deg.tif", "relief.tif"}
    for name, values in out["serial"].items():
        np.testing.assert_array_equal(out["dask"][name], values)


def test_landslide_terrain_bad_engine_is_one_line(tmp_path, shared_data):
    check_case(Case("terrain-bad-engine", ["landslide", "terrain", "{tmp}/dem.tif", "--out",
                                           "{tmp}/o", "--engine", "ray"], "--engine"),
               tmp_path, shared_data)
