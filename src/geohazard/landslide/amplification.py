r"""Site and topographic amplification of shaking (issue 15, "causes").

Two effects are mapped from a DEM:

**Site (Vs30).** Vs30 from topographic slope, Wald & Allen (2007, BSSA 97(5):1379-1395,
Table 1, active and stable tectonic regions; :func:`~geohazard.landslide.groundmotion.
vs30_from_slope`), or a Vs30 raster the user supplies. The relation was calibrated on
slopes of 30 arc-second DEMs, so the slope is taken on the DEM box-averaged to ~925 m
(the gradient of the average is the average gradient). Vs30 is not turned into a factor
here: the ground-motion model applies its own site term with it (``scenario``), and a
ShakeMap already carries one. Multiplying by a site factor as well would count it twice.

**Topography, frequency-scaled curvature (FSC).** Maufroy, Cruz-Atienza, Cotton & Gaffet
(2015, BSSA 105(1):354-367) relate topographic amplification at frequency ``f`` to the
curvature of the topography smoothed at the wavelength :math:`\lambda = V_S / f` of shear
waves in the relief: features much smaller than :math:`\lambda` do not amplify, convex
crests amplify and concave valleys de-amplify. Implemented as

.. math::

    z_s = G_{\sigma} * z, \quad \sigma = s \lambda, \qquad
    C = -\nabla^2 z_s \;[1/m], \qquad FSC = C\,\lambda, \qquad
    A = \mathrm{clip}(1 + g \cdot FSC,\ A_{min},\ A_{max}),

with :math:`G_\sigma` a Gaussian kernel. ``C`` follows the sign convention of
:func:`~geohazard.landslide.terrain.curvature` (convex positive), so crests get ``A > 1``
and valleys ``A < 1``.

Provenance, stated plainly: the form (smoothing at :math:`\lambda = V_S/f`, dimensionless
curvature, a linear curvature-amplification relation) is Maufroy et al.'s. The paper's
exact smoothing operator and regression coefficients could not be read in this session
(only its title and abstract-level descriptions were reachable), so the defaults of
:data:`MAUFROY2015` (``s = 1/4``: the kernel's +-2 sigma spans one wavelength; gain
``g = 0.5``, limits 0.5..2.5) are this project's choices, sized so a ridge whose half-width
is near :math:`\lambda/2` and whose height is :math:`\lambda/2` reaches the crest factors of
about 1.5-2 reported by numerical studies (Geli, Bard & Jullien 1988, BSSA 78:42-63).
They are flagged ``verified=False``; pass another :class:`FscRelation` to use published
values. The tests check the implementation against this stated relation exactly, on a
Gaussian ridge whose smoothed curvature is known in closed form.

Verification attempt (2026-12-04, second session): the published definition was looked for
and **not found**; the flag stays ``verified=False``. Searched: the stored web pages for
"Maufroy frequency-scaled curvature topographic amplification FSC", "Maufroy
Cruz-Atienza Cotton Gaffet 2015 BSSA curvature topographic amplification relation", "FSC
curvature smoothed over characteristic length wavelength Vs/f amplification linear
correlation", "frequency-scaled curvature (FSC) proxy correlation topographic amplification
spectral element simulations" and "Maufroy et al. (2015) FSC smoothing topography
wavelength curvature amplification factor regression"; the documentation corpus for
"frequency-scaled curvature topographic site effect proxy" and "curvature multiplied by
wavelength dimensionless topographic amplification ground motion variability"; the code
corpus for "frequency scaled curvature FSC Maufroy topographic amplification" and "FSC
topography smoothing Vs/f curvature amplification seismic site effect"; the issue corpus
for "Maufroy 2015 frequency scaled curvature"; exact-string search of public repositories
for "Maufroy" (hits: unrelated people of that name only), "frequency-scaled curvature" (no
hit), "scaled curvature" and "topographic amplification" (no FSC implementation); and
repository names containing "topographic" (none on seismic topographic effects). Pages
that cite or use curvature proxies were reached only at their openings, with no FSC
formula or coefficients in them: Rai, Rodriguez-Marek & Chiou (2017, Earthquake Spectra,
smoothed curvature and relative elevation), Khan et al. (2020, NHESS 20:399-411, Kashmir
2005 topographic amplification) and a 2023 Frontiers in Earth Science study of 3-D
topographic site effects in Menyuan (doi:10.3389/feart.2022.996389). Not found, then: the
paper's smoothing operator and its width in terms of ``Vs/f``, its curvature definition
and units, and the coefficients of its FSC-amplification relation.

Everything runs window by window (:func:`amplification_geotiff`) with the machinery of
:mod:`geohazard.landslide.terrain`: a tile plus a halo of ``4 sigma`` is read, smoothed and
differentiated, so memory is bounded whatever the DEM's size.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from geohazard.exceptions import DataFileNotFoundError, ParameterError, RasterError
from geohazard.landslide import raster as rst
from geohazard.landslide import terrain as ter
from geohazard.landslide import terrain_kernels as tk
from geohazard.landslide.checks import check_param, remove_new_dirs, require_data
from geohazard.landslide.groundmotion import vs30_from_slope

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]

__all__ = [
    "MAUFROY2015",
    "AmplificationResult",
    "FscRelation",
    "amplification_geotiff",
    "apply_amplification",
    "fsc_numpy",
    "load_amplification",
    "topographic_amplification",
    "wavelength_m",
]

#: Files of an amplification folder.
FILES = {"amplification": "topo_amplification.tif", "fsc": "fsc.tif", "vs30": "vs30.tif",
         "meta": "amplification.json"}


@dataclass(frozen=True)
class FscRelation:
    """Curvature-to-amplification relation ``A = clip(1 + gain * FSC, a_min, a_max)``.

    Attributes
    ----------
    gain
        Amplification per unit of frequency-scaled curvature.
    smoothing
        Gaussian standard deviation of the smoothing as a fraction of the wavelength.
    a_min, a_max
        Limits of the factor.
    source, verified, provenance
        Citation, whether the coefficients were read in the cited text, and how they
        were obtained.
    """

    gain: float = 0.5
    smoothing: float = 0.25
    a_min: float = 0.5
    a_max: float = 2.5
    source: str = ("Maufroy E., Cruz-Atienza V.M., Cotton F., Gaffet S. (2015) Frequency-scaled "
                   "curvature as a proxy for topographic site-effect amplification and "
                   "ground-motion variability. BSSA 105(1):354-367")
    verified: bool = False
    provenance: str = ("form from Maufroy et al. (2015); gain, smoothing and limits are this "
                       "project's defaults (the paper's coefficients were not readable)")

    def __post_init__(self) -> None:
        if not (self.gain > 0 and 0 < self.smoothing <= 2 and 0 < self.a_min < 1 < self.a_max):
            raise ParameterError(f"FscRelation needs gain > 0, 0 < smoothing <= 2 and "
                                 f"0 < a_min < 1 < a_max; got {self}")

    def amplification(self, fsc: Any) -> np.ndarray:
        """Amplification factor for frequency-scaled curvature ``fsc`` (NaN stays NaN)."""
        f = np.asarray(fsc, dtype=np.float64)
        return np.clip(1.0 + self.gain * f, self.a_min, self.a_max)


#: Default relation (see the module docstring for its provenance).
MAUFROY2015 = FscRelation()


def wavelength_m(vs_mps: float, freq_hz: float) -> float:
    """Shear wavelength ``lambda = Vs / f`` in metres (Maufroy et al. 2015 scaling length).

    ``vs_mps`` is the shear-wave velocity of the relief (m/s), ``freq_hz`` the frequency of
    interest (Hz).
    """
    check_param("vs_mps", vs_mps)
    check_param("freq_hz", freq_hz)
    return float(vs_mps) / float(freq_hz)


# --------------------------------------------------------------------------- kernel


def _fill_nan(z: np.ndarray) -> np.ndarray:
    """Replace NaN by the nearest valid value (so smoothing does not spread holes)."""
    bad = np.isnan(z)
    if not bad.any() or bad.all():
        return z
    from scipy import ndimage

    idx = ndimage.distance_transform_edt(bad, return_distances=False, return_indices=True)
    return z[tuple(idx)]


def _fsc_kernel(z: np.ndarray, dy: Any, dx: Any, sgn: float, halo: int, sigma_m: float,
                lam: float) -> np.ndarray:
    """FSC of the interior of a block padded by ``halo`` cells; sizes per padded row."""
    from scipy import ndimage

    nyp = z.shape[0]
    dyc, dxc = tk._col(dy, nyp), tk._col(dx, nyp)
    sig = (sigma_m / float(np.mean(dyc)), sigma_m / float(np.mean(dxc)))
    zs = ndimage.gaussian_filter(_fill_nan(z), sig, mode="nearest", truncate=4.0)
    inner = slice(halo - 1, nyp - halo + 1)
    curv = tk._k_curvature(zs[inner, halo - 1:z.shape[1] - halo + 1], dyc[inner], dxc[inner],
                            sgn)
    return curv * lam


def _halo_cells(sigma_m: float, geom: ter.GridGeometry) -> int:
    """Cells of halo for a Gaussian of ``sigma_m`` truncated at 4 sigma (+1 for curvature)."""
    dy, dx = geom.rows(geom.y)
    step = float(np.min([np.min(dy), np.min(dx)]))
    return int(math.ceil(4.0 * sigma_m / step)) + 2


def _block(read: Callable[..., np.ndarray], shape: tuple[int, int], geom: ter.GridGeometry,
           win: tuple[int, int, int, int], sigma_m: float, lam: float) -> np.ndarray:
    h = _halo_cells(sigma_m, geom)
    r0, r1, c0, c1 = win
    zp, rows = tk._window(read, shape, r0, r1, c0, c1, h, "odd")
    dy, dx = geom.rows(tk._padded_rows(geom.y, rows))
    out = _fsc_kernel(zp, dy, dx, 1.0 if geom.north_up else -1.0, h, sigma_m, lam)
    out[np.isnan(zp[h:-h, h:-h])] = np.nan
    return out


def fsc_numpy(z: np.ndarray, geom: ter.GridGeometry, vs_mps: float, freq_hz: float,
              relation: FscRelation = MAUFROY2015) -> np.ndarray:
    """Frequency-scaled curvature of a whole in-memory DEM.

    Parameters
    ----------
    z
        Elevations in metres, shape ``(ny, nx)``, NaN for nodata.
    geom
        Grid geometry (:meth:`~geohazard.landslide.terrain.GridGeometry.from_raster`).
    vs_mps, freq_hz
        Shear-wave velocity and frequency (wavelength ``vs / freq``).
    relation
        Smoothing fraction of the wavelength.

    Returns
    -------
    numpy.ndarray
        Dimensionless FSC, shape ``(ny, nx)``.
    """
    lam = wavelength_m(vs_mps, freq_hz)
    z = np.asarray(z, dtype=np.float64)
    if min(z.shape) < 3:
        raise RasterError(f"DEM of shape {z.shape} is too small for curvature")

    def read(a0: int, a1: int, b0: int, b1: int) -> np.ndarray:
        return z[a0:a1, b0:b1]

    return _block(read, z.shape, geom, (0, z.shape[0], 0, z.shape[1]),
                  relation.smoothing * lam, lam)


def topographic_amplification(dem: xr.DataArray, vs_mps: float = 800.0, freq_hz: float = 5.0,
                              relation: FscRelation = MAUFROY2015) -> xr.Dataset:
    """FSC and topographic amplification of an in-memory DEM.

    Parameters
    ----------
    dem
        Elevation raster in metres with a CRS (projected or geographic).
    vs_mps, freq_hz
        Shear-wave velocity of the relief and frequency of interest.
    relation
        Curvature-to-amplification relation.

    Returns
    -------
    xarray.Dataset
        ``fsc`` (dimensionless) and ``topo_amplification`` (factor on PGA/PGV).
    """
    require_data(dem, "DEM")
    geom = ter.GridGeometry.from_raster(dem)
    fsc = fsc_numpy(np.asarray(dem.values), geom, vs_mps, freq_hz, relation)
    amp = relation.amplification(fsc)
    ds = xr.Dataset({"fsc": rst.like(dem, fsc, "fsc", "1"),
                     "topo_amplification": rst.like(dem, amp, "topo_amplification", "1")})
    ds.attrs.update(vs_mps=float(vs_mps), freq_hz=float(freq_hz),
                    wavelength_m=wavelength_m(vs_mps, freq_hz))
    return ds


# --------------------------------------------------------------------------- windowed


@dataclass(frozen=True)
class AmplificationResult:
    """Outputs of :func:`amplification_geotiff` (frozen).

    Attributes
    ----------
    paths
        Layer name (``topo_amplification``, ``fsc``, ``vs30``, ``meta``) to file.
    stats
        Summary figures (JSON-ready): settings, amplification range and quantiles, Vs30.
    """

    paths: dict[str, Path]
    stats: dict[str, Any] = field(default_factory=dict)


class _Stats:
    """Running statistics of the amplification and Vs30 over windows."""

    edges = np.linspace(0.0, 3.0, 3001)

    def __init__(self) -> None:
        self.hist = np.zeros(self.edges.size - 1)
        self.n = self.above = self.below = 0
        self.vs = [np.inf, -np.inf, 0.0, 0]

    def add(self, amp: np.ndarray, vs: np.ndarray) -> None:
        a = amp[np.isfinite(amp)]
        self.hist += np.histogram(np.clip(a, 0, 3), self.edges)[0]
        self.n += a.size
        self.above += int(np.sum(a > 1.0))
        self.below += int(np.sum(a < 1.0))
        v = vs[np.isfinite(vs)]
        if v.size:
            self.vs = [min(self.vs[0], v.min()), max(self.vs[1], v.max()),
                       self.vs[2] + v.sum(), self.vs[3] + v.size]

    def quantile(self, q: float) -> float:
        c = np.cumsum(self.hist)
        k = int(np.searchsorted(c, q * c[-1]))
        return float(self.edges[min(k + 1, self.edges.size - 1)])

    def result(self) -> dict[str, Any]:
        if self.n == 0:
            raise RasterError("DEM: every cell is nodata (no elevation to work with)")
        out = {"cells": self.n, "share_amplified": self.above / self.n,
               "share_deamplified": self.below / self.n}
        out.update({f"amplification_p{int(q * 100):02d}": self.quantile(q)
                    for q in (0.01, 0.5, 0.99)})
        out["amplification_min"] = float(self.edges[np.nonzero(self.hist)[0][0]])
        out["amplification_max"] = float(self.edges[np.nonzero(self.hist)[0][-1] + 1])
        if self.vs[3]:
            out.update(vs30_min=float(self.vs[0]), vs30_max=float(self.vs[1]),
                       vs30_mean=float(self.vs[2] / self.vs[3]))
        return out


def _vs30_reader(vs30_path: Path | None, profile: dict[str, Any]) -> Any:
    """Window function warping a user Vs30 raster onto a DEM window (bounded memory)."""
    if vs30_path is None:
        return None
    import rasterio
    from rasterio.warp import Resampling, reproject

    if not vs30_path.exists():
        raise DataFileNotFoundError(f"Vs30 raster not found: {vs30_path}")
    try:
        src = rasterio.open(vs30_path)
    except Exception as exc:  # rasterio's RasterioIOError
        raise RasterError(f"cannot read Vs30 raster {vs30_path}: {exc}") from exc
    if src.crs is None:  # the USGS global grids carry none
        log.warning("Vs30 raster %s has no CRS: read as lon/lat WGS84 (EPSG:4326)", vs30_path)

    def read(win: Any) -> np.ndarray:
        out = np.full((int(win.height), int(win.width)), np.nan)
        reproject(rasterio.band(src, 1), out, src_crs=src.crs or "EPSG:4326",
                  src_nodata=src.nodata, dst_transform=rasterio.windows.transform(
                      win, profile["transform"]), dst_crs=profile["crs"], dst_nodata=np.nan,
                  resampling=Resampling.bilinear)
        check_param("vs_mps", out if np.isfinite(out).any() else 760.0,
                    f"Vs30 raster {vs30_path}")
        return out

    read.close = src.close  # type: ignore[attr-defined]
    return read


def amplification_geotiff(
    dem_path: PathLike, out_dir: PathLike, vs_mps: float = 800.0, freq_hz: float = 5.0, *,
    vs30_path: PathLike | None = None, tectonic: str = "active",
    relation: FscRelation = MAUFROY2015, tile: int = 1024, crs: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> AmplificationResult:
    """Write topographic amplification, FSC and Vs30 GeoTIFFs, one window at a time.

    Parameters
    ----------
    dem_path
        DEM in metres (any GDAL raster, projected or geographic).
    out_dir
        Output folder: ``topo_amplification.tif``, ``fsc.tif``, ``vs30.tif`` and
        ``amplification.json`` (settings and figures; read by :func:`load_amplification`).
    vs_mps, freq_hz
        Shear-wave velocity of the relief and frequency of interest.
    vs30_path, tectonic
        Vs30 raster (m/s) to use instead of Vs30 from slope (warped onto the DEM grid);
        ``"active"`` or ``"stable"`` table of Wald & Allen (2007) for Vs30 from slope.
    relation
        Curvature-to-amplification relation.
    tile
        Window size in cells; memory is bounded by ``(tile + 2*halo)^2`` cells.
    crs
        CRS of a DEM file that has none.
    progress
        Optional ``progress(done_windows, total_windows)``.

    Returns
    -------
    AmplificationResult
    """
    import rasterio

    lam = wavelength_m(vs_mps, freq_hz)
    check_param("tile", tile)
    if tectonic not in ("active", "stable"):
        raise ParameterError(f"tectonic must be 'active' or 'stable', got {tectonic!r}")
    dem_path, out = Path(dem_path), Path(out_dir)
    probe = rst.read_raster(dem_path, chunks=tile, crs=crs)
    geom = ter.GridGeometry.from_raster(probe)
    _warn_unresolved(geom, relation.smoothing * lam, lam)
    settings = _settings(vs_mps, freq_hz, lam, relation, tectonic, vs30_path, dem_path)
    with rasterio.Env(GDAL_CACHEMAX=128 * 2**20), rasterio.open(dem_path) as src:
        profile = ter._out_profile(src.profile, probe, tile, "deflate")
        read = ter._DemReader(src, dem_path)
        vs_read = _vs30_reader(Path(vs30_path) if vs30_path else None, profile)
        try:
            with remove_new_dirs(out):
                stats = _write_all(read, src.shape, geom, out, profile, tile, lam, relation,
                                   (vs_read, tectonic), progress)
                paths = {k: out / v for k, v in FILES.items()}
                from geohazard.io_utils import write_json_atomic

                write_json_atomic(paths["meta"], {**settings, "stats": stats})
        finally:
            if vs_read is not None:
                vs_read.close()
    return AmplificationResult(paths, {**settings, **stats})


def _settings(vs_mps: float, freq_hz: float, lam: float, relation: FscRelation,
              tectonic: str, vs30_path: PathLike | None, dem_path: Path) -> dict[str, Any]:
    """The run's settings as written to ``amplification.json``."""
    return {"vs_mps": float(vs_mps), "freq_hz": float(freq_hz), "wavelength_m": lam,
            "smoothing_sigma_m": relation.smoothing * lam, "tectonic": tectonic,
            "vs30_source": str(vs30_path) if vs30_path else
            "Wald & Allen (2007) slope of the DEM averaged to 30 arc-seconds",
            "relation": asdict(relation), "dem": str(dem_path)}


