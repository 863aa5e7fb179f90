"""Shared CLI helpers: option aliases, rendering and JSON output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from geohazard.io_utils import write_json_atomic

console = Console(stderr=False)
err_console = Console(stderr=True)

JsonOpt = Annotated[
    Path | None,
    typer.Option("--json", help="Write the figures of this command to a JSON file."),
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Random seed (reproducible runs).")]
OutDirOpt = Annotated[Path, typer.Option("--out", help="Output directory.")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Dask scheduler address (tcp://host:8786): the work runs as tasks on "
    "its workers, which read the inputs at the same paths; results equal a serial run.")]
EngineOpt = Annotated[str, typer.Option(
    "--engine", help="serial, or dask (without --scheduler: a local cluster of worker "
    "processes).")]


def emit_json(path: Path | None, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically when a path was given."""
    if path is not None:
        write_json_atomic(path, data)
        console.print(f"[dim]wrote {path}[/dim]")


def kv_table(title: str, rows: dict[str, Any]) -> Table:
    """Render a two-column key/value table."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("key", style="bold")
    table.add_column("value")
    for key, value in rows.items():
        table.add_row(str(key), _fmt(value))
    return table


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def check_cluster_flags(scheduler: str | None, engine: str) -> None:
    """Refuse a malformed ``--scheduler`` or an unknown ``--engine`` before any work."""
    from geohazard.distributed import ENGINES, check_scheduler
    from geohazard.exceptions import ParameterError

    if engine not in ENGINES:
        raise ParameterError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    try:
        check_scheduler(scheduler)
    except ParameterError as exc:
        raise ParameterError(f"--scheduler: {exc}") from None
