"""``geohazard forecast npp``: the EarthquakeNPP protocol (per-event TLL and SLL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from geohazard.cli._common import JsonOpt, console, emit_json

NppConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="YAML with splits, mc, mc_rule, delta_m and region "
    "(default: the shipped SanJac_10).")]
NppModelsOpt = Annotated[str, typer.Option(
    "--models", "--model", help="Comma list: poisson, etas (the benchmark's EM fit), "
    "etas-reference (scored as the benchmark's code), etas-mle (maximum likelihood), "
    "recast (SpatialRecast, one training per seed), recast-kernel (temporal RECAST plus "
    "the attention kernel-mixture location head, one training per seed).")]
NppSeedsOpt = Annotated[str, typer.Option("--seeds", help="Seeds, '0-4' or '0,1,2'.")]


def npp(
    catalog: Annotated[Path, typer.Argument(help="EarthquakeNPP-format CSV (time, longitude, "
                                                 "latitude, magnitude[, x, y]).")],
    config: NppConfigOpt = None,
    models: NppModelsOpt = "poisson,etas",
    seeds: NppSeedsOpt = "0",
    json_out: JsonOpt = None,
) -> None:
    """Score models per test event under the EarthquakeNPP protocol (TLL per day, SLL per km2).

    Each model is fitted on train + val with the auxiliary window as history, and every test
    event is scored conditioned on the full history since the auxiliary start.
    """
    from geohazard.catalog.checks import check_output
    from geohazard.forecast.npp import load_npp_config, read_npp_catalog
    from geohazard.forecast.npp_run import parse_npp_models, parse_seeds, run_npp

    names, seed_list = parse_npp_models(models), parse_seeds(seeds)
    check_output(json_out, "--json")
    cfg = load_npp_config(config)
    data = read_npp_catalog(catalog, cfg)
    counts = data.counts()
    console.print(f"{cfg.name}: {data.t.size} events (aux {counts['auxiliary']}, train "
                  f"{counts['train']}, val {counts['val']}, test {counts['test']}; "
                  f"{data.n_outside} outside the region); area {cfg.area_km2:.2f} km2")
    with console.status(f"fitting and scoring {', '.join(names)}"):
        result = run_npp(data, names, seed_list)
    console.print(_table(result))
    emit_json(json_out, result)


def _table(result: dict) -> Table:
    table = Table(title="per test event (higher is better)", title_justify="left")
    for col in ("model", "TLL (per day)", "TLL incl. tail", "SLL (per km2)", "events"):
        table.add_column(col)
    for name, res in result["models"].items():
        table.add_row(name, _pm(res["tll_events"]), _pm(res["tll"]), _pm(res["sll"]),
                      str(res["n_events"]))
    return table


def _pm(stat: dict) -> str:
    return f"{stat['mean']:.4f} ± {stat['sd']:.4f}"
