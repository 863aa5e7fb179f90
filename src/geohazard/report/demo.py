"""Sections of the ``geohazard demo`` report, rendered from each step's result dict.

Every number carries its unit; each section adds its headline to the report's summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from geohazard.report._format import fmt, magnitude, with_unit
from geohazard.report._html import HtmlReport

__all__ = ["ETAS_PARAMETERS", "catalog_section", "das_section", "etas_section",
           "landslide_section", "recast_section"]

#: ETAS parameter -> (meaning, unit) in
#: lambda(t) = mu + sum k 10^(alpha (m - Mc)) (t - t_j + c)^-p (time in days).
ETAS_PARAMETERS: dict[str, tuple[str, str]] = {
    "mu": ("background rate", "events/day"),
    "k": ("productivity of an event at Mc", "events·day^(p−1)"),
    "alpha": ("productivity growth per magnitude unit (log10)", "1/magnitude"),
    "c": ("Omori time offset", "days"),
    "p": ("Omori decay exponent", "dimensionless"),
}

_FIGURE_CAPTIONS = {
    "magnitude_time": "Magnitude of every event against time (UTC), with the train, "
                      "validation and test start dates dashed",
    "cumulative_count": "Cumulative number of events against time (UTC): the slope is the "
                        "event rate, steps are aftershock sequences",
    "frequency_magnitude": "Frequency-magnitude distribution: number of events at or above "
                           "each magnitude (circles) and per 0.1 magnitude bin (squares), with "
                           "the Gutenberg-Richter fit above Mc",
}


def catalog_section(report: HtmlReport, summary: Mapping[str, Any],
                    plots: Sequence[Path]) -> None:
    """Catalog size, span, the Mc used (and two estimates of it), b-values, splits, plots."""
    mc = summary.get("mag_completeness_metadata")
    report.heading("Catalog")
    rows: dict[str, Any] = {
        "events": summary["events"],
        "first event (UTC)": str(summary["first_event"])[:19].replace("T", " "),
        "last event (UTC)": str(summary["last_event"])[:19].replace("T", " "),
        "span (days)": summary.get("span_days"),
        "magnitude range": f"{fmt(summary.get('magnitude_min'))} to "
                           f"{fmt(summary.get('magnitude_max'))}",
        "Mc used (catalog metadata; events above it are modelled)": magnitude(mc),
    }
    rows |= {f"Mc estimate ({k.replace('_', ' ')})": magnitude(v)
             for k, v in summary["mc"].items()}
    for method, bv in summary.get("b_value", {}).items():
        rows[f"b-value ({method.replace('_', ' ')}, {bv['n']} events)"] = \
            f"{bv['b']:.3f} ± {bv['se']:.3f}"
    for split, n in summary.get("splits", {}).items():
        rows[f"events scored in the {split} split"] = n
    report.key_values(rows)
    b = summary.get("b_value", {}).get("aki_utsu")
    report.summary(f"Catalog {summary.get('name', '')}: {summary['events']} events from "
                   f"{str(summary['first_event'])[:10]} to {str(summary['last_event'])[:10]}; "
                   + (f"Mc {magnitude(mc)} (from the catalog's metadata)" if mc is not None
                      else "no Mc in the metadata")
                   + (f"; b-value {b['b']:.2f} ± {b['se']:.2f}." if b else "."))
    for p in plots:
        report.figure(p, _FIGURE_CAPTIONS.get(Path(p).stem, Path(p).stem.replace("_", " ")))


def _branching_text(res: Mapping[str, Any]) -> str:
    n_true, n_fit = res["branching_ratio_true"], res["branching_ratio_fit"]
    p_true, p_fit = res["truth"]["p"], res["estimate"]["p"]
    return (f"Branching ratio n = mean number of direct aftershocks of one event (also the "
            f"long-run fraction of events that are aftershocks; n < 1 keeps the sequence from "
            f"exploding): true {n_true:.3f}, fitted {n_fit:.3f}. n = k · E[10^(α(M−Mc))] · "
            f"c^(1−p)/(p−1) on an infinite horizon, so it grows steeply as p approaches 1 and "
            f"a small error in p moves it a lot: here p is fitted as {p_fit:.3f} against the "
            f"true {p_true:.3f}. "
            + ("All five parameters are within 2 standard errors of the truth."
               if res.get("within_2se")
               else "Not all five parameters are within 2 standard errors of the truth."))


def etas_section(report: HtmlReport, res: Mapping[str, Any]) -> None:
    """Truth against estimate with units, then the branching ratio explained."""
    report.heading("ETAS: simulate, fit, recover the truth")
    report.paragraph("A catalog is simulated from known ETAS parameters (time in days, "
                     "λ(t) = μ + Σ k·10^(α(m_j − Mc))·(t − t_j + c)^(−p)) and fitted by "
                     "maximum likelihood; z = (estimate − truth) / standard error.", "note")
    report.table(["parameter", "meaning", "unit", "true", "estimate ± standard error", "z"],
                 [[k, *ETAS_PARAMETERS.get(k, ("", "")), res["truth"][k],
                   f"{fmt(res['estimate'][k])} ± {fmt(res['se'][k], 2)}", res["z"][k]]
                  for k in res["truth"]])
    report.key_values({"simulated events": res["events"],
                       "expected events (truth)": res["expected_events"],
                       "branching ratio n, true / fitted":
                       f"{res['branching_ratio_true']:.3f} / {res['branching_ratio_fit']:.3f}",
                       "fit time (s)": res["fit_seconds"]})
    report.paragraph(_branching_text(res))
    ok = bool(res.get("within_2se"))
    report.summary(f"ETAS recovers its simulated truth: {'all' if ok else 'not all'} five "
                   f"parameters within 2 standard errors ({res['events']} events); branching "
                   f"ratio true {res['branching_ratio_true']:.2f}, fitted "
                   f"{res['branching_ratio_fit']:.2f}.", "good" if ok else "warn")


def recast_section(report: HtmlReport, res: Mapping[str, Any]) -> None:
    """Negative log-likelihood per split, in nats per day and per event."""
    report.heading("RECAST: neural temporal point process")
    report.paragraph("Negative log-likelihood (NLL) of each split, conditioned on all earlier "
                     "events, per day and per event (lower is better); 'time only' scores the "
                     "event times as in the RECAST paper.", "note")
    report.table(["split", "NLL, time only (nats/day)", "NLL, time + magnitude (nats/day)",
                  "NLL, time only (nats/event)", "events"],
                 [[k, v["nll_per_day_time"], v["nll_per_day_time_mag"],
                   v.get("nll_per_event_time"), v["n_events"]]
                  for k, v in res["splits"].items()])
    rows = {"epochs": res["epochs"], "training time (s)": res["wall_s"]}
    if "true_test_nll_per_day_time" in res:
        rows["true test NLL, time only (nats/day)"] = res["true_test_nll_per_day_time"]
    report.key_values(rows)
    test = res["splits"].get("test")
    if test is not None:
        report.summary(f"RECAST ({res['epochs']} epochs, {res['wall_s']:.0f} s): test NLL "
                       f"{test['nll_per_day_time']:.3f} nats/day (time only).")


_DAS_LABELS = {
    "n_files": ("interrogator files", ""), "n_channels": ("channels", ""),
    "n_windows": ("time windows", ""), "n_events": ("storm events found", ""),
    "true_pole_centres": ("true pole channels (centres)", ""),
    "found_pole_channels": ("pole channels found", ""),
    "true_drain_centres": ("true drain channels (centres)", ""),
    "found_drain_channels": ("drain channels found", ""),
    "max_wind_slope_rel_error": ("largest relative error of a wind slope", "fraction"),
    "seconds": ("run time", "s"),
}


def _labelled(res: Mapping[str, Any], labels: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for key, value in res.items():
        if isinstance(value, dict) or key == "report":
            continue
        label, unit = labels.get(key, (key.replace("_", " "), ""))
        if isinstance(value, list):
            value = ", ".join(fmt(v) for v in value)
        rows[f"{label} ({unit})" if unit else label] = value
    return rows


def das_section(report: HtmlReport, res: Mapping[str, Any]) -> None:
    """The synthetic storm's truth against what the analysis found."""
    report.heading("DAS storm noise")
    report.paragraph("A synthetic storm on a fiber with known noisy poles and drains: the "
                     "analysis should find them and recover the wind slopes.", "note")
    report.key_values(_labelled(res, _DAS_LABELS))
    err = res.get("max_wind_slope_rel_error")
    if err is not None:
        report.summary(f"DAS: {res.get('n_events', 0)} storm events found; wind slopes within "
                       f"{100 * err:.1f}% of the truth.", "good" if err < 0.1 else "warn")


