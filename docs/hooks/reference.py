"""MkDocs hook: each API reference page also documents the modules it does not name.

A reference page names its main modules with ``::: module`` lines, in reading order; a
module named there that no longer exists stops the build (mkdocstrings: "could not
collect"). The marker ``<!-- reference-rest: PACKAGE -->`` is replaced by a ``::: module``
line for every other public module of ``PACKAGE`` found in ``src/`` (for ``geohazard``
itself: its top-level modules only), so a module added later is documented without an edit
and the reference never falls behind the code.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[2] / "src"
MARKER = re.compile(r"<!--\s*reference-rest:\s*([\w.]+)\s*-->")
NAMED = re.compile(r"^:::\s+([\w.]+)", re.M)
#: Top-level units documented elsewhere (renderers, the demo and the CLI's --help).
ELSEWHERE = {"cli", "demo", "plotting", "report"}

log = logging.getLogger("mkdocs.hooks.reference")


def modules_of(package: str) -> list[str]:
    """Public modules under ``package`` (``geohazard``: top-level modules only), sorted."""
    root = SRC.joinpath(*package.split("."))
    if not root.is_dir():
        return []
    paths = root.glob("*.py") if package == "geohazard" else root.rglob("*.py")
    out = []
    for path in paths:
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) < 2 or parts[1] in ELSEWHERE or any(p.startswith("_") for p in parts):
            continue
        if "__pycache__" in path.parts:
            continue
        out.append(".".join(parts))
    return sorted(set(out))


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace each marker with the package's modules the page does not name."""
    named = set(NAMED.findall(markdown))

    def rest(m: re.Match[str]) -> str:
        extra = [mod for mod in modules_of(m.group(1)) if mod not in named]
        if extra:
            log.info("reference: %s documents %s without naming it", page.file.src_uri,
                     ", ".join(extra))
        named.update(extra)
        return "\n".join(f"::: {mod}\n" for mod in extra)

    return MARKER.sub(rest, markdown)
