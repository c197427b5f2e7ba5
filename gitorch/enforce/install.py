"""Writing the hook files: thin ``/bin/sh`` scripts that run ``python -I -m gitorch.hooks``.

A hook script ``exec``s the Python that installed it with ``-I`` (isolated: no
PYTHONPATH, no user site), so a pusher's environment cannot swap the code that judges
the push. If that Python or gitorch is gone, exec fails and git refuses: fail closed.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gitorch.errors import UsageError

HOOK_MARK = "# gitorch-hook:"
LOCAL_HOOKS = ("pre-commit", "pre-push")

_SCRIPT = """\
#!/bin/sh
{mark} {kind} (written by 'gitorch hooks install'; reinstall rather than edit)
# Runs gitorch with the Python that installed it. If that Python or gitorch is gone,
# exec fails and git refuses the {what}: the hook fails closed.
exec {python} -I -m gitorch.hooks {kind}{extra} "$@"
"""


def hook_script(kind: str, python: str, policy: Path | None = None) -> str:
    """The text of hook ``kind`` running ``python`` (and pinning ``policy`` for pre-receive)."""
    extra = f" --policy {shlex.quote(str(policy))}" if policy is not None else ""
    what = "push" if kind in ("pre-receive", "pre-push") else "commit"
    return _SCRIPT.format(mark=HOOK_MARK, kind=kind, python=shlex.quote(python), extra=extra,
                          what=what)


@dataclass(frozen=True)
class Installed:
    path: Path
    replaced: bool      # an earlier gitorch hook was rewritten


def _write_hook(path: Path, text: str, force: bool) -> Installed:
    replaced = False
    if path.exists() or path.is_symlink():
        try:
            current = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            current = ""
        if HOOK_MARK not in current and not force:
            raise UsageError(f"{path} exists and was not written by gitorch",
                             hint="move it away (or chain it yourself) or pass --force to replace it")
        replaced = True
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.gitorch-tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o755)
    tmp.replace(path)       # atomic: a push arriving now sees the old hook or the new one
    return Installed(path=path, replaced=replaced)


def install_server(bare: Path, *, policy: Path | None = None, force: bool = False,
                   python: str | None = None, integrators: Sequence[str] = ()) -> Installed:
    """Write ``BARE/hooks/pre-receive``. A pinned policy must exist and validate now.

    ``integrators``: stored as ``git config gitorch.integrators`` in ``bare``, the
    pushers who may bring an existing base branch its first gitorch.yaml.
    """
    from gitorch import repo as git
    from gitorch.manifest.loading import load_manifest

    repo = git.open_repo(bare)
    if not repo.is_bare:
        raise UsageError(f"{bare} is not a bare repository",
                         hint="pass the shared server repository (created with 'git init --bare')")
    pinned = None
    if policy is not None:
        pinned = policy.resolve()
        load_manifest(pinned)
    names = [n for item in integrators for n in item.replace(",", " ").split()]
    if names:
        git.git_cli(Path(repo.path), "config", "gitorch.integrators", " ".join(names))
    hooks_dir = git.git_path(Path(repo.path), "hooks")     # honours core.hooksPath
    return _write_hook(hooks_dir / "pre-receive",
                       hook_script("pre-receive", python or sys.executable, pinned), force)


def policy_problem(bare: Path, policy: Path | None = None) -> str | None:
    """Why the hook would find no readable policy in ``bare`` now, or None when it would."""
    from gitorch.enforce.gitread import Git
    from gitorch.enforce.hookrun import server_policy

    with Git(str(bare)) as repo:
        found = server_policy(repo, policy.resolve() if policy is not None else None)
    return None if found.manifest is not None else f"{found.source}: {found.problem}"


def adoption_advice(bare: Path, problem: str) -> list[str]:
    """What to do when the hook finds no policy in ``bare``: the exact ways out."""
    from gitorch.enforce.gitread import Git
    from gitorch.enforce.hookrun import server_policy
    from gitorch.enforce.receive import BOOTSTRAP_CONFIG, bootstrap_integrators

    with Git(str(bare)) as repo:
        source = server_policy(repo, None).source
        base = source.removeprefix("gitorch.yaml on ")
        fresh = repo.branch(base) is None
        allowed = bootstrap_integrators(repo)
    if fresh:
        return [f"no readable policy yet ({problem}): every push is refused except the one that "
                "creates the base branch with a valid gitorch.yaml"]
    who = (f"one of {', '.join(allowed)} (git config {BOOTSTRAP_CONFIG})" if allowed else
           f"an integrator; name them first: rerun with --integrators NAME (it sets git config "
           f"{BOOTSTRAP_CONFIG} here)")
    return [f"no readable policy yet ({problem}): every push is refused until {base} has a "
            "valid gitorch.yaml. To adopt this repository, either:",
            f"  1. push the manifest first: {who} commits a valid gitorch.yaml onto {base} and "
            f"pushes it as a fast-forward (GITORCH_USER or your server's identity names the "
            "pusher); the hook accepts that push and judges by that manifest from then on",
            f"  2. or pin a policy now: gitorch hooks install --server {bare} --policy FILE"]


def install_local(root: Path, *, force: bool = False, python: str | None = None) -> list[Installed]:
    """Write pre-commit and pre-push into the clone's hooks directory (core.hooksPath aware)."""
    from gitorch import repo as git

    hooks_dir = git.git_path(root, "hooks")
    return [_write_hook(hooks_dir / kind, hook_script(kind, python or sys.executable), force)
            for kind in LOCAL_HOOKS]
