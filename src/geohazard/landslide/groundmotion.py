"""Scenario shaking: PGA and PGV rasters from a finite dipping rupture and an NGA-West2 GMPE.

A rupture is a surface trace (one or more straight segments, lon/lat), a dip measured
to the right of the trace direction (Aki & Richards convention: the fault dips toward
``strike + 90``), a top depth and a down-dip width. For every grid cell the four
distances of the NGA-West2 models are computed exactly for the planar segments:

* ``Rrup``: closest distance to the rupture surface;
* ``Rjb``: closest horizontal distance to its surface projection (0 above it);
* ``Rx``: horizontal distance from the top edge, perpendicular to strike, positive on
  the hanging wall (segment nearest in ``Rjb`` for multi-segment traces);
* ``Ry0``: horizontal distance off the ends of the rupture, parallel to strike.

Coordinates are projected to a local azimuthal equidistant plane (km) centred on the
trace, accurate to well under 1 % within a few hundred kilometres.

Ground motions come from :mod:`pygmm` (ASK14, BSSA14, CB14 or CY14) with site Vs30 from
a raster or, when none is given, from topographic slope by Wald & Allen (2007).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from geohazard.exceptions import ParameterError, RasterError
from geohazard.landslide.checks import check_param, raster_label

__all__ = [
    "GMPES",
    "Rupture",
    "rupture_distances",
    "scenario_shaking",
    "vs30_from_slope",
    "width_from_magnitude",
]

GMPES = ("ASK14", "BSSA14", "CB14", "CY14")

# Wald & Allen (2007) BSSA 97(5):1379-1395, Table 1: slope (m/m) at the Vs30 class
# boundaries 180, 240, 300, 360, 490, 620, 760 m/s.
_WA07_VS30 = np.array([180.0, 240.0, 300.0, 360.0, 490.0, 620.0, 760.0])
_WA07_SLOPE = {
    "active": np.array([1.0e-4, 2.2e-3, 6.3e-3, 1.8e-2, 5.0e-2, 1.0e-1, 1.38e-1]),
    "stable": np.array([2.0e-5, 2.0e-3, 4.0e-3, 7.2e-3, 1.3e-2, 1.8e-2, 2.5e-2]),
}


def vs30_from_slope(slope_mm: Any, tectonic: str = "active") -> np.ndarray:
    """Vs30 in m/s from topographic slope (Wald & Allen 2007).

    Between class boundaries Vs30 is interpolated linearly in ``log(slope)``; it is held
    at 180 m/s below and 760 m/s above the table (the range of the USGS global map).

    Parameters
    ----------
    slope_mm
        Slope as a gradient (m/m), ideally from a 30 arc-second DEM as in the paper.
    tectonic
        ``"active"`` (active tectonic regions) or ``"stable"`` (stable continents).

    Returns
    -------
    numpy.ndarray
    """
    if tectonic not in _WA07_SLOPE:
        raise ParameterError(f"tectonic must be 'active' or 'stable', got {tectonic!r}")
    s = np.asarray(slope_mm, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ls = np.log10(np.maximum(s, 1e-12))
    v = np.interp(ls, np.log10(_WA07_SLOPE[tectonic]), _WA07_VS30)
    return np.where(np.isnan(s), np.nan, v)


def width_from_magnitude(magnitude: float) -> float:
    """Down-dip rupture width in km, Wells & Coppersmith (1994) all-slip-types relation.

    ``log10 W = -1.01 + 0.32 M``.

    Parameters
    ----------
    magnitude
        Moment magnitude.

    Returns
    -------
    float
    """
    return float(10 ** (-1.01 + 0.32 * magnitude))


def _mechanism(rake: float) -> str:
    """Style of faulting from rake (NGA-West2 convention)."""
    r = (rake + 180.0) % 360.0 - 180.0
    if 30.0 <= r <= 150.0:
        return "RS"
    if -150.0 <= r <= -30.0:
        return "NS"
    return "SS"


@dataclass(frozen=True)
class Rupture:
    """A finite rupture of planar segments sharing one dip.

    Attributes
    ----------
    magnitude
        Moment magnitude.
    trace
        ``[(lon, lat), ...]`` of the top edge projected to the surface (>= 2 points).
    dip
        Dip in degrees (0 < dip <= 90), toward the right of the trace direction.
    rake
        Rake in degrees (sets the style of faulting).
    ztor
        Depth to the top of rupture, km.
    width
        Down-dip width in km (default: Wells & Coppersmith 1994, limited by
        ``seismogenic_depth``).
    seismogenic_depth
        Depth of the base of the seismogenic crust, km.
    """

    magnitude: float
    trace: tuple[tuple[float, float], ...]
    dip: float
    rake: float = 0.0
    ztor: float = 0.0
    width: float | None = None
    seismogenic_depth: float = 20.0
    _w: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        trace = tuple((float(x), float(y)) for x, y in self.trace)
        object.__setattr__(self, "trace", trace)
        if len(trace) < 2:
            raise ParameterError("a rupture trace needs at least two (lon, lat) points")
        if not all(np.isfinite(v) and abs(lon) <= 180 and abs(lat) <= 90
                   for lon, lat in trace for v in (lon, lat)):
            raise ParameterError(f"trace points must be (lon, lat) in degrees, got {trace}")
        for key in ("magnitude", "dip", "rake", "ztor"):
            check_param(key, getattr(self, key))
        if self.width is not None:
            check_param("width", self.width)
        if self.ztor >= self.seismogenic_depth:
            raise ParameterError(f"ztor must be shallower than the seismogenic depth "
                                 f"({self.seismogenic_depth:g} km), got {self.ztor:g}")
        w = self.width
        if w is None:
            w_max = (self.seismogenic_depth - self.ztor) / np.sin(np.radians(self.dip))
            w = min(width_from_magnitude(self.magnitude), float(w_max))
        if w <= 0:
            raise ParameterError(f"rupture width must be positive, got {w}")
        object.__setattr__(self, "_w", float(w))

    @property
    def down_dip_width(self) -> float:
        """Down-dip width in km (given or derived)."""
        return self._w

    @property
    def mechanism(self) -> str:
        """``"SS"``, ``"RS"`` or ``"NS"`` from the rake."""
        return _mechanism(self.rake)

    @property
    def zbot(self) -> float:
        """Depth to the bottom of rupture, km."""
        return self.ztor + self._w * float(np.sin(np.radians(self.dip)))


def _local_projection(rup: Rupture) -> Any:
    from pyproj import Transformer

    lon0 = float(np.mean([p[0] for p in rup.trace]))
    lat0 = float(np.mean([p[1] for p in rup.trace]))
    return Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +units=km +datum=WGS84",
        always_xy=True,
    )


def _segment_distances(px: np.ndarray, py: np.ndarray, a: np.ndarray, b: np.ndarray,
                       rup: Rupture) -> dict[str, np.ndarray]:
    """Exact distances from surface points (km) to one planar segment a->b."""
    seg = b - a
    length = float(np.hypot(*seg))
    if length == 0:
        raise ParameterError("rupture trace has two identical consecutive points")
    s_hat = seg / length
    d_hat = np.array([s_hat[1], -s_hat[0]])  # right of the strike: dip direction
    dip = np.radians(rup.dip)
    hw = rup.down_dip_width * np.cos(dip)  # horizontal projection of the width
    u = (px - a[0]) * s_hat[0] + (py - a[1]) * s_hat[1]
    h = (px - a[0]) * d_hat[0] + (py - a[1]) * d_hat[1]
    du = np.maximum(0.0, np.maximum(-u, u - length))
    dh = np.maximum(0.0, np.maximum(-h, h - hw))
    rjb = np.hypot(du, dh)
    # in-plane coordinates: along strike u, down dip v (from top edge), normal n
    v = h * np.cos(dip) - rup.ztor * np.sin(dip)
    n = h * np.sin(dip) + rup.ztor * np.cos(dip)
    dv = np.maximum(0.0, np.maximum(-v, v - rup.down_dip_width))
    rrup = np.sqrt(du**2 + dv**2 + n**2)
    return {"rrup": rrup, "rjb": rjb, "rx": h, "ry0": du}


def rupture_distances(lon: Any, lat: Any, rup: Rupture) -> dict[str, np.ndarray]:
    """Rrup, Rjb, Rx and Ry0 (km) from sites to a finite rupture.

    Parameters
    ----------
    lon, lat
        Site coordinates in degrees (any matching shapes).
    rup
        The rupture.

    Returns
    -------
    dict
        ``rrup``, ``rjb``, ``rx``, ``ry0`` arrays shaped like ``lon``. Rrup and Rjb are
        minima over segments; Rx and Ry0 come from the segment nearest in Rjb.
    """
    tr = _local_projection(rup)
    px, py = tr.transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    px, py = np.asarray(px), np.asarray(py)
    tx, ty = tr.transform(*zip(*rup.trace, strict=True))
    pts = np.column_stack([tx, ty])
    best: dict[str, np.ndarray] | None = None
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        d = _segment_distances(px, py, a, b, rup)
        if best is None:
            best = d
            continue
        closer = d["rjb"] < best["rjb"]
        best = {"rrup": np.minimum(best["rrup"], d["rrup"]),
                "rjb": np.minimum(best["rjb"], d["rjb"]),
                "rx": np.where(closer, d["rx"], best["rx"]),
                "ry0": np.where(closer, d["ry0"], best["ry0"])}
    assert best is not None  # at least one segment (checked in Rupture)
    return best


def _gmpe_class(name: str) -> Any:
    import pygmm

    table = {"ASK14": pygmm.AbrahamsonSilvaKamai2014,
             "BSSA14": pygmm.BooreStewartSeyhanAtkinson2014,
             "CB14": pygmm.CampbellBozorgnia2014, "CY14": pygmm.ChiouYoungs2014}
    key = name.upper()
    if key not in table:
        raise ParameterError(f"unknown GMPE {name!r}; choose from {GMPES}")
    return table[key]


def _site_motion(model: Any, rup: Rupture, d: dict[str, float], vs30: float) -> tuple[float, ...]:
    import pygmm

    sc = pygmm.Scenario(
        mag=rup.magnitude, dist_rup=max(d["rrup"], 0.0), dist_jb=d["rjb"], dist_x=d["rx"],
        dist_y0=d["ry0"], dip=rup.dip, mechanism=rup.mechanism, v_s30=vs30,
        depth_tor=rup.ztor, depth_bor=rup.zbot, width=rup.down_dip_width,
        depth_hyp=0.5 * (rup.ztor + rup.zbot), on_hanging_wall=bool(d["rx"] >= 0),
        region="global",
    )
    m = model(sc)
    return float(m.pga), float(m.pgv), float(m.ln_std_pga), float(m.ln_std_pgv)


#: Variables of :func:`scenario_shaking`: (name, units, long_name).
_SCENARIO_LAYERS = (
    ("pga_g", "g", "median peak ground acceleration"),
    ("pgv_cms", "cm/s", "median peak ground velocity"),
    ("ln_std_pga", "ln units", "standard deviation of ln PGA"),
    ("ln_std_pgv", "ln units", "standard deviation of ln PGV"),
    ("vs30", "m/s", "time-averaged shear-wave velocity to 30 m"),
    ("rrup", "km", "rupture distance"), ("rjb", "km", "Joyner-Boore distance"),
    ("rx", "km", "horizontal distance from the top edge, perpendicular to strike"),
    ("ry0", "km", "horizontal distance off the ends of the rupture, along strike"),
)


def _site_vs30(vs30: xr.DataArray | None, slope_mm: xr.DataArray | None,
               tectonic: str) -> np.ndarray:
    """Vs30 (m/s) from the raster, else from the slope; refused when every cell is nodata."""
    if vs30 is None:
        if slope_mm is None:
            raise ParameterError("give a Vs30 raster or a slope raster (m/m) to derive Vs30")
        vs = vs30_from_slope(slope_mm.values, tectonic)
    else:
        vs = np.asarray(vs30.values, dtype=np.float64)
    if not np.isfinite(vs).any():
        src = vs30 if vs30 is not None else slope_mm
        raise RasterError(f"{raster_label(src)}: every cell is nodata, so no cell has a Vs30 "
                          "(nothing to compute)")
    return vs


def _motions(model: Any, rup: Rupture, dist: dict[str, np.ndarray], vs: np.ndarray,
             progress: Callable[[int, int], None] | None) -> np.ndarray:
    """(4, ny, nx) median PGA, PGV and their ln standard deviations, cell by cell."""
    out = np.full((4, *vs.shape), np.nan)
    flat = [np.ravel(dist[k]) for k in ("rrup", "rjb", "rx", "ry0")]
    vflat = vs.ravel()
    total, nx = vflat.size, vs.shape[1]
    for i in range(total):
        if np.isfinite(vflat[i]):
            d = {"rrup": flat[0][i], "rjb": flat[1][i], "rx": flat[2][i], "ry0": flat[3][i]}
            out[:, i // nx, i % nx] = _site_motion(model, rup, d, vflat[i])
        if progress is not None and (i + 1) % 500 == 0:
            progress(i + 1, total)
    return out


def scenario_shaking(
    rup: Rupture, grid: xr.DataArray, *, vs30: xr.DataArray | None = None,
    slope_mm: xr.DataArray | None = None, gmpe: str = "ASK14", tectonic: str = "active",
    progress: Callable[[int, int], None] | None = None,
) -> xr.Dataset:
    """Median PGA (g) and PGV (cm/s) rasters for a rupture scenario.

    Parameters
    ----------
    rup
        The rupture.
    grid
        Raster defining the output grid (any CRS; cell centres are used).
    vs30
        Vs30 raster on ``grid`` (m/s). When None it is derived from ``slope_mm``.
    slope_mm
        Slope gradient (m/m) on ``grid`` for :func:`vs30_from_slope`.
    gmpe
        One of :data:`GMPES` (NGA-West2 models from pygmm).
    tectonic
        Regime for :func:`vs30_from_slope`.
    progress
        Optional callable ``progress(done_cells, total_cells)``.

    Returns
    -------
    xarray.Dataset
        ``pga_g``, ``pgv_cms``, ``ln_std_pga``, ``ln_std_pgv``, ``vs30`` and the four
        distances, on ``grid``. Cells with NaN Vs30 are NaN.
    """
    from geohazard.landslide.raster import like

    model = _gmpe_class(gmpe)
    vs = _site_vs30(vs30, slope_mm, tectonic)
    lon, lat = _grid_lonlat(grid)
    dist = rupture_distances(lon, lat, rup)
    out = _motions(model, rup, dist, vs, progress)
    layers = {}
    for k, (n, u, long_name) in enumerate(_SCENARIO_LAYERS[:4]):
        layers[n] = like(grid, out[k], n, u).assign_attrs(long_name=long_name)
    for n, u, long_name in _SCENARIO_LAYERS[4:]:
        values = vs if n == "vs30" else dist[n]
        layers[n] = like(grid, values, n, u).assign_attrs(long_name=long_name)
    ds = xr.Dataset(layers).rio.write_crs(grid.rio.crs)
    ds.attrs.update({"gmpe": gmpe.upper(), "magnitude": rup.magnitude, "dip": rup.dip,
                     "rake": rup.rake, "mechanism": rup.mechanism})
    return ds


def _grid_lonlat(grid: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre lon/lat of a raster in any CRS."""
    from pyproj import Transformer

    xx, yy = np.meshgrid(grid.x.values, grid.y.values)
    crs = grid.rio.crs
    if crs is None:
        raise ParameterError(f"grid {grid.name!r} has no CRS")
    if crs.is_geographic:
        return xx, yy
    tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(xx, yy)
    return np.asarray(lon), np.asarray(lat)


def parse_trace(text: str) -> Sequence[tuple[float, float]]:
    """Parse ``"lon,lat;lon,lat;..."`` into a list of points (CLI helper).

    Parameters
    ----------
    text
        Semicolon-separated ``lon,lat`` pairs.

    Returns
    -------
    list of tuple
    """
    pts = []
    for k, part in enumerate(p for p in text.split(";") if p.strip()):
        try:
            x, y = (float(v) for v in part.split(","))
        except ValueError as exc:
            raise ParameterError(f"trace point {k + 1} {part!r} is not 'lon,lat'") from exc
        pts.append((x, y))
    return pts
