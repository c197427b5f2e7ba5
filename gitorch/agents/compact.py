"""The guard's compiled policy: what one edit needs from a manifest, loaded with no imports.

The guard runs as a whole process before every edit an agent makes, so its policy is kept
in a form Python reads back with ``marshal`` alone: the scopes in ownership order (shared
first, then the teams, most specific first), each pattern as pathspec's own regular
expression with the literal directories it starts with, plus the few tables a decision
names (branches, owned globs, sub-teams, the worktrees directory). The full code path
(YAML, validation, pathspec) writes it once per manifest (``compile_policy``) beside the
manifest cache, under ``<git common dir>/gitorch/cache/guard-<blob>-<install>.marshal``;
it holds the size and modification time of every file of the code that made it (all of
``gitorch.manifest`` and ``gitorch.agents``, pathspec's files, gitorch's version), so an
upgrade or a checkout of other sources never reads what older code wrote. Anything that
does not match, or cannot be read, is ignored and the full path runs again.

Matching (``CompactPolicy.owner_of``) is ``Ownership.owner_of``'s rule: the first scope
that includes the path owns it; inside a scope with negations, pathspec's gitignore rule
(the last pattern that matches decides; a match as a file beats a match below a
directory). Only patterns whose literal directories start the path are tried. A pattern
whose expression is a plain prefix (``^src/core/``), a plain directory or a plain path
(``^src/core(?:/|$)``) is matched as a string, so that an edit under plain directory scopes needs no regular
expression compiled at all.
"""

from __future__ import annotations

import marshal
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Iterable
    from typing import Any

    from gitorch.manifest.patterns import Parsed
    from gitorch.manifest.records import Manifest

    # (head, kind, text, include, need): every path the pattern matches starts with ``head``
    # (its plain directories) and contains ``need`` (its longest run of plain characters)
    _Pattern = tuple[str, int, str, bool, str]

FORMAT = 1
KEEP = 4            # compiled policies kept per installation, newest first
SHARED = "shared"
UNOWNED = "-"
POLICY_FILE = "gitorch.yaml"       # the policy itself: only the integrators change it
_DIR_MARK = "ps_d"
# pattern kinds: a plain prefix ("src/**"), a plain directory ("src/"), a plain path, itself
# or below it ("src"), anything else (a regular expression)
PREFIX, DIRECTORY, PLAIN, REGEX = 0, 1, 2, 3
_HERE = os.path.dirname(os.path.abspath(__file__))
_PACKAGE = os.path.dirname(_HERE)
_PATHSPEC_FILES = ("__init__.py", "_meta.py", "pattern.py", "util.py", "gitignore.py",
                   "patterns/gitignore/spec.py", "patterns/gitignore/base.py")
_compiled: dict[str, re.Pattern[str]] = {}


class CompactPolicy:
    """One manifest's scopes and tables, as the guard uses them."""

    __slots__ = ("ancestors", "base", "branch_prefix", "data", "scopes", "shared", "teams",
                 "worktrees")

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.base: str = data["base"]
        self.branch_prefix: str = data["branch_prefix"]
        self.worktrees: str | None = data["worktrees"]
        self.teams: dict[str, tuple[str, ...]] = data["teams"]
        self.ancestors: dict[str, tuple[str, ...]] = data["ancestors"]
        self.shared: tuple[str, ...] = data["shared"]
        # (owner, negated, patterns), in ownership order
        self.scopes: tuple[tuple[str, bool, tuple[_Pattern, ...]], ...] = data["scopes"]

    # ----------------------------------------------------------------------- the manifest's tables

    def branch(self, team: str) -> str:
        return f"{self.branch_prefix}{team}"

    def team_of_branch(self, branch: str) -> str | None:
        """``Manifest.team_of_branch``."""
        branch = branch.removeprefix("refs/heads/")
        if not branch.startswith(self.branch_prefix):
            return None
        name = branch[len(self.branch_prefix):]
        return name if name in self.teams else None

    def worktrees_dir(self, repo_root: str) -> str:
        """``Manifest.worktrees_dir``: where the team worktrees of the checkout at ``repo_root`` live."""
        if self.worktrees:
            return os.path.realpath(os.path.join(repo_root, self.worktrees))
        root = os.path.realpath(repo_root)
        return os.path.join(os.path.dirname(root), f"{os.path.basename(root)}-worktrees")

    # ----------------------------------------------------------------------- the rule

    def owner_of(self, path: str) -> str:
        """The owning team's name, ``shared``, or ``-``: ``Ownership.owner_of``."""
        if path.startswith("/"):
            path = path[1:]
        elif path.startswith("./"):
            path = path[2:]
        for owner, negated, patterns in self.scopes:
            if negated:
                if _gitignore(patterns, path):
                    return owner
                continue
            for head, kind, text, _include, need in patterns:
                if path.startswith(head) and need in path \
                        and _matches(kind, text, path) is not None:
                    return owner
        return UNOWNED

    def may_change(self, team: str, path: str) -> bool:
        """The server's rule: a team may change its own paths, its sub-teams' paths and shared
        paths, never the policy file itself."""
        if path == POLICY_FILE:
            return False
        owner = self.owner_of(path)
        if owner in (SHARED, team):
            return True
        return owner != UNOWNED and team in self.ancestors.get(owner, ())


