"""Earthquake forecasting: temporal ETAS, the RECAST neural point process, forecasts."""
