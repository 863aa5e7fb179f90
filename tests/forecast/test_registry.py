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


def test_the_settings_are_one_class_built_only_when_needed(tmp_path):
    """The registry and the package export the settings module's class; the CLI builds no
    settings object (no pydantic) unless a config file or a flag is given."""
    import geohazard.forecast.registry as registry
    import geohazard.forecast.settings as settings
    from geohazard.cli._forecast_flags import model_settings

    assert registry.ModelSettings is settings.ModelSettings is ModelSettings
    with pytest.raises(AttributeError, match="no attribute 'Settings'"):
        registry.Settings  # noqa: B018 - the module's __getattr__ names only ModelSettings
    assert model_settings(None, None, None) is None
    assert build_model("etas").param_draws == ModelSettings().etas_param_draws  # defaults
    given = model_settings(None, 50.0, None)
    assert isinstance(given, ModelSettings) and given.etas_taper_days == 50.0
    cfg = tmp_path / "models.toml"
    cfg.write_text("etas_param_draws = 4\n")
    assert model_settings(cfg, None, None).etas_param_draws == 4


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


def _with_events_below_mc(seed: int = 3):
    """The synthetic catalog (Mc 2.0) plus 300 events at magnitude 1.5 (below Mc)."""
    import numpy as np
    import pandas as pd

    from geohazard.catalog import Catalog

    cat = synthetic_catalog(years=3, rng=seed)
    rng = np.random.default_rng(seed)
    extra = cat.utc_of(np.sort(rng.uniform(0.0, cat.day_of(cat.metadata.end), 300)))
    df = pd.concat([cat.to_pandas(), pd.DataFrame({"time": extra, "magnitude": 1.5})])
    return Catalog(df.sort_values("time", kind="stable"), cat.metadata)


@pytest.mark.parametrize("name", ["poisson", "etas"])
def test_registry_and_workflow_fit_the_same_events_above_mc(name):
    """fit_model filters by the sidecar's Mc as the CLI does before its workflow."""
    from geohazard.forecast.registry import fit_model
    from geohazard.workflows.forecast import fit_models

    cat = _with_events_below_mc()
    assert (cat.magnitudes <= 2.0).sum() == 300
    s = ModelSettings(etas_param_draws=0)
    reg, info = fit_model(name, cat, "2012-01-01", settings=s)
    (flow, flow_info), = fit_models(cat.above_completeness(), [name], "2012-01-01",
                                    settings=s).values()
    assert info["params_hash"] == flow_info["params_hash"]
    if name == "poisson":
        assert reg.rate_per_day_ == flow.rate_per_day_ and reg.b_ == flow.b_
        seq = cat.above_completeness().to_sequence(t_end="2012-01-01")
        assert reg.rate_per_day_ == pytest.approx(len(seq) / seq.t_end)
        raw = cat.to_sequence(t_end="2012-01-01")
        assert len(raw) > len(seq) + 100  # the events below Mc were left out
    else:
        assert reg.params_.to_dict() == flow.params_.to_dict()
        direct = ETAS(taper_days=1000.0).fit(cat.above_completeness(), fit_end="2012-01-01")
        assert reg.params_.to_dict() == pytest.approx(direct.params_.to_dict())