_LANDSLIDE_LABELS = {
    "auc_true_model": ("AUC of the true model (the best achievable)", ""),
    "auc_heldout_mean": ("held-out AUC (spatially blocked cross-validation, mean)", ""),
    "prediction_rate_auc": ("prediction-rate AUC (held-out blocks)", ""),
    "n_cells": ("grid cells", ""), "n_landslide_cells": ("landslide cells", ""),
    "hanging_wall_cells": ("hanging-wall cells", ""), "footwall_cells": ("footwall cells", ""),
    "seconds": ("run time", "s"),
}


def landslide_section(report: HtmlReport, res: Mapping[str, Any]) -> None:
    """Synthetic susceptibility: coefficients recovered and held-out AUC."""
    report.heading("Earthquake-induced landslides")
    report.paragraph("Landslides drawn from a known logistic model on synthetic terrain, then "
                     "fitted: coefficients are per degree of slope, per km from the fault and "
                     "for lithology class 1 (log-odds). AUC is 0.5 for a random map, 1 for a "
                     "perfect one.", "note")
    true, fit, se = (res.get(k, {}) for k in ("true_coefficients", "fitted_coefficients",
                                               "fitted_se"))
    if fit:
        report.table(["term", "true (log-odds)", "fitted ± standard error (log-odds)"],
                     [[k, true.get(k), f"{fmt(v)} ± {fmt(se.get(k), 2)}"]
                      for k, v in fit.items()])
    report.key_values(_labelled(res, _LANDSLIDE_LABELS))
    auc = res.get("auc_heldout_mean")
    if auc is not None:
        report.summary(f"Landslide susceptibility: held-out AUC {auc:.2f} (true model "
                       f"{with_unit(res.get('auc_true_model'), '', 2)}).")