def _matches(kind: int, text: str, path: str) -> int | None:
    """None when the pattern does not match; else 1 for a match below a directory the pattern
    names, 2 for a match of the path itself (pathspec's two priorities)."""
    if kind == PREFIX:
        return 2 if path.startswith(text) else None
    if kind == DIRECTORY:
        return 1 if path.startswith(text) else None
    if kind == PLAIN:
        if path.startswith(text) and path[len(text):len(text) + 1] == "/":
            return 1
        return 2 if path in (text, f"{text}\n") else None
    regex = _compiled.get(text)
    if regex is None:
        import re

        regex = _compiled[text] = re.compile(text)
    found = regex.search(path)
    if found is None:
        return None
    return 1 if _DIR_MARK in regex.groupindex and found.group(_DIR_MARK) else 2


def _gitignore(patterns: tuple[_Pattern, ...], path: str) -> bool:
    """pathspec's GitIgnoreSpec over one scope: tried last to first; a match of the path
    itself ends the search, a match below a directory counts unless one of the path follows."""
    include = False
    priority = 0
    for head, kind, text, pattern_include, need in reversed(patterns):
        if priority == 2:
            break
        if not path.startswith(head) or need not in path:
            continue
        level = _matches(kind, text, path)
        if level is not None and level > priority:
            include, priority = pattern_include, level
    return include


# --------------------------------------------------------------------------- the file


def file_name(blob: str) -> str:
    """The policy's file name for the manifest blob ``blob`` and this installation of gitorch
    (two installations sharing a repository keep a file each)."""
    tag = 0
    for char in _PACKAGE:
        tag = (tag * 131 + ord(char)) % 4_294_967_291
    return f"guard-{blob}-{tag:08x}.marshal"


