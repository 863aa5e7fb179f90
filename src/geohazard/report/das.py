"""Self-contained HTML report of a DAS storm-noise analysis (figures inlined as PNG)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

_CAPTIONS = {
    "wind_sensitivity": "Wind slope of every channel along the fiber with its 95% interval; "
                        "red points mark the wind-sensitive stretches (light poles).",
    "wind_fit": "Band RMS against wind speed in dry windows at the most wind-sensitive "
                "channel, with the fitted line.",
    "map": "The fiber in map view, each channel coloured by its wind slope; triangles mark "
           "light poles, squares storm drains.",
    "spectra": "Power spectral density of the most wind-sensitive pole channel in its calmest "
               "and its windiest dry window: the resonance peak grows with wind.",
    "resonance_wind": "Resonance amplitude (square root of the 1-8 Hz PSD) of each pole "
                      "channel against wind speed.",
    "event_slopes": "Slope of energy against rain rate per storm event, against the event's "
                    "rain volume, at a storm-drain channel.",
}


def _caption(name: str, quantity: Any) -> str:
    if name.startswith("waterfall_"):
        band = _band(name.removeprefix("waterfall_"))
        ref = f"dB re 1 {quantity.energy_units}" if quantity is not None else "dB"
        return (f"Band energy in {band} ({ref}) of every channel (distance along the fiber) "
                "in every window (time).")
    return _CAPTIONS.get(name, name.replace("_", " "))


def _table(df: pd.DataFrame, max_rows: int = 30) -> str:
    if df is None or df.empty:
        return "<p><em>none</em></p>"
    return df.head(max_rows).to_html(index=False, float_format=lambda v: f"{v:.4g}",
                                      border=0, escape=True)


def _kv(summary: dict[str, Any]) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                   for k, v in summary_rows(summary) if k != "report")
    return f"<table class='summary'>{rows}</table>"


def _num(value: Any, digits: int = 3) -> str:
    """A number for people: ``1234.5`` -> ``'1,234'``, ``0.01234`` -> ``'0.0123'``."""
    if value is None:
        return "n/a"
    v = float(value)
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def _band(label: str) -> str:
    """``'0.5-8Hz'`` -> ``'0.5-8 Hz'``."""
    return label[:-2] + " Hz" if str(label).endswith("Hz") else str(label)


def channel_ranges(channels: list[int]) -> str:
    """``[1, 2, 3, 7, 9, 10]`` -> ``'1-3, 7, 9-10'`` (``'none found'`` when empty)."""
    chans = sorted({int(c) for c in channels})
    if not chans:
        return "none found"
    runs, start = [], chans[0]
    for prev, cur in zip(chans, chans[1:] + [None], strict=True):
        if cur is None or cur != prev + 1:
            runs.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = cur
    return ", ".join(runs)


def _duration(seconds: float) -> str:
    s = float(seconds)
    if s >= 2 * 86400:
        return f"{s / 86400:.1f} days"
    if s >= 2 * 3600:
        return f"{s / 3600:.1f} h"
    if s >= 120:
        return f"{s / 60:.1f} min"
    return f"{_num(s)} s"


_RESPONSE = {"rms": "band RMS", "energy": "band energy", "db": "band energy in dB"}


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The summary of an analysis as ``(label, text)`` rows for people: units, no reprs."""
    s = summary
    rows: list[tuple[str, str]] = []
    if "n_files" in s:
        rows.append(("data", f"{s['n_files']} file(s), {s.get('n_channels', '?')} channels, "
                             f"{_duration(s.get('data_duration_s', 0))} sampled at "
                             f"{_num(s.get('fs_hz'))} Hz"))
    if "quantity" in s:
        what = str(s["quantity"]).replace("_", " ")
        units = s.get("data_units") or "units not stated in the file"
        rows.append(("quantity recorded", f"{what} ({units})"))
        rows.append(("band energy", f"{s.get('energy', 'band energy')}, in "
                                    f"{s.get('energy_units', '')}"))
    if "n_windows" in s:
        rows.append(("windows", f"{s['n_windows']} of {_num(s.get('window_s'))} s; "
                                f"{s.get('n_dry_windows', 0)} dry"))
    if s.get("bands"):
        rows.append(("bands", ", ".join(_band(b) for b in s["bands"])))
    if s.get("window_classes"):
        rows.append(("window classes", ", ".join(
            f"{str(k).replace('_', ' ')} {v}" for k, v in s["window_classes"].items())))
    if "energy_x_realtime" in s:
        rows.append(("computing speed", f"{_num(s['energy_x_realtime'])} times real time "
                                        f"({_num(s.get('energy_seconds'))} s)"))
    if "wind_band" in s:
        units = f"; slopes in {s['wind_response_units']} per m/s" \
            if s.get("wind_response_units") else ""
        rows.append(("wind response", f"{_RESPONSE.get(s.get('wind_response'), 'response')} "
                                      f"in {_band(s['wind_band'])}, fitted on dry windows"
                                      f"{units}"))
    rows += _finding_rows(s)
    return rows


