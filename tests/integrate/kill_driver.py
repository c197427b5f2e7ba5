"""Runs ``gitorch integrate ARGS`` and SIGKILLs itself right after the Nth per-team checkpoint.

Usage: ``python kill_driver.py N ARGS...``. The kill is driven from outside the engine: the
driver wraps the engine's checkpoint writer before the command starts, so the engine has
no knowledge of tests.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any


def main() -> None:
    from gitorch.integrate import engine, runstate

    after, args = int(sys.argv[1]), sys.argv[2:]
    real = runstate.write_checkpoint       # the engine calls it by the name it imported
    writes = 0

    def write_then_die(*a: Any, **k: Any) -> Any:
        nonlocal writes
        written = real(*a, **k)
        writes += 1
        if writes == after + 1:     # the first write is the run's start, before any team
            os.kill(os.getpid(), signal.SIGKILL)
        return written

    vars(engine)["write_checkpoint"] = write_then_die
    from gitorch.cli import main as cli

    cli(args=["integrate", *args], prog_name="gitorch")


if __name__ == "__main__":
    main()
