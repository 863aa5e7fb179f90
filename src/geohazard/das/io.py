"""Reading DAS files: DASCore patches and spools, a FORESEE fast path, fiber geometry.

Any format DASCore reads is supported through :func:`dascore.spool`.  FORESEE-layout
HDF5 files (a ``raw`` dataset of shape ``(time, channel)`` and a ``timestamp`` dataset
of POSIX seconds) are read by DASCore as ``H5Simple``; for contiguous uncompressed
files a zero-copy memory map is used for streaming instead (same numbers, tested
against DASCore).  A DASCore ``Spool`` or ``Patch`` is a source too
(:func:`scan_source`): its patches are described like files and read from the spool
when their windows are computed.

Conventions
-----------
* Sample arrays handed to the energy kernels are ``(time, channel)``.
* Absolute times are int64 nanoseconds since the UNIX epoch, UTC.
* A channel is the index along the fiber axis of the file; its position along the
  fiber (``distance_m``) comes from the file's distance coordinate, from a supplied
  channel spacing, or from a geometry (tap-test) table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from geohazard.das.geometry import channel_table, read_geometry
from geohazard.exceptions import DASError, DataFileNotFoundError

__all__ = ["DASFile", "SliceReader", "channel_table", "read_geometry", "read_patch",
           "scan_file", "scan_path", "scan_source", "scan_spool", "with_distance"]

log = logging.getLogger(__name__)

DAS_SUFFIXES = (".h5", ".hdf5", ".hdf", ".tdms", ".segy", ".sgy", ".dat", ".bin")
NS = 1_000_000_000


@dataclass(frozen=True)
class DASFile:
    """Metadata of one DAS file, enough to read any time slice of it.

    Attributes
    ----------
    path
        File path.
    fmt
        ``"FORESEE"`` (fast path) or DASCore's format name.
    t0_ns
        Time of the first sample, ns since the epoch (UTC).
    dt_ns
        Sampling interval in ns (float: interrogator clocks are not whole ns).
    n_time, n_channel
        Number of samples and of channels.
    distance
        Distance coordinate of the channels in m, or None when the file has none.
    data_type, data_units
        Quantity and units as the file states them ("" when unknown).
    """

    path: Path
    fmt: str
    t0_ns: int
    dt_ns: float
    n_time: int
    n_channel: int
    distance: tuple[float, ...] | None = None
    data_type: str = ""
    data_units: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def fs(self) -> float:
        """Sampling rate in Hz."""
        return NS / self.dt_ns

    @property
    def t_end_ns(self) -> float:
        """End of the last sample's interval (exclusive), ns."""
        return self.t0_ns + self.n_time * self.dt_ns

    @cached_property
    def quantity(self) -> Any:
        """What the samples are (:class:`~geohazard.das.quantity.Quantity`), from the file."""
        from geohazard.das.quantity import quantity_of

        return quantity_of(self.data_type, self.data_units or None, source=str(self.path))

    def index_at(self, t_ns: float) -> int:
        """First sample index whose time is >= ``t_ns`` (clipped to [0, n_time])."""
        k = int(np.ceil((t_ns - self.t0_ns) / self.dt_ns - 1e-6))
        return min(max(k, 0), self.n_time)


def _is_foresee(h5: Any) -> bool:
    return "raw" in h5 and "timestamp" in h5 and h5["raw"].ndim == 2


