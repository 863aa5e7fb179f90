"""``geohazard recast``: train and score the RECAST neural point process."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from geohazard.cli._common import JsonOpt, console, emit_json, kv_table

app = typer.Typer(help="RECAST neural temporal point process (train, score, sample).",
                  no_args_is_help=True)

CatalogArg = Annotated[Path, typer.Argument(help="Catalog file with split dates (CSV + JSON).")]
ThreadsOpt = Annotated[int, typer.Option(
    "--threads", help="Torch CPU threads; 0 = torch's default. The GRU is latency-bound: "
    "1 is usually fastest, and far faster on a busy machine.")]


def _threads(n: int) -> None:
    if n > 0:
        import torch

        torch.set_num_threads(n)


def _split_rows(scores: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for split, s in scores.items():
        rows[f"{split} NLL/day (time)"] = s["nll_per_day_time"]
        rows[f"{split} NLL/day (time+mag, learned)"] = s["nll_per_day_time_mag_learned"]
        rows[f"{split} NLL/day (time+mag, GR)"] = s["nll_per_day_time_mag_gr"]
        rows[f"{split} events"] = s["n_events"]
    return rows


def _summary(scores: dict[str, dict[str, Any]]) -> dict[str, Any]:
    keys = ("nll_per_day_time", "nll_per_day_time_mag_learned", "nll_per_day_time_mag_gr",
            "nll_per_event", "n_events", "days")
    return {split: {k: s[k] for k in keys} for split, s in scores.items()}


@app.command("train")
def train(
    catalog: CatalogArg,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    json_out: JsonOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Run folder (checkpoints, model.pt); default recast-runs/NAME-sSEED.")
    ] = None,
    max_epochs: Annotated[int | None, typer.Option(help="Epoch cap.")] = None,
    paper_loop: Annotated[bool, typer.Option(
        "--paper-loop", help="The paper's schedule: one full-sequence step per epoch.")
    ] = False,
    features: Annotated[str, typer.Option(help="Extra features, comma separated (depth,x,y).")
                        ] = "",
    devices: Annotated[str, typer.Option(help="Lightning devices (1, 4, auto).")] = "1",
    strategy: Annotated[str, typer.Option(help="Lightning strategy (auto, ddp).")] = "auto",
    accelerator: Annotated[str, typer.Option(help="cpu, gpu or auto.")] = "cpu",
    resume: Annotated[bool, typer.Option(help="Resume from the run folder's last.ckpt.")
                      ] = True,
    threads: ThreadsOpt = 1,
) -> None:
    """Train RECAST with early stopping on the validation split; report NLL per day."""
    _threads(threads)
    from geohazard.catalog.io import read_catalog
    from geohazard.forecast.recast import Recast, TrainConfig

    cat = read_catalog(catalog)
    feats = tuple(f.strip() for f in features.split(",") if f.strip())
    changes: dict[str, Any] = {"seed": seed, "features": feats, "strategy": strategy,
                               "accelerator": accelerator,
                               "devices": int(devices) if devices.isdigit() else devices}
    if max_epochs is not None:
        changes["max_epochs"] = max_epochs
    cfg = TrainConfig.paper(**changes) if paper_loop else TrainConfig(**changes)
    run_dir = out or Path("recast-runs") / f"{cat.metadata.name or catalog.stem}-s{seed}"
    model = Recast(cfg, work_dir=run_dir).fit(cat, progress=True, resume=resume)
    ckpt = model.save(run_dir / "model.pt")
    scores = model.score_catalog(cat)
    info = model.fit_info_
    rows = {"epochs": info.epochs, "wall seconds": info.wall_s,
            "stopped early": info.stopped_early, **_split_rows(scores), "checkpoint": ckpt}
    console.print(kv_table(f"RECAST on {cat.metadata.name or catalog.name}", rows))
    emit_json(json_out, {"catalog": str(catalog), "seed": seed, "epochs": info.epochs,
                         "wall_s": info.wall_s, "stopped_early": info.stopped_early,
                         "checkpoint": str(ckpt), "config": cfg.to_dict(),
                         "splits": _summary(scores)})


@app.command("score")
def score(
    catalog: CatalogArg,
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="model.pt from train.")],
    json_out: JsonOpt = None,
    threads: ThreadsOpt = 1,
) -> None:
    """Score a catalog's train / val / test splits with a trained checkpoint."""
    _threads(threads)
    from geohazard.catalog.io import read_catalog
    from geohazard.forecast.recast import Recast

    cat = read_catalog(catalog)
    model = Recast.load(checkpoint)
    scores = model.score_catalog(cat)
    console.print(kv_table(f"RECAST scores on {cat.metadata.name or catalog.name}",
                           _split_rows(scores)))
    emit_json(json_out, {"catalog": str(catalog), "checkpoint": str(checkpoint),
                         "splits": _summary(scores)})


@app.command("sample")
def sample(
    catalog: CatalogArg,
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="model.pt from train.")],
    start: Annotated[str, typer.Option(help="Forecast start (UTC); default the test start.")
                     ] = "",
    days: Annotated[float, typer.Option(help="Horizon in days.")] = 14.0,
    n: Annotated[int, typer.Option("--n", help="Number of continuations.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    json_out: JsonOpt = None,
    threads: ThreadsOpt = 1,
) -> None:
    """Simulate continuations after a start time, conditioned on all earlier events."""
    _threads(threads)
    import numpy as np

    from geohazard.catalog.io import read_catalog
    from geohazard.forecast.recast import Recast

    cat = read_catalog(catalog)
    model = Recast.load(checkpoint)
    t0 = start or cat.metadata.test_start
    history = cat.to_sequence(t_end=t0, features=model.config.features)
    cont = model.sample(history, days, n, rng=seed)
    counts = cont.counts
    q = np.quantile(counts, [0.05, 0.5, 0.95])
    rows = {"start": str(t0), "days": days, "continuations": n, "mean count": counts.mean(),
            "5/50/95% count": f"{q[0]:.0f} / {q[1]:.0f} / {q[2]:.0f}"}
    console.print(kv_table("RECAST continuations", rows))
    emit_json(json_out, {"start": str(t0), "days": days, "n": n, "seed": seed,
                         "mean_count": float(counts.mean()), "count_quantiles_5_50_95": q})
