"""Band energy as DASCore patches, and from in-memory DASCore patches and spools.

:func:`energy_patches` is the DASCore-native result: one :class:`dascore.Patch` per band,
dims ``(time, distance)`` (window starts, UTC; distance along the fiber in m), whose
attributes name the band by its true edges, the quantity and its units, so DASCore's own
tools take it (``patch.viz.waterfall()``, ``patch.select(distance=...)``).

:func:`patch_band_energy` and :func:`spool_band_energy` give the long table of
:func:`~geohazard.das.energy.compute_band_energy` from a patch or through DASCore's own
chunking of a spool (a cross-check of the streaming engine).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from geohazard.das.bandpower import band_energy_pieces
from geohazard.das.bands import (
    DEFAULT_BANDS,
    BandClippedWarning,
    band_label,
    named_bands,
    resolve_bands,
)
from geohazard.das.geometry import channel_table
from geohazard.das.io import scan_source, source_name
from geohazard.das.quantity import Quantity, quantity_of_attrs
from geohazard.das.windows import (
    EnergyConfig,
    check_covered,
    plan_windows,
    process_windows,
    rows_to_table,
)
from geohazard.exceptions import DASError

__all__ = ["energy_patches", "patch_band_energy", "spool_band_energy"]

log = logging.getLogger(__name__)


def energy_patches(source: Any, bands: Mapping[str, Sequence[float]] | Sequence[Sequence[float]]
                   = DEFAULT_BANDS, window_s: float = 60.0, *, min_coverage: float = 0.9,
                   spacing_m: float | None = None, strain: bool | None = None,
                   workers: int = 1) -> dict[str, Any]:
    """Band energy per window and channel as one DASCore patch per band.

    Parameters
    ----------
    source
        A DAS file or directory, a DASCore ``Spool`` or a ``Patch``.
    bands
        Bands ``(lo, hi)`` in Hz, or a mapping ``name -> (lo, hi)``.  A band reaching past
        the Nyquist frequency is clipped to it with a :class:`BandClippedWarning` and named
        by its true edges (``"2-50Hz"`` for 2-125 Hz on 100 Hz data).
    window_s, min_coverage
        Window length, s (windows start at multiples of it since the epoch), and the
        fraction of its samples a window needs (others are NaN).
    spacing_m
        Channel spacing for data without a distance coordinate (else 1 m, with a warning).
    strain, workers
        Treat the samples as strain (default: from the data's attributes); FFT threads.

    Returns
    -------
    dict of str to dascore.Patch
        Keyed by band label (``"0.5-8Hz"``; ``"wind 0.5-8Hz"`` for a named band); dims
        ``(time, distance)`` (window starts; m), ``data_type`` ``frequency_band_energy``,
        ``data_units`` the energy's where the data state theirs (``1/s**2``), and attrs
        ``band``, ``band_name``, ``band_hz``, ``band_requested_hz``, ``quantity`` (of the
        samples), ``energy``, ``energy_units`` (text), ``window_s``, ``time_reference``.

    Raises
    ------
    DASError
        Data shorter than one window (naming the source and the window).
    """
    files = scan_source(source)
    named = named_bands(bands)
    cfg = EnergyConfig(bands=resolve_bands([b for _, b in named], files[0].fs, window_s,
                                           clip=True),
                       window_s=window_s, min_coverage=min_coverage, workers=workers)
    check_covered(files, cfg, source_name(source))
    starts, quantity = plan_windows(files, cfg), files[0].quantity
    table = process_windows(files, starts, cfg, quantity.strain if strain is None else strain)
    distance = _distance(files[0], spacing_m, source_name(source))
    return {_key(name, band): _energy_patch(
                _band_grid(table, band, starts, files[0].n_channel), starts, distance,
                quantity, _band_attrs(name, asked, band, files[0].fs, window_s, source))
            for (name, asked), band in zip(named, cfg.bands, strict=True)}


def _key(name: str | None, band: tuple[float, float]) -> str:
    return f"{name} {band_label(band)}" if name else band_label(band)


def _distance(first: Any, spacing_m: float | None, name: str) -> np.ndarray:
    """Distance of each channel along the fiber, m."""
    if first.distance is None and spacing_m is None:
        log.warning("%s has no distance coordinate: distance is the channel index in m "
                    "(pass spacing_m)", name)
    return channel_table(first.n_channel, first.distance, spacing_m)["distance_m"].to_numpy()


def _band_attrs(name: str | None, asked: tuple[float, float], band: tuple[float, float],
                fs: float, window_s: float, source: Any) -> dict[str, Any]:
    """Patch attributes of one band; warns when the band was clipped at Nyquist."""
    if band != asked:
        warnings.warn(f"band {name + ' ' if name else ''}{band_label(asked)} reaches above "
                      f"the Nyquist frequency of data sampled at {fs:g} Hz: computed and "
                      f"named as {band_label(band)}", BandClippedWarning, stacklevel=3)
    return {"band": band_label(band), "band_name": name or band_label(band),
            "band_hz": list(band), "band_requested_hz": list(asked), "window_s": window_s,
            "time_reference": "window start", "source": source_name(source)}


def _band_grid(table: pd.DataFrame, band: tuple[float, float], starts: list[int],
               n_channel: int) -> np.ndarray:
    """``(time, channel)`` energy of one band on every planned window (NaN where left out)."""
    grid = np.full((len(starts), n_channel), np.nan)
    if len(table):
        ti = np.searchsorted(np.asarray(starts, dtype=np.int64),
                             table["time"].dt.tz_convert(None).to_numpy().astype(np.int64))
        grid[ti, table["channel"].to_numpy()] = table[band_label(band)].to_numpy()
    return grid


def _energy_patch(data: np.ndarray, starts: list[int], distance: np.ndarray,
                  quantity: Quantity, extra: dict[str, Any]) -> Any:
    import dascore as dc

    from geohazard.das.quantity import _pint

    units = None
    if quantity.units:  # pint-readable energy units where the data state theirs
        q = _pint(f"({quantity.rate_units})**2")
        units = None if q is None else f"{q.units}"
    attrs = {"data_type": "frequency_band_energy",
             "quantity": quantity.kind, "energy": quantity.energy_name,
             "energy_units": quantity.energy_units, **extra}
    times = np.asarray(starts, dtype=np.int64).astype("datetime64[ns]")
    patch = dc.Patch(data=data, coords={"time": times, "distance": distance},
                     dims=("time", "distance"), attrs=attrs)
    patch = patch.set_units(time="s", distance="m")
    return patch if units is None else patch.set_units(units)


def patch_band_energy(patch: Any, cfg: EnergyConfig | None = None,
                      strain: bool | None = None) -> pd.DataFrame:
    """Band energy of an in-memory DASCore :class:`~dascore.Patch`, epoch-aligned windows.

    Same table and numbers as :func:`~geohazard.das.energy.compute_band_energy` on the
    file the patch came from (``channel`` is the index along the patch's non-time axis).

    Parameters
    ----------
    patch
        A 2-D patch with a ``time`` dimension.
    cfg
        Bands and window settings.
    strain
        Treat data as strain (default: from the patch's ``data_type`` and ``data_units``).
    """
    cfg = cfg or EnergyConfig()
    p = patch.transpose("time", ...)
    times = p.get_coord("time").values.astype("datetime64[ns]").astype(np.int64)
    if times.size < 2:
        raise DASError("patch holds fewer than 2 time samples")
    dt = float(np.median(np.diff(times)))
    if not dt > 0:
        raise DASError("patch times are not increasing")
    cfg = replace(cfg, bands=resolve_bands(cfg.bands, 1e9 / dt, cfg.window_s,
                                           clip=cfg.bands == DEFAULT_BANDS))
    if strain is None:
        strain = quantity_of_attrs(p.attrs, "patch").strain
    data = np.asarray(p.data)
    if cfg.channels:
        data = data[:, slice(*cfg.channels)]
    w = cfg.window_ns
    rows = []
    for t0 in range((int(times[0]) // w) * w, int(times[-1]) + 1, w):
        i0, i1 = np.searchsorted(times, [t0, t0 + w])
        n = int(i1 - i0)
        if n < 2 or n / (cfg.window_s * 1e9 / dt) < cfg.min_coverage - 1e-9:
            continue
        energy = band_energy_pieces([data[i0:i1]], 1e9 / dt, cfg.bands, strain=strain,
                                    workers=cfg.workers)
        rows.append((t0, energy, min(n * dt / w, 1.0)))
    return rows_to_table(rows, cfg)


def spool_band_energy(spool: Any, cfg: EnergyConfig | None = None,
                      strain: bool | None = None) -> pd.DataFrame:
    """Band energy over a DASCore spool: DASCore merges the files and cuts the windows.

    The spool is trimmed to the first epoch-aligned window start and chunked with
    ``spool.chunk(time=window_s)``, so windows match
    :func:`~geohazard.das.energy.compute_band_energy`.  This is the DASCore-native route
    (any spool: directory, file list, in memory); it is not resumable and slower than the
    streaming engine, which it serves to cross-check.
    """
    cfg = cfg or EnergyConfig()
    contents = spool.get_contents()
    if contents.empty:
        raise DASError("spool holds no patches")
    t_min = pd.Timestamp(contents["time_min"].min()).as_unit("ns").value
    start = -(-t_min // cfg.window_ns) * cfg.window_ns  # ceil to the window grid
    chunks = spool.select(time=(np.datetime64(start, "ns"), None)).chunk(
        time=cfg.window_s, keep_partial=True)
    tables = [patch_band_energy(p, cfg, strain) for p in chunks]
    out = pd.concat(tables, ignore_index=True) if tables else rows_to_table([], cfg)
    return out.drop_duplicates(["time", "channel"]).sort_values(
        ["time", "channel"], ignore_index=True)