def _timestamps_to_ns(ts: np.ndarray, path: Path) -> np.ndarray:
    ts = np.asarray(ts)
    if np.issubdtype(ts.dtype, np.datetime64):
        return ts.astype("datetime64[ns]").astype(np.int64).astype(np.float64)
    ts = ts.astype(np.float64)
    mag = np.nanmax(np.abs(ts)) if ts.size else 0.0
    if mag > 1e17:  # already ns
        return ts
    if mag > 1e14:  # us
        return ts * 1e3
    if mag > 1e11:  # ms
        return ts * 1e6
    return ts * 1e9  # s


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _scan_foresee(path: Path) -> DASFile:
    import h5py

    with h5py.File(path, "r") as h5:
        raw, ts_ds = h5["raw"], h5["timestamp"]
        n_ts = ts_ds.shape[0]
        if raw.shape[0] == n_ts:
            transposed = False
        elif raw.shape[1] == n_ts:
            transposed = True
        else:
            raise DASError(
                f"{path}: 'timestamp' has {n_ts} values but 'raw' has shape {raw.shape}"
            )
        ts = _timestamps_to_ns(ts_ds[:], path)
        offset = raw.id.get_offset() if raw.chunks is None and raw.compression is None else None
        dtype = raw.dtype
        shape = raw.shape
        units = _text(raw.attrs.get("units", b""))
        data_type = _text(raw.attrs.get("data_type", b""))
    if ts.size < 2:
        raise DASError(f"{path}: fewer than 2 timestamps; cannot infer the sampling rate")
    dt_med = float(np.median(np.diff(ts)))
    if not dt_med > 0:
        raise DASError(f"{path}: timestamps are not increasing")
    # the whole span averages out the rounding of float POSIX seconds (~0.2 us)
    dt = float((ts[-1] - ts[0]) / (ts.size - 1))
    if abs(dt / dt_med - 1) > 1e-3:
        raise DASError(f"{path}: timestamps are irregular (gap inside the file); "
                       "split the file at the gap")
    n_time, n_ch = (shape[1], shape[0]) if transposed else shape
    return DASFile(
        path=path, fmt="FORESEE", t0_ns=int(round(ts[0])), dt_ns=dt, n_time=int(n_time),
        n_channel=int(n_ch), data_units=units, data_type=data_type,
        extra={"offset": offset, "dtype": str(dtype), "shape": shape, "transposed": transposed},
    )


def _scan_dascore(path: Path) -> list[DASFile]:
    import dascore as dc

    try:
        attrs_list = dc.scan(path)
    except Exception as exc:  # DASCore raises many types for unreadable files
        raise DASError(f"{path}: DASCore cannot read this file ({exc})") from None
    out = []
    for attrs in attrs_list:
        dims = tuple(attrs.dim_tuple)
        if "time" not in dims or len(dims) != 2:
            raise DASError(f"{path}: expected 2-D (time, distance/channel) data, got {dims}")
        tc = attrs.coords["time"]
        dt_ns = float(np.timedelta64(tc.step, "ns").astype(np.int64))
        t0 = int(np.datetime64(tc.min, "ns").astype(np.int64))
        n_time = int(round((np.datetime64(tc.max, "ns").astype(np.int64) - t0) / dt_ns)) + 1
        other = [d for d in dims if d != "time"][0]
        oc = attrs.coords[other]
        n_ch = int(round((float(oc.max) - float(oc.min)) / float(oc.step))) + 1
        distance = None
        if other == "distance":
            distance = tuple(float(oc.min) + float(oc.step) * np.arange(n_ch))
        out.append(DASFile(
            path=path, fmt=str(attrs.file_format), t0_ns=t0, dt_ns=dt_ns, n_time=n_time,
            n_channel=n_ch, distance=distance, data_type=str(attrs.data_type or ""),
            data_units=_units(attrs.data_units), extra={"other_dim": other},
        ))
    return out


def _units(units: Any) -> str:
    from geohazard.das.quantity import units_text

    return units_text(units)


def scan_file(path: str | Path) -> list[DASFile]:
    """Describe the data in one file without loading it.

    Parameters
    ----------
    path
        A DAS file in any format DASCore reads (FORESEE HDF5 included).

    Returns
    -------
    list of DASFile
        Usually one entry; several when a file holds several patches.

    Raises
    ------
    DASError
        The file is unreadable or is not DAS data that DASCore or the FORESEE reader
        recognises (an unknown HDF5 layout is an error, never an empty result).
    """
    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"{p}: DAS file not found")
    if p.is_dir():
        raise DASError(f"{p}: is a directory; scan it with scan_path")
    if p.suffix.lower() in (".h5", ".hdf5", ".hdf"):
        import h5py

        try:
            with h5py.File(p, "r") as h5:
                foresee = _is_foresee(h5)
        except OSError as exc:
            raise DASError(f"{p}: not a readable HDF5 file ({exc})") from None
        if foresee:
            return [_scan_foresee(p)]
    infos = _scan_dascore(p)
    if not infos:
        raise DASError(f"{p}: not a DAS file (neither DASCore nor the FORESEE reader "
                       "recognises its layout)")
    return infos