def _warn_unresolved(geom: ter.GridGeometry, sigma_m: float, lam: float) -> None:
    """Warn loudly when the smoothing is finer than the DEM's cells."""
    dy, dx = geom.rows(geom.y)
    cell = float(np.max([np.max(dy), np.max(dx)]))
    if sigma_m < cell:
        log.warning("smoothing sigma %.4g m (wavelength %.4g m) is finer than the DEM's cells "
                    "(%.4g m): the curvature is that of the grid, not of the wavelength; use "
                    "a finer DEM or a lower frequency", sigma_m, lam, cell)


def _write_all(read: Any, shape: tuple[int, int], geom: ter.GridGeometry, out: Path,
               profile: dict[str, Any], tile: int, lam: float, relation: FscRelation,
               site: tuple[Any, str], progress: Any) -> dict[str, Any]:
    import contextlib

    import rasterio

    from geohazard.io_utils import atomic_path, ensure_dir

    ensure_dir(out)
    wins = list(ter.iter_windows(shape, tile))
    h = _halo_cells(relation.smoothing * lam, geom)
    stats = _Stats()
    with contextlib.ExitStack() as stack:
        dst = {}
        for key in ("amplification", "fsc", "vs30"):
            tmp = stack.enter_context(atomic_path(out / FILES[key], suffix=".tif"))
            dst[key] = stack.enter_context(rasterio.open(tmp, "w", **profile))
        for i, win in enumerate(wins):
            layers = _window_layers(read, shape, geom, win, h, lam, relation, site)
            w = rasterio.windows.Window(win[2], win[0], win[3] - win[2], win[1] - win[0])
            for key, arr in layers.items():
                dst[key].write(arr.astype(np.float32), 1, window=w)
            stats.add(layers["amplification"], layers["vs30"])
            if progress is not None:
                progress(i + 1, len(wins))
        result = stats.result()  # refuses an all-nodata DEM before the files land
        for d in dst.values():
            d.close()
    return result


