"""Git for the scope rules, through git itself: no pygit2, nothing heavy to import.

The pre-receive hook runs on every push and its start-up is most of its cost; pygit2
alone takes longer to import than git takes to answer everything the hook asks. So
the rules (``gitorch.receive``) read the repository through this module: one
``git log`` for the commits a push brings (started before Python loads the rest of
gitorch, so git's work overlaps Python's start-up) and one ``git cat-file --batch``
for objects. In a pre-receive hook both see the quarantined objects through the
environment git gave the hook. ``gitorch.repo`` stays the gateway for everything else.

``git log -c`` lists for a merge exactly the paths that differ from every parent,
``--root`` compares a root commit with the empty tree, ``--no-renames`` keeps both
sides of a rename; deletions, mode and type changes, symlinks and submodules are
entries like any other.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gitorch.errors import RepoError
from gitorch.ids import ObjectId
from gitorch.pathkeys import collision_key as collision_key

TREE_MODE = b"40000"


@dataclass(frozen=True)
class CommitInfo:
    """A commit as the scope rules need it: what it changes and adds, and how to name it."""

    id: ObjectId
    parents: tuple[ObjectId, ...]
    subject: str
    changed: frozenset[str]     # paths as ``repo.changed_paths`` counts them
    added: frozenset[str]       # among them, the paths its first parent lacks


# --------------------------------------------------------------------------- commits


# The refs whose commits count as judged: those the hook governs. Not ``--all``: hosting
# servers write refs of their own outside pre-receive (refs/pull/N/head on GitHub
# Enterprise and Gitea, refs/merge-requests/N/head and refs/keep-around/ on GitLab,
# refs/changes/ on Gerrit), and what only they reach has never been judged.
JUDGED_REFS = ("--branches", "--tags")


def log_command(git_dir: str, exclude_judged: bool) -> list[str]:
    """``git log`` of the revisions on its stdin (see ``log_input``), minus what any branch
    or tag reaches when ``exclude_judged``. Revisions go through stdin: a push may name
    thousands."""
    return ["git", "--git-dir", git_dir, "log", "-z", "--topo-order", "--reverse",
            "--no-renames", "--no-ext-diff", "--no-textconv", "-c", "--root", "--name-status",
            "--format=%x01%H %P%x02%s", "--stdin",
            *(["--not", *JUDGED_REFS] if exclude_judged else []), "--"]


def log_input(heads: Sequence[str], exclude: Sequence[str] | None) -> bytes:
    lines = [*heads, *(f"^{e}" for e in exclude or ())]   # "--not" on stdin needs git 2.42
    return ("\n".join(lines) + "\n").encode()


class Started:
    """A ``git log`` running in the background; ``result()`` is None if it failed."""

    def __init__(self, git_dir: str, heads: Sequence[str], exclude: Sequence[str] | None):
        self.heads = frozenset(heads)
        self.proc = subprocess.Popen(log_command(git_dir, exclude is None), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.input = log_input(heads, exclude)
        if len(self.input) < 32768:     # fits the pipe: hand it over now, git starts at once
            assert self.proc.stdin is not None
            self.proc.stdin.write(self.input)
            self.proc.stdin.close()
            self.input = b""

    def result(self) -> list[CommitInfo] | None:
        if self.input:
            out, _ = self.proc.communicate(self.input)
        else:
            assert self.proc.stdout is not None
            out = self.proc.stdout.read()
            self.proc.stdout.close()
            self.proc.wait()
        if self.proc.returncode != 0:
            return None
        try:
            return parse_log(out)
        except ValueError:
            return None


def start_for_push(git_dir: str, stdin_text: str) -> Started | None:
    """Start the log for every branch a pre-receive input updates (a superset of the team
    branches: the manifest is not read yet). None when there is nothing to ask."""
    heads = []
    for line in stdin_text.splitlines():
        parts = line.split()
        if (len(parts) == 3 and parts[2].startswith("refs/heads/") and parts[1].strip("0")
                and all(c in "0123456789abcdef" for c in parts[1])):
            heads.append(parts[1])
    return Started(git_dir, heads, None) if heads else None


def parse_log(raw: bytes) -> list[CommitInfo]:
    """Read ``log_command``'s output; ValueError on anything unexpected."""
    out: list[CommitInfo] = []
    header: tuple[ObjectId, tuple[ObjectId, ...], str] | None = None
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
            header = (ObjectId(first), tuple(ObjectId(p) for p in parents), subject)
            changed, added = [], []
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


