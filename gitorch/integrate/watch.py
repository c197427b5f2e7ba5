"""Continuous integration mode: integrate again whenever a team branch moves.

The loop polls the team branches' tips (optionally fetching first) and calls the
integration once per change, numbering the runs so that each writes its own report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Heads = Mapping[str, str | None]


@dataclass(frozen=True)
class WatchRun:
    number: int
    heads: Heads
    moved: tuple[str, ...]
    exit_code: int


def moved_teams(before: Heads | None, after: Heads) -> tuple[str, ...]:
    """The teams whose tip differs between two polls (every team on the first poll)."""
    if before is None:
        return tuple(sorted(after))
    return tuple(sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t)))


def watch(
    *,
    poll: Callable[[], Heads],
    integrate: Callable[[int, tuple[str, ...]], int],
    interval: float,
    fetch: Callable[[], None] | None = None,
    max_runs: int | None = None,
    max_polls: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_idle: Callable[[int], None] | None = None,
) -> list[WatchRun]:
    """Poll every ``interval`` seconds; run ``integrate(run_number, moved)`` on each change.

    Stops after ``max_runs`` integrations or ``max_polls`` polls when given (tests and
    one-shot use); otherwise runs until interrupted (KeyboardInterrupt propagates, so the
    command layer can exit cleanly).
    """
    runs: list[WatchRun] = []
    last: Heads | None = None
    polls = 0
    while True:
        if fetch is not None:
            fetch()
        heads = dict(poll())
        polls += 1
        moved = moved_teams(last, heads)
        if moved:
            code = integrate(len(runs) + 1, moved)
            runs.append(WatchRun(len(runs) + 1, heads, moved, code))
            last = heads
        elif on_idle is not None:
            on_idle(polls)
        if (max_runs is not None and len(runs) >= max_runs) or \
                (max_polls is not None and polls >= max_polls):
            return runs
        sleep(interval)
