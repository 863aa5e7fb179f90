"""Landslide maps name their CRS and units (issue 14): no bare "x"/"y", no offset."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from geohazard.landslide.raster import from_array  # noqa: E402
from geohazard.plotting.landslide import (  # noqa: E402
    crs_axis_labels,
    length_label,
    plot_map,
)


def _utm():
    x = 500_000.0 + 30.0 * np.arange(40)
    y = 4_200_000.0 - 30.0 * np.arange(30)
    return from_array(np.arange(1200.0).reshape(30, 40), x, y, "EPSG:32610", name="slope_deg",
                      units="degrees")


def test_map_axes_name_the_crs_without_offset():
    ax = plot_map(_utm())
    ax.figure.canvas.draw()
    assert ax.get_xlabel() == "Easting (m), EPSG:32610"
    assert ax.get_ylabel() == "Northing (m), EPSG:32610"
    assert ax.xaxis.get_offset_text().get_text() == ""
    assert ax.yaxis.get_offset_text().get_text() == ""
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and all("e" not in t and "," in t for t in ticks)  # 4,199,400 ...
    plt.close(ax.figure)


def test_geographic_and_raster_labels():
    from geohazard.plotting.landslide_hazard import plot_raster

    x, y = np.linspace(-122.0, -121.5, 6), np.linspace(37.2, 36.9, 4)
    ax = plot_raster(from_array(np.ones((4, 6)), x, y, "EPSG:4326", name="pga_g", units="g"))
    assert ax.get_xlabel() == "Longitude (°), EPSG:4326"
    assert ax.get_ylabel() == "Latitude (°), EPSG:4326"
    plt.close(ax.figure)
    assert crs_axis_labels(None) == ("x (CRS unknown)", "y (CRS unknown)")
    assert crs_axis_labels("EPSG:2227")[0] == "Easting (US ft), EPSG:2227"


@pytest.mark.parametrize(("value", "crs", "text"), [
    (894.089, "EPSG:32610", "894 m"), (1234.5, "EPSG:32610", "1.23 km"),
    (25_000.0, "EPSG:32610", "25 km"), (0.05, "EPSG:4326", "0.05°"),
    (1000.0, "EPSG:2227", "305 m"),  # US survey feet
])
def test_length_label(value, crs, text):
    assert length_label(value, crs) == text
