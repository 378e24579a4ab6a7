"""The dashboard's SVG charts: scales, labels, empty data, escaping, and the mirror image for
right-to-left pages. Each chart is parsed as XML, as a browser would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from gateway.web import charts
from gateway.web.charts import Series, compact, nice_ticks, plain

NS = {"svg": "http://www.w3.org/2000/svg"}
SEXES = [Series("Female", "#8e3b8e"), Series("Male", "#1f6fb2")]


def parsed(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314  (our own markup)


def texts(svg: ET.Element, css_class: str) -> list[tuple[float, str, str]]:
    """(x, text-anchor, text) of the chart's texts of one class, in document order."""
    return [
        (float(t.get("x", "0")), t.get("text-anchor", ""), t.text or "")
        for t in svg.iterfind("svg:text", NS)
        if t.get("class") == css_class
    ]


def bars_of(svg: ET.Element) -> list[tuple[float, float, float]]:
    """(x, width, height) of each bar (the legend's swatches are 14 × 14 and 9 from the top)."""
    return [
        (float(r.get("x", "0")), float(r.get("width", "0")), float(r.get("height", "0")))
        for r in svg.iterfind("svg:rect", NS)
        if r.get("y") != "9"
    ]


@pytest.mark.parametrize(
    ("maximum", "integer", "expected"),
    [
        (25400, False, [0, 10000, 20000, 30000]),
        (Decimal("19400.00"), False, [0, 5000, 10000, 15000, 20000]),
        (3, True, [0, 1, 2, 3]),
        (1, True, [0, 1]),
        (7, True, [0, 2, 4, 6, 8]),
        (Decimal("0.3"), False, [0, Decimal("0.1"), Decimal("0.2"), Decimal("0.3")]),
        (0, True, [0, 1]),  # nothing yet: a scale all the same
        (-5, False, [0, 1]),
        (1_250_000, False, [0, 500_000, 1_000_000, 1_500_000]),
    ],
)
def test_scales_are_round_and_reach_the_maximum(maximum: int | Decimal, integer: bool, expected: list[int]) -> None:
    ticks = nice_ticks(maximum, integer=integer)
    assert ticks == [Decimal(t) for t in expected]
    assert ticks[-1] >= max(Decimal(maximum), Decimal(0))


def test_labels_group_thousands_and_one_axis_has_one_unit() -> None:
    assert [plain(v) for v in (0, 950, Decimal("12500.00"), Decimal("1E+4"), Decimal("2.50"))] == [
        "0",
        "950",
        "12,500",
        "10,000",
        "2.5",
    ]
    assert [compact(t, 20000) for t in nice_ticks(19400)] == ["0", "5k", "10k", "15k", "20k"]
    assert [compact(t, 8000) for t in nice_ticks(8000)] == ["0", "2,000", "4,000", "6,000", "8,000"]
    assert compact(1_500_000) == "1.5M" and compact(12_500) == "12.5k"


def test_grouped_bars_have_a_title_a_description_and_a_bar_per_value() -> None:
    svg = parsed(
        charts.grouped_bars(
            "chart-jobs",
            "Jobs verified",
            "IDPs: Female 3, Male 1",
            ["IDPs", "Returnees", "Host community"],
            SEXES,
            [[3, 1], [0, 2], [1, 0]],
        )
    )
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "chart-jobs-title chart-jobs-desc"
    assert svg.find("svg:title", NS) is not None and svg.find("svg:title", NS).text == "Jobs verified"  # type: ignore[union-attr]
    assert svg.find("svg:desc", NS).text == "IDPs: Female 3, Male 1"  # type: ignore[union-attr]
    assert [t for _, _, t in texts(svg, "tick")] == ["0", "1", "2", "3"]
    assert [t for _, _, t in texts(svg, "value")] == ["3", "1", "0", "2", "1", "0"]
    assert [t for _, _, t in texts(svg, "category")] == ["IDPs", "Returnees", "Host community"]
    assert [t for _, _, t in texts(svg, "legend")] == ["Female", "Male"]
    heights = [h for _, _, h in bars_of(svg)]
    assert heights[0] == pytest.approx(3 * heights[1], abs=0.2) and heights[2] == 0
    assert [r.findtext("svg:title", namespaces=NS) for r in svg.iterfind("svg:rect", NS)][2:4] == [
        "IDPs, Female: 3",
        "IDPs, Male: 1",
    ]
    assert "style=" not in ET.tostring(svg, encoding="unicode")  # the pages' CSP allows no inline style


