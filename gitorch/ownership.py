"""Compiled scopes: who owns a path, who may change it, and static overlap of scopes.

Patterns are gitignore-style with pathspec's git semantics, matched against
repository-relative paths with ``/`` separators, case-sensitively. A path matched
by ``shared`` is ``shared``; otherwise it belongs to the most specific team whose
scope matches (a sub-team before its parent).

Speed: every pattern of every scope is compiled once, with pathspec's own regex (so a
single pattern matches exactly as pathspec matches it), and filed in a trie under the
literal directories it starts with (``src/core/**`` under ``src`` -> ``core``). A path
is tested only against the patterns filed along its own directories, and that
candidate list is cached per directory, so classifying many paths costs a dictionary
lookup and a few regex searches each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from gitorch.manifest import SHARED, TeamName
from gitorch.patterns import InvalidPattern, Parsed, hints, parse, witnesses

if TYPE_CHECKING:
    import pathspec

    from gitorch.manifest import Manifest

UNOWNED = "-"
_DIR_MARK = "ps_d"   # pathspec's group name for "matched as a directory above the path"


def compile_spec(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """One pathspec GitIgnoreSpec: the reference semantics every answer here must equal."""
    return _compile_spec(tuple(patterns))


@lru_cache(maxsize=1024)
def _compile_spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


def pattern_problem(pattern: str) -> str | None:
    """Why pathspec cannot use ``pattern``, or None when it can."""
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    try:
        GitIgnoreSpecPattern(pattern)
        parse(pattern)
    except (ValueError, re.error) as exc:
        why = str(exc).splitlines()[0] if str(exc) else ""
        if pattern.rstrip().endswith("\\"):
            return "it ends with a lone '\\' (write '\\\\' for a backslash)"
        return why if why and not why.startswith("Invalid git pattern") else "pathspec rejects it"
    return None


@dataclass(frozen=True)
class _Rule:
    order: int               # (spec position, -pattern position): the order to test them in
    spec: int                # 0 = shared, then the teams, most specific first
    regex: re.Pattern[str]
    include: bool
    dir_mark: bool           # the regex can report a match as "below a directory"


@dataclass
class _Node:
    rules: list[_Rule] = field(default_factory=list)
    children: dict[str, _Node] = field(default_factory=dict)


class Ownership:
    """All scopes of one manifest, compiled once."""

    def __init__(self, scopes: Sequence[tuple[str, Sequence[str]]],
                 ancestors: dict[TeamName, tuple[TeamName, ...]]):
        """``scopes``: (answer, patterns) in the order they are tried; the first that matches wins."""
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

        self.names = tuple(name for name, _ in scopes)
        self.ancestors = ancestors
        self._root = _Node()
        self._cache: dict[str, tuple[tuple[_Rule, ...], _Node | None]] = {}
        for spec, (_, patterns) in enumerate(scopes):
            for index, text in enumerate(patterns):
                compiled = GitIgnoreSpecPattern(text)
                if compiled.include is None or compiled.regex is None:
                    continue     # blank, comment or discarded: pathspec drops them too
                regex: re.Pattern[str] = compiled.regex
                rule = _Rule(order=spec * 100_000 - index, spec=spec, regex=regex,
                             include=bool(compiled.include),
                             dir_mark=_DIR_MARK in regex.groupindex)
                node = self._root
                try:
                    parsed = parse(text)
                except InvalidPattern:
                    parsed = None
                for segment in parsed.literal_head() if parsed is not None else ():
                    node = node.children.setdefault(segment, _Node())
                node.rules.append(rule)

    @classmethod
    def from_manifest(cls, manifest: Manifest) -> Ownership:
        ancestors: dict[TeamName, tuple[TeamName, ...]] = {}
        for team in manifest.teams.values():
            chain: list[TeamName] = []
            current = team
            while current.parent is not None and current.parent not in chain \
                    and current.parent in manifest.teams:
                chain.append(current.parent)
                current = manifest.teams[current.parent]
            ancestors[team.name] = tuple(chain)
        order = sorted(manifest.teams, key=lambda n: (-len(ancestors[n]), n))
        scopes: list[tuple[str, Sequence[str]]] = [(SHARED, manifest.shared)]
        scopes.extend((name, manifest.teams[name].owns) for name in order)
        return cls(scopes, ancestors)

    @property
    def teams(self) -> tuple[str, ...]:
        """Team names in the order they are tried (most specific first)."""
        return self.names[1:]

    def _candidates(self, directory: str) -> tuple[tuple[_Rule, ...], _Node | None]:
        rules = list(self._root.rules)
        node: _Node | None = self._root
        if directory:
            for segment in directory.split("/"):
                assert node is not None
                node = node.children.get(segment)
                if node is None:
                    break
                rules.extend(node.rules)
        rules.sort(key=lambda r: r.order)
        found = (tuple(rules), node if node is not None and node.children else None)
        self._cache[directory] = found
        return found

    def owner_of(self, path: str) -> str:
        """The owning team's name, ``shared``, or ``-`` for an unowned path."""
        return self.owners_of((path,))[0]

    def owners_of(self, paths: Iterable[str]) -> list[str]:
        """``owner_of`` for many paths at once (the fast way to ask)."""
        cache = self._cache
        names = self.names
        out: list[str] = []
        append = out.append
        for path in paths:
            # pathspec's normalize_file: a leading "/" or "./" does not count
            if path.startswith("/"):
                path = path[1:]
            elif path.startswith("./"):
                path = path[2:]
            directory, _, name = path.rpartition("/")
            found = cache.get(directory)
            if found is None:
                found = self._candidates(directory)
            rules, node = found
            if node is not None:
                child = node.children.get(name)
                if child is not None and child.rules:
                    rules = tuple(sorted((*rules, *child.rules), key=lambda r: r.order))
            index = _decide(rules, path) if rules else -1
            append(names[index] if index >= 0 else UNOWNED)
        return out

    def may_change(self, team: TeamName, path: str) -> bool:
        """A team may change its own paths, its sub-teams' paths and shared paths."""
        owner = self.owner_of(path)
        if owner in (SHARED, team):
            return True
        return owner != UNOWNED and team in self.ancestors.get(TeamName(owner), ())


