"""The SVG charts: well-formed, escaped, one point per night, hollow where a shard was missing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hfguard.charts import render_bar, render_trend

SVG = "{http://www.w3.org/2000/svg}"


def test_trend_has_a_point_per_night_and_marks_missing_shards() -> None:
    points = [{"night": 1, "date": "2026-03-01", "passing": 9, "total": 10, "passing_pct": 90.0, "generated_pct": 100.0},
              {"night": 2, "date": "<b>&", "passing": 4, "total": 5, "passing_pct": 80.0, "generated_pct": 100.0,
               "missing_shards": [2], "shards": 2}]
    root = ET.fromstring(render_trend(points))
    circles = root.findall(f"{SVG}circle")
    assert len(circles) == 2 and [c.get("fill") for c in circles] == ["#2a7d2e", "#fff"]
    assert circles[1].find(f"{SVG}title").text == "night 2, <b>&: 4 of 5 passing (80%) — shard 2 of 2 missing"
    assert [float(c.get("cy")) for c in circles] == [56.0, 72.0]  # 90 % and 80 % of a 160-pixel plot under a 40-pixel margin
    assert len(root.findall(f"{SVG}polyline")) == 2


def test_trend_of_no_night_and_of_one() -> None:
    assert ET.fromstring(render_trend([])).findall(f"{SVG}circle") == []
    [only] = ET.fromstring(render_trend([{"passing_pct": 50}])).findall(f"{SVG}circle")
    assert only.get("cx") == "40.0"


def test_bar_fills_its_share() -> None:
    rects = ET.fromstring(render_bar(3, 4)).findall(f"{SVG}rect")
    assert [r.get("width") for r in rects] == ["120", "90.0"]
    assert ET.fromstring(render_bar(0, 0)).findall(f"{SVG}rect")[1].get("width") == "0.0"
