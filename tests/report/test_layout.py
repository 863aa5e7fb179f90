"""The base layout and the number formatting every report uses."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pytest

from geohazard.report._format import fmt, magnitude, pit_verdict, probability
from geohazard.report._html import HtmlReport


def test_probability_shows_the_simulation_resolution():
    assert probability(0.0, 2000) == "< 1/2000"
    assert probability(1.0, 2000) == "> 1 − 1/2000"
    assert probability(0.0005, 2000) == "0.0005"  # one of 2000, not rounded away
    assert probability(0.9995, 2000) == "0.9995"  # not shown as 1
    assert probability(0.691, 2000) == "0.6910"


@pytest.mark.parametrize(("mean_pit", "words"), [
    (0.07, "strongly over-predicts"), (0.18, "strongly over-predicts"),
    (0.1994, "over-predicts"), (0.3, "over-predicts"), (0.5, "is calibrated on average"),
    (0.7, "under-predicts"), (0.9, "strongly under-predicts"),
    (float("nan"), "cannot be judged (no PIT)")])
def test_pit_verdict(mean_pit, words):
    assert pit_verdict(mean_pit) == words


def test_fmt_and_magnitude():
    assert fmt(0.123456) == "0.1235" and fmt(3) == "3" and fmt(None) == "–"
    assert fmt(12345678.0) == "1.235e+07" and fmt(float("nan")) == "n/a"
    assert magnitude(2.0) == "2.0" and magnitude(2.05) == "2.05" and magnitude(None) == "not set"


def test_layout_has_summary_contents_and_escaped_content(tmp_path):
    rep = HtmlReport("a <title>")
    rep.paragraph("intro & note", "note")
    rep.summary("model over-predicts", "warn").summary("all good", "good")
    rep.heading("First part").table(["x (days)", "y"], [[1.5, "<b>"]], caption="a table")
    rep.heading("First part").key_values({"rate (events/day)": 0.25})
    rep.heading("detail", level=3)
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    rep.figure(fig, "a line from 0 to 1")
    plt.close(fig)
    rep.link("sub report", tmp_path / "sub" / "report.html", base=tmp_path)
    html = rep.write(tmp_path / "report.html").read_text()
    assert "<title>a &lt;title&gt;</title>" in html and "&lt;b&gt;" in html
    assert "<strong>Warning:</strong> model over-predicts" in html
    toc = re.findall(r'<li><a href="#([^"]+)">', html.split('id="contents"')[1].split("</nav>")[0])
    sections = re.findall(r'<section id="([^"]+)">', html.split("<main>")[1])
    assert toc == sections == ["first-part", "first-part-2"]
    assert 'href="sub/report.html"' in html
    assert "<figcaption>a line from 0 to 1</figcaption>" in html
    assert "http://" not in html and "https://" not in html  # nothing fetched


def test_summary_tone_is_checked():
    with pytest.raises(ValueError, match="tone"):
        HtmlReport("t").summary("x", "bad")


def test_trusted_html_goes_in_as_it_is_and_text_is_escaped():
    rep = HtmlReport("t").heading("Tables")
    rep.html("<table class='df'><tr><td>1</td></tr></table>").paragraph("<i>x</i>")
    html = rep.render()
    assert "<table class='df'><tr><td>1</td></tr></table>" in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html
