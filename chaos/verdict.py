"""A named check of the run with its figure, what it found lost or duplicated, and why."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Check:
    name: str
    figure: str
    lost: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.lost and not self.duplicated and not self.problems
