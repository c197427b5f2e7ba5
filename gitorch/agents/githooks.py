"""The worktree's own commit hooks: a per-worktree ``core.hooksPath`` that chains the old ones.

With ``extensions.worktreeConfig`` on, ``git config --worktree core.hooksPath DIR`` gives
one worktree its own hooks directory, inside its git directory (out of the agent's tree).
There ``pre-commit`` and ``prepare-commit-msg`` run the scope check
(``python -I -S .../gitorch/guard.py commit``): ``--no-verify`` skips the first, never the second.
Every hook then hands over to the hook of the same name in the directory the repository
used before (its own ``core.hooksPath``, else ``hooks/``), so the project's hooks keep
running: wrappers are written for each hook found there now (``gitorch doctor`` reports one
added later), and for the two checks always.

None of this stops ``git -c core.hooksPath=/dev/null commit`` or plumbing: only the
server's pre-receive hook cannot be bypassed.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from gitorch.errors import RepoError

MARK = "# gitorch-hook: worktree"
CHECKED = ("pre-commit", "prepare-commit-msg")
HOOKS_DIR = "gitorch-hooks"

_SCRIPT = """\
#!/bin/sh
{mark} {kind} (written by 'gitorch agents setup'; rerun it rather than edit)
{check}previous={previous}
if [ -x "$previous/{kind}" ]; then exec "$previous/{kind}" "$@"; fi
exit 0
"""
_CHECK = """\
# The scope check; git refuses the commit when it fails (or when this Python is gone).
{entry} commit || exit 1
"""


# how a guard command is told from the user's own hooks: the file form, the module form
GUARD_MARKS = ("gitorch/guard.py", "-m gitorch.guard")
GUARD_FILE = Path(__file__).resolve().parent.parent / "guard.py"


def guard_entry(python: str | None = None) -> str:
    """This Python running the guard's thin entry: ``python -I -S .../gitorch/guard.py``.

    ``-I`` keeps the environment (``PYTHONPATH`` and the like) and the user's site directory
    out; ``-S`` skips site-packages and its ``.pth`` files (an editable install's finder alone
    costs more than a decision), so the entry is named by its file, which puts its own
    package on ``sys.path``. Where gitorch is no directory of files (a zip), the module form
    ``-I -m gitorch.guard`` is used instead.
    """
    exe = shlex.quote(python or sys.executable)
    if GUARD_FILE.is_file():
        return f"{exe} -I -S {shlex.quote(str(GUARD_FILE))}"
    return f"{exe} -I -m gitorch.guard"


def is_guard_command(command: str) -> bool:
    """The command is one of gitorch's guard commands (in either form)."""
    return any(mark in command for mark in GUARD_MARKS)


@dataclass(frozen=True)
class HookSetup:
    directory: Path
    previous: str
    kinds: tuple[str, ...]


def _git(cwd: Path, *args: str, check: bool = True) -> str:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR")}
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        raise RepoError(f"git {' '.join(args[:2])} failed in {cwd}: {reason}")
    return proc.stdout if proc.returncode == 0 else ""


def hooks_dir(worktree: Path) -> Path:
    git_dir = Path(_git(worktree, "rev-parse", "--absolute-git-dir").strip())
    return git_dir / HOOKS_DIR


def previous_hooks(worktree: Path, ours: Path) -> str:
    """Where the repository's hooks were before ours: core.hooksPath set outside this
    worktree's own config, else the common directory's ``hooks``."""
    found = ""
    for line in _git(worktree, "config", "--show-scope", "--get-all", "core.hooksPath",
                     check=False).splitlines():
        scope, _, value = line.partition("\t")
        if scope != "worktree" and value and Path(value) != ours:
            found = value
    if found:
        return found
    common = _git(worktree, "rev-parse", "--git-common-dir").strip()
    return str((worktree / common).resolve() / "hooks")


