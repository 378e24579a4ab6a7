"""Charts as inline SVG, drawn on the server: bars, grouped bars, and bars with a running total.

Pure functions (no I/O): numbers in, markup out. Every chart is an `<svg role="img">` with a
`<title>` and a `<desc>` (the page shows the same numbers in a table). Right-to-left pages get
the mirror image: the first category on the right and the value axis on the right. Only SVG
presentation attributes, no `style` attribute, so the pages' Content-Security-Policy holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

Number = int | Decimal
# Drawn for a box about 420 px wide: on a 360-pixel phone the text is still about 11 px.
WIDTH, HEIGHT = 420, 270
TOP, BOTTOM, SIDE, AXIS = 46, 40, 10, 50  # margins: legend, category labels, far side, value axis
FONT = 15
CHAR = 8.2  # a character's width at FONT, roughly: for spacing the legend and the labels


@dataclass(frozen=True)
class Series:
    label: str
    color: str


@dataclass(frozen=True)
class Frame:
    """The plot area and its value scale, in left-to-right coordinates (mirrored when drawn)."""

    rtl: bool
    ticks: list[Decimal]

    @property
    def left(self) -> float:
        return float(AXIS)

    @property
    def right(self) -> float:
        return float(WIDTH - SIDE)

    @property
    def top(self) -> float:
        return float(TOP)

    @property
    def bottom(self) -> float:
        return float(HEIGHT - BOTTOM)

    def x(self, x: float) -> float:
        return WIDTH - x if self.rtl else x

    def y(self, value: Number) -> float:
        top = self.ticks[-1]
        return self.bottom - (self.bottom - self.top) * float(Decimal(value) / top)

    def anchor(self, side: str) -> str:
        """`text-anchor` for text whose `side` ("left", "right", "middle") sits at its x, in the
        left-to-right drawing. Mirrored, that side becomes the other one; and in a right-to-left
        `direction` "start" is the right end: the two flips cancel out."""
        return {"left": "start", "right": "end"}.get(side, "middle")


def nice_ticks(maximum: Number, count: int = 4, integer: bool = False) -> list[Decimal]:
    """0 and evenly spaced round values (1, 2 or 5 × 10ⁿ apart) up to at least `maximum`."""
    top = Decimal(maximum)
    if top <= 0:
        return [Decimal(0), Decimal(1)]
    raw = top / count
    magnitude = Decimal(1).scaleb(raw.adjusted())
    step = next(magnitude * m for m in (1, 2, 5, 10) if magnitude * m >= raw)
    if integer and step < 1:
        step = Decimal(1)
    return [step * i for i in range(math.ceil(top / step) + 1)]


def plain(value: Number) -> str:
    """`12,500` or `12,500.5`: thousands separated, no trailing zeros."""
    number = Decimal(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def compact(value: Number, top: Number | None = None) -> str:
    """A tick label: `950`, `5,000`, `25k`, `1.5M`; in the unit that the axis' `top` value needs,
    so that one axis does not mix `5,000` and `10k`."""
    number, scale = Decimal(value), Decimal(top if top is not None else value)
    if number == 0:
        return "0"
    for limit, suffix in ((Decimal(1_000_000), "M"), (Decimal(10_000), "k")):
        if abs(scale) >= limit:
            unit = limit if suffix == "M" else Decimal(1000)
            return f"{plain((number / unit).quantize(Decimal('0.1')))}{suffix}"
    return plain(number)


def _attrs(**values: object) -> str:
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(str(v))}"' for k, v in values.items())


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(frame: Frame, x: float, y: float, text: str, side: str = "middle", **extra: object) -> str:
    return (
        f'<text x="{_n(frame.x(x))}" y="{_n(y)}" text-anchor="{frame.anchor(side)}"{_attrs(**extra)}>'
        f"{escape(text)}</text>"
    )


def _rect(frame: Frame, x: float, y: float, width: float, height: float, color: str, label: str = "") -> str:
    left = frame.x(x + width) if frame.rtl else x
    tip = f"<title>{escape(label)}</title>" if label else ""
    return (
        f'<rect x="{_n(left)}" y="{_n(y)}" width="{_n(width)}" height="{_n(max(height, 0.0))}" fill="{color}">'
        f"{tip}</rect>"
    )


def _open(chart_id: str, title: str, desc: str, rtl: bool) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" id="{escape(chart_id)}"'
        f' direction="{"rtl" if rtl else "ltr"}" font-size="{FONT}" font-family="system-ui, sans-serif">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]


def _axis(frame: Frame, label: Callable[[Number], str]) -> list[str]:
    """Grid lines, the value labels beside the axis, and the baseline."""
    parts = []
    for tick in frame.ticks:
        y = frame.y(tick)
        parts.append(
            f'<line x1="{_n(frame.x(frame.left))}" x2="{_n(frame.x(frame.right))}" y1="{_n(y)}" y2="{_n(y)}"'
            f' stroke="#d8dbd2" stroke-width="1"/>'
        )
        parts.append(_text(frame, frame.left - 6, y + 4, label(tick), "right", fill="#444", class_="tick"))
    parts.append(
        f'<line x1="{_n(frame.x(frame.left))}" x2="{_n(frame.x(frame.right))}" y1="{_n(frame.bottom)}"'
        f' y2="{_n(frame.bottom)}" stroke="#555" stroke-width="1.5"/>'
    )
    return parts


def _legend(frame: Frame, series: Sequence[Series], line: Series | None = None) -> list[str]:
    parts, x = [], frame.left
    for item in [*series, *([line] if line else [])]:
        if item is line:
            parts.append(
                f'<line x1="{_n(frame.x(x))}" x2="{_n(frame.x(x + 14))}" y1="16" y2="16" stroke="{item.color}"'
                f' stroke-width="3"/>'
            )
        else:
            parts.append(_rect(frame, x, 9, 14, 14, item.color))
        parts.append(_text(frame, x + 20, 21, item.label, "left", fill="#1b1f23", class_="legend"))
        x += 20 + CHAR * len(item.label) + 18
    return parts


def _empty(frame: Frame, message: str) -> list[str]:
    middle = (frame.left + frame.right) / 2
    return [_text(frame, middle, (frame.top + frame.bottom) / 2, message, fill="#555", class_="empty")]


def _svg(parts: list[str]) -> Markup:
    """The finished chart. Safe: every text and attribute value was escaped where it was put in."""
    return Markup("".join([*parts, "</svg>"]))  # noqa: S704


def _category_labels(frame: Frame, labels: Sequence[str], band: float) -> list[str]:
    """Under each band; every k-th one when they would overlap."""
    widest = max((len(label) for label in labels), default=1) * CHAR * 0.9
    every = max(1, math.ceil(widest / band))
    return [
        _text(frame, frame.left + band * (i + 0.5), frame.bottom + 22, label, fill="#1b1f23", class_="category")
        for i, label in enumerate(labels)
        if i % every == 0
    ]


def grouped_bars(
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    values: Sequence[Sequence[Number]],
    *,
    rtl: bool = False,
    empty: str = "",
) -> Markup:
    """`values[i][j]`: series j in category i. Counts, labelled on top of each bar."""
    top = max((v for row in values for v in row), default=0)
    frame = Frame(rtl=rtl, ticks=nice_ticks(top, integer=True))
    parts = _open(chart_id, title, desc, rtl) + _axis(frame, plain)
    if len(series) > 1:
        parts += _legend(frame, series)
    band = (frame.right - frame.left) / max(len(categories), 1)
    width = band * 0.7 / max(len(series), 1)
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            x = frame.left + band * i + band * 0.15 + width * j
            y = frame.y(value)
            label = f"{categories[i]}, {series[j].label}: {plain(value)}"
            parts.append(_rect(frame, x, y, width, frame.bottom - y, series[j].color, label))
            parts.append(_text(frame, x + width / 2, y - 5, plain(value), fill="#1b1f23", class_="value"))
    parts += _category_labels(frame, categories, band)
    if top <= 0 and empty:
        parts += _empty(frame, empty)
    return _svg(parts)


def bars(
    chart_id: str,
    title: str,
    desc: str,
    items: Sequence[tuple[str, Number, str]],
    *,
    rtl: bool = False,
    empty: str = "",
) -> Markup:
    """One bar per `(label, value, color)`: counts, labelled on top of each bar."""
    top = max((value for _, value, _ in items), default=0)
    frame = Frame(rtl=rtl, ticks=nice_ticks(top, integer=True))
    parts = _open(chart_id, title, desc, rtl) + _axis(frame, plain)
    band = (frame.right - frame.left) / max(len(items), 1)
    for i, (label, value, color) in enumerate(items):
        x, y = frame.left + band * (i + 0.2), frame.y(value)
        parts.append(_rect(frame, x, y, band * 0.6, frame.bottom - y, color, f"{label}: {plain(value)}"))
        parts.append(_text(frame, x + band * 0.3, y - 5, plain(value), fill="#1b1f23", class_="value"))
    parts += _category_labels(frame, [label for label, _, _ in items], band)
    if top <= 0 and empty:
        parts += _empty(frame, empty)
    return _svg(parts)


def bars_with_total(
    chart_id: str,
    title: str,
    desc: str,
    periods: Sequence[str],
    amounts: Sequence[Number],
    totals: Sequence[Number],
    *,
    bar: Series,
    line: Series,
    rtl: bool = False,
    empty: str = "",
) -> Markup:
    """A bar per period (what happened in it) and a line through the running total."""
    top = max([*amounts, *totals], default=0)
    frame = Frame(rtl=rtl, ticks=nice_ticks(top))
    parts = _open(chart_id, title, desc, rtl) + _axis(frame, lambda tick: compact(tick, frame.ticks[-1]))
    parts += _legend(frame, [bar], line)
    if not periods:
        return _svg(parts + (_empty(frame, empty) if empty else []))
    band = (frame.right - frame.left) / len(periods)
    points = []
    for i, (period, amount, total) in enumerate(zip(periods, amounts, totals, strict=True)):
        x, y = frame.left + band * (i + 0.2), frame.y(amount)
        parts.append(_rect(frame, x, y, band * 0.6, frame.bottom - y, bar.color, f"{period}: {plain(amount)}"))
        points.append((frame.x(frame.left + band * (i + 0.5)), frame.y(total)))
    parts.append(
        f'<polyline fill="none" stroke="{line.color}" stroke-width="3" points="'
        + " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        + '"/>'
    )
    parts += [
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4" fill="{line.color}"><title>{escape(p)}: {escape(plain(t))}'
        f"</title></circle>"
        for (x, y), p, t in zip(points, periods, totals, strict=True)
    ]
    parts += _category_labels(frame, periods, band)
    return _svg(parts)
