"""docs/benchmarks.md and its chart from the bench's results.

The figures of every scenario are kept in the report itself (a JSON comment at its end), so a
run of some scenarios (`--scenarios`) keeps the others' last figures, marked with when they were
measured. The hand-written analysis between `<!-- analysis -->` and `<!-- /analysis -->` is
carried over from the report as it is; only the rest is generated.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import report_auth, report_text
from bench.rows import Row
from bench.rows import ms as _ms

ANALYSIS_START, ANALYSIS_END = "<!-- analysis -->", "<!-- /analysis -->"
DATA_START, DATA_END = "<!-- bench-results", "-->"
SERVICES = ("gateway", "applications", "scoring", "disbursement", "monitoring")
RSS_LIMIT, SUBMITS_TARGET, QUEUE_P99, PAGE_P99, RANKING_S, READY_S = 150.0, 500.0, 100.0, 20.0, 2.0, 15.0


def earlier(path: Path) -> tuple[dict[str, Any], str | None]:
    """The results and the analysis the report holds now ({} and None where it has none)."""
    if not path.exists():
        return {}, None
    document = path.read_text(encoding="utf-8")
    analysis = None
    if ANALYSIS_START in document and ANALYSIS_END in document:
        analysis = document.split(ANALYSIS_START, 1)[1].split(ANALYSIS_END, 1)[0].strip("\n")
    found = re.search(re.escape(DATA_START) + r"\s*(\{.*\})\s*" + re.escape(DATA_END), document, re.DOTALL)
    results: dict[str, Any] = json.loads(found.group(1)) if found else {}
    return results, analysis


def _times(value: float, of: str) -> str:
    return f"{value:.2g} × {of}" if value < 10 else f"{value:,.0f} × {of}"


def _latency(figures: dict[str, Any]) -> str:
    return f"p50 {_ms(figures['p50_ms'])}, p99 {_ms(figures['p99_ms'])}"


def _non_2xx(statuses: dict[str, int]) -> int:
    return sum(n for status, n in statuses.items() if not str(status).startswith("2"))


@dataclass
class Yardsticks:
    """What the figures are divided by (None where the yardstick has not been measured)."""

    post_per_second: float | None = None
    post_p99_ms: float | None = None  # one connection, sequential
    post_rss_mib: float | None = None
    trip_p50_ms: float | None = None
    trip_p99_ms: float | None = None

    @classmethod
    def of(cls, s: dict[str, Any]) -> Yardsticks:
        http, stream = s.get("yardstick_http"), s.get("yardstick_jetstream")
        sticks = cls()
        if http:
            sticks.post_per_second = http["loaded"]["per_second"]
            sticks.post_p99_ms = http["one_connection"]["p99_ms"]
            sticks.post_rss_mib = http["rss_mib"]["value"]
        if stream:
            sticks.trip_p50_ms, sticks.trip_p99_ms = stream["round_trip"]["p50_ms"], stream["round_trip"]["p99_ms"]
        return sticks

    def per_second(self, value: float) -> str:
        return _times(value / self.post_per_second, "bare POST/s") if self.post_per_second else ""

    def request_p99(self, value: float) -> str:
        return "p99 " + _times(value / self.post_p99_ms, "bare POST p99") if self.post_p99_ms else ""

    def event(self, p50: float, p99: float) -> str:
        if not (self.trip_p50_ms and self.trip_p99_ms):
            return ""
        return f"p50 {_times(p50 / self.trip_p50_ms, 'round trip p50')}, p99 {_times(p99 / self.trip_p99_ms, 'p99')}"


def _submissions(sub: dict[str, Any], y: Yardsticks) -> list[Row]:
    size = f"{sub['concurrency']} connections, {sub['submit']['runs']} rounds"
    submit, create = sub["submit"], sub["create"]
    return [
        Row(
            "application submits through the gateway",
            size,
            f"**{submit['per_second']:,.0f}/s**, {_latency(submit)}, {submit['non_2xx']} non-2xx",
            "≥ 500/s",
            submit["per_second"] >= SUBMITS_TARGET,
            y.per_second(submit["per_second"]),
            submit["per_second"] / SUBMITS_TARGET,
            f"{submit['per_second']:,.0f}/s",
        ),
        Row(
            "create draft (full body)",
            size,
            f"{create['per_second']:,.0f}/s, {_latency(create)}, {create['non_2xx']} non-2xx",
            ratio=y.per_second(create["per_second"]),
        ),
    ]


def _pipeline(pipe: dict[str, Any], y: Yardsticks) -> list[Row]:
    a = pipe["assigned"]
    i = pipe.get("idle")
    idle = (
        [
            Row(
                f"the same at {i['rate']:.0f}/s (an idle stack: the floor)",
                f"{i['submits']} submits, one every {1000 / i['rate']:.0f} ms",
                f"{_latency(i['assigned'])} (screened: {_latency(i['screened'])}), {i['missing']} not assigned",
                ratio=y.event(i["assigned"]["p50_ms"], i["assigned"]["p99_ms"]),
            )
        ]
        if i
        else []
    )
    return [
        Row(
            f"submit → screened → in a reviewer's queue at {pipe['rate']:.0f}/s",
            f"{pipe['submits']:,} submits × {pipe['runs']} runs, {pipe['officers']} officers",
            f"**{_latency(a)}** (screened: {_latency(pipe['screened'])}); achieved {pipe['achieved_rate']:.0f}/s, "
            f"{pipe['missing']} not assigned",
            "p99 ≤ 100 ms",
            a["p99_ms"] <= QUEUE_P99,
            y.event(a["p50_ms"], a["p99_ms"]),
            QUEUE_P99 / a["p99_ms"],
            f"p99 {_ms(a['p99_ms'])}",
        ),
        *idle,
    ]


def _scoring(scoring: dict[str, Any], y: Yardsticks) -> list[Row]:
    q, r = scoring["queue"], scoring["ranking"]
    both = r["ranking_and_selection_s"]
    return [
        Row(
            "reviewer queue page (50 items)",
            f"{q['applications']:,} applications, {q['officers']} officers",
            f"**{_latency(q)}**, {_non_2xx(q['statuses'])} non-2xx",
            "p99 ≤ 20 ms",
            q["p99_ms"] <= PAGE_P99,
            y.request_p99(q["p99_ms"]),
            PAGE_P99 / q["p99_ms"],
            f"p99 {_ms(q['p99_ms'])}",
        ),
        Row(
            "ranking + selection",
            f"{r['applications']:,} scored applications",
            f"**{both:.2f} s** (first page {r['ranking_first_page_s'] * 1000:.0f} ms, selection "
            f"{r['selection_s']:.2f} s, {r['proposed']} proposed)",
            "≤ 2 s",
            both <= RANKING_S,
            "",
            RANKING_S / both,
            f"{both:.2f} s",
        ),
    ]


def _disbursement(dis: dict[str, Any], y: Yardsticks) -> list[Row]:
    a, lat = dis["approvals"], dis["instructed_latency"]
    return [
        Row(
            "tranche approvals through the gateway",
            f"{a['requests']:,} approvals × {a['runs']} runs, {a['concurrency']} connections",
            f"**{a['per_second']:,.0f}/s**, {_latency(a)}, {_non_2xx(a['statuses'])} non-2xx",
            ratio=y.per_second(a["per_second"]),
        ),
        Row(
            "approve → `payment.instructed` on the stream",
            f"{lat['samples']} sequential approvals × {lat.get('runs', 1)} runs",
            f"**{_latency(lat)}**",
            ratio=y.event(lat["p50_ms"], lat["p99_ms"]),
        ),
    ]


def _others(s: dict[str, Any], y: Yardsticks) -> list[Row]:
    out: list[Row] = []
    if ind := s.get("indicators"):
        out.append(
            Row(
                "call indicators",
                f"{ind['grants']:,} grants, {ind['requests']} requests × {ind['runs']} runs",
                f"**{_latency(ind)}**",
                ratio=y.request_p99(ind["p99_ms"]),
            )
        )
    if mem := s.get("memory"):
        for name, mib in mem["rss_mib"].items():
            service = name in SERVICES
            out.append(
                Row(
                    f"resident memory: {name}",
                    f"after {mem['applications']:,} applications",
                    f"**{mib:.0f} MiB**",
                    "≤ 150 MiB" if service else "",
                    mib <= RSS_LIMIT if service else None,
                    _times(mib / y.post_rss_mib, "bare FastAPI process") if y.post_rss_mib else "",
                    RSS_LIMIT / mib if service else None,
                    f"{mib:.0f} MiB",
                )
            )
    if up := s.get("startup"):
        out.append(
            Row(
                "`make run` ready (new var dir)",
                f"median of {up['runs']}",
                f"**{up['fresh_s']:.1f} s**",
                "≤ 15 s",
                up["fresh_s"] <= READY_S,
                "",
                READY_S / up["fresh_s"],
                f"{up['fresh_s']:.1f} s",
            )
        )
        out.append(Row("`make run` ready again (same var dir)", f"median of {up['runs']}", f"{up['again_s']:.1f} s"))
    return out


def _yardsticks(s: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    if http := s.get("yardstick_http"):
        lo, one = http["loaded"], http["one_connection"]
        connections = s["submissions"]["concurrency"] if "submissions" in s else 64
        out += [
            Row(
                "yardstick: bare FastAPI POST (pydantic)",
                f"{connections} connections",
                f"{lo['per_second']:,.0f}/s, {_latency(lo)}",
                "reference ~5,900/s on one core",
                None,
                "1",
            ),
            Row("yardstick: bare FastAPI POST, one connection", "sequential", _latency(one), "", None, "1"),
            Row("yardstick: bare FastAPI process", "after its load", f"{http['rss_mib']['value']:.0f} MiB"),
        ]
    if stream := s.get("yardstick_jetstream"):
        p, t = stream["publish"], stream["round_trip"]
        out += [
            Row(
                "yardstick: JetStream publish, async acks",
                f"{p['messages']:,} messages of {p['bytes']} B",
                f"{p['per_second']:,.0f} msg/s",
                "reference ~50,000 msg/s",
                None,
                "1",
            ),
            Row(
                "yardstick: publish → durable consumer → ack",
                f"{t['messages']:,} messages, two processes",
                _latency(t),
                "reference p50 0.7 ms, p99 1.2 ms",
                None,
                "1",
            ),
        ]
    return out


def rows(s: dict[str, Any]) -> list[Row]:
    """The report's rows, in the issue's order, then the yardsticks."""
    y = Yardsticks.of(s)
    out: list[Row] = []
    if "submissions" in s:
        out += _submissions(s["submissions"], y)
    if "pipeline" in s:
        out += _pipeline(s["pipeline"], y)
    if "scoring" in s:
        out += _scoring(s["scoring"], y)
    if "disbursement" in s:
        out += _disbursement(s["disbursement"], y)
    if "nats_auth" in s:
        out += report_auth.rows(s["nats_auth"])
    return out + _others(s, y) + _yardsticks(s)


def table(all_rows: list[Row]) -> str:
    lines = [
        "| figure | size | result (medians of the runs) | target | | ratio to the yardstick |",
        "|---|---|---|---|---|---|",
    ]
    for r in all_rows:
        verdict = "" if r.meets is None else ("pass" if r.meets else "**miss**")
        lines.append(f"| {r.figure} | {r.size} | {r.result} | {r.target} | {verdict} | {r.ratio} |")
    return "\n".join(lines)


def chart(all_rows: list[Row], path: Path, title: str) -> None:
    import matplotlib  # a dev dependency, loaded only to draw

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullLocator

    targeted = [r for r in all_rows if r.share_of_target is not None]
    if not targeted:
        return
    labels = [f"{r.figure.replace('`', '')}  ({r.target})" for r in targeted]
    shares = [r.share_of_target * 100 for r in targeted if r.share_of_target is not None]
    figure, axes = plt.subplots(figsize=(11, 0.42 * len(targeted) + 1.8))
    bars = axes.barh(labels, shares, color=["#2e7d32" if v >= 100 else "#c62828" for v in shares])
    axes.axvline(100, color="black", linewidth=1)
    axes.set_xscale("log")
    low, high = min(min(shares) / 2, 30), max(max(shares) * 4, 300)
    ticks = [t for t in (1, 3, 10, 30, 100, 300, 1000, 3000, 10000) if low <= t <= high]
    axes.xaxis.set_major_locator(FixedLocator(ticks))
    axes.xaxis.set_minor_locator(NullLocator())
    axes.set_xticklabels([f"{t} %" for t in ticks])
    axes.set_xlim(low, high)
    axes.invert_yaxis()
    axes.set_xlabel("share of the target (log scale; for a limit: target ÷ figure); right of the line passes")
    axes.set_title(title, fontsize=10)
    for bar, value, row in zip(bars, shares, targeted, strict=True):
        axes.text(
            bar.get_width() * 1.08,
            bar.get_y() + bar.get_height() / 2,
            f"{value:.0f} %  ({row.value})",
            va="center",
            fontsize=8,
        )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write(path: Path, results: dict[str, Any], meta: dict[str, Any]) -> None:
    """Merges this run's results into the report's, then writes the report and its chart."""
    kept, analysis = earlier(path)
    scenarios = {**kept.get("scenarios", {}), **results}
    all_rows = rows(scenarios)
    image = path.with_suffix(".png")
    chart(all_rows, image, f"EDF Grants, {meta['when']}, {meta['machine']['cpu']}, {meta['machine']['cores']} cores")
    data = json.dumps({"meta": meta, "scenarios": scenarios}, indent=1, sort_keys=True).replace(">", "\\u003e")
    document = "\n".join(
        [
            report_text.header(meta, scenarios),
            table(all_rows),
            f"\n![Each figure as a share of its target]({image.name})\n",
            report_text.cpu_table(scenarios, SUBMITS_TARGET),
            report_text.details(scenarios),
            ANALYSIS_START,
            analysis if analysis is not None else report_text.FIRST_ANALYSIS,
            ANALYSIS_END,
            "",
            f"{DATA_START}\n{data}\n{DATA_END}",
            "",
        ]
    )
    path.write_text(document, encoding="utf-8")
