"""hypothesis fuzz of the catalog readers: a valid catalog or a project error, nothing else."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geohazard.catalog import read_catalog
from geohazard.exceptions import CatalogError, InputError, ParameterError

PROJECT_ERRORS = (CatalogError, InputError, ParameterError)
FUZZ = settings(max_examples=int(os.environ.get("GEOHAZARD_FUZZ_EXAMPLES", "80")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

_TIMES = st.one_of(
    st.datetimes(min_value=pd.Timestamp("1700-01-01").to_pydatetime(),
                 max_value=pd.Timestamp("2200-01-01").to_pydatetime()).map(lambda d: d.isoformat()),
    st.text(max_size=10), st.integers().map(str), st.just(""))
_NUMBERS = st.one_of(st.floats().map(repr), st.sampled_from(["inf", "-inf", "nan", "NaN", "",
                                                             "1e400", "99", "-1"]),
                     st.integers(-10**20, 10**20).map(str), st.text(max_size=6))
_HEADERS = st.lists(st.sampled_from(["time", "magnitude", "mag", "latitude", "longitude", "depth",
                                     "x", "y", "id", "t_days", "#EventID|Time", "", "extra"]),
                    min_size=1, max_size=6)
_JSON = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
                     lambda kids: st.lists(kids, max_size=3)
                     | st.dictionaries(st.text(max_size=8), kids, max_size=3), max_leaves=6)
_SIDECAR_KEYS = st.sampled_from(["name", "mag_completeness", "mag_roundoff_error", "start", "end",
                                 "train_start", "val_start", "test_start", "simulated", "events"])


def _check(path) -> None:  # noqa: ANN001
    try:
        cat = read_catalog(path)
    except PROJECT_ERRORS:
        return
    assert len(cat) >= 1
    assert cat.times.is_monotonic_increasing
    assert np.isfinite(cat.magnitudes).all()


@FUZZ
@given(header=_HEADERS, rows=st.lists(st.lists(st.one_of(_TIMES, _NUMBERS), max_size=7),
                                      max_size=6),
       sep=st.sampled_from([",", ";", "|"]))
def test_any_table_reads_or_raises_a_project_error(tmp_path, header, rows, sep) -> None:
    """Arbitrary headers, cells (inf, nan, huge, text) and separators."""
    def clean(s: str) -> str:
        return s.replace("\n", " ").replace("\r", " ")

    text = sep.join(header) + "\n" + "".join(sep.join(map(clean, r)) + "\n" for r in rows)
    path = tmp_path / "fuzz.csv"
    path.write_text(text, encoding="utf-8")
    _check(path)


@FUZZ
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_read_or_raise_a_project_error(tmp_path, data) -> None:
    """Binary junk behind a valid-looking header, or alone."""
    for i, blob in enumerate((data, b"time,magnitude\n" + data)):
        path = tmp_path / f"bytes{i}.csv"
        path.write_bytes(blob)
        _check(path)


@FUZZ
@given(meta=st.one_of(_JSON, st.dictionaries(_SIDECAR_KEYS, _JSON, max_size=5)))
def test_any_sidecar_reads_or_raises_a_project_error(tmp_path, meta) -> None:
    """A valid table with an arbitrary JSON sidecar."""
    path = tmp_path / "side.csv"
    path.write_text("time,magnitude\n2020-01-01T00:00:00Z,1.5\n2020-01-02T00:00:00Z,2.0\n")
    (tmp_path / "side.json").write_text(json.dumps(meta))
    _check(path)
