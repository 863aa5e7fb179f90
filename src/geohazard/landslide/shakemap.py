"""Readers for USGS ShakeMap ``grid.xml`` files and GMT netCDF ``.grd`` grids.

``grid.xml`` (ShakeMap 3.5 and 4) is documented XML: a ``<grid_specification>`` with
``lon_min``, ``lat_max``, ``nominal_lon_spacing``, ``nlon`` and ``nlat``, one
``<grid_field index= name= units=>`` per column and a whitespace-separated
``<grid_data>`` block of ``nlon * nlat`` rows ordered from north-west to south-east
(longitude varying fastest). Grid points are cell *centres*. PGA and the spectral
accelerations are in %g, PGV in cm/s.

GMT ``.grd`` files are classic netCDF (COARDS ``x``/``y``/``z`` variables, or the legacy
GMT layout with ``x_range``, ``y_range``, ``spacing``, ``dimension`` and a 1-D ``z``).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from geohazard.exceptions import DataFileNotFoundError, InputError, RasterError

PathLike = str | os.PathLike[str]

__all__ = ["ShakeMapGrid", "read_gmt_grid", "read_shakemap_grid"]

#: Units of the common ShakeMap fields (grid.xml often leaves ``units`` empty).
SHAKEMAP_UNITS = {
    "PGA": "%g", "PGV": "cm/s", "MMI": "intensity", "PSA03": "%g", "PSA10": "%g",
    "PSA30": "%g", "STDPGA": "ln units", "URAT": "ratio", "SVEL": "m/s",
}


@dataclass(frozen=True)
class ShakeMapGrid:
    """A parsed ShakeMap grid (immutable).

    Attributes
    ----------
    lon
        Longitudes of the grid columns (cell centres), west to east, shape ``(nlon,)``.
    lat
        Latitudes of the grid rows (cell centres), north to south, shape ``(nlat,)``.
    fields
        Field name (upper case, e.g. ``"PGA"``) to array of shape ``(nlat, nlon)``.
    units
        Field name to units.
    event
        Attributes of the ``<event>`` element (``magnitude``, ``lat``, ``lon``, ...).
    """

    lon: np.ndarray
    lat: np.ndarray
    fields: dict[str, np.ndarray]
    units: dict[str, str] = field(default_factory=dict)
    event: dict[str, str] = field(default_factory=dict)

    @property
    def magnitude(self) -> float:
        """Event magnitude (NaN when absent)."""
        return float(self.event.get("magnitude", "nan"))

    @property
    def spacing(self) -> tuple[float, float]:
        """``(dlon, dlat)`` in degrees (positive)."""
        return float(abs(self.lon[1] - self.lon[0])), float(abs(self.lat[0] - self.lat[1]))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Extent of the grid *points* ``(lon_min, lat_min, lon_max, lat_max)``."""
        return (float(self.lon[0]), float(self.lat[-1]), float(self.lon[-1]), float(self.lat[0]))

    def layer(self, name: str) -> xr.DataArray:
        """Return one field as a georeferenced raster (EPSG:4326, cell-centre coordinates).

        Parameters
        ----------
        name
            Field name, case-insensitive (``"pga"``, ``"PGV"``, ``"MMI"`` ...).

        Returns
        -------
        xarray.DataArray
        """
        from geohazard.landslide.raster import from_array

        key = name.upper()
        if key not in self.fields:
            raise InputError(f"ShakeMap grid has no field {name!r}; it has {sorted(self.fields)}")
        return from_array(self.fields[key], self.lon, self.lat, "EPSG:4326", name=key.lower(),
                          units=self.units.get(key))


def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(root: ET.Element, tag: str) -> list[ET.Element]:
    return [el for el in root if _strip_ns(el.tag) == tag]