def _finding_rows(s: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    if "pole_channels" in s:
        rows.append(("wind-sensitive channels (light poles)", channel_ranges(s["pole_channels"])))
    if "drain_channels" in s:
        rows.append(("rain-sensitive channels (storm drains)",
                     channel_ranges(s["drain_channels"])))
    if "events" in s:
        rows.append(("storm events", str(len(s["events"]))))
    peaks = s.get("resonance_peak_hz") or {}
    if peaks:
        shown = [f"channel {ch}: {_num(hz)} Hz" for ch, hz in list(peaks.items())[:6]]
        more = f" (and {len(peaks) - 6} more)" if len(peaks) > 6 else ""
        rows.append(("resonance peaks", "; ".join(shown) + more))
    if s.get("geopackage"):
        rows.append(("channels for GIS", f"{s['geopackage']} (channels and sources layers)"))
    if s.get("report"):
        rows.append(("report", str(s["report"])))
    return rows


def render_analysis(res: Any, cfg: Any) -> dict[str, Any]:
    """Figures (``cfg.figures``) and ``report.html`` (``cfg.report``) of an analysis.

    The ``render`` step of :func:`geohazard.das.pipeline.analyze`: writes under
    ``res.out_dir`` and returns the summary entries it adds (``report``).
    """
    from geohazard.plotting.das import save_analysis_figures

    figures = save_analysis_figures(res, res.out_dir / "figures") if cfg.figures else {}
    if not cfg.report:
        return {}
    return {"report": str(write_report(res, res.out_dir / "report.html", figures))}


def write_report(res: Any, path: str | Path, figures: dict[str, Path]) -> Path:
    """Write ``report.html`` for an :class:`~geohazard.das.pipeline.AnalysisResult`.

    Built on the reports' base layout (:class:`~geohazard.report._html.HtmlReport`): contents,
    captions, embedded figures and styles, offline from a file.
    """
    from geohazard.report._html import HtmlReport

    q = getattr(res, "quantity", None)
    energy = f"{q.energy_name} ({q.energy_units})" if q is not None else \
        "mean square of the band-passed signal"
    rep = HtmlReport("DAS storm noise analysis")
    rep.paragraph(f"Band energy is the {energy} of the band-passed signal per channel and "
                  "window (Parseval, ideal band); decibels are relative to 1 in those units. "
                  "Wind fits use dry windows; rain fits use the rain rate averaged over each "
                  "window.")
    rep.heading("Summary").html(_kv(res.summary))
    fig_order = [k for k in figures if k.startswith("waterfall")] + \
        [k for k in ("wind_sensitivity", "wind_fit", "map", "spectra", "resonance_wind",
                "event_slopes") if k in figures]
    rep.heading("Figures")
    for k in fig_order:
        rep.figure(figures[k], _caption(k, q))
    wind_units = res.wind_fits["response_units"].iat[0] \
        if "response_units" in res.wind_fits and len(res.wind_fits) else "response units"
    rep.heading("Sources along the fiber").html(_table(res.sources))
    rep.heading("Storm events").html(_table(res.events))
    rep.heading("Resonances of pole channels (1-8 Hz)").html(
        _table(getattr(res, "resonance_fits", None)))
    rep.heading("Strongest wind sensitivity").paragraph(
        f"Slope in {wind_units} per m/s of wind, with its 95% interval (slope_lo, slope_hi).")
    rep.html(_table(res.wind_fits.nlargest(15, "slope")))
    rep.heading("Event slope against rain volume (drain channels)").html(_table(res.volume_fits))
    return rep.write(path)
