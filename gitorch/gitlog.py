"""The commits a push brings, with the paths each changes, from one ``git log``.

Kept free of pygit2 (and of everything heavy) so that the pre-receive hook can start
git on this before Python has loaded the rest of gitorch: git's work then overlaps
Python's start-up. ``gitorch.repo.new_commits`` is the API; this is its plumbing.

``-c`` lists for a merge exactly the paths that differ from every parent, ``--root``
compares a root commit with the empty tree, ``--no-renames`` keeps both sides of a
rename; deletions, mode and type changes, symlinks and submodules are entries like any
other. In a pre-receive hook git finds the quarantined objects through the environment
it gave the hook.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CommitInfo:
    """A commit as the scope rules need it: what it changes and adds, and how to name it."""

    id: str
    parents: tuple[str, ...]
    subject: str
    changed: frozenset[str]     # paths as ``repo.changed_paths`` counts them
    added: frozenset[str]       # among them, the paths its first parent lacks


def command(git_dir: str, heads: Sequence[str], exclude: Sequence[str] | None) -> list[str]:
    """``git log`` of what ``heads`` reach and ``exclude`` (None: every ref) does not."""
    others = ["--all"] if exclude is None else list(exclude)
    return ["git", "--git-dir", git_dir, "log", "-z", "--topo-order", "--reverse",
            "--no-renames", "--no-ext-diff", "--no-textconv", "-c", "--root", "--name-status",
            "--format=%x01%H %P%x02%s", *heads, "--not", *others, "--"]


class Started:
    """A ``git log`` running in the background; ``result()`` is None if it failed."""

    def __init__(self, git_dir: str, heads: Sequence[str], exclude: Sequence[str] | None):
        self.proc = subprocess.Popen(command(git_dir, heads, exclude), stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)

    def result(self) -> list[CommitInfo] | None:
        out, _ = self.proc.communicate()
        if self.proc.returncode != 0:
            return None
        try:
            return parse(out)
        except ValueError:
            return None


def start_for_push(git_dir: str, stdin_text: str) -> Started | None:
    """Start the log for every branch a pre-receive input line updates (a superset of the
    team branches: the manifest is not read yet). None when there is nothing to ask."""
    heads = []
    for line in stdin_text.splitlines():
        parts = line.split()
        if (len(parts) == 3 and parts[2].startswith("refs/heads/")
                and parts[1].strip("0") and all(c in "0123456789abcdef" for c in parts[1])):
            heads.append(parts[1])
    return Started(git_dir, heads, None) if heads else None


def parse(raw: bytes) -> list[CommitInfo]:
    """Read ``command``'s output; ValueError on anything unexpected."""
    out: list[CommitInfo] = []
    header: tuple[str, tuple[str, ...], str] | None = None
    changed: list[str] = []
    added: list[str] = []

    def close() -> None:
        if header is not None:
            out.append(CommitInfo(header[0], header[1], header[2], frozenset(changed),
                                  frozenset(added)))

    tokens = raw.decode("utf-8", errors="surrogateescape").split("\0")
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip("\n")
        i += 1
        if not token:
            continue
        if token.startswith("\x01"):
            close()
            ids, _, subject = token[1:].partition("\x02")
            first, *parents = ids.split()
            header, changed, added = (first, tuple(parents), subject), [], []
        elif token.isalpha() and token.isupper() and i < len(tokens):
            path = tokens[i]        # a status (A, M, D, T, MM...) is followed by its path
            i += 1
            changed.append(path)
            if token[0] == "A":
                added.append(path)
        else:
            raise ValueError(f"cannot read git log output near {token[:40]!r}")
    close()
    return out
