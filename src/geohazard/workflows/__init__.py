"""Each end-to-end job written once, above the domain packages and the renderers.

``forecast``: fit -> issue -> evaluate -> archive -> report, backtests and the prospective
loop; ``das``: analyse a storm, then write tables, figures and report; ``landslide``:
susceptibility and hazard runs with their reports. The CLI and the demo parse their inputs,
call one of these and render what it returns.
"""

from __future__ import annotations

from geohazard._lazy import lazy_exports

_EXPORTS = {
    "ForecastRun": "forecast", "fit_models": "forecast", "issue_job": "forecast",
    "forecast_job": "forecast", "backtest_job": "forecast", "prospective_job": "forecast",
    "evaluate_job": "forecast", "covered_observations": "forecast",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
