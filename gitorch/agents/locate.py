"""Where a path lives: the git checkout around it, read from the file system alone.

The guard runs before every edit an agent makes, so it finds the checkout of a path the
way git does (the nearest ``.git`` above it: a directory in a main checkout, a
``gitdir:`` file in a linked worktree) without starting git, and reads the branch from
the checkout's ``HEAD`` (during a rebase, from the branch being rebased). Its records,
like the rest of the guard's, are plain classes with slots: a frozen dataclass or a
NamedTuple costs far more to define at import (and ``typing`` itself to import), and the
guard's whole life is its start-up.
"""

from __future__ import annotations

import os


class Checkout:
    """One working tree of a repository."""

    __slots__ = ("branch", "common_dir", "git_dir", "root")

    def __init__(self, root: str, git_dir: str, common_dir: str, branch: str | None):
        self.root = root                # its top directory, symlinks resolved
        self.git_dir = git_dir          # its own git directory (.git, .git/worktrees/<name>)
        self.common_dir = common_dir    # the repository's shared git directory
        self.branch = branch            # the branch checked out; None when detached

    def __repr__(self) -> str:
        return f"Checkout({self.root!r}, branch={self.branch!r})"

    @property
    def main_root(self) -> str:
        """The top directory of the repository's main checkout (the common dir itself when
        the repository is bare)."""
        if os.path.basename(self.common_dir) == ".git":
            return os.path.dirname(self.common_dir)
        return self.common_dir


def resolve(path: str, cwd: str, *, follow_last: bool = True) -> str:
    """``path`` as an absolute path with symlinks resolved: ``\\`` read as ``/``, ``~``
    expanded, relative to ``cwd``. ``follow_last=False`` keeps the last component as it is
    (deleting a symlink deletes the link, not what it points to)."""
    path = os.path.expanduser(path.replace("\\", "/"))
    if not os.path.isabs(path):
        path = os.path.join(cwd, path)
    path = os.path.normpath(path)
    if follow_last:
        return os.path.realpath(path)
    head, tail = os.path.split(path)
    return os.path.join(os.path.realpath(head), tail)


def checkout_of(path: str) -> Checkout | None:
    """The checkout whose working tree holds ``path`` (absolute, resolved), or None."""
    current = path
    while True:
        found = _checkout_at(current)
        if found is not None:
            return found
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _checkout_at(directory: str) -> Checkout | None:
    dot_git = os.path.join(directory, ".git")
    if os.path.isdir(dot_git):
        if not os.path.isfile(os.path.join(dot_git, "HEAD")):
            return None
        git_dir = dot_git
    elif os.path.isfile(dot_git):
        try:
            with open(dot_git, encoding="utf-8") as fh:
                text = fh.read().strip()
        except OSError:
            return None
        if not text.startswith("gitdir:"):
            return None
        git_dir = os.path.normpath(os.path.join(directory, text[len("gitdir:"):].strip()))
    else:
        return None
    common = git_dir
    try:
        with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as fh:
            common = os.path.normpath(os.path.join(git_dir, fh.read().strip()))
    except OSError:
        pass
    return Checkout(root=os.path.realpath(directory), git_dir=os.path.realpath(git_dir),
                    common_dir=os.path.realpath(common), branch=head_branch(git_dir))


def head_branch(git_dir: str) -> str | None:
    """The branch ``HEAD`` names; while a rebase runs, the branch being rebased."""
    for name in ("HEAD", "rebase-merge/head-name", "rebase-apply/head-name"):
        try:
            with open(os.path.join(git_dir, name), encoding="utf-8") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        text = text.removeprefix("ref: ")
        if text.startswith("refs/heads/"):
            return text[len("refs/heads/"):]
    return None


def relative(path: str, root: str) -> str:
    """``path`` relative to ``root`` with ``/`` separators ("" for the root itself)."""
    rel = os.path.relpath(path, root)
    return "" if rel == "." else rel.replace(os.sep, "/")


def inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def config_value(common_dir: str, section: str, key: str) -> str | None:
    """``section.key`` from the repository's own config file, read without git: the guard's
    one setting (``gitorch.base``) is written there by ``gitorch agents setup``."""
    try:
        with open(os.path.join(common_dir, "config"), encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    current = ""
    found: str | None = None
    for raw in lines:
        line = raw.strip()
        if line.startswith("["):
            current = line[1:line.find("]")].strip().lower() if "]" in line else ""
            continue
        if current != section or "=" not in line:
            continue
        name, _, value = line.partition("=")
        if name.strip().lower() == key:
            value = value.split("#", 1)[0].split(";", 1)[0].strip()
            found = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    return found