def scan_path(path: str | Path, skip_unknown: bool = False) -> list[DASFile]:
    """Describe one file or every DAS file under a directory, sorted by start time.

    Parameters
    ----------
    path
        A DAS file or a directory searched recursively for :data:`DAS_SUFFIXES`.
    skip_unknown
        In a directory, skip files that are not readable DAS data with a warning
        naming each (CLI ``--skip-unknown``); by default such a file is an error, so
        data are never left out without a word.

    Raises
    ------
    DASError
        Unreadable or unrecognised files (unless skipped), files that overlap in time
        (samples would be counted twice), or that disagree on sampling rate or
        channel count.
    """
    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"{p}: DAS file or directory not found")
    if not p.is_dir():
        infos = scan_file(p)
    else:
        files = sorted(f for f in p.rglob("*") if f.is_file()
                       and f.suffix.lower() in DAS_SUFFIXES and not f.name.startswith("."))
        if not files:
            raise DASError(f"{p}: no DAS files ({', '.join(DAS_SUFFIXES)}) in directory")
        infos = []
        for f in files:
            try:
                infos.extend(scan_file(f))
            except DASError as exc:
                if not skip_unknown:
                    raise DASError(f"{exc} (pass --skip-unknown to leave such files out)"
                                   ) from None
                log.warning("skipping %s: %s", f, exc)
        if not infos:
            raise DASError(f"{p}: none of the {len(files)} files is readable DAS data")
    infos.sort(key=lambda f: f.t0_ns)
    check_consistent(infos)
    return infos


def check_consistent(infos: list[DASFile]) -> None:
    """Raise if files overlap in time or differ in sampling rate or channel count."""
    first = infos[0]
    for prev, cur in zip(infos[:-1], infos[1:], strict=True):
        if cur.t0_ns < prev.t_end_ns - 0.5 * prev.dt_ns:
            raise DASError(f"{cur.path}: starts before the end of {prev.path} "
                           "(overlapping files would be counted twice)")
    for info in infos[1:]:
        if abs(info.dt_ns - first.dt_ns) > 1e-6 * first.dt_ns:
            raise DASError(f"{info.path}: sampling rate {info.fs:.6g} Hz differs from "
                           f"{first.fs:.6g} Hz of {first.path}")
        if info.n_channel != first.n_channel:
            raise DASError(f"{info.path}: {info.n_channel} channels, but {first.path} has "
                           f"{first.n_channel}")


class SliceReader:
    """Read ``(time, channel)`` slices of :class:`DASFile` objects, one file open at a time.

    FORESEE files stored contiguously are memory-mapped; every other format is read
    with DASCore (the current file's patch is kept, so memory is bounded by one file).
    """

    def __init__(self, channels: slice | None = None) -> None:
        self.channels = channels if channels is not None else slice(None)
        self._key: Path | None = None
        self._array: Any = None
        self._times: np.ndarray | None = None

    def _open(self, info: DASFile) -> Any:
        if self._key == info.path:
            return self._array
        self.close()
        if info.fmt == "FORESEE":
            self._array = _open_foresee(info)
            self._times = None
        else:  # DASCore's loaded coordinates are the truth (scans may be off by a sample)
            patch = _memory_patch(info) if info.fmt == MEMORY else read_patch(info.path)
            patch = patch.transpose("time", ...)
            self._array = patch.data
            self._times = patch.get_coord("time").values.astype("datetime64[ns]").astype(
                np.int64)
        self._key = info.path
        return self._array

    def read(self, info: DASFile, i0: int, i1: int) -> np.ndarray:
        """Samples ``i0:i1`` of ``info`` for the selected channels, shape ``(time, channel)``."""
        arr = self._open(info)
        if info.extra.get("transposed"):
            return np.asarray(arr[self.channels, i0:i1]).T
        return np.asarray(arr[i0:i1, self.channels])

    def read_range(self, info: DASFile, t_lo: float, t_hi: float) -> np.ndarray:
        """Samples with times in ``[t_lo, t_hi)`` (ns), shape ``(time, channel)``."""
        self._open(info)
        if self._times is None:
            return self.read(info, info.index_at(t_lo), info.index_at(t_hi))
        i0, i1 = np.searchsorted(self._times, [t_lo, t_hi], side="left")
        return self.read(info, int(i0), int(i1))

    def close(self) -> None:
        """Release the open file."""
        h5 = getattr(self._array, "_h5file", None)
        if h5 is not None:
            h5.close()
        self._array, self._key = None, None


