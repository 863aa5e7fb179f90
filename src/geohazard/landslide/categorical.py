"""Categorical rasters with a colour table and class names, readable by GDAL and QGIS.

A class raster is written as ``uint8`` codes (0 = no data) with

* a **GDAL colour table** inside the GeoTIFF (``rasterio`` ``write_colormap``): QGIS opens a
  one-band Byte raster whose colour interpretation is *Palette* with its paletted renderer,
  so the classes show in their colours with no styling;
* the **class names** three ways: GeoTIFF band tags ``CLASS_<code>=<name>`` (inside the file,
  read by ``rasterio``'s ``tags(1)`` and ``gdalinfo``), and, in the GDAL PAM sidecar
  ``<file>.aux.xml``, the band's **category names** (GDAL ``GetCategoryNames``, which QGIS
  uses as the labels of a colour-table legend) and a **raster attribute table** (value,
  name, red, green, blue, alpha; QGIS 3.30+ lists and classifies by it). GeoTIFF itself
  cannot hold category names or a RAT, so GDAL keeps them in that sidecar; copy it with
  the file.

Colours are colour-blind safe: the Okabe & Ito (2008) qualitative palette for unordered
classes, viridis steps for ordered ones (low to high).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from geohazard.exceptions import RasterError

__all__ = ["FAULT_SIDE_CLASSES", "MODE_CLASSES", "OKABE_ITO", "SUSCEPTIBILITY_CLASSES",
           "ClassScheme", "fault_side_codes", "ordered_scheme", "qualitative_scheme",
           "read_class_geotiff", "style_band", "write_class_geotiff", "write_pam"]

#: Okabe & Ito (2008) colour-blind-safe qualitative palette (black left out).
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
_VIRIDIS = ("#440154", "#482878", "#3E4A89", "#31688E", "#26828E", "#1F9E89", "#35B779",
            "#6DCD59", "#B4DE2C", "#FDE725")
_GREY = "#999999"


@dataclass(frozen=True)
class ClassScheme:
    """Codes of a class raster with their names and colours (frozen).

    Attributes
    ----------
    title
        What the classes are (written as the band description).
    classes
        Code (1..255) -> (name, ``#RRGGBB`` colour); code 0 is no data.
    """

    title: str
    classes: dict[int, tuple[str, str]]

    def __post_init__(self) -> None:
        bad = [c for c in self.classes if not 1 <= int(c) <= 255]
        if bad:
            raise RasterError(f"class codes must be 1..255 (0 is no data); got {bad}")

    @property
    def names(self) -> dict[int, str]:
        """Code -> class name."""
        return {c: n for c, (n, _) in self.classes.items()}

    def rgba(self) -> dict[int, tuple[int, int, int, int]]:
        """Colour table: code -> (r, g, b, a), with code 0 transparent."""
        table = {0: (0, 0, 0, 0)}
        for c, (_, hex_) in self.classes.items():
            h = hex_.lstrip("#")
            table[int(c)] = (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 255)
        return table


def qualitative_scheme(title: str, names: list[str] | tuple[str, ...]) -> ClassScheme:
    """Unordered classes coded 1..k in Okabe-Ito colours (at most 7)."""
    if len(names) > len(OKABE_ITO):
        raise RasterError(f"{len(names)} classes: a qualitative scheme has at most "
                          f"{len(OKABE_ITO)} colour-blind-safe colours; use ordered_scheme")
    return ClassScheme(title, {i + 1: (str(n), OKABE_ITO[i]) for i, n in enumerate(names)})


def ordered_scheme(title: str, names: list[str] | tuple[str, ...]) -> ClassScheme:
    """Ordered classes (low to high) coded 1..k in evenly spaced viridis steps."""
    k = len(names)
    if not 1 <= k <= 255:
        raise RasterError(f"an ordered scheme needs 1..255 classes, got {k}")
    idx = np.linspace(0, len(_VIRIDIS) - 1, k).round().astype(int) if k > 1 else [0]
    if k > len(_VIRIDIS):  # interpolate the ramp
        import matplotlib as mpl

        cmap = mpl.colormaps["viridis"]
        cols = [mpl.colors.to_hex(cmap(t)) for t in np.linspace(0, 1, k)]
    else:
        cols = [_VIRIDIS[i] for i in idx]
    return ClassScheme(title, {i + 1: (str(n), cols[i]) for i, n in enumerate(names)})


#: Fault side: codes 1 footwall, 2 unknown, 3 hanging wall or active side (side + 2).
FAULT_SIDE_CLASSES = ClassScheme("fault side", {
    1: ("footwall", "#0072B2"), 2: ("unknown", _GREY), 3: ("hanging wall / active side",
                                                             "#D55E00")})
#: Landslide modes of :mod:`geohazard.landslide.modes` (Hungr et al. 2014), codes 1..4.
MODE_CLASSES = qualitative_scheme("landslide mode", ("fall", "slide", "avalanche",
                                                     "deformation"))
#: Susceptibility quintile classes, very low to very high.
SUSCEPTIBILITY_CLASSES = ordered_scheme("susceptibility class", (
    "very low", "low", "moderate", "high", "very high"))


def fault_side_codes(side: Any) -> Any:
    """Side codes -1 / 0 / +1 (footwall / unknown / hanging wall) as class codes 1 / 2 / 3.

    No-data cells (NaN, or -128 in ``int8`` files) become 0.
    """
    v = np.asarray(getattr(side, "values", side), dtype=np.float64)
    codes = np.where(np.isin(v, (-1.0, 0.0, 1.0)), v + 2.0, 0.0).astype(np.uint8)
    return side.copy(data=codes) if hasattr(side, "copy") and hasattr(side, "dims") else codes


def _codes(da: Any, scheme: ClassScheme) -> np.ndarray:
    v = np.asarray(da.values, dtype=np.float64)
    codes = np.where(np.isfinite(v), v, 0.0)
    allowed = np.array([0, *scheme.classes])
    unknown = np.setdiff1d(np.unique(codes), allowed)
    if unknown.size:
        raise RasterError(f"{scheme.title}: codes {unknown.tolist()} are not classes of the "
                          f"scheme {sorted(scheme.classes)}")
    return codes.astype(np.uint8)


def write_class_geotiff(da: Any, path: str | os.PathLike[str], scheme: ClassScheme) -> Path:
    """Write class codes as a ``uint8`` GeoTIFF with a colour table and class names.

    Parameters
    ----------
    da
        2-D raster of class codes (NaN or 0 = no data) with a CRS.
    path
        Destination GeoTIFF; ``<path>.aux.xml`` gets the category names and attribute table.
    scheme
        The classes.

    Returns
    -------
    pathlib.Path
    """
    import rasterio

    from geohazard.io_utils import atomic_path, write_text_atomic

    if da.ndim != 2 or da.rio.crs is None:
        raise RasterError(f"{scheme.title}: a class raster must be 2-D with a CRS; cannot "
                          f"write {path}")
    codes = _codes(da, scheme)
    ny, nx = codes.shape
    profile = dict(driver="GTiff", width=nx, height=ny, count=1, dtype="uint8", nodata=0,
                   crs=da.rio.crs, transform=da.rio.transform(), compress="deflate")
    with atomic_path(path, suffix=".tif") as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(codes, 1)
            style_band(dst, scheme)
        Path(f"{tmp}.aux.xml").unlink(missing_ok=True)
    write_text_atomic(f"{path}.aux.xml", _pam_xml(scheme))
    return Path(path)


def style_band(dst: Any, scheme: ClassScheme) -> None:
    """Colour table, description and ``CLASS_<code>`` tags on band 1 of an open dataset."""
    dst.write_colormap(1, scheme.rgba())
    dst.set_band_description(1, scheme.title)
    dst.update_tags(1, **{f"CLASS_{c}": n for c, n in scheme.names.items()})


def write_pam(path: str | os.PathLike[str], scheme: ClassScheme) -> Path:
    """Write the ``<path>.aux.xml`` sidecar (category names, attribute table) atomically."""
    from geohazard.io_utils import write_text_atomic

    return write_text_atomic(f"{path}.aux.xml", _pam_xml(scheme))


def _pam_xml(scheme: ClassScheme) -> str:
    """GDAL PAM sidecar: category names (index = code) and a raster attribute table."""
    top = max(scheme.classes)
    cats = "".join(f"      <Category>{escape(scheme.names.get(i, ''))}</Category>\n"
                   for i in range(top + 1))
    cols = [("Value", 0, 5), ("Name", 2, 2), ("Red", 0, 6), ("Green", 0, 7),
            ("Blue", 0, 8), ("Alpha", 0, 9)]  # (name, type int/string, GDAL usage)
    fields = "".join(f'      <FieldDefn index="{i}"><Name>{n}</Name><Type>{t}</Type>'
                     f"<Usage>{u}</Usage></FieldDefn>\n" for i, (n, t, u) in enumerate(cols))
    rgba = scheme.rgba()
    rows = "".join(
        f'      <Row index="{i}"><F>{c}</F><F>{escape(name)}</F>'
        + "".join(f"<F>{x}</F>" for x in rgba[c]) + "</Row>\n"
        for i, (c, name) in enumerate(scheme.names.items()))
    return ('<PAMDataset>\n  <PAMRasterBand band="1">\n'
            f"    <Description>{escape(scheme.title)}</Description>\n"
            f"    <CategoryNames>\n{cats}    </CategoryNames>\n"
            '    <GDALRasterAttributeTable tableType="thematic">\n'
            f"{fields}{rows}    </GDALRasterAttributeTable>\n"
            "  </PAMRasterBand>\n</PAMDataset>\n")


def read_class_geotiff(path: str | os.PathLike[str]) -> tuple[np.ndarray, dict[int, str],
                                                              dict[int, tuple[int, ...]]]:
    """Codes, class names (from the band tags) and colour table of a class GeoTIFF."""
    import rasterio

    with rasterio.open(path) as src:
        codes = src.read(1)
        tags = src.tags(1)
        cmap = src.colormap(1)
    names = {int(k.split("_", 1)[1]): v for k, v in tags.items() if k.startswith("CLASS_")}
    return codes, names, {int(k): tuple(v) for k, v in cmap.items() if int(k) in names}
