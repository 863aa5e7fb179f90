"""The resumable band-energy store: Parquet part files keyed on the data they came from.

A store directory holds ``store.json`` (the settings it was made with: bands, window,
coverage, channels, sampling rate, channel count), ``files.json`` (the identity of every
input file: resolved path, size, mtime, a SHA-1 of its first :data:`HEADER_BYTES` bytes
and the sampling, start, length and channel count of each patch in it) and ``parts/``
(one Parquet file per finished chunk of windows, written atomically).

On a rerun, :meth:`EnergyStore.sync_files` compares the identities with the current
files.  Every window touched by a file that changed, vanished or appeared (in its old or
its new extent) is stale: the part files holding such windows are removed before the new
identities are recorded, so they are recomputed and old energy is never reused for new
data at the same paths.  The order (remove parts, then record identities, then compute)
keeps a run killed at any point resumable.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geohazard.das.io import MEMORY, DASFile
from geohazard.exceptions import DASError
from geohazard.io_utils import atomic_path, write_json_atomic

log = logging.getLogger(__name__)

HEADER_BYTES = 65536
SETTINGS_KEYS = ("bands", "window_s", "min_coverage", "channels", "fs", "n_channel")


def file_identities(files: Iterable[DASFile]) -> dict[str, dict[str, Any]]:
    """Content identity of each input file, keyed by its resolved path.

    Parameters
    ----------
    files
        Scanned files (several entries may share a path: one per patch).

    Returns
    -------
    dict
        ``path -> {size, mtime_ns, header_sha1, patches: [[t0_ns, dt_ns, n_time,
        n_channel], ...]}``.
    """
    out: dict[str, dict[str, Any]] = {}
    for info in files:
        key = _key(info)
        if key not in out:
            out[key] = _identity(info)
        out[key]["patches"].append([int(info.t0_ns), float(info.dt_ns), int(info.n_time),
                                    int(info.n_channel)])
    return out


def _key(info: DASFile) -> str:
    if info.fmt == MEMORY:  # a patch of a spool
        return f"{info.path}#{info.extra.get('index', 0)}"
    return str(Path(info.path).resolve())


def _identity(info: DASFile) -> dict[str, Any]:
    """Size, mtime and header hash of a file; of a spool patch, its size and data hash."""
    if info.fmt == MEMORY:
        return {"size": info.extra.get("nbytes", 0), "mtime_ns": 0,
                "header_sha1": _patch_digest(info), "patches": []}
    st = Path(info.path).stat()
    with Path(info.path).open("rb") as fh:
        digest = hashlib.sha1(fh.read(HEADER_BYTES)).hexdigest()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "header_sha1": digest,
            "patches": []}


def _patch_digest(info: DASFile) -> str:
    """SHA-1 of the first :data:`HEADER_BYTES` of a spool patch's samples."""
    patch = info.extra["spool"][info.extra.get("index", 0)]
    data = np.ascontiguousarray(patch.data).reshape(-1)
    return hashlib.sha1(data[:HEADER_BYTES // max(data.itemsize, 1)].tobytes()).hexdigest()


def _windows_of(identity: dict[str, Any], window_ns: int) -> set[int]:
    """Window starts (ns, epoch-aligned) touched by the patches of one file."""
    starts: set[int] = set()
    for t0, dt, n_time, _ in identity.get("patches", []):
        last = int(t0 + round((n_time - 1) * dt))
        starts.update(range((t0 // window_ns) * window_ns, (last // window_ns) * window_ns + 1,
                            window_ns))
    return starts


def stale_windows(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]],
                  window_ns: int) -> set[int]:
    """Windows whose energy may differ between the ``old`` and ``new`` file sets.

    A window is stale when a file touching it (before or after) changed identity,
    disappeared or appeared; windows touched only by unchanged files keep their energy.
    """
    stale: set[int] = set()
    for key in old.keys() | new.keys():
        if old.get(key) == new.get(key):
            continue
        for ident in (old.get(key), new.get(key)):
            if ident:
                stale |= _windows_of(ident, window_ns)
    return stale


def _times_ns(series: pd.Series) -> np.ndarray:
    return series.to_numpy("datetime64[ns]").astype(np.int64)


class EnergyStore:
    """Directory of Parquet part files holding finished windows (see module notes)."""

    def __init__(self, out_dir: str | Path) -> None:
        self.dir = Path(out_dir)
        self.parts = self.dir / "parts"

    def check_or_init(self, meta: dict[str, Any]) -> None:
        """Create the store, or check that it was made with the same settings."""
        meta_path = self.dir / "store.json"
        if meta_path.exists():
            try:
                old = json.loads(meta_path.read_text())
            except (ValueError, OSError) as exc:
                raise DASError(f"{meta_path}: unreadable energy store ({exc}); "
                               "use another --out") from None
            for key in SETTINGS_KEYS:
                if json.dumps(old.get(key)) != json.dumps(meta.get(key)):
                    raise DASError(f"{self.dir}: energy store was made with {key}="
                                   f"{old.get(key)}, not {meta.get(key)}; use another --out")
        else:
            self.parts.mkdir(parents=True, exist_ok=True)
            write_json_atomic(meta_path, meta)
        for tmp in self.parts.glob(".part-*"):  # left by a run killed while writing
            tmp.unlink(missing_ok=True)

    def recorded_files(self) -> dict[str, dict[str, Any]] | None:
        """Identities of the files the parts were computed from (None: not recorded)."""
        path = self.dir / "files.json"
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except (ValueError, OSError):
            return None

    def sync_files(self, identities: dict[str, dict[str, Any]], window_ns: int) -> int:
        """Drop the parts made stale by changed input files, then record ``identities``.

        Returns
        -------
        int
            Number of part files removed.
        """
        old = self.recorded_files()
        if old is None:  # a store from before identities were kept: trust nothing
            n_parts = len(list(self.parts.glob("part-*.parquet")))
            if n_parts:
                log.warning("%s: no record of the input files; recomputing all windows",
                            self.dir)
            removed = self.drop_windows(None)
        else:
            stale = stale_windows(old, identities, window_ns)
            removed = self.drop_windows(stale) if stale else 0
            if removed:
                log.warning("%s: input files changed; recomputing %d part file(s)",
                            self.dir, removed)
        write_json_atomic(self.dir / "files.json", identities)
        return removed

    def drop_windows(self, windows: set[int] | None) -> int:
        """Remove every part holding one of ``windows`` (all parts when None)."""
        removed = 0
        for part in sorted(self.parts.glob("part-*.parquet")):
            if windows is not None:
                t = _times_ns(pd.read_parquet(part, columns=["time"])["time"])
                if not windows.intersection(np.unique(t).tolist()):
                    continue
            part.unlink()
            removed += 1
        return removed

    def meta(self) -> dict[str, Any]:
        """Settings and channel table the store was made with."""
        return json.loads((self.dir / "store.json").read_text())

    def finished(self) -> set[int]:
        """Window start times (ns) already written."""
        done: set[int] = set()
        for part in sorted(self.parts.glob("part-*.parquet")):
            t = pd.read_parquet(part, columns=["time"])["time"]
            done.update(np.unique(_times_ns(t)).tolist())
        return done

    def write_part(self, table: pd.DataFrame) -> Path:
        """Write one chunk's windows atomically; the name is unique to its windows."""
        t = _times_ns(table["time"])
        key = hashlib.sha1(np.unique(t).tobytes()).hexdigest()[:10]
        path = self.parts / f"part-{t.min():020d}-{key}.parquet"
        with atomic_path(path) as tmp:
            table.to_parquet(tmp, index=False)
        return path

    def _labels(self, bands: Sequence[tuple[float, float]] | None) -> list[str]:
        from geohazard.das.bands import band_label

        stored = [band_label(tuple(b)) for b in self.meta()["bands"]]
        if bands is None:
            return stored
        labels = [band_label(tuple(b)) for b in bands]
        missing = [lab for lab in labels if lab not in stored]
        if missing:
            raise DASError(f"{self.dir}: store holds bands {stored}, not {missing} (bands "
                           "above the Nyquist frequency are stored clipped)")
        return labels

    def to_array(self, bands: Sequence[tuple[float, float]] | None = None,
                 dtype: Any = np.float32) -> Any:
        """All finished windows as an ``xarray.DataArray`` (band, time, channel).

        Parts are read one at a time into the array, so memory is the array itself
        (float32 by default) rather than a long table.  ``bands`` default to those
        the store was made with.
        """
        import xarray as xr

        parts = sorted(self.parts.glob("part-*.parquet"))
        if not parts:
            raise DASError(f"{self.dir}: no band-energy windows were computed")
        times = np.array(sorted(self.finished()), dtype=np.int64)
        labels = self._labels(bands)
        chans = np.sort(pd.read_parquet(parts[0], columns=["channel"])["channel"].unique())
        data = np.full((len(labels), times.size, chans.size), np.nan, dtype=dtype)
        rows = 0
        for part in parts:
            df = pd.read_parquet(part)
            ti = np.searchsorted(times, _times_ns(df["time"]))
            ci = np.searchsorted(chans, df["channel"].to_numpy())
            for i, lab in enumerate(labels):
                data[i, ti, ci] = df[lab].to_numpy()
            rows += len(df)
        if rows != times.size * chans.size:
            raise DASError(f"{self.dir}: {rows} rows in part files for {times.size} windows "
                           f"x {chans.size} channels (duplicated or missing rows)")
        return xr.DataArray(
            data, dims=("band", "time", "channel"),
            coords={"band": labels, "time": times.astype("datetime64[ns]"), "channel": chans},
            attrs=self._energy_attrs(),
        )

    def _energy_attrs(self) -> dict[str, str]:
        """Name and units of the energy, as recorded from the input files' quantity."""
        meta = self.meta()
        if "energy_units" not in meta:  # a store from before the quantity was recorded
            return {"long_name": "band energy (mean squared strain rate)"}
        name = str(meta.get("definition", "")).split(" of the band-passed")[0]
        return {"long_name": f"band energy ({name})", "units": meta["energy_units"]}

    def load(self) -> pd.DataFrame:
        """All finished windows as one long table sorted by time and channel."""
        parts = sorted(self.parts.glob("part-*.parquet"))
        if not parts:
            raise DASError(f"{self.dir}: no band-energy windows were computed")
        df = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        if df.duplicated(["time", "channel"]).any():
            raise DASError(f"{self.dir}: duplicated windows in part files")
        return df.sort_values(["time", "channel"], ignore_index=True)