class _H5Array:
    """Thin wrapper keeping an h5py file open for dataset slicing."""

    def __init__(self, path: Path) -> None:
        import h5py

        self._h5file = h5py.File(path, "r")
        self._ds = self._h5file["raw"]

    def __getitem__(self, key: Any) -> np.ndarray:
        return self._ds[key]


def _open_foresee(info: DASFile) -> Any:
    offset = info.extra.get("offset")
    if offset is not None:
        return np.memmap(info.path, dtype=np.dtype(info.extra["dtype"]), mode="r",
                         offset=offset, shape=tuple(info.extra["shape"]))
    return _H5Array(info.path)


def read_patch(path: str | Path, spacing_m: float | None = None) -> Any:
    """Read a file as one DASCore :class:`~dascore.Patch` with dims ``(time, distance)``.

    Parameters
    ----------
    path
        Any file DASCore reads (FORESEE HDF5 is DASCore's ``H5Simple``).
    spacing_m
        Channel spacing to supply when the file has channel numbers but no distances;
        ignored (with a log message) when the file has a distance coordinate.

    Returns
    -------
    dascore.Patch
    """
    import dascore as dc

    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"{p}: DAS file not found")
    try:
        spool = dc.spool(p)
        patch = spool[0] if len(spool) == 1 else spool.chunk(time=None)[0]
    except Exception as exc:  # DASCore raises many types for unreadable files
        raise DASError(f"{p}: DASCore cannot read this file ({exc})") from None
    return with_distance(patch, spacing_m)


def with_distance(patch: Any, spacing_m: float | None = None) -> Any:
    """Return ``patch`` with a ``distance`` dim (m), supplying spacing if needed."""
    dims = patch.dims
    if "distance" in dims:
        if spacing_m is not None:
            log.info("file has a distance coordinate; --spacing %s ignored", spacing_m)
        return patch
    other = [d for d in dims if d != "time"]
    if len(other) != 1:
        raise DASError(f"patch dims {dims}: expected time and one fiber axis")
    n = patch.shape[dims.index(other[0])]
    step = 1.0 if spacing_m is None else float(spacing_m)
    if step <= 0:
        raise DASError(f"channel spacing must be positive, got {spacing_m}")
    ch = np.asarray(patch.get_coord(other[0]).values, dtype=float)
    dist = (ch - ch[0]) * step if ch.size == n else np.arange(n) * step
    return patch.rename_coords(**{other[0]: "distance"}).update_coords(distance=dist)


# ---------------------------------------------------------------- in-memory sources
MEMORY = "memory"  # DASFile.fmt of a patch held by a DASCore spool (no file to stream)


def is_patch(obj: Any) -> bool:
    """True for a DASCore :class:`~dascore.Patch` (duck-typed: no DASCore import)."""
    return hasattr(obj, "attrs") and hasattr(obj, "get_coord") and hasattr(obj, "dims")


def is_spool(obj: Any) -> bool:
    """True for a DASCore spool (duck-typed: no DASCore import)."""
    return hasattr(obj, "get_contents") and hasattr(obj, "chunk")


def _memory_patch(info: DASFile) -> Any:
    return info.extra["spool"][info.extra["index"]]