def install(worktree: Path, python: str) -> HookSetup:
    """Point the worktree's ``core.hooksPath`` at its own directory of chaining hooks."""
    _enable_worktree_config(worktree)
    ours = hooks_dir(worktree)
    previous = previous_hooks(worktree, ours)
    prev_dir = Path(previous) if os.path.isabs(previous) else worktree / previous
    existing = sorted(p.name for p in prev_dir.iterdir()
                      if p.is_file() and os.access(p, os.X_OK) and "." not in p.name) \
        if prev_dir.is_dir() else []
    kinds = tuple(dict.fromkeys([*CHECKED, *existing]))
    ours.mkdir(parents=True, exist_ok=True)
    for stale in ours.iterdir():
        if stale.name not in kinds and MARK in _read(stale):
            stale.unlink()
    for kind in kinds:
        text = script(kind, python, previous)
        target = ours / kind
        if _read(target) != text:
            tmp = ours / f".{kind}.tmp"
            tmp.write_text(text, encoding="utf-8")
            tmp.chmod(0o755)
            tmp.replace(target)
    _git(worktree, "config", "--worktree", "core.hooksPath", str(ours))
    return HookSetup(ours, previous, kinds)


def script(kind: str, python: str, previous: str) -> str:
    check = _CHECK.format(entry=guard_entry(python)) if kind in CHECKED else ""
    return _SCRIPT.format(mark=MARK, kind=kind, check=check, previous=shlex.quote(previous))


def _enable_worktree_config(worktree: Path) -> None:
    if _git(worktree, "config", "--bool", "extensions.worktreeConfig",
            check=False).strip() == "true":
        return
    # git-worktree(1): with per-worktree config on, core.bare and core.worktree must move
    # from the shared config into the main worktree's own
    common = Path(_git(worktree, "rev-parse", "--git-common-dir").strip())
    common = common if common.is_absolute() else (worktree / common).resolve()
    for key in ("core.bare", "core.worktree"):
        value = _git(worktree, "config", "--file", str(common / "config"), "--get", key,
                     check=False).strip()
        if (key == "core.worktree" and value) or (key == "core.bare" and value == "true"):
            _git(worktree, "config", "--file", str(common / "config.worktree"), key, value)
            _git(worktree, "config", "--file", str(common / "config"), "--unset", key)
    _git(worktree, "config", "extensions.worktreeConfig", "true")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


@dataclass(frozen=True)
class HookState:
    """What ``doctor`` finds: the worktree's hooksPath, and what is wrong with it."""

    directory: Path | None
    problems: tuple[str, ...]


def state(worktree: Path) -> HookState:
    ours = hooks_dir(worktree)
    configured = _git(worktree, "config", "--worktree", "--get", "core.hooksPath",
                      check=False).strip()
    if _git(worktree, "config", "--bool", "extensions.worktreeConfig",
            check=False).strip() != "true":
        return HookState(None, ("extensions.worktreeConfig is off: the worktree has no hooks "
                                "of its own",))
    if not configured or Path(configured) != ours:
        return HookState(None, (f"core.hooksPath of this worktree is "
                                f"{configured or 'not set'}, not {ours}",))
    problems = []
    for kind in CHECKED:
        text = _read(ours / kind)
        if MARK not in text or not os.access(ours / kind, os.X_OK):
            problems.append(f"{ours / kind} is missing or not executable")
            continue
        python = shlex.split(text.split("\n# The scope check", 1)[1].splitlines()[1])[0] \
            if "# The scope check" in text else ""
        if python and not os.access(python, os.X_OK):
            problems.append(f"{ours / kind} runs {python}, which is gone")
    previous = previous_hooks(worktree, ours)
    prev_dir = Path(previous) if os.path.isabs(previous) else worktree / previous
    if prev_dir.is_dir():
        for hook in sorted(prev_dir.iterdir()):
            if hook.is_file() and os.access(hook, os.X_OK) and "." not in hook.name \
                    and not (ours / hook.name).exists():
                problems.append(f"the repository's hook {hook} is not chained: it would not "
                                "run in this worktree")
    return HookState(ours, tuple(problems))