def test_right_to_left_is_the_mirror_image() -> None:
    values = [[3, 1], [0, 2]]
    ltr = parsed(charts.grouped_bars("c", "t", "d", ["A", "B"], SEXES, values))
    rtl = parsed(charts.grouped_bars("c", "t", "d", ["A", "B"], SEXES, values, rtl=True))
    assert (ltr.get("direction"), rtl.get("direction")) == ("ltr", "rtl")
    width = float((ltr.get("viewBox") or "").split()[2])
    for (x, w, h), (mx, mw, mh) in zip(bars_of(ltr), bars_of(rtl), strict=True):
        assert (mw, mh) == (w, h) and mx == pytest.approx(width - x - w, abs=0.1)
    (first, _, _), (second, _, _) = texts(rtl, "category")
    assert first > second  # the first category on the right
    ticks_ltr, ticks_rtl = texts(ltr, "tick"), texts(rtl, "tick")
    assert ticks_ltr[0][0] < width / 2 < ticks_rtl[0][0]  # the value axis on the right
    # The labels' right end sits at the axis left to right; the left end right to left: "end" in
    # both, since "end" is the left end in a right-to-left `direction`.
    assert {anchor for _, anchor, _ in ticks_ltr} == {anchor for _, anchor, _ in ticks_rtl} == {"end"}
    assert {anchor for _, anchor, _ in texts(rtl, "legend")} == {"start"}  # starts beside its swatch


def test_empty_data_draws_the_axes_and_says_so() -> None:
    svg = parsed(
        charts.bars_with_total(
            "chart-money",
            "Money",
            "No data yet",
            [],
            [],
            [],
            bar=Series("Paid", "#5b9c7a"),
            line=Series("Total", "#b35c00"),
            empty="No data yet",
        )
    )
    assert [t for _, _, t in texts(svg, "empty")] == ["No data yet"]
    assert svg.find("svg:polyline", NS) is None and bars_of(svg) == []
    assert [t for _, _, t in texts(svg, "tick")] == ["0", "1"]
    zeros = parsed(
        charts.bars(
            "chart-visits", "Visits", "Due: 0", [("Due", 0, "#1f6fb2"), ("Done", 0, "#0b5c3b")], empty="No data yet"
        )
    )
    assert [t for _, _, t in texts(zeros, "empty")] == ["No data yet"]
    assert [h for _, _, h in bars_of(zeros)] == [0, 0]
    nothing = parsed(charts.bars("chart-grants", "Grants", "-", [], empty="No data yet"))
    assert bars_of(nothing) == [] and texts(nothing, "empty")


def test_money_over_time_has_a_bar_per_month_and_a_running_total() -> None:
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    amounts = [Decimal(1000 * m) for m in range(1, 13)]
    totals = [sum(amounts[: i + 1], Decimal(0)) for i in range(12)]
    svg = parsed(
        charts.bars_with_total(
            "m",
            "Money",
            "d",
            months,
            amounts,
            totals,
            bar=Series("Paid", "#5b9c7a"),
            line=Series("Total to date", "#b35c00"),
        )
    )
    assert len(bars_of(svg)) == 12
    points = (svg.find("svg:polyline", NS).get("points") or "").split()  # type: ignore[union-attr]
    ys = [float(p.split(",")[1]) for p in points]
    assert len(ys) == 12 and ys == sorted(ys, reverse=True)  # rising: y grows downwards
    assert [t for _, _, t in texts(svg, "tick")][-1] == "80k"  # 78,000 in all
    shown = [t for _, _, t in texts(svg, "category")]
    assert shown[0] == "2026-01" and 3 <= len(shown) < 12  # every other month or so: they do not overlap
    assert [c.findtext("svg:title", namespaces=NS) for c in svg.iterfind("svg:circle", NS)][-1] == "2026-12: 78,000"


def test_labels_are_escaped() -> None:
    markup = charts.bars("x", "<script>", "a & b", [("<b>", 1, "#000")])
    assert "<script>" not in markup and "&lt;script&gt;" in markup and "a &amp; b" in markup
    assert parsed(markup).findtext("svg:title", namespaces=NS) == "<script>"
