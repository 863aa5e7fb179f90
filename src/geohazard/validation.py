"""Physical ranges of parameters: one :class:`Range` type and one number format for messages.

Each system keeps its own table of ranges (``catalog.checks.RANGES`` for catalogs, ETAS and
forecasts, ``landslide.checks.BOUNDS`` for landslides); both are built from this type, so a
value is accepted and worded the same way everywhere, and a message never shows a NumPy repr
(``nan``, not ``np.float64(nan)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Range", "fmt_number"]


def fmt_number(value: Any) -> str:
    """A number as a user reads it: ``nan``, ``inf``, ``0.5``, ``12``, ``1e-06``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return repr(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:g}"


@dataclass(frozen=True)
class Range:
    """Allowed range of one parameter (``None``: unbounded on that side)."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    unit: str = ""
    integer: bool = False

    def contains(self, value: float) -> bool:
        """True when ``value`` is finite and inside the range."""
        if not math.isfinite(value) or (self.integer and value != int(value)):
            return False
        lo_ok = self.lo is None or (value > self.lo if self.lo_open else value >= self.lo)
        hi_ok = self.hi is None or (value < self.hi if self.hi_open else value <= self.hi)
        return lo_ok and hi_ok

    def text(self) -> str:
        """Human wording: ``"a finite number in (0, 90) degrees"``, ``"an integer >= 1"``."""
        kind = "an integer" if self.integer else "a finite number"
        unit = f" {self.unit}" if self.unit else ""
        if self.lo is not None and self.hi is not None:
            left, right = "(" if self.lo_open else "[", ")" if self.hi_open else "]"
            return f"{kind} in {left}{fmt_number(self.lo)}, {fmt_number(self.hi)}{right}{unit}"
        if self.lo is not None:
            return f"{kind} {'>' if self.lo_open else '>='} {fmt_number(self.lo)}{unit}"
        if self.hi is not None:
            return f"{kind} {'<' if self.hi_open else '<='} {fmt_number(self.hi)}{unit}"
        return kind
