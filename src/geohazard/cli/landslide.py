"""``geohazard landslide``: terrain, susceptibility, Newmark, USGS model, scenarios, scaling.

Also shaking amplification, landslide modes and long-term evolution (issue 15).
"""

from __future__ import annotations

import typer

from geohazard.cli._landslide_hazard import register as _register_hazard
from geohazard.cli._landslide_susceptibility import register as _register_susceptibility

app = typer.Typer(help="Earthquake-induced landslides: terrain and fault factors, "
                  "susceptibility, Newmark, the USGS global model, scenario shaking, scaling, "
                  "shaking amplification, landslide modes and long-term evolution.",
                  no_args_is_help=True)

_register_hazard(app)  # amplification, pga-relation, modes, evolution, newmark, usgs-global, ...
_register_susceptibility(app)  # terrain, fault-factors, factors, susceptibility
