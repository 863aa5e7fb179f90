"""``geohazard catalog``: info, plot, convert, download."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geohazard.cli._common import JsonOpt, console, emit_json, kv_table

app = typer.Typer(help="Earthquake catalogs: statistics, plots, conversion, download.",
                  no_args_is_help=True)

PathArg = Annotated[Path, typer.Argument(help="Catalog file (CSV + JSON sidecar, NPP, "
                                         "ComCat CSV, FDSN text, QuakeML, Parquet).")]


@app.command()
def info(path: PathArg, json_out: JsonOpt = None) -> None:
    """Events, span, Mc estimates, b-value ± se and counts per split."""
    from geohazard.catalog import read_catalog
    from geohazard.catalog.checks import check_output
    from geohazard.catalog.summary import summarize

    check_output(json_out, "--json")
    summary = summarize(read_catalog(path))
    render_summary(summary)
    emit_json(json_out, summary)


def render_summary(summary: dict) -> None:
    """Print a catalog summary as rich tables."""
    rows = {k: v for k, v in summary.items() if not isinstance(v, dict)}
    rows.update({f"Mc ({k})": v for k, v in summary.get("mc", {}).items()})
    for method, bv in summary.get("b_value", {}).items():
        rows[f"b ({method})"] = f"{bv['b']:.4f} ± {bv['se']:.4f} (n={bv['n']})"
    for split, n in summary.get("splits", {}).items():
        rows[f"scored events: {split}"] = n
    console.print(kv_table(f"catalog {summary.get('name', '')}", rows))


@app.command()
def plot(
    path: PathArg,
    out: Annotated[Path, typer.Option("--out", help="Output directory for PNGs.")] = Path("."),
) -> None:
    """Magnitude-time, cumulative-count and frequency-magnitude plots."""
    from geohazard.catalog import read_catalog
    from geohazard.exceptions import InputError
    from geohazard.plotting.catalog import save_plots

    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, expected a folder for the PNGs")

    for p in save_plots(read_catalog(path), out):
        console.print(f"wrote {p}")


@app.command()
def convert(
    path: PathArg,
    out: Annotated[Path, typer.Argument(help="Output .csv (with .json sidecar), .parquet, "
                                         "or QuakeML (.xml, .quakeml, .qml).")],
) -> None:
    """Convert any readable catalog into the project's CSV, Parquet or QuakeML."""
    from geohazard.catalog import read_catalog, write_catalog
    from geohazard.catalog.checks import check_output
    from geohazard.catalog.io import output_format

    output_format(out)
    check_output(out, "OUT")
    cat = read_catalog(path)
    write_catalog(cat, out)
    console.print(f"wrote {len(cat)} events to {out}")


@app.command()
def download(
    out: Annotated[Path, typer.Option("--out", help="Output catalog (.csv or .parquet).")],
    start: Annotated[str, typer.Option(help="Start time (UTC).")],
    end: Annotated[str, typer.Option(help="End time (UTC).")],
    source: Annotated[str, typer.Option(help="comcat or fdsn.")] = "comcat",
    url: Annotated[str | None, typer.Option(help="FDSN event query URL or a known "
                                            "service name (scedc, iris, ncedc, usgs).")] = None,
    min_magnitude: Annotated[float | None, typer.Option("--min-magnitude")] = None,
    bbox: Annotated[str | None, typer.Option(help="lon_min,lat_min,lon_max,lat_max")] = None,
    chunk_days: Annotated[float, typer.Option(help="Days per request.")] = 365.0,
) -> None:
    """Download events from ComCat or an FDSN event service."""
    from geohazard.catalog import write_catalog
    from geohazard.catalog.checks import check_output
    from geohazard.catalog.download import download as fetch_catalog
    from geohazard.catalog.io import output_format

    output_format(out)
    check_output(out, "--out")
    query = _query(start, end, min_magnitude, bbox, chunk_days)
    cat = fetch_catalog(source, query, url=url, chunk_days=chunk_days)
    write_catalog(cat, out)
    console.print(f"wrote {len(cat)} events to {out}")


def _query(start: str, end: str, min_magnitude: float | None, bbox: str | None,
           chunk_days: float):  # noqa: ANN202 - Query, imported lazily
    """Validate the download flags by name (before any request) and build the query."""
    from geohazard.catalog.checks import check
    from geohazard.catalog.core import to_utc
    from geohazard.catalog.download import Query
    from geohazard.exceptions import InputError

    t0, t1 = to_utc(start, "--start"), to_utc(end, "--end")
    if not t1 > t0:
        raise InputError(f"--end {t1} must be after --start {t0}")
    check(chunk_days, "chunk_days", "--chunk-days")
    if min_magnitude is not None:
        check(min_magnitude, "min_magnitude", "--min-magnitude")
    box: list[float | None] = [None] * 4
    if bbox:
        try:
            box = [float(v) for v in bbox.split(",")]
        except ValueError:
            raise InputError(f"--bbox: expected four numbers, got {bbox!r}") from None
        if len(box) != 4:
            raise InputError(f"--bbox: expected four numbers, got {bbox!r}")
        lon0, lat0, lon1, lat1 = box
        if not (-180 <= lon0 < lon1 <= 360 and -90 <= lat0 < lat1 <= 90):
            raise InputError(f"--bbox: need lon_min < lon_max in [-180, 360] and lat_min < "
                             f"lat_max in [-90, 90], got {bbox!r}")
    return Query(t0, t1, min_magnitude, box[1], box[3], box[0], box[2])
