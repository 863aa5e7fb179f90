"""The documentation's code cannot rot: every ``python`` block of a docs page runs here.

Each page's blocks run in order in one namespace, in a temporary folder, the way a reader
would paste them. A page makes itself fast with HTML comments that readers never see:

``<!-- docs-test-override: NAME = expression -->``
    after the block that first assigns ``NAME``, run this assignment (smaller settings);
``<!-- docs-test: skip -->``
    immediately before a block: do not run it (say why on the page).

Every ``geohazard ...`` command in the pages' shell blocks must name real sub-commands and
options of the CLI. The site build itself (``mkdocs build --strict``) is ``make docs``; here
the page structure is checked: every page in the nav exists, and every public module is on a
reference page.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
SHARED_DATA = Path(os.environ.get("GEOHAZARD_SHARED_DATA", REPO.parent / "shared" / "data"))

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
OVERRIDE = re.compile(r"<!--\s*docs-test-override:\s*(\w+)\s*=\s*(.+?)\s*-->")
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*-->\s*$")

#: Pages whose python blocks are executed; each needs these extras (importable modules).
PAGES = {
    "tutorials/forecast.md": ("torch", "csep"),
    "tutorials/das.md": ("dascore",),
    "tutorials/landslide.md": ("rasterio", "sklearn", "pygmm"),
    "how-to/config.md": (),
    "how-to/large-rasters.md": ("rasterio",),
}


def python_blocks(text: str) -> list[tuple[int, str, bool]]:
    """``(line, code, skipped)`` for each ```python block of a Markdown page."""
    out = []
    for m in FENCE.finditer(text):
        if m.group(1) != "python":
            continue
        before = text[: m.start()].rstrip("\n")
        out.append((before.count("\n") + 2, m.group(2), bool(SKIP.search(before))))
    return out


def overrides(text: str) -> dict[str, str]:
    """``NAME -> expression`` from the page's docs-test-override comments."""
    return {name: expr for name, expr in OVERRIDE.findall(text)}


def _assigned(code: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def run_page(page: str) -> int:
    """Run the page's blocks in the current folder; return how many ran."""
    text = (DOCS / page).read_text(encoding="utf-8")
    pending = overrides(text)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    ran = 0
    for line, code, skipped in python_blocks(text):
        if skipped:
            continue
        try:
            exec(compile(code, f"{page}:{line}", "exec"), namespace)  # noqa: S102
        except Exception as exc:
            raise AssertionError(f"{page}, block at line {line}: {exc!r}") from exc
        for name in sorted(_assigned(code) & set(pending)):
            exec(f"{name} = {pending.pop(name)}", namespace)  # noqa: S102
        ran += 1
    assert not pending, f"{page}: overrides for names no block assigns: {sorted(pending)}"
    return ran


def test_nav_pages_exist() -> None:
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    cfg = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)

    def walk(item: object) -> list[str]:
        if isinstance(item, str):
            return [item]
        if isinstance(item, dict):
            return [p for v in item.values() for p in walk(v)]
        if isinstance(item, list):
            return [p for v in item for p in walk(v)]
        return []

    generated = {"results.md"}  # written by docs/hooks/results.py at build time
    missing = [p for p in walk(cfg["nav"]) if p not in generated and not (DOCS / p).exists()]
    assert not missing, f"mkdocs.yml nav names missing pages: {missing}"
    assert (REPO / "docs" / "hooks" / "results.py").exists()


def _hook(name: str) -> object:
    import importlib.util

    path = DOCS / "hooks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_docs_hook_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_covers_every_module() -> None:
    """Every public module is on a reference page: named there (``::: module``, which fails
    the build once the module is gone) or listed by the page's ``reference-rest`` marker."""
    pytest.importorskip("mkdocs")
    hook = _hook("reference")
    covered: set[str] = set()
    for page in (DOCS / "reference").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        covered |= set(hook.NAMED.findall(text))
        for package in hook.MARKER.findall(text):
            covered |= set(hook.modules_of(package))
    src = REPO / "src"
    every = set()
    for path in (src / "geohazard").rglob("*.py"):
        parts = path.relative_to(src).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        if len(parts) > 1 and parts[1] not in hook.ELSEWHERE and not any(
                p.startswith("_") for p in parts):
            every.add(".".join(parts))
    assert not every - covered, f"modules on no reference page: {sorted(every - covered)}"


def test_block_parser() -> None:
    text = ("intro\n<!-- docs-test-override: N = 2 -->\n```python\nN = 10\n```\n"
            "<!-- docs-test: skip -->\n```python\nraise SystemExit\n```\n```bash\nls\n```\n")
    blocks = python_blocks(text)
    assert [(c, s) for _, c, s in blocks] == [("N = 10\n", False), ("raise SystemExit\n", True)]
    assert overrides(text) == {"N": "2"}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_runs(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in PAGES[page]:
        pytest.importorskip(module)
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    monkeypatch.setenv("GEOHAZARD_SHARED_DATA", str(SHARED_DATA))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks((DOCS / page).read_text(encoding="utf-8"))
    assert blocks, f"{page} has no python block"
    threads = _torch_threads()
    try:
        ran = run_page(page)
    finally:
        if threads:  # a page may set torch's thread count, as the tutorial advises
            import torch

            torch.set_num_threads(threads)
    assert ran >= 0.75 * len(blocks), f"{page}: most blocks must run"


def _torch_threads() -> int | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.get_num_threads()


def _shell_commands(text: str) -> list[tuple[str, list[str]]]:
    """``(line, argv)`` of each ``geohazard ...`` command in the page's bash blocks."""
    import shlex

    out = []
    for m in FENCE.finditer(text):
        if m.group(1) not in ("bash", "sh", "cron"):
            continue
        joined = re.sub(r"\\\n\s*", " ", m.group(2))
        for line in joined.splitlines():
            line = line.split(" # ")[0].strip()
            at = re.search(r"(?:^|\s|/)(?:geohazard|\$G)\s", line)  # $G: a script's path
            if at is None or line.startswith("#"):
                continue
            words = shlex.split(line[at.end():].replace("$(", "("))
            out.append((line, words))
    return out


def _check_command(group: object, argv: list[str]) -> str | None:
    cmd, i = group, 0  # Typer's click objects (a group has ``commands``)
    while hasattr(cmd, "commands") and i < len(argv) and not argv[i].startswith("-"):
        sub = cmd.commands.get(argv[i])
        if sub is None:
            return f"no command {argv[i]!r}"
        cmd, i = sub, i + 1
    if hasattr(cmd, "commands"):
        return None  # `geohazard forecast --help` and the like
    known = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}
    flags = {a.split("=")[0] for a in argv[i:] if a.startswith("--")}
    bad = sorted(flags - known)
    return f"{cmd.name}: unknown options {bad}" if bad else None


#: Every page a user copies commands from: a page added later is checked without an edit.
COMMAND_PAGES = ["getting-started.md", *sorted(
    str(p.relative_to(DOCS)) for d in ("tutorials", "how-to") for p in (DOCS / d).glob("*.md"))]


def test_command_pages_include_every_how_to() -> None:
    assert "how-to/recast-multinode.md" in COMMAND_PAGES
    assert len([p for p in COMMAND_PAGES if p.startswith("how-to/")]) >= 5


@pytest.mark.parametrize("page", COMMAND_PAGES)
def test_shell_commands_exist(page: str) -> None:
    """Every ``geohazard`` command in the page's shell blocks names real commands and flags."""
    import typer

    from geohazard.cli.main import app

    group = typer.main.get_command(app)
    commands = _shell_commands((DOCS / page).read_text(encoding="utf-8"))
    bad = [f"{line}: {err}" for line, argv in commands
           if (err := _check_command(group, argv)) is not None]
    assert not bad, "\n".join(bad)


def test_every_demo_report_has_a_small_screenshot_on_the_reports_page() -> None:
    """docs/tools/screenshots.py covers every report the browser tests open; each PNG it
    wrote is committed, under 300 KB and shown on docs/reports.md."""
    from tests.report.test_browser_reports import REPORTS

    spec = ast.parse((DOCS / "tools" / "screenshots.py").read_text(encoding="utf-8"))
    table = next(n.value for n in spec.body if isinstance(n, ast.Assign)
                 and getattr(n.targets[0], "id", None) == "REPORTS")
    shots = ast.literal_eval(table)
    assert set(shots) == set(REPORTS)
    page = (DOCS / "reports.md").read_text(encoding="utf-8")
    for name, _ in shots.values():
        png = DOCS / "img" / name
        assert png.is_file(), f"{png} missing: run docs/tools/screenshots.py"
        assert png.stat().st_size < 300_000 and png.read_bytes()[:4] == b"\x89PNG"
        assert f"(img/{name})" in page, f"docs/reports.md does not show {name}"
