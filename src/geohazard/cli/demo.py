"""``geohazard demo``: the main job on an embedded default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geohazard.cli._common import console


def demo(
    catalog: Annotated[Path | None, typer.Option(help="Use this catalog instead of the "
                                                 "embedded synthetic one.")] = None,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("geohazard-demo"),
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Run every system end to end on embedded data; write figures and an HTML report."""
    from geohazard.demo import run_demo

    with console.status("starting") as status:
        def progress(name: str) -> None:
            status.update(f"demo step: {name}")
            console.print(f"[bold]▶ {name}[/bold]")

        results = run_demo(out, catalog, seed=seed, progress=progress)
    for name, secs in results["timings_s"].items():
        console.print(f"  {name:<12} {secs:7.1f} s")
    console.print(f"wrote {out / 'summary.json'} and {out / 'report.html'}")
