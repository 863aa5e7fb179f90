"""The testing region of located forecasts: a regular lon/lat grid with magnitude bins.

:class:`SpatialRegion` is geohazard's own frozen description of the grid; it becomes a
pyCSEP ``CartesianGrid2D`` (:meth:`SpatialRegion.to_csep`) and bins points the pyCSEP way,
so the gridded kernels (:mod:`geohazard.forecast.spatial_eval`) and pyCSEP's spatial tests
(:mod:`geohazard.forecast.csep_adapter`) see the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geohazard.exceptions import InputError, ParameterError

__all__ = ["SpatialRegion"]


@dataclass(frozen=True)
class SpatialRegion:
    """A regular longitude/latitude grid with magnitude bins (a pyCSEP ``CartesianGrid2D``).

    Cells are ``dh`` degrees square with origins (lower-left corners) at
    ``lon_min + i dh``, ``lat_min + j dh``; a point belongs to the cell whose origin is
    the largest one not above it (pyCSEP's binning, including its float tolerance).

    Attributes
    ----------
    lon_min, lon_max, lat_min, lat_max
        Box in degrees; the grid covers ``ceil((max - min) / dh)`` cells along each axis.
    dh
        Cell size in degrees.
    mag_edges
        Left edges of the magnitude bins (the last bin is open-ended).
    """

    lon_min: float
    lon_max: float
    lat_min: float
    lat_max: float
    dh: float = 0.05
    mag_edges: tuple[float, ...] = (1.0,)
    _csep: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (self.lon_max > self.lon_min and self.lat_max > self.lat_min):
            raise ParameterError(f"region: need lon_min < lon_max and lat_min < lat_max, got "
                                 f"lon {self.lon_min}..{self.lon_max}, "
                                 f"lat {self.lat_min}..{self.lat_max}")
        if not self.dh > 0:
            raise ParameterError(f"region: dh must be > 0 degrees, got {self.dh}")
        edges = tuple(float(m) for m in self.mag_edges)
        if not edges or np.any(np.diff(edges) <= 0):
            raise ParameterError("region: mag_edges must be a non-empty increasing sequence")
        object.__setattr__(self, "mag_edges", edges)
        from csep.core import regions

        lon, lat = self.cell_origins()
        origins = np.column_stack([np.repeat(lon, lat.size), np.tile(lat, lon.size)])
        grid = regions.CartesianGrid2D.from_origins(
            origins, dh=float(self.dh), magnitudes=np.asarray(edges), name="geohazard-box")
        object.__setattr__(self, "_csep", grid)

    @classmethod
    def around(cls, lon: np.ndarray, lat: np.ndarray, dh: float = 0.05,
               mag_edges: tuple[float, ...] = (1.0,)) -> SpatialRegion:
        """The smallest ``dh``-aligned box containing every ``(lon, lat)``."""
        lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        if lon.size == 0 or not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
            raise InputError("region: need finite event locations to build a region around")
        lo = np.floor(np.array([lon.min(), lat.min()]) / dh + 1e-9) * dh
        hi = (np.floor(np.array([lon.max(), lat.max()]) / dh + 1e-9) + 1) * dh
        return cls(float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), dh, mag_edges)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpatialRegion:
        """The region described by :meth:`to_dict` (extra keys such as ``n_cells`` ignored)."""
        try:
            return cls(float(data["lon_min"]), float(data["lon_max"]), float(data["lat_min"]),
                       float(data["lat_max"]), float(data["dh"]),
                       tuple(float(m) for m in data["mag_edges"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"region: cannot read a region from {data!r} ({exc})") from None

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)`` number of cells along latitude and longitude."""
        return (int(np.ceil((self.lat_max - self.lat_min) / self.dh - 1e-6)),
                int(np.ceil((self.lon_max - self.lon_min) / self.dh - 1e-6)))

    @property
    def n_cells(self) -> int:
        """Number of spatial cells."""
        ny, nx = self.shape
        return ny * nx

    def cell_origins(self) -> tuple[np.ndarray, np.ndarray]:
        """``(nx,)`` longitudes and ``(ny,)`` latitudes of the cells' lower-left corners."""
        ny, nx = self.shape
        return (np.round(self.lon_min + self.dh * np.arange(nx), 10),
                np.round(self.lat_min + self.dh * np.arange(ny), 10))

    def to_csep(self) -> Any:
        """The pyCSEP ``CartesianGrid2D`` (with ``magnitudes``)."""
        return self._csep

    def cell_index(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """(n,) pyCSEP cell index of each point, -1 for points outside the region."""
        lon = np.atleast_1d(np.asarray(lon, np.float64))
        lat = np.atleast_1d(np.asarray(lat, np.float64))
        out = np.full(lon.shape, -1, dtype=np.int64)
        if lon.size == 0:
            return out
        inside = ~self._csep.get_masked(lon, lat)
        if np.any(inside):
            out[inside] = self._csep.get_index_of(lon[inside], lat[inside])
        return out

    def to_grid(self, values: np.ndarray) -> np.ndarray:
        """(n_cells,) per-cell values -> (ny, nx) array, row 0 at ``lat_min``."""
        return np.asarray(self._csep.get_cartesian(np.asarray(values, np.float64)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"lon_min": self.lon_min, "lon_max": self.lon_max, "lat_min": self.lat_min,
                "lat_max": self.lat_max, "dh": self.dh, "mag_edges": list(self.mag_edges),
                "n_cells": self.n_cells}
