"""MkDocs hook: the Results page, generated at build time from ``benchmarks/results/*.json``.

Every figure on the page is read from the files when the site is built, so the page cannot
drift from them. A headline figure whose file or key is missing stops the build
(``PluginError``): rename a key in a benchmark and this table has to follow. The PNG figures
beside the JSON files are copied into the site.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

PAGE = "results.md"
RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
MAX_ROWS = 80  # per file; longer tables say how many rows were left out
MAX_LIST = 6  # lists longer than this are summarised by their length

# (label, file, dotted key path, format, paper or baseline beside it)
HEADLINES: list[tuple[str, str, str, str, str]] = [
    ("RECAST test NLL/day, QTM San Jacinto (mean of seeds)", "recast_reproduction.json",
     "summary.QTMSanJacinto.test_nll_per_day_mean", ".3f", "paper −6.720"),
    ("RECAST test NLL/day, SCEDC", "recast_reproduction.json",
     "summary.SCEDC.test_nll_per_day_mean", ".3f", "paper −14.191"),
    ("RECAST test NLL/day, White", "recast_reproduction.json",
     "summary.White.test_nll_per_day_mean", ".3f", "paper −89.558"),
    ("ETAS tapered test NLL/day, QTM San Jacinto", "etas.json",
     "taper.QTMSanJacinto.selected_test_nll_per_day", ".3f", "paper ETAS −6.6727"),
    ("ETAS tapered test NLL/day, SCEDC", "etas.json",
     "taper.SCEDC.selected_test_nll_per_day", ".3f", "paper ETAS −14.253"),
    ("ETAS tapered test NLL/day, White", "etas.json",
     "taper.White.selected_test_nll_per_day", ".3f", "paper ETAS seed 0 −89.309"),
    ("SCEDC 14-day forecasts, project protocol: 95% coverage, RECAST",
     "forecast_scedc_scores.json", "summaries.recast.coverage_95", ".3f",
     "another protocol than the paper's"),
    ("SCEDC 14-day forecasts, project protocol: 95% coverage, ETAS",
     "forecast_scedc_scores.json", "summaries.etas.coverage_95", ".3f",
     "another protocol than the paper's"),
    ("SCEDC 14-day forecasts, project protocol: windows RECAST beats ETAS",
     "forecast_scedc_scores.json", "comparison.recast_vs_etas_kde.wins", "d", "of 156"),
    ("SCEDC, paper protocol: fraction outside 95%, RECAST",
     "forecast_scedc_paper_protocol.json", "paper_rules.models.recast.outside_95_fraction",
     ".3f", "paper 0.135"),
    ("SCEDC, paper protocol: fraction outside 95%, the paper's ETAS",
     "forecast_scedc_paper_protocol.json",
     "paper_rules.models.etas_paper.outside_95_fraction", ".3f", "paper 0.329"),
    ("SCEDC, paper protocol: complete misses, RECAST", "forecast_scedc_paper_protocol.json",
     "paper_rules.models.recast.complete_misses", "d", "paper 1"),
    ("SCEDC, paper protocol: complete misses, the paper's ETAS",
     "forecast_scedc_paper_protocol.json", "paper_rules.models.etas_paper.complete_misses",
     "d", "paper 10"),
    ("SCEDC, paper protocol: windows RECAST beats the paper's ETAS",
     "forecast_scedc_paper_protocol.json", "paper_rules.wins.recast_vs_etas_paper.wins", "d",
     "paper 138/155 (of 156 here)"),
    ("Daily SCEDC forecasts through Ridgecrest: 95% coverage, RECAST",
     "prospective_scedc.json", "summaries.recast.coverage_95", ".3f", ""),
    ("Daily SCEDC forecasts through Ridgecrest: 95% coverage, ETAS",
     "prospective_scedc.json", "summaries.etas.coverage_95", ".3f", ""),
    ("Located QTM San Jacinto: S-test pass rate, SpatialETAS", "forecast_located.json",
     "models.etas.pass_s", ".2f", ""),
    ("EarthquakeNPP SanJac_10: TLL per event, KernelRecast (mean of 5 seeds)",
     "npp_sanjac.json", "models.recast-kernel.tll_events.mean", ".4f", "ETAS published 1.1325"),
    ("EarthquakeNPP SanJac_10: SLL per event, KernelRecast (mean of 5 seeds)",
     "npp_sanjac.json", "models.recast-kernel.sll.mean", ".4f",
     "ETAS published −5.40, best neural −6.40"),
    ("Located QTM San Jacinto: S-test pass rate, KernelRecast (mean of 3 seeds)",
     "forecast_located.json", "recast_kernel_seeds.pass_s.mean", ".2f", "SpatialETAS 0.94"),
    ("Located QTM San Jacinto: N-test pass rate, KernelRecast (mean of 3 seeds)",
     "forecast_located.json", "recast_kernel_seeds.pass_n.mean", ".2f", "SpatialETAS 0.94"),
    ("EarthquakeNPP SanJac_10: SLL per event, our ETAS (benchmark's EM fit)",
     "npp_sanjac.json", "models.etas.sll.mean", ".4f", "published −5.40"),
    ("RECAST sampling vs the reference, worst case, QTM San Jacinto, busy machine",
     "recast_sample_vs_reference.json",
     "catalogs.QTMSanJacinto.loaded.speedup_wall.worst_case_ours_max_vs_reference_min", ".1f",
     "target ≥ 3"),
    ("RECAST sampling vs the reference, worst case, SCEDC, busy machine",
     "recast_sample_vs_reference.json",
     "catalogs.SCEDC.loaded.speedup_wall.worst_case_ours_max_vs_reference_min", ".1f",
     "target ≥ 3"),
    ("forecast issue --checkpoint: (whole − read) / sampling, QTM San Jacinto, median",
     "recast_sample_vs_reference.json",
     "catalogs.QTMSanJacinto.e2e.summary.ratio_read_with_import.median", ".2f",
     "target ≤ 1.5 (read: pandas' import and the call)"),
    ("forecast issue --checkpoint: same, the read call alone, QTM San Jacinto, median",
     "recast_sample_vs_reference.json",
     "catalogs.QTMSanJacinto.e2e.summary.ratio_read_call.median", ".2f", "target ≤ 1.5"),
    ("forecast issue --checkpoint: same, the read call alone, SCEDC, median",
     "recast_sample_vs_reference.json", "catalogs.SCEDC.e2e.summary.ratio_read_call.median",
     ".2f", "target ≤ 1.5"),
    ("RECAST training CPU speed-up over the paper's loop", "recast_train_QTMSanJacinto.json",
     "speedup_cpu", ".1f", ""),
    ("USGS global model vs USGS Loma Prieta reference (Pearson r)",
     "landslide_usgs_loma_prieta.json", "operational.pearson_r", ".5f", ""),
    ("USGS global model: windowed / in-memory peak memory", "landslide_usgs.json",
     "memory_ratio_windowed_over_memory", ".2f", ""),
]


def _get(data: Any, path: str, where: str) -> Any:
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            raise PluginError(f"results page: {where} has no key '{path}' (stopped at '{key}')")
        data = data[key]
    return data


def _fmt(value: Any, spec: str = "") -> str:
    if isinstance(value, bool) or value is None:
        return "null" if value is None else str(value).lower()
    if isinstance(value, int) and not spec:
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if spec:
            return format(value, spec).replace("-", "−")
        return f"{value:.4g}".replace("-", "−")
    if spec and isinstance(value, int):
        return format(value, spec)
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 120 else text[:117] + "..."


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            rows += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        if len(data) <= MAX_LIST and all(not isinstance(v, dict | list) for v in data):
            rows.append((prefix, ", ".join(_fmt(v) for v in data)))
        else:
            rows.append((prefix, f"[{len(data)} items]"))
    else:
        rows.append((prefix, _fmt(data)))
    return rows


def _load(name: str) -> Any:
    path = RESULTS / name
    if not path.exists():
        raise PluginError(f"results page: {path} not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise PluginError(f"results page: {path}: not strict JSON ({exc})") from None


def _headlines() -> list[str]:
    lines = ["## Headline figures", "",
             "| Figure | Value | Beside it | Source |", "|---|---|---|---|"]
    for label, name, path, spec, beside in HEADLINES:
        value = _get(_load(name), path, name)
        lines.append(f"| {label} | {_fmt(value, spec)} | {beside} | `{name}`: `{path}` |")
    return lines + [""]


def _file_section(path: Path) -> list[str]:
    data = _load(path.name)
    rows = _flatten(data)
    lines = [f"### {path.stem}", ""]
    command = data.get("command") if isinstance(data, dict) else None
    if isinstance(command, str):
        lines += [f"Made by `{command}`.", ""]
    lines += [f'??? note "{len(rows)} figures in `{path.name}`"', "",
              "    | Key | Value |", "    |---|---|"]
    lines += [f"    | `{key}` | {value} |" for key, value in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        lines.append(f"    | ... | {len(rows) - MAX_ROWS} more rows in the file |")
    return lines + [""]


def render() -> str:
    """The Markdown of the Results page."""
    if not RESULTS.is_dir():
        raise PluginError(f"results page: {RESULTS} not found")
    files = sorted(RESULTS.glob("*.json"))
    if not files:
        raise PluginError(f"results page: no JSON files in {RESULTS}")
    lines = ["# Results", "",
             "Generated when the site is built from `benchmarks/results/*.json`, the files the "
             "benchmark scripts in `benchmarks/` write (2-core CPU machine; see "
             "`benchmarks/README.md`). Nothing on this page is typed by hand: rerun a benchmark "
             "and rebuild the site to update it.", ""]
    lines += _headlines()
    pngs = sorted(RESULTS.glob("*.png"))
    if pngs:
        lines += ["## Figures", ""]
        lines += [f"![{p.stem}](results/{p.name})" + "{ loading=lazy }" + "\n" for p in pngs]
    lines += ["## Every file", ""]
    for path in files:
        lines += _file_section(path)
    return "\n".join(lines)


def on_files(files: Files, config: Any) -> Files:
    """Add the generated page and the benchmark figures to the site."""
    existing = files.get_file_from_path(PAGE)
    if existing is not None:
        files.remove(existing)
    files.append(File.generated(config, PAGE, content=render()))
    for png in sorted(RESULTS.glob("*.png")):
        files.append(File.generated(config, f"results/{png.name}", abs_src_path=str(png)))
    return files
