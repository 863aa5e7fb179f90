"""Minimal building blocks for self-contained HTML reports.

Figures are embedded as base64 PNG data URIs, tables are plain HTML, and the page has
no external assets, so a report can be mailed or archived as one file.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from geohazard.io_utils import write_text_atomic

# Marks the body with how many figures decoded (used by the headless-browser test).
_SCRIPT = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-figures-total', String(imgs.length));
  document.body.setAttribute('data-figures-rendered', String(ok));
});
</script>"""

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#222;line-height:1.45}
h1{border-bottom:2px solid #444;padding-bottom:.3rem}h2{margin-top:2rem;color:#333}
table{border-collapse:collapse;margin:.8rem 0;font-size:.92rem}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}
figure{margin:1rem 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.85rem;color:#555}.note{color:#555;font-size:.9rem}
"""


def figure_to_data_uri(fig: Any, dpi: int = 100) -> str:
    """Render a Matplotlib figure to a ``data:image/png;base64,...`` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def png_file_to_data_uri(path: str | Path) -> str:
    """Embed an existing PNG file."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return html.escape(str(value))


class HtmlReport:
    """Accumulate sections, then :meth:`write` one self-contained HTML file."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._parts: list[str] = []

    def heading(self, text: str, level: int = 2) -> HtmlReport:
        """Add a heading."""
        self._parts.append(f"<h{level}>{html.escape(text)}</h{level}>")
        return self

    def paragraph(self, text: str, css_class: str = "") -> HtmlReport:
        """Add a paragraph of escaped text."""
        cls = f' class="{css_class}"' if css_class else ""
        self._parts.append(f"<p{cls}>{html.escape(text)}</p>")
        return self

    def key_values(self, rows: Mapping[str, Any]) -> HtmlReport:
        """Add a two-column table."""
        body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{_cell(v)}</td></tr>"
                       for k, v in rows.items())
        self._parts.append(f"<table>{body}</table>")
        return self

    def table(self, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> HtmlReport:
        """Add a table with a header row."""
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
                       for row in rows)
        self._parts.append(f"<table><tr>{head}</tr>{body}</table>")
        return self

    def figure(self, fig_or_uri: Any, caption: str = "") -> HtmlReport:
        """Add a figure (Matplotlib figure, PNG path or data URI) with a caption."""
        if isinstance(fig_or_uri, str) and fig_or_uri.startswith("data:"):
            uri = fig_or_uri
        elif isinstance(fig_or_uri, (str, Path)):
            uri = png_file_to_data_uri(fig_or_uri)
        else:
            uri = figure_to_data_uri(fig_or_uri)
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self._parts.append(f'<figure><img alt="{html.escape(caption)}" src="{uri}">{cap}</figure>')
        return self

    def render(self) -> str:
        """The whole page as a string."""
        body = "\n".join(self._parts)
        return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head>"
                f"<body><h1>{html.escape(self.title)}</h1>\n{body}\n{_SCRIPT}</body></html>\n")

    def write(self, path: str | Path) -> Path:
        """Write the page atomically and return its path."""
        return write_text_atomic(path, self.render())
