"""Self-contained HTML report of a DAS storm-noise analysis (figures inlined as PNG)."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import pandas as pd

from geohazard.io_utils import write_text_atomic

_CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#eee}
img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}h2{border-bottom:1px solid #ccc}"""


def _img(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(Path(path).stem)}" src="data:image/png;base64,{data}">'


def _table(df: pd.DataFrame, max_rows: int = 30) -> str:
    if df is None or df.empty:
        return "<p><em>none</em></p>"
    return df.head(max_rows).to_html(index=False, float_format=lambda v: f"{v:.4g}",
                                      border=0, escape=True)


def _kv(summary: dict[str, Any]) -> str:
    keys = ["n_files", "n_channels", "fs_hz", "data_duration_s", "n_windows", "window_s",
            "bands", "energy_x_realtime", "n_dry_windows", "window_classes", "wind_band",
            "wind_response", "pole_channels", "drain_channels", "resonance_peak_hz"]
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(_fmt(summary.get(k)))}</td>"
                   "</tr>" for k in keys if k in summary)
    return f"<table>{rows}</table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


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
    """Write ``report.html`` for an :class:`~geohazard.das.pipeline.AnalysisResult`."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>DAS storm noise"
             f"</title><style>{_CSS}</style></head><body>",
             "<h1>DAS storm noise analysis</h1>",
             "<p>Band energy is the mean squared band-passed strain rate per channel and "
             "window (Parseval, ideal band). Wind fits use dry windows; rain fits use the "
             "rain rate averaged over each window.</p>",
             "<h2>Summary</h2>", _kv(res.summary)]
    fig_order = [k for k in figures if k.startswith("waterfall")] + \
        [k for k in ("wind_sensitivity", "wind_fit", "map", "spectra", "resonance_wind",
                "event_slopes") if k in figures]
    parts.append("<h2>Figures</h2>")
    parts += [_img(figures[k]) for k in fig_order]
    parts += ["<h2>Sources along the fiber</h2>", _table(res.sources),
              "<h2>Storm events</h2>", _table(res.events),
              "<h2>Resonances of pole channels (1-8 Hz)</h2>",
              _table(getattr(res, "resonance_fits", None)),
              "<h2>Strongest wind sensitivity</h2>",
              _table(res.wind_fits.nlargest(15, "slope")),
              "<h2>Event slope against rain volume (drain channels)</h2>",
              _table(res.volume_fits),
              "</body></html>"]
    return write_text_atomic(path, "\n".join(parts))
