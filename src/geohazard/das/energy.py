"""Band energy per channel per window, streamed from files with bounded memory.

What is computed
----------------
The energy of a band in a window is the mean square of the band-passed signal (Parseval,
ideal band; :mod:`geohazard.das.bandpower`): mean squared strain rate for strain-rate
data, mean squared velocity for velocity data (the quantity follows the file's
attributes, :mod:`geohazard.das.quantity`).  Bands are checked against the Nyquist
frequency (:mod:`geohazard.das.bands`); windows are aligned to the epoch
(:mod:`geohazard.das.windows`).

Streaming and resuming
----------------------
:func:`compute_band_energy` walks the windows in chunks; each chunk reads only the
file slices it needs (one file open at a time), so peak memory is set by the chunk
size, not by the number of files.  Each finished chunk is written atomically as a
Parquet part file in ``out_dir``; the set of finished windows is read back from those
parts, so a rerun skips them and no window is ever written twice.  With
``final=False`` (data still arriving) an incomplete last window waits for the next run.
``engine="dask"`` computes chunks as Dask tasks (threads, processes or a distributed
Client); this process writes the parts, so resuming works the same way.  On a
:mod:`distributed <geohazard.distributed>` cluster each chunk is one task carrying file
descriptions and settings; the workers read the files; a task lost with its worker is
recomputed elsewhere and its part (named after its windows, replaced atomically) is
written once.

The kernel, the bands, the windows and the DASCore routes live in their own modules
(:mod:`~geohazard.das.bandpower`, :mod:`~geohazard.das.bands`,
:mod:`~geohazard.das.windows`, :mod:`~geohazard.das.patches`); their public names are
importable from here as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geohazard.das.bandpower import (  # noqa: F401 - importable from here as before
    CHANNEL_BLOCK,
    _fill_gaps,
    band_energy,
    band_energy_pieces,
    to_db,
)
from geohazard.das.bands import (  # noqa: F401
    DEFAULT_BANDS,
    NYQUIST_TOLERANCE,
    band_bins,
    band_label,
    parse_bands,
    resolve_bands,
    validate_bands,
)
from geohazard.das.io import DASFile, channel_table, scan_source
from geohazard.das.patches import (  # noqa: F401
    energy_patches,
    patch_band_energy,
    spool_band_energy,
)
from geohazard.das.store import EnergyStore, file_identities
from geohazard.das.windows import (  # noqa: F401
    EnergyConfig,
    _files_for,
    _rows_to_table,
    _window_block,
    _window_pieces,
    check_covered,
    plan_windows,
    process_windows,
)
from geohazard.exceptions import DASError, ParameterError

__all__ = ["DEFAULT_BANDS", "EnergyConfig", "EnergyStore", "band_energy", "band_label",
           "compute_band_energy", "energy_array", "energy_patches", "parse_bands",
           "patch_band_energy", "resolve_bands", "spool_band_energy", "validate_bands"]

log = logging.getLogger(__name__)
_band_bins = band_bins  # the name before the split


# ------------------------------------------------------------------ store settings
def _fingerprint(cfg: EnergyConfig, first: DASFile) -> dict[str, Any]:
    return {
        "bands": [list(b) for b in cfg.bands], "window_s": cfg.window_s,
        "min_coverage": cfg.min_coverage, "channels": cfg.channels,
        "fs": round(first.fs, 6), "n_channel": first.n_channel,
    }


def _store_meta(cfg: EnergyConfig, files: list[DASFile], strain: bool) -> dict[str, Any]:
    first = files[0]
    chans = channel_table(first.n_channel, first.distance)
    return _fingerprint(cfg, first) | {
        "data_units": first.data_units, "data_type": first.data_type, "strain_input": strain,
        "quantity": first.quantity.kind, "energy_units": first.quantity.energy_units,
        "definition": f"{first.quantity.energy_name} of the band-passed signal over the "
                      "window (Parseval, ideal band), units "
                      f"{first.quantity.energy_units}",
        "distance_m": chans["distance_m"].tolist(),
        "files": [str(f.path) for f in files][:1000],
    }


# ------------------------------------------------------------------ driver
def compute_band_energy(source: str | Path | list[DASFile] | Any, out_dir: str | Path,
                        cfg: EnergyConfig | None = None, *, engine: str = "serial",
                        n_workers: int = 2, progress: Callable[[int, int], None] | None = None,
                        strain: bool | None = None, final: bool = True, client: Any = None
                        ) -> EnergyStore:
    """Stream band energy from files (or a DASCore spool) into a resumable store.

    Parameters
    ----------
    source
        A DAS file, a directory, the result of :func:`scan_path`, or a DASCore ``Spool``
        or ``Patch``.
    out_dir
        Store directory (created; reused on reruns: finished windows are skipped).
    cfg
        Band/window settings.
    engine, n_workers
        ``"serial"`` (streaming, one process) or ``"dask"`` (chunks as Dask tasks on the
        current scheduler, ``n_workers`` chunks in flight; this process writes the parts).
    progress
        Called as ``progress(done_chunks, total_chunks)``.
    strain
        Treat data as strain (differentiate); default from the data's type and units.
    final
        False for data still arriving: the window holding the last sample waits for a
        later run unless complete, so it is never recorded half full.
    client
        A :class:`distributed.Client` (:mod:`geohazard.distributed`): chunks run as tasks
        on its workers, which read the files; implies ``engine="dask"``; bit-identical.

    Returns
    -------
    EnergyStore
        ``meta()["bands"]`` are the bands computed (the default bands clipped at Nyquist,
        labelled so; other bands past it refused).  Windows touched by files changed since
        the store was written (size, mtime, header hash, sampling, channels) are redone.

    Raises
    ------
    DASError
        No files, or (with ``final=True``) data shorter than one window.
    """
    files, cfg, strain = _plan_run(source, cfg, engine, n_workers, strain, final)
    store, todo = _open_store(out_dir, files, cfg, strain, final)
    chunks = [todo[i:i + cfg.chunk_windows] for i in range(0, len(todo), cfg.chunk_windows)]
    _run(files, chunks, cfg, store, strain, progress, engine, n_workers, client)
    return store


def _run(files: list[DASFile], chunks: list[list[int]], cfg: EnergyConfig,
         store: EnergyStore, strain: bool, progress: Callable[[int, int], None] | None,
         engine: str, n_workers: int, client: Any) -> None:
    """Compute ``chunks`` serially, with Dask, or on a distributed client; write the parts."""
    if client is None and engine == "dask":
        from geohazard.distributed import active_client

        client = active_client()
    if client is not None:
        from geohazard.das.scale import run_chunks

        run_chunks(client, files, chunks, cfg, store, strain, progress)
        return
    runner = _run_dask if engine == "dask" else _run_serial
    runner(files, chunks, cfg, store, strain, progress, n_workers)


def _plan_run(source: Any, cfg: EnergyConfig | None, engine: str, n_workers: int,
              strain: bool | None, final: bool
              ) -> tuple[list[DASFile], EnergyConfig, bool]:
    """Files, settings with bands resolved against Nyquist, and the strain flag; all checked."""
    cfg = cfg or EnergyConfig()
    files = scan_source(source)
    if not files:
        raise DASError("no DAS files to process")
    if engine not in ("serial", "dask"):
        raise ParameterError(f"--engine must be 'serial' or 'dask', got {engine!r}")
    if int(n_workers) < 1:
        raise ParameterError(f"--workers must be >= 1, got {n_workers}")
    cfg = replace(cfg, bands=resolve_bands(cfg.bands, files[0].fs, cfg.window_s,
                                           clip=cfg.bands == DEFAULT_BANDS))
    if final:  # live data may not fill a window yet: it waits for the next run
        check_covered(files, cfg, source if isinstance(source, str | Path) else None)
    if strain is None:
        strain = files[0].quantity.strain
    return files, cfg, strain


def _open_store(out_dir: str | Path, files: list[DASFile], cfg: EnergyConfig, strain: bool,
                final: bool) -> tuple[EnergyStore, list[int]]:
    """The store (checked against the settings, synced with the files) and windows to do."""
    identities = file_identities(files)  # read before the first write
    store = EnergyStore(out_dir)
    store.check_or_init(_store_meta(cfg, files, strain))
    store.sync_files(identities, cfg.window_ns)
    done = store.finished()
    todo = [t for t in plan_windows(files, cfg) if t not in done]
    if not final and todo:
        last = files[-1]
        if todo[-1] + cfg.window_ns > last.t0_ns + (last.n_time - 0.5) * last.dt_ns:
            todo = todo[:-1]
    log.info("%d windows to compute (%d already done) in chunks of %d", len(todo), len(done),
             cfg.chunk_windows)
    return store, todo


def _run_serial(files, chunks, cfg, store, strain, progress, n_workers) -> None:  # noqa: ANN001
    for i, chunk in enumerate(chunks):
        table = process_windows(_files_for(files, chunk, cfg), chunk, cfg, strain)
        if len(table):
            store.write_part(table)
        if progress:
            progress(i + 1, len(chunks))


def _run_dask(files, chunks, cfg, store, strain, progress, n_workers) -> None:  # noqa: ANN001
    import dask

    done = 0
    step = max(1, int(n_workers))
    for b in range(0, len(chunks), step):
        batch = chunks[b:b + step]
        tasks = [dask.delayed(process_windows)(_files_for(files, c, cfg), c, cfg, strain)
                 for c in batch]
        for table in dask.compute(*tasks):
            if len(table):
                store.write_part(table)
        done += len(batch)
        if progress:
            progress(done, len(chunks))


def energy_array(table: pd.DataFrame, bands: Sequence[tuple[float, float]],
                 quantity: Any = None) -> Any:
    """Pivot a long energy table into an ``xarray.DataArray`` (band, time, channel).

    ``quantity`` (:class:`~geohazard.das.quantity.Quantity`) names the energy and its
    units in the attributes; default: strain rate in unstated units.
    """
    import xarray as xr

    from geohazard.das.quantity import Quantity

    if table.empty:
        raise DASError("the band-energy table holds no windows (is the data shorter than "
                       "one window? see --window)")
    quantity = quantity or Quantity("strain_rate")
    times = np.sort(table["time"].unique())
    chans = np.sort(table["channel"].unique())
    ti = np.searchsorted(times, table["time"].to_numpy())
    ci = np.searchsorted(chans, table["channel"].to_numpy())
    labels = [band_label(b) for b in bands]
    data = np.full((len(labels), len(times), len(chans)), np.nan)
    for i, lab in enumerate(labels):
        data[i, ti, ci] = table[lab].to_numpy()
    return xr.DataArray(
        data, dims=("band", "time", "channel"),
        coords={"band": labels, "time": pd.DatetimeIndex(times).tz_convert(None),
                "channel": chans},
        attrs={"long_name": f"band energy ({quantity.energy_name})",
               "units": quantity.energy_units},
    )
