"""Noise sources along the fiber: channels whose sensitivity stands out, grouped.

A channel is a candidate when its slope (wind sensitivity for poles, rain sensitivity
for drains) is positive, well fitted (R² >= ``r2_min``) and stands out of the fiber's
typical value by a robust z-score ``(slope - median) / (1.4826 MAD) >= z_min``.
Candidates closer than ``max_gap`` channels form one source, located at its most
sensitive channel and mapped with the channel table (distance, x/y or lat/lon).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SOURCE_COLUMNS = ["kind", "source", "channel_start", "channel_end", "peak_channel",
                  "n_channels", "peak_slope", "peak_r2", "distance_m"]


def robust_z(values: np.ndarray) -> np.ndarray:
    """Robust z-score: (v - median) / (1.4826 * MAD), NaN-aware."""
    v = np.asarray(values, float)
    if not np.isfinite(v).any():
        return np.full(v.shape, np.nan)
    med = np.nanmedian(v)
    mad = 1.4826 * np.nanmedian(np.abs(v - med))
    if not mad > 0:
        mad = np.nanstd(v) or 1.0
    return (v - med) / mad


def candidates(fits: pd.DataFrame, z_min: float = 4.0, r2_min: float = 0.5) -> np.ndarray:
    """Boolean mask of candidate channels in a per-channel fit table."""
    z = robust_z(fits["slope"].to_numpy())
    ok = (fits["slope"] > 0) & (fits["r2"] >= r2_min) & (z >= z_min)
    return ok.to_numpy(bool)


def group_sources(fits: pd.DataFrame, mask: np.ndarray, kind: str,
                  channels: pd.DataFrame | None = None, max_gap: int = 1) -> pd.DataFrame:
    """Group candidate channels (``mask``) into sources and locate them.

    Parameters
    ----------
    fits
        Per-channel fits with ``channel``, ``slope``, ``r2``.
    mask
        Candidate channels (same rows as ``fits``).
    kind
        Label, e.g. ``"pole"`` or ``"drain"``.
    channels
        Channel table (``channel``, ``distance_m`` and optional ``x``, ``y``,
        ``latitude``, ``longitude``) to map the sources.
    max_gap
        Largest gap (in channels) inside one source.
    """
    sel = fits.loc[mask].sort_values("channel")
    if sel.empty:
        return pd.DataFrame(columns=SOURCE_COLUMNS)
    ch = sel["channel"].to_numpy()
    breaks = np.flatnonzero(np.diff(ch) > max_gap + 1) + 1
    rows = []
    for k, idx in enumerate(np.split(np.arange(ch.size), breaks)):
        part = sel.iloc[idx]
        peak = part.loc[part["slope"].idxmax()]
        row = {"kind": kind, "source": k, "channel_start": int(part["channel"].min()),
               "channel_end": int(part["channel"].max()), "peak_channel": int(peak["channel"]),
               "n_channels": len(part), "peak_slope": float(peak["slope"]),
               "peak_r2": float(peak["r2"])}
        row.update(_locate(int(peak["channel"]), channels))
        rows.append(row)
    return pd.DataFrame(rows)


def _locate(channel: int, channels: pd.DataFrame | None) -> dict[str, float]:
    if channels is None:
        return {"distance_m": float("nan")}
    hit = channels.loc[channels["channel"] == channel]
    if hit.empty:
        return {"distance_m": float("nan")}
    cols = [c for c in ("distance_m", "x", "y", "z", "latitude", "longitude") if c in hit]
    return {c: float(hit.iloc[0][c]) for c in cols}


def find_sources(wind_fits: pd.DataFrame, rain_fits: pd.DataFrame | None,
                 channels: pd.DataFrame | None = None, z_min: float = 4.0,
                 r2_min: float = 0.5, max_gap: int = 1) -> pd.DataFrame:
    """Pole candidates from wind fits and drain candidates from rain fits, grouped."""
    parts = [group_sources(wind_fits, candidates(wind_fits, z_min, r2_min), "pole",
                           channels, max_gap)]
    if rain_fits is not None and not rain_fits.empty:
        parts.append(group_sources(rain_fits, candidates(rain_fits, z_min, r2_min), "drain",
                                   channels, max_gap))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=SOURCE_COLUMNS)
    return pd.concat(parts, ignore_index=True)
