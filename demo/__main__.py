"""`python -m demo` (what `make demo` runs): see `python -m demo --help`."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from demo.client import DemoError
from demo.districts import DISTRICTS
from demo.run import Options, run_demo
from demo.target import StartedStack, ready, target_from

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
def main(
    applicants: Annotated[
        int, typer.Option(min=1, max=5000, envvar="DEMO_APPLICANTS", help="How many synthetic applicants apply.")
    ] = 300,
    seed: Annotated[int, typer.Option(envvar="DEMO_SEED", help="The same seed makes the same people.")] = 1,
    governorate: Annotated[
        str, typer.Option(help=f"The call's governorate: {', '.join(sorted(DISTRICTS))}.")
    ] = "IQ-NI",
    gateway: Annotated[
        str | None, typer.Option(help="The gateway (default: EDF_GATEWAY_URL or http://127.0.0.1:8000).")
    ] = None,
    nats_url: Annotated[
        str | None,
        typer.Option(help="The stack's NATS, for the finance consumer (default: EDF_NATS_URL or make run's)."),
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=128, help="Requests in flight at most.")] = 16,
    start: Annotated[bool, typer.Option(help="Start the stack when nothing answers at the gateway.")] = True,
    keep_running: Annotated[
        bool | None,
        typer.Option(
            help="Keep a stack the demo started running afterwards, until Ctrl-C (default: when on a terminal)."
        ),
    ] = None,
) -> None:
    """A realistic call end to end through the gateway: synthetic Iraqi applicants apply, officers
    score, the committee decides, monitors verify, finance approves, the finance consumer pays."""
    console = Console(file=sys.stdout)  # explicit: the finance consumer's own output goes to its log
    if governorate not in DISTRICTS:
        raise typer.BadParameter(f"choose one of {', '.join(sorted(DISTRICTS))}", param_hint="--governorate")
    target = target_from(os.environ, gateway, nats_url)
    started: StartedStack | None = None
    try:
        if not ready(target.gateway):
            if not start:
                raise DemoError(f"nothing answers at {target.gateway}: `make run` first")
            console.print(
                f"Nothing answers at {target.gateway}: starting the stack (`make run`; its output in "
                f"{target.var_dir / 'demo-stack.log'}) …"
            )
            started = StartedStack(target)
            started.start()
        asyncio.run(
            run_demo(
                target,
                Options(applicants=applicants, seed=seed, governorate=governorate, concurrency=concurrency),
                console,
            )
        )
        if started is not None:
            if keep_running if keep_running is not None else sys.stdin.isatty():
                console.print("\nThe stack the demo started keeps running so that you can look: Ctrl-C stops it.")
                started.wait()
            else:
                console.print("\nStopping the stack the demo started (`make run` to start it again).")
    except DemoError as exc:
        console.print(f"[red]demo: {exc}[/red]")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        console.print("[yellow]demo: interrupted[/yellow]")
        raise typer.Exit(130) from None
    finally:
        if started is not None:
            started.stop()


if __name__ == "__main__":
    app()
