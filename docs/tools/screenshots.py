"""Screenshots of every report `geohazard demo` writes, for the docs (docs/img/report-*.png).

Usage (from the repository root)::

    .venv/bin/python docs/tools/screenshots.py            # runs the demo into a temp folder
    .venv/bin/python docs/tools/screenshots.py --demo DIR # uses a demo folder already written

Each report is opened in headless Chromium from its file URL (the reports are offline and
self-contained), the top of the page is captured, scaled to 900 px wide and reduced to a
256-colour PNG so each file stays well under 300 KB.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

DOCS_IMG = Path(__file__).resolve().parents[1] / "img"
#: Report (relative to the demo folder) -> screenshot name and window height in pixels.
REPORTS = {
    "report.html": ("report-demo.png", 2200),
    "forecast/report.html": ("report-forecast.png", 2200),
    "forecast/record.html": ("report-record.png", 2000),
    "das/analysis/report.html": ("report-das.png", 1800),
    "landslide/report.html": ("report-landslide.png", 1800),
}
WIDTH = 1200
MAX_BYTES = 300_000


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        sys.exit("chromium is not installed (Debian package `chromium`)")
    return exe


def shoot(html: Path, png: Path, height: int) -> Path:
    """Capture the top ``height`` pixels of ``html`` into a small palette PNG."""
    with tempfile.TemporaryDirectory() as profile:
        raw = Path(profile) / "raw.png"
        subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--user-data-dir={profile}",
                        f"--window-size={WIDTH},{height}", f"--screenshot={raw}",
                        html.resolve().as_uri()], check=True, capture_output=True, timeout=180)
        img = Image.open(raw).convert("RGB")
    img = img.resize((900, round(img.height * 900 / img.width)), Image.Resampling.LANCZOS)
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(png, optimize=True)
    if png.stat().st_size > MAX_BYTES:
        raise SystemExit(f"{png} is {png.stat().st_size} bytes (over {MAX_BYTES})")
    return png


def main(argv: list[str] | None = None) -> None:
    """Run the demo (or take ``--demo DIR``) and write one screenshot per report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, help="a folder `geohazard demo` wrote")
    parser.add_argument("--out", type=Path, default=DOCS_IMG, help="where the PNGs go")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        demo = args.demo
        if demo is None:
            demo = Path(tmp) / "demo"
            subprocess.run([sys.executable, "-m", "geohazard.cli.main", "demo", "--out",
                            str(demo), "--seed", "0"], check=True)
        args.out.mkdir(parents=True, exist_ok=True)
        for rel, (name, height) in REPORTS.items():
            png = shoot(demo / rel, args.out / name, height)
            print(f"{png} ({png.stat().st_size // 1000} KB)")


if __name__ == "__main__":
    main()
