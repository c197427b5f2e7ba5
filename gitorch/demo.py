"""`gitorch demo`: the ten-team playbook's whole flow, run for real on a generated sample project.

It plays every part itself: the lead who sets up the shared server and the teams'
worktrees, and ten teams that expand their mega-files, commit and push as their own
member identities. It runs the same commands a person would (printed as it goes), so
the output doubles as a walkthrough.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gitorch import demoproject as sample
from gitorch.errors import GitorchError, UsageError

MARKER = ".gitorch-demo"
Echo = Callable[[str], None]


@dataclass
class DemoResult:
    directory: Path
    report: Path
    html: Path
    json: Path
    integrate_exit: int
    seconds: float
    steps: list[str] = field(default_factory=list)


class _Runner:
    """Runs git and gitorch as a user would, echoing each command and its output."""

    def __init__(self, root: Path, echo: Echo, verbose: bool):
        self.root = root
        self.echo = echo
        self.verbose = verbose
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("GIT_", "GITORCH_", "GL_"))}
        self.env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": str(root / ".gitconfig"),
                         "PYTHONDONTWRITEBYTECODE": "1"})

    def run(self, args: Sequence[str], cwd: Path, *, who: str | None = None, show: bool = True,
            lines: int = 12, ok: Sequence[int] = (0,)) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if who is not None:
            env.update({"GITORCH_USER": who, "GIT_AUTHOR_NAME": who,
                        "GIT_AUTHOR_EMAIL": f"{who}@example.com", "GIT_COMMITTER_NAME": who,
                        "GIT_COMMITTER_EMAIL": f"{who}@example.com"})
        shown = ["gitorch", *args[3:]] if args[:3] == [sys.executable, "-m", "gitorch"] \
            else list(args)
        if show:
            where = os.path.relpath(cwd, self.root)
            prefix = f"[{who}@{where}]" if who else f"[{where}]"
            self.echo(f"  {prefix} $ {' '.join(_quote(a) for a in shown)}")
        proc = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True)
        if show:
            text = (proc.stdout + proc.stderr).rstrip("\n").splitlines()
            limit = len(text) if self.verbose else lines
            for line in text[:limit]:
                self.echo(f"      {line}")
            if len(text) > limit:
                self.echo(f"      ... ({len(text) - limit} more lines)")
        if proc.returncode not in ok:
            raise GitorchError(
                f"demo step failed: {' '.join(shown)} exited {proc.returncode}: "
                f"{(proc.stderr or proc.stdout).strip().splitlines()[-1:]}",
                hint="run again with --verbose to see every line")
        return proc

    def gitorch(self, *args: str, cwd: Path, **kw: object) -> subprocess.CompletedProcess[str]:
        return self.run([sys.executable, "-m", "gitorch", *args], cwd, **kw)  # type: ignore[arg-type]

    def git(self, *args: str, cwd: Path, **kw: object) -> subprocess.CompletedProcess[str]:
        kw.setdefault("show", False)
        return self.run(["git", *args], cwd, **kw)  # type: ignore[arg-type]


def _quote(arg: str) -> str:
    return shlex.quote(arg)


def _agent_edit(echo: Echo, tree: Path, rel: str) -> None:
    """Epsilon's agent (Claude Code, played by gitorch's replay of its hook protocol) asks to
    write ``rel``: the hook command its settings name answers."""
    from gitorch.agents import replay

    echo(f"  1. epsilon's agent (Claude Code) edits {rel}: the hook in "
         ".claude/settings.json runs the guard")
    replies = replay.replay("claude", tree, replay.write_event("claude", tree, rel))
    refused = [r for r in replies if r.blocked]
    if not refused:
        raise GitorchError(f"demo step failed: the guard let epsilon's agent write {rel}",
                           hint="run 'gitorch doctor' in the demo's lead clone")
    echo("      refused at edit time, before the file exists:")
    for line in refused[0].reason.splitlines():
        echo(f"      {line}")


def prepare_directory(directory: Path) -> None:
    """Create ``directory``, or clear one that an earlier demo made; refuse anything else."""
    if directory.exists():
        if not directory.is_dir():
            raise UsageError(f"{directory} exists and is not a directory",
                             hint="pick another place: gitorch demo DIR")
        if any(directory.iterdir()) and not (directory / MARKER).exists():
            raise UsageError(f"{directory} exists and was not made by gitorch demo; "
                             "refusing to overwrite it", hint="pick another place: gitorch demo DIR")
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("made by gitorch demo; safe to delete\n")


def run_demo(directory: Path, *, echo: Echo, verbose: bool = False) -> DemoResult:
    """Run the whole flow in ``directory``; return where the report is."""
    started = time.monotonic()
    directory = directory.resolve()
    prepare_directory(directory)
    (directory / ".gitconfig").write_text(
        "[user]\n\tname = lead\n\temail = lead@example.com\n[init]\n\tdefaultBranch = main\n"
        "[advice]\n\tdetachedHead = false\n")
    r = _Runner(directory, echo, verbose)
    server = directory / "server.git"
    lead = directory / "lead"
    megafiles = directory / "megafiles"
    reports = directory / "reports"
    worktrees = directory / "worktrees"
    result = DemoResult(directory, reports / "integration.md", reports / "integration.html",
                        reports / "integration.json", 0, 0.0)

    def phase(title: str) -> None:
        result.steps.append(title)
        echo("")
        echo(f"== {title}")

    phase("Phase 0: the shared server, guarded by the gitorch pre-receive hook")
    r.git("init", "-q", "--bare", "-b", "main", str(server), cwd=directory)
    r.gitorch("hooks", "install", "--server", str(server), cwd=directory)
    r.git("init", "-q", "-b", "main", str(lead), cwd=directory)
    for name, text in {**sample.BASE_FILES, "gitorch.yaml": sample.manifest_text()}.items():
        target = lead / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    r.gitorch("validate", cwd=lead)
    r.git("add", "-A", cwd=lead)
    r.git("commit", "-q", "-m", "Project skeleton and the ten-team manifest", cwd=lead, who="lead")
    r.git("remote", "add", "origin", server.as_uri(), cwd=lead)
    r.run(["git", "push", "-q", "origin", "main"], lead, who="lead")

    phase("Phase 1: initialization - a branch, a worktree and a brief per team")
    r.gitorch("init-worktrees", cwd=lead, lines=14)
    echo("  (each worktree also holds GITORCH.md, the files that make Claude Code, Codex, Gemini "
         "CLI, Cursor and Aider read it, their hook settings calling 'gitorch guard', and its "
         "own commit hooks)")
    r.gitorch("brief", "alpha", cwd=lead, lines=10)

    phase("Phase 2: mega-file review - each team's templates, expanded in a dry run")
    megafiles.mkdir()
    for team in sample.TEAMS:
        (megafiles / f"{team.name}.yaml").write_text(sample.megafile_text(team))
    r.gitorch("expand", str(megafiles / "alpha.yaml"), "--dry-run", cwd=worktrees / "alpha",
              who="alice", lines=6)

    def work(name: str, message: str, *, extra: Mapping[str, str] | None = None,
             ready: bool = False, show: bool = True) -> None:
        team = sample.team(name)
        tree = worktrees / name
        r.gitorch("expand", str(megafiles / f"{name}.yaml"), cwd=tree, who=team.member,
                  show=show, lines=2)
        for path, text in (extra or {}).items():
            (tree / path).write_text(text)
        r.git("add", "-A", cwd=tree)
        r.git("commit", "-q", "-m", message, cwd=tree, who=team.member)
        if ready:
            r.gitorch("signal", "ready", cwd=tree, who=team.member, show=show)
        r.run(["git", "push", "-q", "origin", f"team/{name}"], tree, who=team.member, show=show)

    phase("Phase 3: parallel execution - teams expand, commit and push as themselves")
    registry = sample.REGISTRY
    beta_registry = registry.replace('    "health": "src.api",\n',
                                     '    "health": "src.api",\n'
                                     '    "catalog": "src.api.handlers.catalog",\n')
    gamma_registry = registry.replace('    "health": "src.api",\n',
                                      '    "health": "src.api",\n'
                                      '    "pricing": "src.domain.services.pricing",\n')
    work("alpha", "Core entities from core_entities mega-file", ready=True)
    work("beta", "API handlers; mount the catalog route", extra={"src/registry.py": beta_registry})
    work("gamma", "Domain services; mount the pricing route",
         extra={"src/registry.py": gamma_registry}, show=False)
    echo("  (gamma pushed its domain services and a route in the shared registry)")
    r.gitorch("signal", "blocked", "--reason", "pricing needs alpha's Payment entity reviewed",
              "--on", "alpha", cwd=worktrees / "gamma", who="carol")
    r.run(["git", "push", "-q", "origin", "team/gamma"], worktrees / "gamma", who="carol",
          show=False)
    for name in ("eta", "theta"):
        work(name, f"{sample.team(name).description.split(' - ')[0]} from its mega-file",
             ready=True, show=False)
    echo("  (eta and theta pushed their work and signalled ready)")

    echo("")
    echo("  epsilon (frontend) tries to slip a change into beta's API, three ways:")
    tree = worktrees / "epsilon"
    _agent_edit(echo, tree, "src/api/frontend_helpers.py")
    (tree / "src" / "api").mkdir(parents=True, exist_ok=True)
    (tree / "src" / "api" / "frontend_helpers.py").write_text("SHORTCUT = True\n")
    r.git("add", "-A", cwd=tree)
    echo("  2. the file written from a shell instead: the worktree's commit hook refuses it")
    r.run(["git", "commit", "-q", "-m", "Quick fix in the API for the cart view"], tree,
          who="erin", ok=(1,), lines=3)
    echo("  3. the hooks switched off for one commit: the server refuses the push")
    r.git("-c", "core.hooksPath=/dev/null", "commit", "-q", "-m",
          "Quick fix in the API for the cart view", cwd=tree, who="erin", show=True)
    r.run(["git", "push", "origin", "team/epsilon"], tree, who="erin", ok=(1,), lines=12)
    r.git("reset", "-q", "--hard", "HEAD~1", cwd=tree)
    echo("  epsilon drops the change and stays in its scope")

    phase("Progress: gitorch status mid-way (one team blocked, others waiting)")
    r.gitorch("status", cwd=lead, lines=16)

    phase("Conflict detection before any merge: gitorch conflicts")
    r.gitorch("conflicts", cwd=lead, ok=(1,), lines=12)

    phase("Phase 3, continued: blockers cleared, the remaining teams deliver")
    r.gitorch("signal", "ready", cwd=worktrees / "beta", who="bob")
    r.run(["git", "push", "-q", "origin", "team/beta"], worktrees / "beta", who="bob",
          show=False)
    r.gitorch("signal", "ready", cwd=worktrees / "gamma", who="carol")
    r.run(["git", "push", "-q", "origin", "team/gamma"], worktrees / "gamma", who="carol",
          show=False)
    for name in ("delta", "epsilon", "zeta", "iota", "kappa"):
        work(name, f"{sample.team(name).description.split(' - ')[0]} from its mega-file",
             ready=True, show=False)
    echo("  (delta, epsilon, zeta, iota and kappa pushed their work and signalled ready)")
    r.gitorch("status", cwd=lead, lines=16)

    phase("Phase 4: integration - merge in dependency and priority order, --fix conflicts")
    reports.mkdir()
    proc = r.gitorch("integrate", "--fix", "--report", str(result.report),
                     "--format", "md,json,junit,html", cwd=lead, ok=(0, 1), lines=30)
    result.integrate_exit = proc.returncode

    phase("Phase 5: validation and delivery")
    r.git("push", "-q", "origin", "integration", cwd=lead, who="lead", show=True)
    result.seconds = time.monotonic() - started
    echo(f"  the demo took {result.seconds:.0f} s")
    echo("")
    echo("Where to look:")
    echo(f"  report (Markdown)  {result.report}")
    echo(f"  report (HTML)      {result.html}")
    echo(f"  report (JSON)      {result.json}")
    echo(f"  shared server      {server}  (hooks/pre-receive)")
    echo(f"  lead's clone       {lead}  (branch 'integration')")
    echo(f"  team worktrees     {worktrees}")
    echo(f"  mega-files         {megafiles}")
    return result
