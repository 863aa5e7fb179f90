"""Band energy on a Dask distributed cluster: one task per chunk of windows.

A task carries the descriptions of the files its chunk touches (path, start time,
sampling, layout; no channel distances) and the settings, never samples: the worker
opens and reads the files itself, so the input must be at the same path on every
worker (a shared or replicated file system).  The table of band energies comes back to
the client, which writes it as one part of the resumable
:class:`~geohazard.das.store.EnergyStore`.

Exactness: a chunk's numbers are computed by the same :func:`process_windows` as in a
serial run, so they are bit-identical.  A worker killed mid-run loses its tasks; the
scheduler recomputes them on another worker, and only the client writes, one part per
chunk, named after its windows and replaced atomically, so no window is lost or doubled
(and a rerun after the client itself dies resumes from the parts on disk).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd

from geohazard.das.io import DASFile
from geohazard.das.store import EnergyStore
from geohazard.das.windows import EnergyConfig, _files_for, process_windows

log = logging.getLogger(__name__)

__all__ = ["chunk_task", "run_chunks", "task_files"]

ChunkItem = tuple[list[int], list[DASFile]]


def task_files(files: list[DASFile], chunk: list[int], cfg: EnergyConfig) -> list[DASFile]:
    """Descriptions of the files a chunk of windows reads (channel distances dropped)."""
    return [replace(f, distance=None) for f in _files_for(files, chunk, cfg)]


def chunk_task(item: ChunkItem, cfg: EnergyConfig, strain: bool) -> pd.DataFrame:
    """One cluster task: band energy of the windows ``item[0]`` read from files ``item[1]``.

    Parameters
    ----------
    item
        Window start times (ns) and the descriptions of the files touching them.
    cfg
        Band and window settings.
    strain
        True when the files hold strain (differentiated to strain rate).

    Returns
    -------
    pandas.DataFrame
        The long table of :func:`~geohazard.das.energy.process_windows`.
    """
    return process_windows(item[1], item[0], cfg, strain)


def run_chunks(client: Any, files: list[DASFile], chunks: list[list[int]], cfg: EnergyConfig,
               store: EnergyStore, strain: bool,
               progress: Callable[[int, int], None] | None = None) -> int:
    """Compute ``chunks`` as tasks on ``client``; write each part here as it finishes.

    Returns
    -------
    int
        Number of parts written.
    """
    from geohazard.distributed import map_unordered

    work = [(c, task_files(files, c, cfg)) for c in chunks]
    written = 0
    for done, (_, table) in enumerate(map_unordered(client, chunk_task, work, cfg, strain),
                                      start=1):
        if len(table):
            store.write_part(table)
            written += 1
        if progress:
            progress(done, len(chunks))
    log.info("%d chunks computed on the cluster, %d parts written", len(chunks), written)
    return written
