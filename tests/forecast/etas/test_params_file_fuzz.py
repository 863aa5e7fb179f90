"""hypothesis fuzz of the ETAS parameter-file reader: parameters or a project error."""

from __future__ import annotations

import json
import math
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geohazard.exceptions import CatalogError, InputError, ParameterError
from geohazard.forecast.etas.params import PARAM_NAMES, ETASParams, read_params

PROJECT_ERRORS = (CatalogError, InputError, ParameterError)
FUZZ = settings(max_examples=int(os.environ.get("GEOHAZARD_FUZZ_EXAMPLES", "80")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
_LEAF = (st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats()
         | st.text(max_size=8) | st.sampled_from(["1e400", "nan", "0.5", "-1"]))
_JSON = st.recursive(_LEAF, lambda kids: st.lists(kids, max_size=3)
                     | st.dictionaries(st.text(max_size=6), kids, max_size=3), max_leaves=8)
_KEYS = st.sampled_from([*PARAM_NAMES, "tau", "b_value", "params", "catalogs", "cat"])
_PARAMS = st.dictionaries(_KEYS, _JSON, max_size=8)


def _check(path, catalog: str = "") -> None:  # noqa: ANN001
    try:
        params, b = read_params(path, catalog)
    except PROJECT_ERRORS as exc:
        assert str(path) in str(exc)  # every error names the file
        assert "np.float64" not in str(exc)
        return
    assert isinstance(params, ETASParams)
    assert all(math.isfinite(v) for v in params.to_array())
    assert b is None or 0.1 <= b <= 5.0


@FUZZ
@given(raw=st.one_of(_JSON, _PARAMS, _PARAMS.map(lambda d: {"params": d}),
                     _PARAMS.map(lambda d: {"catalogs": {"cat": d}})))
def test_any_json_gives_parameters_or_a_project_error(tmp_path, raw) -> None:
    """Arbitrary JSON (wrapped or per catalog, with NaN and infinities)."""
    path = tmp_path / "p.json"
    path.write_text(json.dumps(raw))
    _check(path, "cat")


@FUZZ
@given(data=st.binary(max_size=120))
def test_any_bytes_give_parameters_or_a_project_error(tmp_path, data) -> None:
    """Binary junk, truncated JSON, other encodings."""
    path = tmp_path / "p.json"
    path.write_bytes(data)
    _check(path)


def test_a_good_file_and_its_b_value_are_read(tmp_path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"catalogs": {"X": {"mu": 0.1, "k": 0.01, "alpha": 1.0,
                                                   "c": 0.01, "p": 1.1, "b_value": 0.9}}}))
    params, b = read_params(path, "X")
    assert params.p == 1.1 and b == 0.9
