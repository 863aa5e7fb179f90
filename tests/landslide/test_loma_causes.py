"""The shared Loma Prieta inputs through amplification, scenario, Newmark, the USGS model
and the PGA-landslide relation, with and without topographic amplification (issue 15).

The shared data hold no DEM, so the relief fed to ``amplification`` is synthetic (ridges
5 km apart, 300 m high) on the exact grid of the Loma Prieta slope raster; Vs30 is the
real USGS grid, shaking the real ShakeMap, slope the real gradient.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from geohazard.landslide import raster as rst
from tests.badinput import run_main

pytest.importorskip("pygmm")


def _ok(args: list[str]) -> dict:
    r = run_main(args)
    assert r.code == 0, r.output
    return json.loads(Path(args[args.index("--json") + 1]).read_text())


@pytest.fixture(scope="module")
def loma(landslide_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    lp = landslide_dir / "loma_prieta"
    tmp = tmp_path_factory.mktemp("loma15")
    grad = rst.read_raster(lp / "model_inputs" / "global_grad.tif", crs="EPSG:4326")
    lon, lat = np.meshgrid(grad.x.values, grad.y.values)
    z = 400.0 + 300.0 * np.sin(2 * np.pi * lon / 0.05) * np.cos(2 * np.pi * lat / 0.08)
    dem = rst.write_geotiff(grad.copy(data=z), tmp / "dem.tif")
    sdeg = rst.write_geotiff(grad.copy(data=np.degrees(np.arctan(grad.values))),
                             tmp / "slope_deg.tif")
    vs = rst.read_raster(lp / "model_inputs" / "global_vs30_mps.grd", crs="EPSG:4326")
    coarse = rst.write_geotiff(vs[::6, ::6], tmp / "coarse.tif")
    amp = tmp / "amp"
    figs = _ok(["landslide", "amplification", str(dem), "--out", str(amp), "--vs30",
                str(lp / "model_inputs" / "global_vs30_mps.grd"), "--vs", "800", "--freq",
                "1", "--json", str(tmp / "amp.json")])
    return {"lp": lp, "tmp": tmp, "dem": dem, "slope_deg": sdeg, "coarse": coarse,
            "amp": amp, "amp_figs": figs}


def test_amplification_on_loma_grid(loma: dict) -> None:
    f = loma["amp_figs"]
    assert f["amplification_max"] > 1.0 > f["amplification_min"]
    assert 0.1 < f["share_amplified"] < 0.9
    assert 150 < f["vs30_min"] < f["vs30_mean"] < f["vs30_max"] < 1600  # real USGS Vs30
    for name in ("topo_amplification.tif", "fsc.tif", "vs30.tif", "report.html"):
        assert (loma["amp"] / name).exists()


def test_newmark_and_usgs_amplified(loma: dict) -> None:
    lp, tmp = loma["lp"], loma["tmp"]
    nm = ["landslide", "newmark", "--slope", str(loma["slope_deg"]), "--shakemap",
          str(lp / "grid.xml")]
    base = _ok([*nm, "--out", str(tmp / "nm0"), "--json", str(tmp / "nm0.json")])
    amp = _ok([*nm, "--out", str(tmp / "nm1"), "--amplification", str(loma["amp"]),
               "--json", str(tmp / "nm1.json")])
    assert amp["amplified"] and amp["max_pga_g"] > base["max_pga_g"]
    assert amp["dn_ge_5cm"] != base["dn_ge_5cm"]
    m = lp / "model_inputs"
    us = ["landslide", "usgs-global", "--shakemap", str(lp / "grid.xml"), "--lithology",
          str(m / "GLIM_replace.tif"), "--landcover", str(m / "globcover_replace.tif"),
          "--slope", str(m / "global_grad.tif"), "--cti", str(m / "global_cti_fil.grd")]
    u0 = _ok([*us, "--out", str(tmp / "u0.tif"), "--json", str(tmp / "u0.json")])
    u1 = _ok([*us, "--out", str(tmp / "u1.tif"), "--amplification", str(loma["amp"]),
              "--json", str(tmp / "u1.json")])
    assert u1["hagg_km2"] != pytest.approx(u0["hagg_km2"], rel=1e-3)


def test_scenario_with_amplification_folder(loma: dict) -> None:
    tmp = loma["tmp"]
    f = _ok(["landslide", "scenario", "--magnitude", "6.9", "--trace",
             "-122.03,37.17;-121.75,36.95", "--dip", "70", "--rake", "140", "--ztor", "5",
             "--grid", str(loma["coarse"]), "--amplification", str(loma["amp"]), "--out",
             str(tmp / "sc"), "--json", str(tmp / "sc.json")])
    assert f["amplified"] and 0.2 < f["max_pga_g_unamplified"] < 2.0
    pga = rst.read_raster(tmp / "sc" / "pga_g.tif").values
    raw = rst.read_raster(tmp / "sc" / "pga_g_unamplified.tif").values
    ratio = pga / raw
    assert np.nanmax(ratio) > 1.0 > np.nanmin(ratio)
    vs = rst.read_raster(tmp / "sc" / "vs30.tif").values  # the folder's (real) Vs30
    assert np.nanstd(vs) > 10


def test_pga_relation_with_and_without_amplification(loma: dict) -> None:
    lp, tmp = loma["lp"], loma["tmp"]
    d = _ok(["landslide", "pga-relation", "--inventory", str(lp / "fake_inventory.shp"),
             "--shakemap", str(lp / "grid.xml"), "--grid",
             str(lp / "model_inputs" / "global_vs30_mps.grd"), "--amplification",
             str(loma["amp"]), "--out", str(tmp / "pr"), "--json", str(tmp / "pr.json")])
    assert set(d["tables"]) == {"without amplification", "with amplification"}
    n = [sum(r["n_landslides"] for r in t) for t in d["tables"].values()]
    assert n[0] == n[1] > 0
    assert (tmp / "pr" / "pga_relation.png").exists()


def test_amplification_as_susceptibility_factor(loma: dict) -> None:
    """The topographic factor enters factor statistics / susceptibility as a factor."""
    lp, tmp = loma["lp"], loma["tmp"]
    d = _ok(["landslide", "factors", "--inventory", str(lp / "fake_inventory.shp"),
             "--factor", f"topo_amp={loma['amp'] / 'topo_amplification.tif'}", "--bins",
             "topo_amp=4", "--out", str(tmp / "fac.csv"), "--json", str(tmp / "fac.json")])
    rows = d["factors"]["topo_amp"]
    assert len(rows) == 4 and sum(r["n_landslides"] for r in rows) > 0
