"""The staff's monitoring dashboard: the calls, and per call its indicators as tables and charts.

The figures come from the API as any client gets them, with the signed-in member's token (the
services decide who may read them). A service that does not answer leaves a note on the page,
not an error: what the others answered is still shown.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from starlette.responses import Response

from gateway.web import charts
from gateway.web.client import Answer, SignedOut, Unavailable
from gateway.web.i18n import Translator
from gateway.web.pages import Refused, Visit, redirect, render, visit

router = APIRouter(include_in_schema=False)
Page = Annotated[Visit, Depends(visit)]
CALL_ORDER = {"open": 0, "closed": 1, "draft": 2}
SEXES = ("female", "male")
DISPLACEMENT = ("idp", "returnee", "host")
JOB_ROWS = ("jobs_planned", "jobs_verified", "jobs_retained_6m", "jobs_retained_12m")
VISIT_STATES = ("due", "overdue", "done")
KINDS = ("verification", "follow_up")
GRANT_STATES = ("active", "completed", "cancelled")
COLORS = {
    "female": "#8e3b8e",
    "male": "#1f6fb2",
    "due": "#1f6fb2",
    "overdue": "#b00020",
    "done": "#0b5c3b",
    "active": "#0b5c3b",
    "completed": "#1f6fb2",
    "cancelled": "#7a7f76",
    "paid": "#5b9c7a",
    "total": "#b35c00",
}


def staff_only(v: Visit) -> Response | None:
    """A redirect to sign in for a visitor who has not; 403 for anyone but staff."""
    if not v.session.signed_in:
        return redirect(v, f"/signin?{urlencode({'next': v.request.url.path})}")
    principal = v.principal
    if principal is None:
        raise SignedOut
    if not principal.is_staff:
        raise Refused(403, "error.staff_only")
    return None


@router.get("/dashboard")
async def calls_page(v: Page) -> Response:
    if (sign_in := staff_only(v)) is not None:
        return sign_in
    try:
        calls: list[dict[str, Any]] | None = await v.api.calls()
    except Unavailable:
        calls = None
    if calls is not None:
        calls.sort(key=lambda c: (CALL_ORDER.get(str(c.get("status")), 3), str(c.get("code", ""))))
    return render(v, "dashboard_calls.html", calls=calls, wide=True)


async def _answer(pending: Awaitable[Answer]) -> Answer | None:
    """The service's answer, or None when it did not answer."""
    try:
        return await pending
    except Unavailable:
        return None


@router.get("/dashboard/{call_id}")
async def call_page(v: Page, call_id: str) -> Response:
    if (sign_in := staff_only(v)) is not None:
        return sign_in
    try:
        wanted = str(uuid.UUID(call_id))
    except ValueError:
        raise Refused(404, "error.not_found") from None
    api = v.api
    call, indicators, figures = await asyncio.gather(
        _answer(api.call_of(wanted)), _answer(api.indicators(wanted)), _answer(api.dashboard(wanted))
    )
    if call is not None and call.status == 404:
        raise Refused(404, "error.not_found")
    monitoring_down = indicators is None or figures is None
    known = indicators is not None and indicators.ok and figures is not None and figures.ok
    found = dict(indicators.body) if known and indicators else {}
    more = dict(figures.body) if known and figures else {}
    return render(
        v,
        "dashboard.html",
        call_id=wanted,
        call=call.body if call is not None and call.ok else None,
        calls_down=call is None,
        monitoring_down=monitoring_down,
        not_in_monitoring=not monitoring_down and not known,
        ind=found,
        fig=more,
        charts=_charts(v.t, found, more) if known else {},
        wide=True,
        money=money,
        num=charts.plain,
        sexes=SEXES,
        displacement=DISPLACEMENT,
        job_rows=JOB_ROWS,
        visit_states=VISIT_STATES,
        kinds=KINDS,
    )


def _charts(t: Translator, ind: dict[str, Any], fig: dict[str, Any]) -> dict[str, Any]:
    rtl, empty = t.dir == "rtl", t("dash.no_data")
    jobs = fig.get("jobs_verified", {})
    sexes = [charts.Series(t(f"sex.{s}"), COLORS[s]) for s in SEXES]
    groups = [d for d in DISPLACEMENT if d in jobs] + [d for d in jobs if d not in DISPLACEMENT]
    values = [[int(jobs[d].get(s, 0)) for s in SEXES] for d in groups]
    jobs_desc = "; ".join(
        f"{t.option(f'dash.displacement.{d}', d)}: "
        + ", ".join(f"{t(f'sex.{s}')} {n}" for s, n in zip(SEXES, row, strict=True))
        for d, row in zip(groups, values, strict=True)
    )
    months = fig.get("disbursed_by_month", [])
    money_desc = (
        "; ".join(
            f"{m['month']}: {charts.plain(_dec(m['amount']))} ({t('dash.cumulative')} "
            f"{charts.plain(_dec(m['cumulative']))})"
            for m in months
        )
        or empty
    )
    visits = fig.get("visits", {})
    visit_items = [(t(f"dash.visits.{s}"), int(visits.get(s, 0)), COLORS[s]) for s in VISIT_STATES]
    grants = ind.get("grants", {})
    states = [s for s in GRANT_STATES if s in grants] + [s for s in grants if s not in GRANT_STATES]
    grant_items = [(t.option(f"dash.grant.{s}", s), int(grants[s]), COLORS.get(s, "#7a7f76")) for s in states]
    return {
        "jobs": charts.grouped_bars(
            "chart-jobs",
            t("dash.chart.jobs"),
            jobs_desc or empty,
            [t.option(f"dash.displacement.{d}", d) for d in groups],
            sexes,
            values,
            rtl=rtl,
            empty=empty,
        ),
        "money": charts.bars_with_total(
            "chart-money",
            t("dash.chart.money", ind.get("currency", "")),
            money_desc,
            [m["month"] for m in months],
            [_dec(m["amount"]) for m in months],
            [_dec(m["cumulative"]) for m in months],
            bar=charts.Series(t("dash.paid_in_month"), COLORS["paid"]),
            line=charts.Series(t("dash.cumulative"), COLORS["total"]),
            rtl=rtl,
            empty=empty,
        ),
        "visits": charts.bars(
            "chart-visits",
            t("dash.chart.visits"),
            ", ".join(f"{label}: {n}" for label, n, _ in visit_items),
            visit_items,
            rtl=rtl,
            empty=empty,
        ),
        "grants": charts.bars(
            "chart-grants",
            t("dash.chart.grants"),
            ", ".join(f"{label}: {n}" for label, n, _ in grant_items) or empty,
            grant_items,
            rtl=rtl,
            empty=empty,
        ),
    }


def _dec(value: object) -> Decimal:
    return Decimal(str(value))


def money(value: object) -> str:
    """`12,500.00` from the API's decimal string; an em dash for none."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):,}"
