"""The command layer: the only place that imports click.

Each command parses its options, opens a context (repository, manifest), calls a
core function with keyword arguments and prints what comes back. Expected failures
(GitorchError) become one line on stderr and exit 1 or 2; anything else becomes one
line plus a pointer to --debug, never a traceback unless asked for.

``base`` holds the group, the context and the shared options; the commands live in
one module per stage, and importing them registers them on the group.
"""

from __future__ import annotations

from gitorch.cli import (
    agents_cmds,
    conflicts_cmds,
    demo_cmds,
    enforce_cmds,
    gate_cmds,
    integrate_cmds,
    manifest_cmds,
    progress_cmds,
)
from gitorch.cli.base import Context, main

__all__ = [
    "Context",
    "agents_cmds",
    "conflicts_cmds",
    "demo_cmds",
    "enforce_cmds",
    "gate_cmds",
    "integrate_cmds",
    "main",
    "manifest_cmds",
    "progress_cmds",
]
