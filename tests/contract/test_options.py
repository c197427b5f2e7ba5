"""By introspection: the documented commands and the options every one must take."""

from __future__ import annotations

import click

from gitorch.cli import main


def _commands() -> dict[str, click.Command]:
    out: dict[str, click.Command] = {}
    for name, command in main.commands.items():
        if isinstance(command, click.Group):
            out.update({f"{name} {sub}": c for sub, c in command.commands.items()})
        elif not command.hidden:
            out[name] = command
    return out


def _options(command: click.Command) -> set[str]:
    return {opt for p in command.params for opt in getattr(p, "opts", ())}


CONTRACT = {"validate", "owner", "brief", "init-worktrees", "hooks install", "check", "conflicts",
            "integrate", "status", "monitor", "signal", "expand", "gate", "codeowners", "demo"}
# demo builds its own project and manifest: there is no manifest of the user's to name;
# schema prints the schema every manifest is checked against; init writes the manifest;
# prune reads refs only; guard obeys the manifest at the base branch only: an agent must
# not name its own policy.
NO_MANIFEST = {"demo", "schema", "init", "prune", "guard"}
# guard answers in the agent's own JSON (its hook protocol), with no flag needed.
NO_JSON = {"guard"}
FINDS_TEAM_BRANCHES = {"check", "conflicts", "integrate", "status", "monitor", "signal", "gate",
                       "init-worktrees"}


def test_every_contract_command_exists() -> None:
    assert set(_commands()) >= CONTRACT


def test_every_command_reports_with_json() -> None:
    assert [n for n, c in _commands().items()
            if "--json" not in _options(c) and n not in NO_JSON] == []


def test_every_command_takes_manifest_after_its_name() -> None:
    missing = sorted(n for n, c in _commands().items() if "--manifest" not in _options(c))
    assert missing == sorted(NO_MANIFEST)


def test_every_command_that_finds_team_branches_takes_remote() -> None:
    commands = _commands()
    assert [n for n in sorted(FINDS_TEAM_BRANCHES) if "--remote" not in _options(commands[n])] == []
