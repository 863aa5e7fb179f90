"""Plotting: functions ``f(obj, ax=None) -> Axes``, one module per system."""