def fingerprint(dependencies: Iterable[str] = ()) -> list[tuple[str, int, int]]:
    """(path, size, mtime) of every file of the code that compiles and applies the policy:
    gitorch's manifest and agents packages and its version, and ``dependencies``."""
    out: list[tuple[str, int, int]] = []
    for where in (_PACKAGE, os.path.join(_PACKAGE, "manifest"), _HERE):
        with os.scandir(where) as entries:
            found = sorted((e.name, e) for e in entries if e.name.endswith(".py"))
        for name, entry in found:
            if where == _PACKAGE and name != "__init__.py":
                continue
            st = entry.stat()
            out.append((os.path.join(where, name), st.st_size, st.st_mtime_ns))
    for path in dependencies:
        try:
            st = os.stat(path)
            out.append((path, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((path, -1, -1))
    return out


def read(cache_dir: str, blob: str) -> CompactPolicy | None:
    """The compiled policy for ``blob`` written by this very code, or None."""
    try:
        with open(os.path.join(cache_dir, file_name(blob)), "rb") as fh:
            data = marshal.load(fh)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("blob") != blob:
        return None
    recorded = data.get("fingerprint")
    if not isinstance(recorded, list):
        return None
    deps = [entry[0] for entry in recorded if not entry[0].startswith(_PACKAGE + os.sep)]
    try:
        if fingerprint(deps) != recorded:
            return None
        return CompactPolicy(data)
    except (OSError, KeyError, TypeError, IndexError, AttributeError):
        return None


def write(cache_dir: str, data: dict[str, Any]) -> None:
    """Store ``data`` (``compile_policy``'s) atomically; a read-only repository keeps none."""
    final = os.path.join(cache_dir, file_name(data["blob"]))
    tag = final[final.rfind("-"):]          # this installation's: older manifests go
    store(cache_dir, final, data, lambda name: name.startswith("guard-")
          and name.endswith(tag) and not name.startswith("guard-tree-"))


def store(cache_dir: str, final: str, data: dict[str, Any], kind: Callable[[str], bool]
          ) -> None:
    """Write ``data`` to ``final`` atomically (marshal), then remove all but the ``KEEP``
    newest files of ``cache_dir`` whose name is of the same ``kind``. A failure (a
    read-only repository, data marshal cannot write) leaves no file behind and no cache."""
    tmp = f"{final}.{os.getpid()}.tmp"
    try:
        os.makedirs(cache_dir, exist_ok=True)
        with open(tmp, "wb") as fh:
            marshal.dump(data, fh)
        os.replace(tmp, final)
        old = sorted((e.stat().st_mtime_ns, e.path) for e in os.scandir(cache_dir)
                     if kind(e.name))
        for _, path in old[:-KEEP]:
            os.unlink(path)
    except (OSError, ValueError):
        import contextlib  # only here: a failure is rare, the guard's start-up is not

        with contextlib.suppress(OSError):
            os.unlink(tmp)


def compile_policy(manifest: Manifest, blob: str) -> dict[str, Any]:
    """The compact form of ``manifest`` (whose git blob id is ``blob``), for ``write``.

    The full code path: pathspec builds every pattern's expression, exactly as the ownership
    engine uses it.
    """
    import re

    import pathspec
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    from gitorch.manifest.ownership import Ownership
    from gitorch.manifest.patterns import InvalidPattern, parse

    ownership = Ownership.from_manifest(manifest)
    scopes = []
    for owner, texts in ownership.scopes:
        patterns = []
        negated = False
        for text in texts:
            compiled = GitIgnoreSpecPattern(text)
            if compiled.include is None or compiled.regex is None:
                continue            # blank, comment or discarded: pathspec drops them too
            regex = str(compiled.regex.pattern)
            try:
                parsed = parse(text)
            except InvalidPattern:
                parsed = None
            plain = "/".join(parsed.head) if parsed is not None else ""
            kind, literal = REGEX, regex
            exact = compiled.regex.flags & ~re.UNICODE == 0     # case-sensitive, as always
            if plain and not regex.startswith(f"^{re.escape(plain)}"):
                plain = ""          # not the prefix its expression demands: try it on every path
            need = _longest_literal(parsed) if parsed is not None and exact else ""
            if plain and exact:
                if regex == f"^{re.escape(plain)}/":
                    kind, literal = PREFIX, f"{plain}/"
                elif regex == f"^{re.escape(plain)}(?P<{_DIR_MARK}>/)":
                    kind, literal = DIRECTORY, f"{plain}/"
                elif regex == f"^{re.escape(plain)}(?:(?P<{_DIR_MARK}>/)|$)":
                    kind, literal = PLAIN, plain
            negated = negated or not compiled.include
            patterns.append((plain, kind, literal, bool(compiled.include), need))
        if patterns:
            scopes.append((owner, negated, tuple(patterns)))
    where = os.path.dirname(os.path.abspath(pathspec.__file__))
    deps = [os.path.join(where, name) for name in _PATHSPEC_FILES]
    return {
        "format": FORMAT, "blob": blob, "fingerprint": fingerprint(deps),
        "base": manifest.base, "branch_prefix": manifest.branch_prefix,
        "worktrees": manifest.worktrees,
        "teams": {str(name): tuple(team.owns) for name, team in manifest.teams.items()},
        "ancestors": {str(k): tuple(str(a) for a in v) for k, v in ownership.ancestors.items()},
        "shared": tuple(manifest.shared), "scopes": tuple(scopes),
    }


def _longest_literal(parsed: Parsed) -> str:
    """The longest run of plain characters in one segment of the pattern: a path it matches
    contains that text (pathspec matches plain characters as themselves)."""
    from gitorch.manifest.patterns import Lit

    best = ""
    for token in parsed.tokens:
        if not isinstance(token, tuple):
            continue
        run = ""
        for char in token:
            run = run + char.char if isinstance(char, Lit) else ""
            if len(run) > len(best):
                best = run
    return best
