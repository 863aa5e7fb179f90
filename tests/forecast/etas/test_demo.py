from __future__ import annotations

import json

from geohazard.catalog.io import read_catalog
from geohazard.demo.etas import TRUTH, run_demo


def test_run_demo_recovers_its_truth_and_writes_files(tmp_path):
    result = run_demo(None, tmp_path, rng=1)
    assert result["converged"] and result["within_2se"]
    assert result["truth"] == TRUTH.to_dict()
    assert 1000 < result["events"] < 3000
    assert abs(result["branching_ratio_fit"] - result["branching_ratio_true"]) < 0.15
    saved = json.loads((tmp_path / "etas_demo.json").read_text())
    assert saved["estimate"] == result["estimate"]
    cat = read_catalog(tmp_path / "etas_synthetic.csv")
    assert len(cat) == result["events"] and cat.metadata.mag_completeness == 2.0


def test_run_demo_fits_a_small_real_catalog(tmp_path, qtm):
    result = run_demo(qtm, tmp_path, rng=2)
    assert result["catalog"]["name"] == "QTMSanJacinto"
    assert result["catalog"]["test"]["nll_per_day"] < -6.67  # the paper's ETAS: -6.6726
