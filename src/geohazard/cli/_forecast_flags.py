"""Flags shared by the forecast commands (``forecast ...``, ``report forecast``) and checks.

Each check names the flag it refuses; the commands call a workflow once these pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

CatalogOpt = Annotated[Path, typer.Option("--catalog", help="Catalog with history.")]
ModelOpt = Annotated[str, typer.Option("--model", "--models",
                                       help="poisson, etas, recast, a comma list, or both.")]
ArchiveOpt = Annotated[Path | None, typer.Option(
    "--archive", help="SQLite file or SQLAlchemy URL of the forecast archive.")]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="Write an HTML report.")]
DaysOpt = Annotated[float, typer.Option(help="Window length in days.")]
SeedOpt = Annotated[int, typer.Option(help="Random seed.")]
CheckpointOpt = Annotated[Path | None, typer.Option(help="RECAST checkpoint (else trained).")]
McOpt = Annotated[float | None, typer.Option(
    "--mc", help="Magnitude of completeness: keep events above it (default: the sidecar's).")]
SpatialOpt = Annotated[bool, typer.Option(
    "--spatial/--no-spatial", help="Located models and pyCSEP's N, M, S and pseudo-likelihood "
    "tests on a lon/lat grid (needs longitude/latitude columns).")]
DhOpt = Annotated[float, typer.Option("--dh", help="Grid cell size in degrees (--spatial).")]
MetaOpt = Annotated[Path | None, typer.Option(
    "--meta", help="JSON sidecar with Mc and split dates (default: CATALOG.json if present).")]


CsepOutOpt = Annotated[Path | None, typer.Option(
    "--csep-out", help="Folder to write each forecast into in pyCSEP's catalog-forecast CSV "
    "format (the file floatCSEP reads; csep.load_catalog_forecast loads it).")]
TestsOpt = Annotated[str | None, typer.Option(
    "--tests", help="Also rerun pyCSEP's tests on the archived forecasts: a comma list of n, "
    "m, s, pl (N from counts; M, S, pseudo-likelihood from kept continuations; S and PL on "
    "located forecasts).")]


def check_output_dir(path: Path | None, flag: str) -> None:
    """Refuse an output folder that cannot be made or written, before any work."""
    import os

    from geohazard.exceptions import InputError

    if path is None:
        return
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise InputError(f"{flag} {target}: is a file, expected a folder to write into")
    probe = target
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"{flag} {target}: its parent {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"{flag} {target}: folder {probe} is not writable")


AllowExtrapolationOpt = Annotated[bool, typer.Option(
    "--allow-extrapolation", help="Issue a forecast that starts after the end of the catalog's "
    "data anyway (warned loudly; the models see no events in between).")]


def check_run_flags(*, days: float, samples: int, seed: int, model: str,
                    checkpoint: Path | None = None, outputs: dict[str, Path | None] | None = None,
                    **others: float | None) -> None:
    """Validate the flags shared by the forecast commands, by flag name, before any work.

    ``others`` maps a parameter of :data:`geohazard.catalog.checks.RANGES` to its value
    (None: not given); its flag is ``--`` plus the name with dashes. ``outputs`` maps flags
    to output paths, checked writable before anything is computed or written.
    """
    from geohazard.catalog.checks import check, check_output
    from geohazard.exceptions import DataFileNotFoundError
    from geohazard.forecast.models import parse_models

    check(days, "days", "--days")
    check(samples, "samples", "--samples")
    check(seed, "seed", "--seed")
    for key, value in others.items():
        if value is not None:
            check(value, key, "--" + key.replace("_", "-"))
    parse_models(model)
    if checkpoint is not None and not Path(checkpoint).is_file():
        raise DataFileNotFoundError(f"--checkpoint {checkpoint}: no such file")
    for flag, path in (outputs or {}).items():
        check_output(path, flag)


def apply_mc(catalog, mc: float | None):  # noqa: ANN001, ANN201 - Catalog
    """Keep events above ``--mc``, refusing a value the catalog cannot support."""
    from geohazard.catalog.checks import check
    from geohazard.exceptions import InputError

    if mc is None:
        return catalog
    check(mc, "mc", "--mc")
    known = catalog.metadata.mag_completeness
    if known is not None and mc < known:
        raise InputError(f"--mc {mc:g} is below the catalog's magnitude of completeness "
                         f"{known:g} (sidecar 'mag_completeness'): events below it are missing, "
                         "so forecasts would be counted against an incomplete catalog")
    out = catalog.above_completeness(mc)
    if len(out) < 2:
        raise InputError(f"--mc {mc:g} leaves {len(out)} events of {len(catalog)} in "
                         f"catalog '{catalog.metadata.name}'")
    return out


def forecast_start(catalog, start: str, allow_extrapolation: bool = False):  # noqa: ANN001, ANN201
    """``--start`` as UTC, refused after the end of the data unless --allow-extrapolation."""
    from geohazard.forecast.models import check_forecast_start

    return check_forecast_start(catalog, start, what="--start",
                                allow_extrapolation=allow_extrapolation,
                                allow_hint="--allow-extrapolation")


ModelConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="Model settings file (YAML, TOML or JSON; keys etas_taper_days, "
    "etas_param_draws, recast_max_time_s, recast_location_components); flags override it.")]
TaperDaysOpt = Annotated[float | None, typer.Option(
    "--taper-days", help="ETAS Omori taper in days (default 1000; config etas_taper_days).")]
ParamDrawsOpt = Annotated[int | None, typer.Option(
    "--param-draws", help="ETAS parameter draws propagated into forecasts (default 20; "
    "config etas_param_draws).")]


def model_settings(config: Path | None, taper_days: float | None, param_draws: int | None
                   ) -> object | None:
    """The registry's model settings: defaults, then ``--config``, then the flags.

    None when neither is given: the registry builds its defaults only where a model needs
    them (a forecast from a checkpoint never loads pydantic).
    """
    from geohazard.exceptions import InputError

    if taper_days is not None and not (taper_days > 0 and taper_days < float("inf")):
        raise InputError(f"--taper-days must be a positive number of days, got {taper_days}")
    if param_draws is not None and param_draws < 0:
        raise InputError(f"--param-draws must be >= 0, got {param_draws}")
    if config is None and taper_days is None and param_draws is None:
        return None
    from geohazard.forecast.settings import ModelSettings

    return ModelSettings.load(config, etas_taper_days=taper_days, etas_param_draws=param_draws)