def describe_patch(patch: Any, name: str, spool: Any = None, index: int = 0) -> DASFile:
    """A :class:`DASFile` for a patch held in memory (or read on demand from ``spool``).

    ``name`` stands for the file in messages and in the store's record.
    """
    dims = tuple(patch.dims)
    if "time" not in dims or len(dims) != 2:
        raise DASError(f"{name}: expected 2-D (time, distance/channel) data, got {dims}")
    times = np.asarray(patch.get_coord("time").values).astype("datetime64[ns]").astype(np.int64)
    if times.size < 2:
        raise DASError(f"{name}: holds {times.size} time sample(s); need at least 2")
    dt = float((times[-1] - times[0]) / (times.size - 1))
    if not dt > 0:
        raise DASError(f"{name}: patch times are not increasing")
    other = [d for d in dims if d != "time"][0]
    distance = None
    if other == "distance":
        distance = tuple(np.asarray(patch.get_coord("distance").values, dtype=float).tolist())
    attrs = patch.attrs
    return DASFile(
        path=Path(name), fmt=MEMORY, t0_ns=int(times[0]), dt_ns=dt, n_time=int(times.size),
        n_channel=int(patch.shape[dims.index(other)]), distance=distance,
        data_type=str(attrs.data_type or ""), data_units=_units(attrs.data_units),
        extra={"spool": spool if spool is not None else [patch], "index": index,
               "other_dim": other, "nbytes": int(patch.data.nbytes)},
    )


def scan_spool(spool: Any, name: str = "spool") -> list[DASFile]:
    """Describe every patch of a DASCore spool (or a lone patch), sorted by start time.

    A patch that is a whole file of a file or directory spool is described as that file
    (streamed like a path: memory-mapped FORESEE, resumable store keyed on the file);
    any other patch (in memory, or cut by ``spool.select``) is read from the spool when
    its windows are computed, one at a time.
    """
    if is_patch(spool):
        infos = [describe_patch(spool, f"<{name}>")]
    else:
        contents = spool.get_contents()
        if contents.empty:
            raise DASError(f"<{name}>: the spool holds no patches")
        base = Path(str(getattr(spool, "spool_path", "")))
        infos = []
        for i, row in enumerate(contents.itertuples(index=False)):
            path = _file_of(getattr(row, "path", None), base)
            whole = _whole_file(path, row) if path is not None else None
            infos.append(whole or describe_patch(spool[i], str(path or f"<{name} patch {i}>"),
                                                 spool, i))
    infos.sort(key=lambda f: f.t0_ns)
    check_consistent(infos)
    return infos


def _file_of(path: Any, base: Path) -> Path | None:
    """The existing file a spool row names (relative to a directory spool), or None."""
    if path is None or str(path) in ("", "nan", "None"):
        return None
    p = Path(str(path))
    for cand in (p, base / str(path).lstrip("/")):
        if cand.is_file():
            return cand
    return None


def _whole_file(path: Path, row: Any) -> DASFile | None:
    """The scan of ``path`` when the spool row spans that whole patch of it (no cut)."""
    try:
        scans = scan_file(path)
    except DASError:
        return None
    t0 = int(np.datetime64(row.time_min, "ns").astype(np.int64))
    t1 = int(np.datetime64(row.time_max, "ns").astype(np.int64))
    for info in scans:
        last = info.t0_ns + (info.n_time - 1) * info.dt_ns
        if abs(info.t0_ns - t0) <= info.dt_ns / 2 and abs(last - t1) <= 1.5 * info.dt_ns:
            return info
    return None


def scan_source(source: Any, skip_unknown: bool = False) -> list[DASFile]:
    """Describe a DAS source: a file or directory path, a DASCore spool or a patch.

    Paths go through :func:`scan_path` (streamed from the files, resumable); spools and
    patches through :func:`scan_spool`.  A list of :class:`DASFile` is returned as is.
    """
    if isinstance(source, list) and all(isinstance(f, DASFile) for f in source):
        if not source:
            raise DASError("no DAS files to process")
        return source
    if is_patch(source) or is_spool(source):
        return scan_spool(source, "patch" if is_patch(source) else "spool")
    if isinstance(source, str | Path):
        return scan_path(source, skip_unknown=skip_unknown)
    raise DASError(f"DAS source {type(source).__name__!r}: expected a file or directory "
                   "path, a DASCore Spool or a Patch")


def source_name(source: Any) -> str:
    """How messages name a DAS source: its path, ``<spool>`` or ``<patch>``."""
    if is_patch(source):
        return "<patch>"
    if is_spool(source):
        return "<spool>"
    if isinstance(source, list) and source and isinstance(source[0], DASFile):
        return str(source[0].path) if len(source) == 1 else str(source[0].path.parent)
    return str(source)
