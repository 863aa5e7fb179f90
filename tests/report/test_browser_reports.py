"""Every report the demo writes, opened in headless Chromium from file:// (offline).

Each page must render with no console message (errors, warnings or logs), every figure
must decode, every link must resolve (relative files from the report's own folder, ``#id``
anchors on the page), nothing may be fetched from the network, and the table of contents
must list exactly the page's sections, in order.
"""

from __future__ import annotations

import base64
import io
import re
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from PIL import Image

from tests.browser import FLAGS, chromium

REPORTS = ["report.html", "forecast/report.html", "forecast/record.html",
           "das/analysis/report.html", "landslide/report.html"]
OURS = REPORTS  # every report is built on the base layout


class _Page(HTMLParser):
    """Links, image sources, section ids and headings, and the contents entries."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.ids: set[str] = set()
        self.sections: list[str] = []
        self.toc: list[str] = []
        self._stack: list[str] = []
        self._in_toc = False
        self._in_main = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "nav" and a.get("id") == "contents":
            self._in_toc = True
        if tag == "main":
            self._in_main = True
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if self._in_toc:
                self.toc.append(a["href"])
        if tag in ("img", "script", "link", "iframe", "source") and (a.get("src") or
                                                                      a.get("href")):
            self.images.append(a.get("src") or a.get("href"))
        if tag == "section" and self._in_main and a.get("id"):
            self.sections.append("#" + a["id"])

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_toc = False
        if tag == "main":
            self._in_main = False


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def open_in_chromium(path: Path) -> tuple[str, list[str]]:
    """(DOM after load, console messages) of the page opened from its file URL."""
    exe = chromium()
    with tempfile.TemporaryDirectory() as profile:
        res = subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}",
                              "--enable-logging=stderr", "--v=0", "--dump-dom",
                              path.resolve().as_uri()],
                             capture_output=True, text=True, timeout=180, check=True)
    console = [line for line in res.stderr.splitlines() if ":CONSOLE" in line]
    return res.stdout, console


@pytest.mark.parametrize("name", REPORTS)
def test_report_renders_without_console_messages(demo_out, name):
    path = demo_out / name
    assert path.exists(), f"the demo did not write {name}"
    dom, console = open_in_chromium(path)
    assert console == [], f"{name}: console messages {console}"
    total = re.search(r'data-figures-total="(\d+)"', dom)
    ok = re.search(r'data-figures-rendered="(\d+)"', dom)
    if name in OURS:  # the layout's script counts the figures that decoded
        assert total and ok, f"{name}: the page script did not run"
        assert int(total.group(1)) >= 2 and ok.group(1) == total.group(1)


@pytest.mark.parametrize("name", REPORTS)
def test_every_link_and_image_resolves_offline(demo_out, name):
    path = demo_out / name
    page = parse(path)
    assert page.images, f"{name}: no figures"
    for src in page.images:
        assert src.startswith("data:image/png;base64,"), f"{name}: {src[:80]} is not embedded"
        Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).verify()  # a whole PNG
    for href in page.links:
        url = urlparse(href)
        assert url.scheme in ("", "file"), f"{name}: link to the network {href}"
        if href.startswith("#"):
            assert href[1:] in page.ids, f"{name}: anchor {href} has no target"
            continue
        target = (path.parent / unquote(url.path)).resolve()
        assert target.is_file(), f"{name}: link {href} does not resolve from {path.parent}"


@pytest.mark.parametrize("name", OURS)
def test_contents_match_the_sections(demo_out, name):
    page = parse(demo_out / name)
    assert page.sections, f"{name}: no sections"
    assert page.toc == page.sections


def test_the_demo_report_links_every_sub_report(demo_out):
    page = parse(demo_out / "report.html")
    linked = {(demo_out / h).resolve() for h in page.links if not h.startswith("#")}
    for name in REPORTS[1:]:
        assert (demo_out / name).resolve() in linked, f"report.html does not link {name}"


def test_record_flags_strong_over_prediction_in_words(demo_out):
    """The prospective month's mean PIT of 0.07-0.18 (seed 0) is called out as such."""
    html = (demo_out / "forecast" / "record.html").read_text(encoding="utf-8")
    summary = html.split('id="summary"')[1].split("</section>")[0]
    flagged = re.findall(r"<strong>Warning:</strong> (\w+) strongly over-predicts", summary)
    assert {"poisson", "etas"} <= set(flagged)
    assert "mean PIT 0.08" in summary and "mean PIT 0.18" in summary


def test_the_checks_can_fail(tmp_path):
    """A broken page fails each check: console error, missing link, contents mismatch."""
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><nav id="contents"><a href="#a">a</a><a href="#b">b</a></nav>'
                   '<main><section id="a"></section></main><a href="gone.html">x</a>'
                   '<script>console.error("boom")</script></body></html>')
    _, console = open_in_chromium(bad)
    assert any("boom" in line for line in console)
    page = parse(bad)
    assert page.toc != page.sections
    assert not (tmp_path / "gone.html").exists() and "gone.html" in page.links


def test_every_page_the_demo_writes_is_checked(demo_out):
    written = {p.relative_to(demo_out).as_posix() for p in demo_out.rglob("*.html")}
    assert written == set(REPORTS), "a new report: add it to REPORTS"
