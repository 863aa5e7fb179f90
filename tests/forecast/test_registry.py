"""One model registry with one settings object (issue 12): defaults, config file, CLI flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geohazard.catalog import write_catalog
from geohazard.cli.main import app
from geohazard.examples import synthetic_catalog
from geohazard.exceptions import InputError
from geohazard.forecast import ETAS, ModelSettings, SpatialETAS, build_model

SRC = Path(__file__).resolve().parents[2] / "src" / "geohazard"


def test_the_etas_settings_are_written_once():
    hits = [p.relative_to(SRC) for p in SRC.rglob("*.py")
            if "param_draws=20" in p.read_text()]  # the factories' copies are gone
    assert hits == []
    assert ModelSettings().etas_taper_days == 1000.0 and ModelSettings().etas_param_draws == 20


def test_temporal_and_located_models_share_the_settings():
    s = ModelSettings(etas_taper_days=50.0, etas_param_draws=3)
    temporal, located = build_model("etas", settings=s), build_model("etas", spatial=True,
                                                                     settings=s)
    assert isinstance(temporal, ETAS) and isinstance(located, SpatialETAS)
    assert (temporal.taper_days, temporal.param_draws) == (50.0, 3)
    assert located.etas_kwargs == {"taper_days": 50.0, "param_draws": 3}
    assert type(build_model("poisson", spatial=True)).__name__ == "SpatialPoisson"
    with pytest.raises(InputError, match="unknown model"):
        build_model("hawkes")


def test_a_config_file_then_flags_override(tmp_path):
    cfg = tmp_path / "models.yaml"
    cfg.write_text("etas_taper_days: 200\netas_param_draws: 4\n")
    assert ModelSettings.load(cfg).etas_taper_days == 200.0
    assert ModelSettings.load(cfg, etas_param_draws=0).etas_param_draws == 0
    cfg.write_text("etas_taper_days: -1\n")
    with pytest.raises(InputError, match="etas_taper_days"):
        ModelSettings.load(cfg)


@pytest.fixture(scope="module")
def catalog_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("reg") / "synthetic.csv"
    write_catalog(synthetic_catalog(years=3, rng=4), path)
    return path


def _issue(catalog_path, tmp_path, *extra):
    out = tmp_path / "f.json"
    res = CliRunner().invoke(app, ["forecast", "issue", "--catalog", str(catalog_path),
                                   "--start", "2012-06-01", "--model", "etas", "--samples", "50",
                                   "--json", str(out), *extra])
    return res, out


def test_cli_flags_and_config_reach_the_model(catalog_path, tmp_path):
    cfg = tmp_path / "m.toml"
    cfg.write_text("etas_taper_days = 300.0\netas_param_draws = 0\n")
    res, out = _issue(catalog_path, tmp_path, "--config", str(cfg))
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["etas"]["params"]["params"]["tau"] == 300.0
    res, out = _issue(catalog_path, tmp_path, "--config", str(cfg), "--taper-days", "77")
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["etas"]["params"]["params"]["tau"] == 77.0
    res, _ = _issue(catalog_path, tmp_path, "--param-draws", "-1")
    assert res.exit_code == 1 and "--param-draws" in str(res.exception)