def read_shakemap_grid(path: PathLike) -> ShakeMapGrid:
    """Parse a ShakeMap ``grid.xml``.

    Parameters
    ----------
    path
        The ``grid.xml`` file.

    Returns
    -------
    ShakeMapGrid

    Raises
    ------
    DataFileNotFoundError
        When the file does not exist.
    InputError
        When the XML is malformed or the data block does not match the specification.
    """
    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"ShakeMap grid not found: {p}")
    try:
        root = ET.parse(p).getroot()
    except ET.ParseError as exc:
        raise InputError(f"{p}: not valid XML ({exc})") from exc
    specs = _children(root, "grid_specification")
    data_el = _children(root, "grid_data")
    if not specs or not data_el:
        raise InputError(f"{p}: missing <grid_specification> or <grid_data>")
    spec = specs[0].attrib
    try:
        nlon, nlat = int(spec["nlon"]), int(spec["nlat"])
    except (KeyError, ValueError) as exc:
        raise InputError(f"{p}: <grid_specification> needs integer nlon and nlat") from exc
    cols = sorted(_children(root, "grid_field"), key=lambda e: int(e.attrib["index"]))
    names = [c.attrib["name"].upper() for c in cols]
    values = _parse_block(p, data_el[0].text or "", len(names), nlon * nlat)
    fields = {n: values[:, i].reshape(nlat, nlon) for i, n in enumerate(names)}
    lon = fields.pop("LON")[0].copy()
    lat = fields.pop("LAT")[:, 0].copy()
    if lat[0] < lat[-1]:  # store north to south
        lat = lat[::-1]
        fields = {k: v[::-1].copy() for k, v in fields.items()}
    units = {c.attrib["name"].upper(): (c.attrib.get("units") or
                                         SHAKEMAP_UNITS.get(c.attrib["name"].upper(), ""))
             for c in cols}
    event = dict(_children(root, "event")[0].attrib) if _children(root, "event") else {}
    return ShakeMapGrid(lon=lon, lat=lat, fields=fields, units=units, event=event)


def _parse_block(p: Path, text: str, ncol: int, nrow: int) -> np.ndarray:
    """Parse the ``<grid_data>`` text into an array of shape ``(nrow, ncol)``."""
    try:
        flat = np.array(text.split(), dtype=np.float64)
    except ValueError as exc:
        raise InputError(f"{p}: <grid_data> holds non-numeric values ({exc})") from exc
    if flat.size != ncol * nrow:
        raise InputError(
            f"{p}: <grid_data> has {flat.size} numbers, expected {nrow} rows x {ncol} fields"
        )
    return flat.reshape(nrow, ncol)


def read_gmt_grid(path: PathLike, crs: Any = "EPSG:4326") -> xr.DataArray:
    """Read a GMT netCDF ``.grd`` grid (COARDS or legacy GMT layout), north up.

    Files GDAL reads as GeoTIFF under a ``.grd`` name (as some USGS model inputs are) are
    read through :func:`geohazard.landslide.raster.read_raster`.

    Parameters
    ----------
    path
        The grid file.
    crs
        CRS assigned when the file carries none (GMT grids rarely do).

    Returns
    -------
    xarray.DataArray
        Dims ``("y", "x")``, cell-centre coordinates, NaN for missing values.
    """
    from geohazard.landslide.raster import read_raster

    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"grid not found: {p}")
    if p.read_bytes()[:3] != b"CDF":
        return read_raster(p, crs=crs)
    with xr.open_dataset(p, engine="scipy", mask_and_scale=True) as ds:
        if "dimension" in ds.variables and "x_range" in ds.variables:
            return _legacy_gmt(p, ds, crs)
    return read_raster(p, crs=crs)


def _legacy_gmt(p: Path, ds: xr.Dataset, crs: Any) -> xr.DataArray:
    """Decode the legacy GMT netCDF layout (1-D ``z`` stored north to south)."""
    from geohazard.landslide.raster import from_array

    nx, ny = (int(v) for v in ds["dimension"].values)
    x0, x1 = (float(v) for v in ds["x_range"].values)
    y0, y1 = (float(v) for v in ds["y_range"].values)
    z = np.asarray(ds["z"].values, dtype=np.float64)
    if z.size != nx * ny:
        raise RasterError(f"{p}: z has {z.size} values, dimension says {nx} x {ny}")
    pixel = int(ds.attrs.get("node_offset", 0)) == 1
    dx, dy = (float(v) for v in ds["spacing"].values)
    if pixel:
        x = x0 + dx * (np.arange(nx) + 0.5)
        y = y1 - dy * (np.arange(ny) + 0.5)
    else:
        x = np.linspace(x0, x1, nx)
        y = np.linspace(y1, y0, ny)
    return from_array(z.reshape(ny, nx), x, y, crs, name=p.stem)
