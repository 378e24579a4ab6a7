"""The faults: every `kill_every` seconds (± a third) a random process of the stack (a service,
the gateway, the finance consumer or, on a NATS cluster, a NATS node) is SIGKILLed and started
again after a short while; once NATS is SIGKILLed (the server, or the cluster's JetStream meta
leader) and started again on the same store `down_seconds` later, and once PostgreSQL is
stopped the crash-like way (`pg_ctl -m immediate`) and started again. Each is logged with its
time."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from chaos.stack import ChaosStack

NATS_NODE_SHARE = 1 / 3  # on a cluster: of the random kills, the share that hits a NATS node


@dataclass(frozen=True)
class FaultPlan:
    kill_every: float = 5.0
    nats_restart_at: float = 30.0  # seconds after the workload starts; < 0: never
    postgres_restart_at: float = 60.0
    down_seconds: float = 3.0  # how long NATS and PostgreSQL stay down
    seed: int = 7


@dataclass
class FaultLog:
    kills: Counter[str] = field(default_factory=Counter)
    nats_restarts: int = 0
    postgres_restarts: int = 0
    unexpected_exits: Counter[str] = field(default_factory=Counter)
    recoveries: list[float] = field(default_factory=list)  # seconds from a kill to ready again
    events: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, object]:
        return {
            "kills (SIGKILL)": sum(self.kills.values()),
            "kills by process": ", ".join(f"{k} {n}" for k, n in sorted(self.kills.items())) or "-",
            "kill to ready again (s), mean / max": (
                f"{sum(self.recoveries) / len(self.recoveries):.1f} / {max(self.recoveries):.1f}"
                if self.recoveries
                else "-"
            ),
            "NATS restarts": self.nats_restarts,  # each after a SIGKILL
            "PostgreSQL restarts": self.postgres_restarts,
            "processes that exited by themselves": sum(self.unexpected_exits.values()),
        }


class Faults:
    def __init__(self, stack: ChaosStack, plan: FaultPlan, say: Callable[[str], None]) -> None:
        self.stack = stack
        self.plan = plan
        self.say = say
        self.log = FaultLog()
        self.random = random.Random(plan.seed)  # noqa: S311  (fault timing, not security)
        self.started = time.monotonic()

    def _note(self, text: str) -> None:
        line = f"t={time.monotonic() - self.started:5.0f}s {text}"
        self.log.events.append(line)
        self.say(line)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; the NATS and PostgreSQL restarts happen before it returns even
        when the workload finishes first."""
        self.started = time.monotonic()
        while True:
            self._restart_what_exited()
            elapsed = time.monotonic() - self.started
            if self._due(self.log.nats_restarts, self.plan.nats_restart_at, elapsed, stop):
                victim = await asyncio.to_thread(self.stack.nats_victim)
                leader = " (the JetStream meta leader)" if victim != "nats" else ""
                await self._restart(f"{victim}{leader}", functools.partial(self.stack.kill_nats, victim), "SIGKILL")
                self.log.nats_restarts += 1
            elif self._due(self.log.postgres_restarts, self.plan.postgres_restart_at, elapsed, stop):
                await self._restart("PostgreSQL", self.stack.restart_postgres)
                self.log.postgres_restarts += 1
            elif stop.is_set():
                return
            elif self.plan.kill_every > 0:
                await self._kill_one()
            pause = self.plan.kill_every * self.random.uniform(0.67, 1.33) if self.plan.kill_every > 0 else 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)

    @staticmethod
    def _due(done: int, at: float, elapsed: float, stop: asyncio.Event) -> bool:
        """Once, at `at` seconds (or at the end if the workload finished first); never if `at` < 0."""
        return not done and at >= 0 and (elapsed >= at or stop.is_set())

    async def _kill_one(self) -> None:
        """Kills one process, starts it again after a short while and waits until it is ready, so
        that the next kill comes `kill_every` seconds after the stack is whole again (processes
        take seconds to start: killing faster than they start would only measure downtime)."""
        victim = self._victim()
        killed = time.monotonic()
        await asyncio.to_thread(self.stack.kill, victim)
        self.log.kills[victim] += 1
        down = self.random.uniform(0.2, 2.0)
        await asyncio.sleep(down)
        await asyncio.to_thread(self.stack.start_again, victim)
        ready = await asyncio.to_thread(self.stack.wait_one_ready, victim, 180.0)
        recovered = time.monotonic() - killed
        self.log.recoveries.append(recovered)
        self._note(
            f"SIGKILL {victim}; started again after {down:.1f}s, "
            f"{'ready' if ready else 'NOT ready'} {recovered:.1f}s after the kill"
        )

    def _victim(self) -> str:
        """On a cluster a third of the kills hit a NATS node (three among fifteen processes would
        otherwise be rarely chosen), the others a service, a gateway or the finance consumer."""
        nodes = tuple(node.name for node in self.stack.nats_nodes)
        if nodes and self.random.random() < NATS_NODE_SHARE:
            return self.random.choice(nodes)
        return self.random.choice([name for name in self.stack.killable if name not in nodes])

    async def _restart(self, what: str, restart: Callable[[float], None], how: str = "stopping") -> None:
        self._note(f"{how} {what}, down for {self.plan.down_seconds:.0f}s")
        stopped = time.monotonic()
        await asyncio.to_thread(restart, self.plan.down_seconds)
        ready = all([await asyncio.to_thread(self.stack.wait_one_ready, n, 180.0) for n in self.stack.killable])
        self._note(
            f"{what} started again; every process {'ready' if ready else 'NOT ready'} "
            f"{time.monotonic() - stopped:.1f}s after the stop"
        )

    def _restart_what_exited(self) -> None:
        """A process that exits by itself is started again (as a supervisor would) and counted."""
        for name, code in self.stack.exited().items():
            self.log.unexpected_exits[name] += 1
            self._note(f"{name} exited by itself (code {code}); starting it again")
            self.stack.start_again(name)