def _decide(rules: tuple[_Rule, ...], path: str) -> int:
    """The index of the first scope that includes ``path``, or -1.

    Per scope this is pathspec's GitIgnoreSpec rule: patterns are tried last to first;
    a match as a file (priority 2) ends the search, a match below a directory
    (priority 1) counts unless a file match follows.
    """
    spec = -1
    include = False
    priority = 0
    for rule in rules:
        if rule.spec != spec:
            if include:
                return spec
            spec, include, priority = rule.spec, False, 0
        elif priority == 2:
            continue
        match = rule.regex.search(path)
        if match is None:
            continue
        level = 1 if rule.dir_mark and match.group(_DIR_MARK) else 2
        if level > priority:
            include, priority = rule.include, level
    return spec if include else -1


# --------------------------------------------------------------------------- static scopes


def _parsed(patterns: Sequence[str]) -> list[Parsed]:
    out = []
    for text in patterns:
        try:
            parsed = parse(text)
        except InvalidPattern:
            continue
        if parsed is not None:
            out.append(parsed)
    return out


def _positives(patterns: Sequence[str]) -> list[Parsed]:
    return [p for p in _parsed(patterns) if not p.negated]


def _negatives(patterns: Sequence[str]) -> list[Parsed]:
    return [p for p in _parsed(patterns) if p.negated]


def scope_overlap(a: Sequence[str], b: Sequence[str]) -> str | None:
    """A path that both scopes match (a witness), or None when they cannot share one.

    Each pair of positive patterns is unified; the witnesses found are checked against
    the full pattern lists (negations included) and the first that both match is
    returned. Exact for scopes without negations; with negations, several witnesses
    per pattern pair are tried before concluding that the scopes are disjoint.
    """
    pairs = [(pa, pb) for pa in _positives(a) for pb in _positives(b) if _heads_agree(pa, pb)]
    if not pairs:
        return None      # the common case, decided without compiling anything
    spec_a, spec_b = compile_spec(a), compile_spec(b)
    negated = _negatives([*a, *b])
    fills = hints(negated) if negated else ()
    for pa, pb in pairs:
        found = [path for path in witnesses(pa, pb, limit=64 if negated else 12, fills=fills)
                 if spec_a.match_file(path) and spec_b.match_file(path)]
        if found:
            return min(found, key=_plainness)
    return None


def _heads_agree(a: Parsed, b: Parsed) -> bool:
    n = min(len(a.head), len(b.head))
    return a.head[:n] == b.head[:n]


def _plainness(path: str) -> tuple[int, bool, int, str]:
    """Sort key for witnesses: few segments, no hidden names, short (what a reader expects)."""
    return (path.count("/"), any(s.startswith(".") for s in path.split("/")), len(path), path)


def scope_within(inner: Sequence[str], outer: Sequence[str]) -> str | None:
    """The first pattern of ``inner`` that can match a path ``outer`` does not, else None."""
    found = scope_escape(inner, outer)
    return found[0] if found is not None else None


def scope_escape(inner: Sequence[str], outer: Sequence[str]) -> tuple[str, str] | None:
    """(pattern of ``inner``, a path it matches that ``outer`` does not), or None.

    The paths tried are the pattern's own witnesses and those it shares with each
    pattern of ``outer`` (negated ones included, as they mark where ``outer`` ends).
    """
    inner_spec, outer_spec = compile_spec(inner), compile_spec(outer)
    others = _parsed(outer)
    fills = hints([*others, *_parsed(inner)])
    for pattern in _positives(inner):
        found = [path for other in (pattern, *others)
                 for path in witnesses(pattern, other, limit=32, fills=fills)
                 if inner_spec.match_file(path) and not outer_spec.match_file(path)]
        if found:
            return pattern.text, min(found, key=_plainness)
    return None
