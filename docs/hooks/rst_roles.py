"""MkDocs hook: Sphinx roles in docstrings (``:func:`~a.b.c```) become links or code.

The docstrings are numpy style with Sphinx cross-reference roles, which mkdocstrings
renders literally (``:func:<code>~a.b.c</code>``). This hook turns each into an optional
autorefs cross-reference: a link when the target is documented on this site, plain code
otherwise (no warning: targets outside geohazard, such as ``dascore.spool``, stay code).
A leading ``~`` shows only the last name, as in Sphinx. The rST ``::`` that introduces a
literal block becomes ``:``.
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(r":(?:py:)?(mod|func|class|meth|attr|data|exc|obj|const|math):"
                  r"<code>(~?)([^<]*)</code>")
LITERAL = re.compile(r"::</p>")


def _replace(m: re.Match[str]) -> str:
    role, short, target = m.group(1), m.group(2), m.group(3).strip()
    if role == "math":
        return f"<code>{target}</code>"
    shown = target.rsplit(".", 1)[-1] if short else target
    if role in ("func", "meth"):
        shown += "()"
    if not re.fullmatch(r"[\w.]+", target):
        return f"<code>{shown}</code>"
    return f'<autoref identifier="{target}" optional><code>{shown}</code></autoref>'


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Rewrite the roles of one rendered page."""
    if ":" not in html:
        return html
    return LITERAL.sub(":</p>", ROLE.sub(_replace, html))
