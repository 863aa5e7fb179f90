"""Packaging: one version, filled-in metadata, and LICENSE, CITATION.cff and CHANGELOG.md in
the sdist and the wheel (a real build of the committed files, with setuptools as pip runs it)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

import geohazard

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SHIPPED = ("LICENSE", "CITATION.cff", "CHANGELOG.md")


def test_the_version_lives_in_pyproject_only():
    version = PYPROJECT["project"]["version"]
    assert geohazard.__version__ == importlib.metadata.version("geohazard") == version
    tree = ast.parse((REPO / "src" / "geohazard" / "__init__.py").read_text(encoding="utf-8"))
    literals = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value == version]
    assert not literals, "__init__.py repeats the version instead of reading the metadata"
    cff = (REPO / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(rf"^version: {re.escape(version)}$", cff, re.M)
    assert f"## [{version}]" in (REPO / "CHANGELOG.md").read_text(encoding="utf-8")


def test_metadata_is_filled_in():
    project = PYPROJECT["project"]
    assert project["authors"] and project["authors"][0]["name"]
    assert len(project["classifiers"]) >= 5 and project["urls"]
    assert all(u.startswith("https://") for u in project["urls"].values())
    assert any(c.startswith("Intended Audience") for c in project["classifiers"])
    assert set(SHIPPED) <= set(project["license-files"])
    assert all((REPO / name).is_file() for name in SHIPPED)
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog and "keepachangelog.com" in changelog
    data = PYPROJECT["tool"]["setuptools"]["package-data"]["geohazard"]
    assert "report/templates/*" in data
    assert any(d.startswith("jinja2") for d in project["dependencies"])


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """sdist and wheel of the committed files (plus this checkout's edits to them)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                           check=True).stdout.decode().split("\0")
    src = tmp_path_factory.mktemp("sdist-src")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    dist = src / "dist"
    dist.mkdir()
    for hook in ("build_sdist", "build_wheel"):  # one process each, as a build frontend does
        code = f"from setuptools import build_meta as b; import sys; b.{hook}(sys.argv[1])"
        subprocess.run([sys.executable, "-c", code, str(dist)], cwd=src, capture_output=True,
                       check=True, timeout=300)
    return dist


def test_sdist_and_wheel_carry_license_citation_changelog_and_templates(built):
    version = PYPROJECT["project"]["version"]
    wheel = zipfile.ZipFile(next(built.glob("*.whl"))).namelist()
    for name in SHIPPED:
        assert f"geohazard-{version}.dist-info/licenses/{name}" in wheel, name
    assert "geohazard/report/templates/base.html" in wheel
    with tarfile.open(next(built.glob("*.tar.gz"))) as tar:
        sdist = tar.getnames()
    for name in SHIPPED:
        assert f"geohazard-{version}/{name}" in sdist, name
    assert f"geohazard-{version}/src/geohazard/report/templates/base.html" in sdist
