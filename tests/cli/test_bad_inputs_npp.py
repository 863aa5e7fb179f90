"""Bad-input suite for ``geohazard forecast npp`` (EarthquakeNPP protocol).

Every case runs the real entry point in-process and fails before any model is fitted: exit 1,
one ``error:`` line naming the culprit (flag, file, key, column or row), nothing written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.badinput import Case, check_case

CAT = "{tmp}/npp.csv"
CFG = "{tmp}/cfg.yaml"
GOOD = {"name": "tiny", "auxiliary_start": "2008-01-01", "train_start": "2009-01-01",
        "val_start": "2014-01-01", "test_start": "2016-01-01", "test_end": "2018-01-01",
        "mc": 1.0, "mc_rule": ">=", "delta_m": 0.1,
        "region": {"latitude": [33, 33, 34, 34], "longitude": [-117, -116, -116, -117]}}


def _cat(tmp: Path, n: int = 300, start: str = "2008-01-01", row3: dict | None = None,
         drop: str | None = None, days: float = 3650.0) -> None:
    """An EarthquakeNPP-format CSV with ``n`` events over ``days`` from ``start``."""
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, days, n))
    times = np.datetime64(start + "T00:00:00") + (t * 86400).astype("timedelta64[s]")
    cols = {"time": [str(v).replace("T", " ") for v in times],
            "longitude": list(np.round(rng.uniform(-116.9, -116.1, n), 5)),
            "latitude": list(np.round(rng.uniform(33.1, 33.9, n), 5)),
            "magnitude": list(np.round(1.0 + rng.exponential(0.45, n), 2))}
    for key, value in (row3 or {}).items():
        cols[key][2] = value
    if drop:
        cols.pop(drop)
    lines = [",".join(cols)] + [",".join(str(cols[k][i]) for k in cols) for i in range(n)]
    (tmp / "npp.csv").write_text("\n".join(lines) + "\n")


def _cfg(**changes: object):
    def setup(tmp: Path) -> None:
        _cat(tmp)
        raw = {**GOOD, **changes}
        raw = {k: v for k, v in raw.items() if v is not None}
        (tmp / "cfg.yaml").write_text(yaml.safe_dump(raw))
    return setup


def _with(**kw: object):
    return lambda tmp: _cat(tmp, **kw)


def _text(name: str, text: str):
    def setup(tmp: Path) -> None:
        _cat(tmp)
        (tmp / name).write_text(text)
    return setup


NPP = ["forecast", "npp"]
CASES = [
    Case("missing-catalog", [*NPP, "{tmp}/nope.csv"], "nope.csv"),
    Case("catalog-dir", [*NPP, "{tmp}"], "directory", _cat),
    Case("no-magnitude", [*NPP, CAT], "'magnitude'", _with(drop="magnitude")),
    Case("no-time", [*NPP, CAT], "'time'", _with(drop="time")),
    Case("bad-time", [*NPP, CAT], ["time", "row 3"], _with(row3={"time": "yesterday"})),
    Case("inf-mag", [*NPP, CAT], ["magnitude", "row 3"], _with(row3={"magnitude": "inf"})),
    Case("text-mag", [*NPP, CAT], ["magnitude", "row 3"], _with(row3={"magnitude": "big"})),
    Case("mag-99", [*NPP, CAT], ["magnitude", "row 3"], _with(row3={"magnitude": 99})),
    Case("lat-95", [*NPP, CAT], "latitude", _with(row3={"latitude": 95})),
    Case("no-events-in-window", [*NPP, CAT], "no events", _with(start="1990-01-01", days=300)),
    Case("no-test-events", [*NPP, CAT], "test", _with(days=2500)),
    Case("empty-csv", [*NPP, CAT], "npp.csv", _text("npp.csv", "")),
    Case("missing-config", [*NPP, CAT, "--config", "{tmp}/nope.yaml"], ["--config", "nope.yaml"],
         _cat),
    Case("config-not-yaml", [*NPP, CAT, "--config", CFG], "cfg.yaml",
         _text("cfg.yaml", "a: [1, 2\nb: {")),
    Case("config-list", [*NPP, CAT, "--config", CFG], "cfg.yaml", _text("cfg.yaml", "- 1\n")),
    Case("config-no-test-end", [*NPP, CAT, "--config", CFG], "test_end", _cfg(test_end=None)),
    Case("config-split-order", [*NPP, CAT, "--config", CFG], "test_start",
         _cfg(test_start="2013-01-01")),
    Case("config-bad-date", [*NPP, CAT, "--config", CFG], "cfg.yaml", _cfg(val_start="soon")),
    Case("config-mc-rule", [*NPP, CAT, "--config", CFG], "mc_rule", _cfg(mc_rule="=<")),
    Case("config-mc-text", [*NPP, CAT, "--config", CFG], "cfg.yaml", _cfg(mc="high")),
    Case("config-region-2", [*NPP, CAT, "--config", CFG], "region",
         _cfg(region={"latitude": [33, 34], "longitude": [-117, -116]})),
    Case("config-region-keys", [*NPP, CAT, "--config", CFG], "region", _cfg(region=[1, 2, 3])),
    Case("config-radius", [*NPP, CAT, "--config", CFG], "earth_radius_km",
         _cfg(earth_radius_km=6.371)),
    Case("unknown-model", [*NPP, CAT, "--models", "poisson,magic"], ["--models", "magic"], _cat),
    Case("empty-models", [*NPP, CAT, "--models", ","], "--models", _cat),
    Case("bad-seeds", [*NPP, CAT, "--seeds", "a-b"], "--seeds", _cat),
    Case("negative-seed", [*NPP, CAT, "--seeds=-1"], "--seeds", _cat),
    Case("reversed-seeds", [*NPP, CAT, "--seeds", "4-0"], "--seeds", _cat),
    Case("json-is-dir", [*NPP, CAT, "--json", "{tmp}"], "--json", _cat),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clean_line(case: Case, tmp_path: Path, shared_data: Path) -> None:
    """Exit 1, one ``error:`` line naming the culprit, nothing written."""
    check_case(case, tmp_path, shared_data)


def test_good_tiny_catalog_runs(tmp_path: Path) -> None:
    """The same tiny catalog with the default config runs Poisson end to end."""
    from tests.badinput import run_main

    _cat(tmp_path)
    res = run_main(["forecast", "npp", str(tmp_path / "npp.csv"), "--models", "poisson",
                    "--json", str(tmp_path / "out.json")])
    assert res.code == 0, res.output
    assert (tmp_path / "out.json").is_file()
