"""Bad-input suite for the issue-15 landslide commands: amplification, pga-relation, modes,
evolution, and the ``--amplification`` option of scenario, newmark and usgs-global.

Every case: exit 1, no traceback, a one-line ``error:`` naming the culprit (flag or file)
and nothing written under the case's folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.badinput import Case, check_case
from tests.cli.test_bad_inputs_landslide import (
    _geo_slope_deg,
    dem_values,
    write_points,
    write_tif,
)

pytest.importorskip("rasterio")
pytest.importorskip("geopandas")

SHAKE = "{shared}/landslide/loma_prieta/grid.xml"


def _dem(tmp: Path) -> None:
    write_tif(tmp / "dem.tif", dem_values())


def _nan_dem(tmp: Path) -> None:
    write_tif(tmp / "dem.tif", np.full((12, 12), np.nan))


def _nocrs_dem(tmp: Path) -> None:
    write_tif(tmp / "dem.tif", dem_values(), crs=None)


def _points(tmp: Path) -> None:
    _dem(tmp)
    write_points(tmp / "inv.geojson")


def _polys(tmp: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    _dem(tmp)
    g = [box(590_100 + 60 * k, 4_099_500, 590_150 + 60 * k, 4_099_560) for k in range(4)]
    gpd.GeoDataFrame({"kind": ["slide"] * 4}, geometry=g, crs="EPSG:32610").to_file(
        tmp / "inv.geojson", driver="GeoJSON")


def _activity(tmp: Path, values: list[float] | None = None, n: int = 12) -> None:
    v = values if values is not None else [50.0 * np.exp(-k / 3) + 5 for k in range(n)]
    rows = "\n".join(f"{2006 + k},{x}" for k, x in enumerate(v))
    (tmp / "act.csv").write_text("year,count\n" + rows + "\n", encoding="utf-8")


def _short(tmp: Path) -> None:
    _activity(tmp, [10.0, 5.0, 3.0])


def _negative(tmp: Path) -> None:
    _activity(tmp, [10.0, 5.0, -3.0, 2.0, 1.0, 1.0])


def _bad_year(tmp: Path) -> None:
    (tmp / "act.csv").write_text("year,count\n2006,5\nsoon,3\n2008,2\n", encoding="utf-8")


def _amp_dir_incomplete(tmp: Path) -> None:
    _geo_slope_deg(tmp)
    (tmp / "ampdir").mkdir()


AMP = ["landslide", "amplification", "{tmp}/dem.tif", "--out", "{tmp}/out"]
MODES = ["landslide", "modes", "--inventory", "{tmp}/inv.geojson", "--dem", "{tmp}/dem.tif",
         "--out", "{tmp}/out"]
EVO = ["landslide", "evolution", "{tmp}/act.csv", "--out", "{tmp}/out", "--n-boot", "20"]
PGAR = ["landslide", "pga-relation", "--inventory", "{tmp}/inv.geojson", "--out", "{tmp}/out"]

CASES = [
    Case("amp-vs-0", [*AMP, "--vs", "0"], "--vs", _dem),
    Case("amp-vs-huge", [*AMP, "--vs", "1e6"], "--vs", _dem),
    Case("amp-freq-neg", [*AMP, "--freq", "-5"], "--freq", _dem),
    Case("amp-freq-nan", [*AMP, "--freq", "nan"], "--freq", _dem),
    Case("amp-tile-0", [*AMP, "--tile", "0"], "--tile", _dem),
    Case("amp-tectonic", [*AMP, "--tectonic", "oceanic"], "--tectonic", _dem),
    Case("amp-dem-missing", AMP, "dem.tif"),
    Case("amp-dem-nan", AMP, "dem", _nan_dem),
    Case("amp-dem-no-crs", AMP, ["dem.tif", "crs"], _nocrs_dem),
    Case("amp-out-is-file", [*AMP[:3], "--out", "{tmp}/afile"], "afile",
         lambda t: (_dem(t), (t / "afile").write_text("x"))),
    Case("modes-out-is-file", [*MODES[:6], "--out", "{tmp}/afile"], "afile",
         lambda t: (_polys(t), (t / "afile").write_text("x"))),
    Case("evo-out-is-file", [*EVO[:3], "--out", "{tmp}/afile", *EVO[5:]], "afile",
         lambda t: (_activity(t), (t / "afile").write_text("x"))),
    Case("amp-vs30-missing", [*AMP, "--vs30", "{tmp}/nope.tif"], "nope.tif", _dem),
    Case("scenario-amp-missing", ["landslide", "scenario", "--magnitude", "6.5", "--trace",
                                  "-122.0,37.0;-121.8,36.9", "--dip", "70", "--grid",
                                  "{tmp}/slope_deg.tif", "--out", "{tmp}/out",
                                  "--amplification", "{tmp}/ampdir"],
         "ampdir", _amp_dir_incomplete),
    Case("newmark-amp-missing", ["landslide", "newmark", "--slope", "{tmp}/slope_deg.tif",
                                 "--pga", "{tmp}/pga.tif", "--out", "{tmp}/out",
                                 "--amplification", "{tmp}/ampdir"],
         "ampdir", _amp_dir_incomplete),
    Case("modes-inventory-missing", MODES, "inv.geojson", _dem),
    Case("modes-points", MODES, "polygons", _points),
    Case("modes-dem-missing", [*MODES[:4], "--dem", "{tmp}/nope.tif", *MODES[6:]], "nope.tif",
         _polys),
    Case("modes-folds-1", [*MODES, "--folds", "1"], "--folds", _polys),
    Case("modes-label-col", [*MODES, "--label-col", "truth"], ["--label-col", "truth"],
         _polys),
    Case("evo-missing", EVO, "act.csv"),
    Case("evo-time-col", [*EVO, "--time-col", "when"], ["--time-col", "when"], _activity),
    Case("evo-value-col", [*EVO, "--value-col", "area"], ["--value-col", "area"], _activity),
    Case("evo-event-date", [*EVO, "--event-date", "yesterday-ish"], "--event-date", _activity),
    Case("evo-fraction", [*EVO, "--recovery-fraction", "1.5"], "--recovery-fraction",
         _activity),
    Case("evo-n-boot", [*EVO[:-1], "5"], "--n-boot", _activity),
    Case("evo-background", [*EVO, "--background", "-1"], "--background", _activity),
    Case("evo-too-short", EVO, "post-event observations", _short),
    Case("evo-negative", EVO, "activity", _negative),
    Case("evo-bad-year", EVO, ["year", "row 2"], _bad_year),
    Case("pgar-no-shaking", PGAR, ["--shakemap", "--pga"], _polys),
    Case("pgar-inventory-missing", [*PGAR, "--shakemap", SHAKE], "inv.geojson"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path: Path, shared_data: Path) -> None:
    """Every bad input: exit 1, one-line error naming the culprit, nothing written."""
    check_case(case, tmp_path, shared_data)


def test_covers_each_new_command_twice() -> None:
    """Each issue-15 command has at least two bad-input cases here."""
    for name in ("amplification", "modes", "evolution", "pga-relation"):
        assert sum(c.args[1] == name for c in CASES) >= 2, name
