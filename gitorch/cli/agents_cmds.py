"""Commands for AI agents in the team worktrees: agents setup, guard, doctor."""

from __future__ import annotations

import sys

import click

from gitorch.cli.base import (
    Context,
    json_option,
    main,
    manifest_option,
    pass_context,
    print_json,
)
from gitorch.errors import CheckFailed


@main.group()
def agents() -> None:
    """The brief and the edit-time guard for the AI agents in the team worktrees."""


@agents.command("setup")
@click.option("--agent", "agent_list", metavar="A,...",
              help="Agents to set up: claude, codex, gemini, cursor, aider (default: all).")
@manifest_option
@json_option
@pass_context
def agents_setup(obj: Context, agent_list: str | None, as_json: bool) -> None:
    """(Re)write each team worktree's GITORCH.md, the files that make each agent read it and
    call the guard, and the worktree's commit hooks."""
    from gitorch.agents import files

    result = files.setup_all(obj.root, obj.manifest, files.parse_agents(agent_list))
    if as_json:
        print_json(result.to_json())
    else:
        click.echo(render_setup(result))
    if not result.worktrees:
        raise CheckFailed("no team worktree to set up", hint="run 'gitorch init-worktrees'")


def render_setup(result: object) -> str:
    from gitorch.agents.files import SetupResult

    assert isinstance(result, SetupResult)
    lines = [f"policy: {result.policy} (the guard and the commit hooks obey it)"]
    for w in result.worktrees:
        written = [f for f in w.files if f.action in ("written", "updated")]
        skipped = [f for f in w.files if f.action == "skipped"]
        lines.append(f"{w.team}: {w.path}: {', '.join(w.agents)}; {len(written)} file"
                     f"{'s' if len(written) != 1 else ''} written, commit hooks in "
                     f"{w.hooks_dir}")
        lines += [f"  skipped {f.path.relative_to(w.path)}: {f.note}" for f in skipped]
    lines += [f"{team}: no worktree on its branch: run 'gitorch init-worktrees'"
              for team in result.missing]
    return "\n".join(lines)


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--agent", required=True,
              type=click.Choice(["claude", "codex", "gemini", "cursor"]),
              help="Whose hook protocol the event on stdin follows.")
def guard(agent: str) -> None:
    """The agents' edit-time hook: read the agent's hook JSON on stdin; refuse out-of-scope
    writes (exit 2, reason on stderr, the agent's JSON decision on stdout).

    The settings files call 'python -I -S .../gitorch/guard.py --agent A', the same code without
    this command line's start-up.
    """
    from gitorch.agents.guard import run

    outcome = run(["--agent", agent], sys.stdin)
    sys.stdout.write(outcome.stdout)
    sys.stderr.write(outcome.stderr)
    raise SystemExit(outcome.code)


@main.command()
@click.option("--remote", default="origin", show_default=True, metavar="NAME",
              help="Remote whose branches count and whose hook is checked.")
@manifest_option
@json_option
@pass_context
def doctor(obj: Context, remote: str, as_json: bool) -> None:
    """Check the manifest, the base and team branches, the worktrees, their commit hooks and
    agents (the hook commands run on sample events) and the server hook; each problem with
    its fix. Exit 1 when there is any."""
    from gitorch.agents.doctor import diagnose, render

    report = diagnose(obj.root, obj.manifest_path(), remote=remote)
    if as_json:
        print_json(report.to_json())
    else:
        click.echo(render(report), nl=False)
    if report.problems:
        raise SystemExit(1)
