"""Local projection: round trip, geodesic distances, catalog projection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from geohazard.catalog import read_catalog
from geohazard.catalog.core import Catalog, CatalogMetadata
from geohazard.catalog.geo import LocalProjection, catalog_projection, project_catalog
from geohazard.exceptions import InputError

GEOD = Geod(ellps="WGS84")


def _points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(-117.5, -115.5, n), rng.uniform(32.6, 34.4, n)


def test_round_trip_below_a_millimetre() -> None:
    rng = np.random.default_rng(1)
    proj = LocalProjection(-116.5, 33.5)
    lon, lat = _points(rng, 2000)
    x, y = proj.to_km(lon, lat)
    lon2, lat2 = proj.to_lonlat(x, y)
    _, _, err_m = GEOD.inv(lon, lat, lon2, lat2)
    assert np.max(err_m) < 1e-3
    x2, y2 = proj.to_km(lon2, lat2)
    assert np.max(np.hypot(x2 - x, y2 - y)) < 1e-6  # km, i.e. 1 mm


def test_centre_maps_to_origin_and_axes_point_east_north() -> None:
    proj = LocalProjection(-116.5, 33.5)
    x, y = proj.to_km(np.array([-116.5, -116.4, -116.5]), np.array([33.5, 33.5, 33.6]))
    assert abs(x[0]) < 1e-9 and abs(y[0]) < 1e-9
    assert x[1] > 9.0 and abs(y[1]) < 0.1   # 0.1 deg east at 33.5N is ~9.3 km
    assert y[2] > 11.0 and abs(x[2]) < 1e-9  # 0.1 deg north is ~11.1 km


def test_distances_match_geodesic_within_a_tenth_of_a_percent() -> None:
    rng = np.random.default_rng(2)
    proj = LocalProjection(-116.5, 33.5)
    lon1, lat1 = _points(rng, 3000)
    lon2, lat2 = _points(rng, 3000)
    _, _, d_geo = GEOD.inv(lon1, lat1, lon2, lat2)
    keep = (d_geo > 1_000.0) & (d_geo < 100_000.0)
    x1, y1 = proj.to_km(lon1[keep], lat1[keep])
    x2, y2 = proj.to_km(lon2[keep], lat2[keep])
    d_map = np.hypot(x2 - x1, y2 - y1) * 1000.0
    rel = np.abs(d_map / d_geo[keep] - 1.0)
    assert keep.sum() > 1000
    assert rel.max() < 1e-3
    # distances from the centre are exact in an azimuthal equidistant projection
    x, y = proj.to_km(lon1, lat1)
    _, _, d0 = GEOD.inv(np.full_like(lon1, -116.5), np.full_like(lat1, 33.5), lon1, lat1)
    np.testing.assert_allclose(np.hypot(x, y) * 1000.0, d0, rtol=1e-9, atol=1e-6)


def test_bad_input_is_named() -> None:
    proj = LocalProjection(-116.5, 33.5)
    with pytest.raises(InputError, match="row 2"):
        proj.to_km(np.array([-116.0, np.nan]), np.array([33.0, 33.0]))
    with pytest.raises(InputError, match="latitude"):
        proj.to_km(np.array([-116.0]), np.array([95.0]))
    with pytest.raises(InputError, match="shape"):
        proj.to_lonlat(np.zeros(2), np.zeros(3))


def test_project_catalog_replaces_xy_and_centres_on_bbox() -> None:
    df = pd.DataFrame({"time": pd.date_range("2020-01-01", periods=3, freq="D", tz="UTC"),
                       "magnitude": [2.0, 2.5, 3.0], "longitude": [-117.0, -116.0, -116.5],
                       "latitude": [33.0, 34.0, 33.2], "x": [99.0, 99.0, 99.0],
                       "y": [99.0, 99.0, 99.0]})
    cat = Catalog(df, CatalogMetadata(name="t"))
    out, proj = project_catalog(cat)
    assert (proj.lon0, proj.lat0) == (-116.5, 33.5)
    x, y = proj.to_km(df["longitude"].to_numpy(), df["latitude"].to_numpy())
    np.testing.assert_allclose(out["x"], x)
    np.testing.assert_allclose(out["y"], y)
    assert np.all(cat["x"] == 99.0)  # the input is untouched
    with pytest.raises(InputError, match="longitude"):
        catalog_projection(Catalog(df.drop(columns=["longitude"]), CatalogMetadata(name="t")))


def test_qtm_file_xy_agree_with_our_projection_up_to_a_shift(catalogs_dir) -> None:  # noqa: ANN001
    """The benchmark file's x, y are a local km projection too: pairwise distances agree."""
    cat = read_catalog(catalogs_dir / "QTMSanJacinto_located.csv",
                       sidecar=catalogs_dir / "QTMSanJacinto.json")
    sub = cat.select(time=("2016-01-01", "2016-03-01"))
    _, proj = project_catalog(cat)
    x, y = proj.to_km(sub["longitude"], sub["latitude"])
    d_ours = np.hypot(x[1:] - x[:-1], y[1:] - y[:-1])
    d_file = np.hypot(np.diff(sub["x"]), np.diff(sub["y"]))
    far = d_ours > 5.0
    assert far.sum() > 50
    assert np.median(np.abs(d_file[far] / d_ours[far] - 1.0)) < 0.01