#: Slope scale of the Wald & Allen (2007) calibration: 30 arc-seconds (~925 m).
WA07_SCALE_M = 925.0


def _slope_scale_cells(geom: ter.GridGeometry) -> tuple[int, int]:
    """Box size (rows, columns) that averages the DEM to the 30 arc-second slope scale."""
    dy, dx = geom.rows(geom.y)
    return (max(1, int(round(WA07_SCALE_M / float(np.mean(dy))))),
            max(1, int(round(WA07_SCALE_M / float(np.mean(dx))))))


def _vs30_block(read: Callable[..., np.ndarray], shape: tuple[int, int],
                geom: ter.GridGeometry, win: tuple[int, int, int, int], tectonic: str
                ) -> np.ndarray:
    """Vs30 (Wald & Allen 2007) from the slope of the DEM box-averaged to ~30 arc-seconds.

    The gradient of the box-averaged DEM is the average gradient over the box, the slope
    the relation was calibrated on; a finer DEM's raw slopes are steeper and would bias
    Vs30 high.
    """
    from scipy import ndimage

    k = _slope_scale_cells(geom)
    h = max(k) // 2 + 2
    zp, rows = tk._window(read, shape, *win, h, "odd")
    dy, dx = geom.rows(tk._padded_rows(geom.y, rows))
    nyp = zp.shape[0]
    zs = ndimage.uniform_filter(_fill_nan(zp), size=k, mode="nearest") if max(k) > 1 else zp
    inner = slice(h - 1, nyp - h + 1)
    sdeg = tk._k_slope(zs[inner, h - 1:zp.shape[1] - h + 1], tk._col(dy, nyp)[inner],
                        tk._col(dx, nyp)[inner], 1.0 if geom.north_up else -1.0)
    vs = vs30_from_slope(np.tan(np.radians(sdeg)), tectonic)
    vs[np.isnan(zp[h:-h, h:-h])] = np.nan
    return vs


