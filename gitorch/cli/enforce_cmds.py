"""Enforcement commands: hooks install, check, init-worktrees, and the hidden hook entry."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from gitorch.cli.base import Context, json_option, main, manifest_option, pass_context, print_json
from gitorch.errors import CheckFailed, UsageError
from gitorch.ids import object_id


@main.group()
def hooks() -> None:
    """Install the server hook (pre-receive) or the client hooks (pre-commit, pre-push)."""


@hooks.command("install")
@click.option("--server", "server", metavar="BARE_REPO", type=click.Path(file_okay=False),
              help="Install pre-receive in this bare shared repository.")
@click.option("--policy", metavar="FILE", type=click.Path(dir_okay=False),
              help="Pin this manifest as the server's policy (default: gitorch.yaml on the base).")
@click.option("--local", "local", is_flag=True,
              help="Install pre-commit and pre-push in the current clone.")
@click.option("--force", is_flag=True, help="Replace hooks that gitorch did not write.")
@click.option("--integrators", "integrators", metavar="NAMES", multiple=True,
              help="With --server: who may push the first gitorch.yaml onto an existing base "
                   "(stored as git config gitorch.integrators; comma-separated or repeated).")
@manifest_option
@json_option
@pass_context
def install(obj: Context, server: str | None, policy: str | None, local: bool, force: bool,
            integrators: tuple[str, ...], as_json: bool) -> None:
    """Write hook scripts that run gitorch with this Python interpreter.

    With --server, a --manifest PATH given on the command line pins PATH as --policy does.
    """
    from gitorch.enforce import install as hook_files

    if bool(server) == local:
        raise UsageError("say where: --server BARE_REPO or --local",
                         hint="see 'gitorch hooks install --help'")
    if (policy or integrators) and not server:
        raise UsageError(f"{'--policy' if policy else '--integrators'} applies to --server only")
    explicit = _manifest_on_command_line(obj)
    if explicit and local:
        raise UsageError("the client hooks read the clone's gitorch.yaml (or $GITORCH_MANIFEST) "
                         "each time they run; --manifest cannot be pinned in them",
                         hint="drop --manifest, or set GITORCH_MANIFEST where you commit and push")
    if explicit and server and not policy:
        policy = explicit
    if local:
        from gitorch.repo import workdir

        if workdir(obj.repo) is None:
            raise UsageError(f"{obj.root} is a bare repository: client hooks need a clone",
                             hint="run it in a clone, or use --server for the shared repository")
    problem = None
    advice: list[str] = []
    if server:
        done = [hook_files.install_server(Path(server), policy=Path(policy) if policy else None,
                                          force=force, integrators=integrators)]
        rule = f"policy: {Path(policy).resolve()}" if policy else \
            "policy: gitorch.yaml on the base branch"
        problem = hook_files.policy_problem(Path(server), Path(policy) if policy else None)
        advice = hook_files.adoption_advice(Path(server), problem) if problem else []
    else:
        done = hook_files.install_local(obj.root, force=force)
        rule = "policy: gitorch.yaml of this clone"
    if as_json:
        print_json({"installed": [str(d.path) for d in done], "python": sys.executable,
                    "policy": str(Path(policy).resolve()) if policy else None,
                    "policy_problem": problem, "what_to_do": advice})
        return
    for item in done:
        click.echo(f"{'updated' if item.replaced else 'installed'} {item.path}")
    click.echo(f"python: {sys.executable}; {rule}")
    if advice:
        click.echo(f"note: {advice[0]}")
        for line in advice[1:]:
            click.echo(line)


def _manifest_on_command_line(obj: Context) -> str | None:
    """The --manifest PATH typed on the command line (before or after the command), if any.

    $GITORCH_MANIFEST does not count: an environment variable must not pin a server policy.
    """
    from click.core import ParameterSource

    ctx: click.Context | None = click.get_current_context()
    while ctx is not None:
        source = ctx.get_parameter_source("manifest") or ctx.get_parameter_source("manifest_option")
        if source is ParameterSource.COMMANDLINE:
            return obj.manifest_option
        ctx = ctx.parent
    return None


@main.command("hook-run", hidden=True, context_settings={"ignore_unknown_options": True})
@click.argument("argv", nargs=-1, type=click.UNPROCESSED)
def hook_run(argv: tuple[str, ...]) -> None:
    """The entry hook scripts call (they run 'python -m gitorch.hooks' to skip click's start-up)."""
    from gitorch.enforce import hookrun as hook_files

    raise SystemExit(hook_files.run(list(argv), sys.stdin, sys.stderr, os.environ))


@main.command()
@click.argument("rev", required=False)
@click.option("--team", metavar="T", help="Judge as this team (default: from the branch name).")
@click.option("--remote", default="origin", show_default=True,
              help="Remote whose team and base branches count where there is no local one.")
@manifest_option
@json_option
@pass_context
def check(obj: Context, rev: str | None, team: str | None, remote: str, as_json: bool) -> None:
    """Run the server hook's scope check on REV (default HEAD) against the base branch."""
    from gitorch import repo as git
    from gitorch.enforce import gitread as hookgit
    from gitorch.enforce import receive, verdict
    from gitorch.manifest import TeamName

    manifest = obj.manifest
    repo = obj.repo
    name = rev or git.symbolic_head(repo) or "HEAD"
    head = None
    head_ref: str | None = f"refs/heads/{name}" if rev is None and name != "HEAD" else None
    if rev is not None and manifest.team_of_branch(rev) is not None:
        # The contract's lookup of a team branch: the local one, else REMOTE/<branch>.
        head = git.branch_commit(repo, rev, remote)
        local = git.ref_target(repo, f"refs/heads/{rev}") is not None
        head_ref = f"refs/heads/{rev}" if local else f"refs/remotes/{remote}/{rev}"
    if head is None:
        head = git.resolve_commit(repo, rev or "HEAD")
    if rev is not None and head_ref is None:
        for candidate in (rev, f"refs/heads/{rev}", f"refs/remotes/{rev}"):
            if candidate.startswith("refs/") and git.ref_target(repo, candidate) is not None:
                head_ref = candidate
                break
    if team is None:
        found = manifest.team_of_branch(name)
        if found is None and name.startswith("refs/remotes/"):
            name = name[len("refs/remotes/"):]
        if found is None and "/" in name:
            found = manifest.team_of_branch(name.split("/", 1)[1])
        if found is None:
            raise UsageError(f"cannot tell the team: {name} is no team branch "
                             f"({manifest.branch_prefix}<team>)", hint="pass --team T")
        team = found
    if team not in manifest.teams:
        raise UsageError(f"no team '{team}' in {manifest.path}",
                         hint=f"teams: {', '.join(sorted(manifest.teams))}")
    base = git.branch_commit(repo, manifest.base, remote)
    with hookgit.Git(repo.path) as reader:
        judged = verdict.judge_in_clone(reader, manifest, TeamName(team), object_id(head.id),
                                        head_ref=head_ref, remote=remote or None,
                                        base=str(base.id) if base is not None else None)
    result = verdict.check_verdict(judged, manifest, name, base_known=base is not None)
    if as_json:
        print_json({"team": team, "rev": name, "head": str(head.id),
                    "base": str(base.id) if base is not None else None,
                    "commits": result.commits, "ok": result.accepted,
                    "offending_commits": judged.offending,
                    "policy": obj.policy.source if obj.policy else str(manifest.path),
                    "violations": [receive.violation_json(v) for v in result.violations]})
    else:
        lines = receive.render([result], verbose_accept=True)
        if result.accepted:
            click.echo(f"{name}: {result.reason}")
        else:
            lines = lines[:-1]      # not a push: no "push rejected" line
            lines[0] = f"{name}: {result.reason}"
            click.echo("\n".join(lines))
        if obj.policy is not None and obj.policy.note:
            click.echo(f"note: {obj.policy.note}", err=True)
    if not result.accepted:
        raise CheckFailed("")       # the lines above say why


@main.command("init-worktrees")
@click.option("--remote", default="origin", show_default=True, metavar="NAME",
              help="Remote whose team branch a missing local one starts from.")
@click.option("--agent", "agent_list", metavar="A,...",
              help="Agents whose files each worktree gets: claude, codex, gemini, cursor, aider "
                   "(default: all; see 'gitorch agents setup').")
@manifest_option
@json_option
@pass_context
def init_worktrees(obj: Context, remote: str, agent_list: str | None, as_json: bool) -> None:
    """Create team/<name> from the base and a worktree for every team (idempotent); write
    each worktree's GITORCH.md, its agents' files and its commit hooks."""
    from gitorch.agents import files
    from gitorch.enforce import worktrees

    agents = files.parse_agents(agent_list)
    done = worktrees.init_worktrees(obj.repo, obj.manifest, remote=remote or None)
    setup = files.setup_all(obj.root, obj.manifest, agents)
    briefs = {w.team: w for w in setup.worktrees}
    if as_json:
        print_json({"worktrees": [{"team": w.team, "branch": w.branch, "path": str(w.path),
                                   "branch_created": w.branch_created,
                                   "worktree_created": w.worktree_created,
                                   "brief": str(briefs[w.team].brief) if w.team in briefs
                                   else None,
                                   "agents": briefs[w.team].to_json() if w.team in briefs
                                   else None} for w in done],
                    "policy": setup.policy})
        return
    rows = [("TEAM", "BRANCH", "PATH", "")]
    for w in done:
        state = "created" if w.worktree_created else "exists"
        rows.append((w.team, w.branch, str(w.path), state))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        click.echo(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip())
    skipped = [(s, f) for s in setup.worktrees for f in s.files if f.action == "skipped"]
    for s, f in skipped:
        click.echo(f"{s.team}: skipped {f.path.relative_to(s.path)}: {f.note}", err=True)
