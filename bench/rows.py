"""A row of docs/benchmarks.md's table, and how its figures are written (bench/report.py builds
the table; bench/auth_cost.py its NATS-auth rows)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    figure: str
    size: str
    result: str
    target: str = ""
    meets: bool | None = None
    ratio: str = ""
    share_of_target: float | None = None  # ≥ 1 meets it: value ÷ target for a floor, target ÷ value for a ceiling
    value: str = ""  # the figure set against the target, short (for the chart)


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"
