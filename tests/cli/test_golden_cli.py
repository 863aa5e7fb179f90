"""Every CLI command keeps its figures through the redesign (issue 12).

The ``--json`` output of these commands on the shared QTM San Jacinto catalog was stored in
``tests/data/cli_golden`` before the public-surface redesign; each is rerun in process and
compared within tolerance (timings, hashes and paths left out, see :mod:`tests.golden`).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from geohazard.cli.main import app
from tests.golden import DATA, assert_same_figures, deterministic

GOLDEN = DATA / "cli_golden"
FORECAST = ["--start", "2016-01-01", "--days", "14", "--seed", "0"]


def _run(tmp_path, name: str, args: list[str]) -> dict:
    out = tmp_path / f"{name}.json"
    res = CliRunner().invoke(app, [*args, "--json", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    if name == "etas_fit":
        data.pop("catalog", None)
    return deterministic(data)


@pytest.fixture(scope="module")
def qtm(catalogs_dir):
    return str(catalogs_dir / "QTMSanJacinto.csv")


@pytest.mark.parametrize(("name", "args"), [
    ("catalog_info", ["catalog", "info", "{qtm}"]),
    ("etas_fit", ["etas", "fit", "{qtm}"]),
    ("issue", ["forecast", "issue", "--catalog", "{qtm}", "--model", "poisson,etas",
               "--samples", "2000", *FORECAST]),
    ("backtest", ["forecast", "backtest", "--catalog", "{qtm}", "--end", "2016-03-01",
                  "--model", "poisson,etas", "--samples", "500", *FORECAST]),
    ("issue_located", ["forecast", "issue", "--catalog", "{located}", "--meta", "{meta}",
                       "--model", "poisson", "--spatial", "--samples", "500", *FORECAST]),
])
def test_command_gives_the_golden_figures(tmp_path, catalogs_dir, name, args):
    paths = {"qtm": str(catalogs_dir / "QTMSanJacinto.csv"),
             "located": str(catalogs_dir / "QTMSanJacinto_located.csv"),
             "meta": str(catalogs_dir / "QTMSanJacinto.json")}
    data = _run(tmp_path, name, [a.format(**paths) for a in args])
    assert_same_figures(data, json.loads((GOLDEN / f"{name}.json").read_text()))


def test_prospective_run_and_evaluate_give_the_golden_figures(tmp_path, qtm):
    db = str(tmp_path / "arch.sqlite")
    run = _run(tmp_path, "run", ["forecast", "run", "--catalog", qtm, "--archive", db,
                                 "--start", "2016-01-01", "--end", "2016-01-05", "--every", "1",
                                 "--model", "poisson,etas", "--days", "14", "--samples", "300",
                                 "--seed", "0"])
    assert_same_figures(run, json.loads((GOLDEN / "run.json").read_text()))
    ev = _run(tmp_path, "evaluate", ["forecast", "evaluate", "--catalog", qtm, "--archive", db,
                                     "--seed", "0"])
    assert_same_figures(ev, json.loads((GOLDEN / "evaluate.json").read_text()))