# --------------------------------------------------------------------------- objects


@dataclass(frozen=True)
class TreeEntry:
    name: str
    oid: str
    is_tree: bool


class Git:
    """One repository, read through ``git cat-file --batch`` (started on first use)."""

    def __init__(self, git_dir: str):
        self.git_dir = git_dir
        self._proc: subprocess.Popen[bytes] | None = None
        self._trees: dict[str, list[TreeEntry] | None] = {}

    def close(self) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait()
            self._proc = None

    def __enter__(self) -> Git:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def run(self, *args: str) -> str | None:
        """``git ARGS`` in this repository: its stdout, or None when it exits non-zero."""
        proc = subprocess.run(["git", "--git-dir", self.git_dir, *args], capture_output=True)
        if proc.returncode != 0:
            return None
        return proc.stdout.decode("utf-8", errors="surrogateescape")

    def read(self, name: str) -> tuple[str, str, bytes] | None:
        """(object id, type, content) of ``name`` (``sha``, ``rev:path``, ``rev^{commit}``)."""
        return self._exchange([name])[0]

    def read_many(self, names: Sequence[str]) -> list[tuple[str, str, bytes] | None]:
        """``read`` for many names with one round trip per chunk (git answers in order)."""
        out: list[tuple[str, str, bytes] | None] = []
        for start in range(0, len(names), 256):     # a chunk of requests fits in a pipe buffer
            chunk = names[start:start + 256]
            out.extend(self._exchange(chunk))
        return out

    def _exchange(self, names: Sequence[str]) -> list[tuple[str, str, bytes] | None]:
        """Ask ``git cat-file --batch`` for ``names`` and read each reply by its documented
        format: ``<oid> SP <type> SP <size> LF <contents> LF``, or ``<name> SP missing LF``
        (``ambiguous``). A name is never split on spaces: it may hold any."""
        proc = self._batch()
        assert proc.stdin is not None and proc.stdout is not None
        # git reads one name a line and drops a CR before the LF: such names are walked.
        asked = [n for n in names if not _unaskable(n)]
        proc.stdin.write(b"".join(n.encode("utf-8", errors="surrogateescape") + b"\n"
                                  for n in asked))
        proc.stdin.flush()
        answers: dict[str, tuple[str, str, bytes] | None] = {}
        for name in asked:
            header = proc.stdout.readline()
            if not header:
                raise RepoError(f"git cat-file stopped while reading {name!r}")
            found = _found(header)
            if found is None:
                raw = name.encode("utf-8", errors="surrogateescape")
                if header not in (raw + b" missing\n", raw + b" ambiguous\n"):
                    raise RepoError(f"git cat-file answered {header[:80]!r} for {name!r}")
                answers[name] = None
                continue
            data = proc.stdout.read(found[2])
            proc.stdout.read(1)
            answers[name] = (found[0], found[1], data)
        for name in names:
            if _unaskable(name):
                answers[name] = self._walk(name)
        return [answers[n] for n in names]

    def _walk(self, name: str) -> tuple[str, str, bytes] | None:
        """``rev:path`` for a path that cannot go on a line: read from ``rev``'s root tree
        entry by entry, each object asked for by its id."""
        rev, colon, path = name.partition(":")
        if not colon or _unaskable(rev):
            return None
        found = self._exchange([f"{rev}^{{tree}}"])[0]
        for part in path.split("/") if path else ():
            if found is None or found[1] != "tree":
                return None
            oid = next((e.oid for e in _parse_tree(found[0], found[2]) if e.name == part), None)
            if oid is None:
                return None
            found = self._exchange([oid])[0]
        return found

    def _batch(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "--git-dir", self.git_dir, "cat-file", "--batch"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return self._proc

    def commit(self, name: str) -> str | None:
        """The commit ``name`` names (tags peeled), or None."""
        found = self.read(f"{name}^{{commit}}")
        return found[0] if found is not None and found[1] == "commit" else None

    def commits(self, names: Sequence[str]) -> list[str | None]:
        """``commit`` for many names in one round trip."""
        found = self.read_many([f"{n}^{{commit}}" for n in names])
        return [f[0] if f is not None and f[1] == "commit" else None for f in found]

    def branch(self, branch: str) -> str | None:
        return self.commit(f"refs/heads/{branch}") if branch else None

    def blob(self, commit: str, path: str) -> tuple[str, bytes] | None:
        """(blob id, content) of ``path`` in ``commit``, or None when absent or no file."""
        found = self.read(f"{commit}:{path}")
        return (found[0], found[2]) if found is not None and found[1] == "blob" else None

    def tree_entries(self, tree: str) -> list[TreeEntry]:
        """The entries of a tree object (by id or ``rev^{tree}``), cached by id."""
        found = self.trees([tree])[tree]
        if found is None:
            raise RepoError(f"no tree named {tree!r}")
        return found

    def trees(self, names: Sequence[str]) -> dict[str, list[TreeEntry] | None]:
        """The entries of each named tree (``rev:dir``, ids), None where there is no tree;
        one round trip for all that are not cached yet."""
        todo = [n for n in dict.fromkeys(names) if n not in self._trees]
        for name, found in zip(todo, self.read_many(todo), strict=True):
            self._trees[name] = _parse_tree(found[0], found[2]) \
                if found is not None and found[1] == "tree" else None
        return {n: self._trees[n] for n in names}

    def head_branch(self) -> str | None:
        """The branch HEAD names, even when it has no commit yet."""
        try:    # the files backend: no process needed
            with open(f"{self.git_dir}/HEAD", encoding="utf-8") as fh:
                text = fh.read().strip()
            if text.startswith("ref: refs/heads/"):
                return text[len("ref: refs/heads/"):]
        except OSError:
            pass
        found = self.run("symbolic-ref", "-q", "HEAD")
        if found and found.startswith("refs/heads/"):
            return found.strip()[len("refs/heads/"):]
        return None

    def config(self, key: str) -> str | None:
        found = self.run("config", "--get", key)
        return found.strip() if found else None

    def new_commits(self, heads: Sequence[str], exclude: Sequence[str] | None = None,
                    *, started: Started | None = None) -> list[CommitInfo]:
        """Commits reachable from ``heads`` and from none of ``exclude`` (None: from no branch
        and no tag, the refs the hook governs),
        oldest first, with their changed and added paths. ``started``: the same question
        already put to git for a superset of ``heads``; its answer is used if git gave one.
        """
        if not heads:
            return []
        if started is not None and started.heads >= set(heads):
            found = started.result()
            if found is not None:
                return found
        proc = subprocess.run(log_command(self.git_dir, exclude is None),
                              input=log_input(heads, exclude), capture_output=True)
        if proc.returncode != 0:
            reason = proc.stderr.decode(errors="replace").strip() or f"exit {proc.returncode}"
            raise RepoError(f"git log failed: {reason.splitlines()[-1]}")
        try:
            return parse_log(proc.stdout)
        except ValueError as exc:
            raise RepoError(str(exc)) from None


OBJECT_TYPES = frozenset({b"blob", b"tree", b"commit", b"tag"})


def _unaskable(name: str) -> bool:
    """A name ``git cat-file --batch`` cannot take on one line (it ends a line at LF, CRLF)."""
    return "\n" in name or name.endswith("\r")


def _found(header: bytes) -> tuple[str, str, int] | None:
    """(oid, type, size) from a ``<oid> SP <type> SP <size> LF`` header, else None."""
    parts = header[:-1].split(b" ") if header.endswith(b"\n") else []
    if (len(parts) != 3 or parts[1] not in OBJECT_TYPES or not parts[2].isdigit()
            or len(parts[0]) not in (40, 64) or parts[0].strip(b"0123456789abcdef")):
        return None
    return parts[0].decode(), parts[1].decode(), int(parts[2])


def _parse_tree(oid: str, data: bytes) -> list[TreeEntry]:
    width = len(oid) // 2       # 20 bytes per id in a SHA-1 repository, 32 in SHA-256
    entries = []
    i = 0
    while i < len(data):
        space = data.index(b" ", i)
        nul = data.index(b"\0", space)
        entries.append(TreeEntry(data[space + 1:nul].decode("utf-8", errors="surrogateescape"),
                                 data[nul + 1:nul + 1 + width].hex(), data[i:space] == TREE_MODE))
        i = nul + 1 + width
    return entries


# --------------------------------------------------------------------------- collisions


@dataclass
class _FoldedDir:
    keys: dict[str, list[str]]      # key -> the entry names with that key
    trees: dict[str, str]           # directory entry name -> tree id
    dups: bool                      # two entries share a key


class FoldedTrees:
    """Finds the paths of a tree that equal a given path case-folded and NFC-normalised,
    looking only at the directories on the way: no full tree walk.

    ``suspects`` is the cheap filter (per directory, usually without keying any file
    name); ``find`` the exact answer for the few paths it lets through.
    """

    def __init__(self, git: Git):
        self.git = git
        self._dirs: dict[str, _FoldedDir] = {}

    def _dir(self, tree: str) -> _FoldedDir:
        found = self._dirs.get(tree)
        if found is None:
            found = self._dirs[tree] = self._fold(self.git.tree_entries(tree))
        return found

    def suspects(self, commit: str, paths: Iterable[str]) -> set[str]:
        """The paths that may have a twin in ``commit``'s tree; a superset of what ``find``
        confirms. Reads, in one round trip, only the directories on the paths' way."""
        by_dir: dict[str, list[str]] = {}
        for path in paths:
            head, _, leaf = path.rpartition("/")
            by_dir.setdefault(head, []).append(leaf)
        wanted: dict[str, None] = {"": None}
        for head in by_dir:
            parts = head.split("/") if head else []
            for n in range(1, len(parts) + 1):
                wanted["/".join(parts[:n])] = None
        listing = self.git.trees([f"{commit}:{d}" for d in wanted])
        out: set[str] = set()
        for head, leaves in by_dir.items():
            prefix = f"{head}/" if head else ""
            current: _FoldedDir | None = self._listed(listing, f"{commit}:")
            parts = head.split("/") if head else []
            for n, part in enumerate(parts):
                assert current is not None
                names = current.keys.get(collision_key(part))
                if names is None:
                    current = None          # new here: nothing in this tree to collide with
                    break
                if names != [part]:
                    out.update(f"{prefix}{leaf}" for leaf in leaves)
                    current = None
                    break
                current = self._listed(listing, f"{commit}:{'/'.join(parts[:n + 1])}")
                if current is None:
                    break                   # a file where the path wants a directory
            if current is None:
                continue
            for leaf in leaves:
                if not current.dups and leaf in current.keys.get(leaf, ()):
                    continue                # present under its own name, no twin possible
                names = current.keys.get(collision_key(leaf))
                if names is not None and names != [leaf]:
                    out.add(f"{prefix}{leaf}")
        return out

    def _listed(self, listing: dict[str, list[TreeEntry] | None], name: str) -> _FoldedDir | None:
        entries = listing.get(name)
        if entries is None:
            return None
        found = self._dirs.get(name)
        if found is None:
            found = self._dirs[name] = self._fold(entries)
        return found

    @staticmethod
    def _fold(entries: list[TreeEntry]) -> _FoldedDir:
        keys: dict[str, list[str]] = {}
        trees: dict[str, str] = {}
        for entry in entries:
            keys.setdefault(collision_key(entry.name), []).append(entry.name)
            if entry.is_tree:
                trees[entry.name] = entry.oid
        return _FoldedDir(keys, trees, any(len(v) > 1 for v in keys.values()))

    def find(self, commit: str, path: str) -> list[str]:
        """Every path of ``commit`` (file, symlink or submodule) that equals ``path`` folded."""
        parts = path.split("/")
        frontier: list[tuple[_FoldedDir, str]] = [(self._dir(f"{commit}^{{tree}}"), "")]
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            out: list[str] = []
            nxt: list[tuple[_FoldedDir, str]] = []
            for current, prefix in frontier:
                for name in current.keys.get(collision_key(part), ()):
                    if last and name not in current.trees:
                        out.append(f"{prefix}{name}")
                    elif not last and name in current.trees:
                        nxt.append((self._dir(current.trees[name]), f"{prefix}{name}/"))
            if last:
                return out
            frontier = nxt
        return []