def _window_layers(read: Any, shape: tuple[int, int], geom: ter.GridGeometry,
                   win: tuple[int, int, int, int], h: int, lam: float,
                   relation: FscRelation, site: tuple[Any, str]) -> dict[str, np.ndarray]:
    import rasterio

    vs_read, tectonic = site
    if vs_read is None:
        h = max(h, max(_slope_scale_cells(geom)) // 2 + 2)
    cached = ter._tile_reader(read, shape, win, h)
    fsc = _block(cached, shape, geom, win, relation.smoothing * lam, lam)
    if vs_read is None:
        vs30 = _vs30_block(cached, shape, geom, win, tectonic)
    else:
        r0, r1, c0, c1 = win
        vs30 = vs_read(rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0))
    return {"amplification": relation.amplification(fsc), "fsc": fsc, "vs30": vs30}


# --------------------------------------------------------------------------- use downstream


def load_amplification(folder: PathLike) -> tuple[xr.DataArray, dict[str, Any]]:
    """Read the topographic amplification raster and settings written by this module.

    Parameters
    ----------
    folder
        Output folder of :func:`amplification_geotiff` (``geohazard landslide
        amplification``).

    Returns
    -------
    tuple
        ``(amplification raster, settings dict)``.
    """
    folder = Path(folder)
    meta_path, amp_path = folder / FILES["meta"], folder / FILES["amplification"]
    for p in (meta_path, amp_path):
        if not p.exists():
            raise DataFileNotFoundError(f"amplification folder {folder} lacks {p.name} (write "
                                        "it with `geohazard landslide amplification`)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RasterError(f"cannot read {meta_path}: {exc}") from exc
    amp = rst.read_raster(amp_path, name="topo_amplification", units="1")
    check_param("amplification", amp.values, f"amplification raster {amp_path}")
    return amp, meta


def _mean_cell_m(da: xr.DataArray) -> float:
    dy, dx = rst.cell_size_m(da)
    return float(np.sqrt(np.mean(dy) * np.mean(dx)))


def _resampling(src: xr.DataArray, dst: xr.DataArray) -> str:
    """``"average"`` when ``dst`` cells are coarser than ``src`` cells, else bilinear."""
    return "average" if _mean_cell_m(dst) > 1.5 * _mean_cell_m(src) else "bilinear"


def apply_amplification(shaking: xr.DataArray, amplification: xr.DataArray) -> xr.DataArray:
    """Multiply a PGA or PGV raster by a topographic amplification factor.

    The factor is resampled onto the shaking grid: averaged over each cell when the
    shaking grid is coarser (no aliasing of crests and valleys), bilinear otherwise; cells
    it does not cover keep their shaking (factor 1).

    Parameters
    ----------
    shaking
        PGA (g) or PGV (cm/s) raster.
    amplification
        Factor raster (any grid with a CRS).

    Returns
    -------
    xarray.DataArray
        Amplified shaking on the grid of ``shaking``, same name and units.
    """
    check_param("amplification", amplification.values, "amplification")
    a = rst.align_to(amplification, shaking, _resampling(amplification, shaking))
    factor = np.where(np.isfinite(a.values), a.values, 1.0)
    out = shaking.copy(data=np.asarray(shaking.values, dtype=np.float64) * factor)
    out.attrs["amplified"] = "topographic (FSC)"
    return out
