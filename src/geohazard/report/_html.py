"""Self-contained HTML reports built from one Jinja2 layout (``templates/base.html``).

A report is a title, a summary of headline figures and verdicts in plain words, links to
related reports, and sections (one per ``heading``) of paragraphs, tables and figures. The
layout adds the table of contents (one entry per section), the styles and a small embedded
script (click a figure to zoom it; figure counts for the browser tests): a report has no
external assets, so it opens offline from a file and can be mailed or archived as one file.
"""

from __future__ import annotations

import base64
import io
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from geohazard.io_utils import write_text_atomic
from geohazard.report._format import fmt

__all__ = ["HtmlReport", "figure_to_data_uri", "png_file_to_data_uri"]


def figure_to_data_uri(fig: Any, dpi: int = 100) -> str:
    """Render a Matplotlib figure to a ``data:image/png;base64,...`` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def png_file_to_data_uri(path: str | Path) -> str:
    """Embed an existing PNG file."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


@cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("geohazard.report", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["fmt"] = fmt
    env.tests["number_value"] = lambda v: isinstance(v, int | float) and not isinstance(v, bool)
    return env


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, i = base, 2
    while slug in taken:
        slug, i = f"{base}-{i}", i + 1
    taken.add(slug)
    return slug


@dataclass
class _Section:
    title: str
    id: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


class HtmlReport:
    """Accumulate a summary and sections, then :meth:`write` one self-contained HTML file.

    Parameters
    ----------
    title
        Page title and top heading.
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.intro: list[dict[str, Any]] = []
        self.verdicts: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.sections: list[_Section] = []
        self._ids: set[str] = {"summary", "contents", "related"}

    # -- structure ----------------------------------------------------------------------
    def _add(self, block: dict[str, Any]) -> HtmlReport:
        (self.sections[-1].blocks if self.sections else self.intro).append(block)
        return self

    def heading(self, text: str, level: int = 2) -> HtmlReport:
        """Start a section (level 2, listed in the contents) or add a sub-heading (3+)."""
        if level <= 2:
            self.sections.append(_Section(text, _slug(text, self._ids)))
            return self
        return self._add({"kind": "subheading", "text": text, "level": min(level, 6)})

    def summary(self, text: str, tone: str = "info") -> HtmlReport:
        """Add a headline figure or verdict in plain words to the summary at the top.

        ``tone`` is ``"info"``, ``"good"`` or ``"warn"`` (a warning is flagged in colour
        and with the word "Warning" for readers who do not see the colour).
        """
        if tone not in ("info", "good", "warn"):
            raise ValueError(f"summary tone must be info, good or warn, got {tone!r}")
        self.verdicts.append({"text": text, "tone": tone})
        return self

    def link(self, text: str, target: str | Path, note: str = "",
             base: str | Path | None = None) -> HtmlReport:
        """Link a related report; ``target`` is made relative to ``base`` (the report's folder).

        A relative link resolves from the folder the report is written into, wherever the
        reader opens it from.
        """
        href = Path(target)
        if base is not None:
            href = Path(os.path.relpath(Path(target).resolve(), Path(base).resolve()))
        self.links.append({"text": text, "href": href.as_posix(), "note": note})
        return self

    # -- content ------------------------------------------------------------------------
    def paragraph(self, text: str, css_class: str = "") -> HtmlReport:
        """Add a paragraph of (escaped) text; ``css_class="note"`` for a side remark."""
        return self._add({"kind": "paragraph", "text": text, "css": css_class})

    def key_values(self, rows: Mapping[str, Any], caption: str = "") -> HtmlReport:
        """Add a two-column table of labelled values (put the unit in the label)."""
        return self._add({"kind": "kv", "rows": list(rows.items()), "caption": caption})

    def table(self, header: Iterable[str], rows: Iterable[Iterable[Any]],
              caption: str = "") -> HtmlReport:
        """Add a table with a header row (put units in the header)."""
        return self._add({"kind": "table", "header": list(header),
                          "rows": [list(r) for r in rows], "caption": caption})

    def html(self, markup: str) -> HtmlReport:
        """Add trusted HTML as it is (e.g. ``DataFrame.to_html()``); the caller escapes it."""
        return self._add({"kind": "html", "markup": markup})

    def figure(self, fig_or_uri: Any, caption: str = "", alt: str = "") -> HtmlReport:
        """Add a figure (Matplotlib figure, PNG path or data URI) with a caption.

        The caption says what the figure shows; ``alt`` (default: the caption) describes it
        for readers who cannot see it.
        """
        if isinstance(fig_or_uri, str) and fig_or_uri.startswith("data:"):
            uri = fig_or_uri
        elif isinstance(fig_or_uri, str | Path):
            uri = png_file_to_data_uri(fig_or_uri)
        else:
            uri = figure_to_data_uri(fig_or_uri)
        return self._add({"kind": "figure", "uri": uri, "caption": caption,
                          "alt": alt or caption or "figure"})

    # -- output -------------------------------------------------------------------------
    def render(self) -> str:
        """The whole page as a string (the ``report.html`` template on the base layout)."""
        from geohazard import __version__

        return _environment().get_template("report.html").render(
            title=self.title, intro=self.intro, verdicts=self.verdicts, links=self.links,
            sections=self.sections, version=__version__)

    def write(self, path: str | Path) -> Path:
        """Write the page atomically and return its path."""
        return write_text_atomic(path, self.render())
