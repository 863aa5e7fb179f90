"""What a DAS file measures, read from its attributes: strain rate, strain or velocity.

Interrogators record different quantities: strain rate (most), strain, or particle
velocity (Terra15 reports m/s).  The band energy is the mean square of the band-passed
signal, so its name and units follow the quantity: "mean squared strain rate" in
``(1/s)^2`` for strain rate, "mean squared velocity" in ``(m/s)^2`` for velocity.
Strain is differentiated before the energy is taken, so its energy is strain rate.

:func:`quantity_of` decides from DASCore's ``data_type`` and ``data_units`` attributes
(or the FORESEE ``raw`` dataset's attributes): the stated type wins; without one, the
units' dimension decides (``1/time``: strain rate; ``length/time``: velocity;
dimensionless: strain).  When neither says anything the quantity is ``"unknown"`` and
every label says "amplitude" in "data units" rather than guessing.  Units that
contradict the stated type are logged as a warning and kept as the file states them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["KINDS", "Quantity", "quantity_of", "units_text"]

#: Quantities told apart, as DASCore's ``data_type`` names them.
KINDS = ("strain_rate", "strain", "velocity", "unknown")
_ALIASES = {"strainrate": "strain_rate", "strain-rate": "strain_rate",
            "strain rate": "strain_rate", "velocity": "velocity", "strain": "strain",
            "strain_rate": "strain_rate"}
_NAMES = {"strain_rate": "strain rate", "strain": "strain", "velocity": "velocity",
          "unknown": "amplitude"}
_PREFIX = {"n": "nano", "µ": "micro", "u": "micro"}
#: pint dimensionality (as text) -> kind, for files without a ``data_type``.
_BY_DIMENSION = {"1 / [time]": "strain_rate", "[length] / [time]": "velocity",
                 "dimensionless": "strain"}


@dataclass(frozen=True)
class Quantity:
    """The quantity a file's samples hold, and the labels that follow from it.

    Attributes
    ----------
    kind
        ``"strain_rate"``, ``"strain"``, ``"velocity"`` or ``"unknown"``.
    units
        The samples' units as plain text (``"1/s"``, ``"nanostrain/s"``, ``"m/s"``);
        ``""`` when the file does not state them.
    """

    kind: str = "unknown"
    units: str = ""

    @property
    def name(self) -> str:
        """Quantity of the samples in words (``"strain rate"``; ``"amplitude"`` if unknown)."""
        return _NAMES.get(self.kind, "amplitude")

    @property
    def unit_text(self) -> str:
        """Units of the samples, ``"data units"`` when the file does not state them."""
        return self.units or "data units"

    @property
    def strain(self) -> bool:
        """True when the samples are strain (differentiated before the band energy)."""
        return self.kind == "strain"

    @property
    def energy_name(self) -> str:
        """Name of the band energy, e.g. ``"mean squared strain rate"``."""
        base = "strain rate" if self.strain else self.name
        return f"mean squared {base}"

    @property
    def energy_units(self) -> str:
        """Units of the band energy, e.g. ``"(1/s)^2"`` or ``"(m/s)^2"``."""
        return f"({self.rate_units})^2"

    @property
    def rate_units(self) -> str:
        """Units of the signal whose energy is taken (strain differentiated: per s)."""
        if not self.strain:
            return self.unit_text
        if not self.units or self.units in ("strain", "1"):
            return "1/s" if self.units else "data units/s"
        return f"{self.units}/s"

    @property
    def rms_units(self) -> str:
        """Units of the band RMS (square root of the energy)."""
        return self.rate_units

    @property
    def psd_units(self) -> str:
        """Units of a power spectral density of the samples, e.g. ``"(1/s)^2/Hz"``."""
        return f"({self.unit_text})^2/Hz"

    @property
    def db_reference(self) -> str:
        """Reference of the energy in dB, e.g. ``"dB re 1 (1/s)^2"``."""
        return f"dB re 1 {self.energy_units}"

    @property
    def psd_db_reference(self) -> str:
        """Reference of a PSD in dB, e.g. ``"dB re 1 (1/s)^2/Hz"``."""
        return f"dB re 1 {self.psd_units}"

    def response_units(self, response: str) -> str:
        """Units of a regression response: ``"energy"``, ``"rms"`` or ``"db"``."""
        return {"energy": self.energy_units, "rms": self.rms_units,
                "db": self.db_reference}.get(response, self.energy_units)

    def to_dict(self) -> dict[str, str]:
        """JSON-ready description (for ``summary.json`` and patch attributes)."""
        return {"quantity": self.kind, "data_units": self.units,
                "energy": self.energy_name, "energy_units": self.energy_units}


def units_text(units: Any) -> str:
    """Plain-text units of a DASCore/pint quantity or a string (``""`` when none).

    ``strain/s`` reads ``1/s`` (strain is dimensionless), ``nanostrain/s`` keeps its prefix.
    """
    if units is None:
        return ""
    q = _pint(units)
    if q is None:
        return str(units).strip()
    text = f"{q.units:~C}".replace("ϵ", "strain").replace("**", "^")
    text = re.sub(r"^strain/", "1/", text)
    text = re.sub(r"\b([nµu])strain\b", lambda m: _PREFIX[m.group(1)] + "strain", text)
    if text in ("", "dimensionless"):
        text = "1"
    mag = float(q.magnitude)
    return text if mag == 1 else f"{mag:g} {text}"


def _pint(units: Any) -> Any:
    """``units`` as a pint quantity, or None when it is empty or not parseable."""
    if units is None or (isinstance(units, str) and not units.strip()):
        return None
    if hasattr(units, "dimensionality"):
        return units
    try:
        from dascore.units import get_quantity

        return get_quantity(str(units))
    except Exception:  # noqa: BLE001 - pint raises many types for unknown units
        return None


def _kind_of_units(units: Any) -> str | None:
    q = _pint(units)
    if q is None:
        return None
    return _BY_DIMENSION.get(str(q.dimensionality))


def quantity_of(data_type: Any = "", data_units: Any = None, *, source: str = "") -> Quantity:
    """The :class:`Quantity` of data with DASCore ``data_type`` and ``data_units``.

    Parameters
    ----------
    data_type
        The file's stated type (``"strain_rate"``, ``"strainrate"``, ``"velocity"``...).
    data_units
        The file's units (a pint quantity from DASCore, or text).
    source
        File name for the warning when type and units disagree.

    Returns
    -------
    Quantity
    """
    stated = _ALIASES.get(str(data_type or "").strip().lower())
    by_units = _kind_of_units(data_units)
    units = units_text(data_units)
    if stated is None and str(data_type or "").strip():
        log.warning("%s: data type %r is not strain rate, strain or velocity; energy is "
                    "labelled as amplitude", source or "data", data_type)
    if stated and by_units and stated != by_units:
        log.warning("%s: data type %r but units %r (%s); labelled as %s in the stated units",
                    source or "data", data_type, units, _NAMES[by_units], _NAMES[stated])
    return Quantity(kind=stated or by_units or "unknown", units=units)


def quantity_of_attrs(attrs: Any, source: str = "") -> Quantity:
    """:func:`quantity_of` from a DASCore ``PatchAttrs`` (or anything with those fields)."""
    return quantity_of(getattr(attrs, "data_type", ""), getattr(attrs, "data_units", None),
                       source=source)
