"""Compiled scopes: who owns a path, who may change it, and static overlap of scopes.

Patterns are gitignore-style with pathspec's git semantics, matched against
repository-relative paths with ``/`` separators, case-sensitively. A path matched
by ``shared`` is ``shared``; otherwise it belongs to the most specific team whose
scope matches (a sub-team before its parent).

Speed: every pattern of every scope is compiled once, with pathspec's own regex (so a
single pattern matches exactly as pathspec matches it), and filed in a trie under the
literal directories it starts with (``src/core/**`` under ``src`` -> ``core``), or,
when it floats, under the segment (``README.md``) or extension (``*.cfg``) it demands.
Each directory gets a plan, cached and shared by directories that reach the same trie
node: scopes made of plain directory patterns are decided once for the whole
directory, and only the rest is matched per path — usually one dictionary lookup and
at most a regex search or two.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from gitorch.manifest import SHARED, TeamName
from gitorch.manifest.patterns import (
    ANY_SEGMENT,
    STAR2,
    InvalidPattern,
    Lit,
    Parsed,
    hints,
    parse,
    witnesses,
)

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


def union_rule(manifest: Manifest) -> Callable[[str], bool]:
    """Whether the manifest's ``union`` names a path (gitignore patterns, as ``shared``)."""
    if not manifest.union:
        return lambda path: False
    return compile_spec(manifest.union).match_file


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
    static: bool = False     # plain directories then "**" or nothing: a path's directory decides


@dataclass
class _Node:
    rules: list[_Rule] = field(default_factory=list)
    children: dict[str, _Node] = field(default_factory=dict)


class Ownership:
    """All scopes of one manifest, compiled once."""

    def __init__(self, scopes: Sequence[tuple[str, Sequence[str]]],
                 ancestors: dict[TeamName, tuple[TeamName, ...]]):
        """``scopes``: (answer, patterns) in the order they are tried; the first that matches wins.

        ``from_manifest`` passes ``shared`` first, then the teams, most specific first.
        """
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

        self.names = tuple(name for name, _ in scopes)
        self._scopes = tuple((name, tuple(patterns)) for name, patterns in scopes)
        self.ancestors = ancestors
        self._root = _Node()
        # floating patterns that name a whole segment ("README.md" = "**/README.md"): only a
        # path with that segment can match, so they wait under the name instead of at the root
        self._named: dict[str, list[_Rule]] = {}
        # likewise floating patterns such as "*.cfg", under the extension they demand
        self._by_ext: dict[str, list[_Rule]] = {}
        self._cache: dict[str, _Plan] = {}
        self._plans: dict[tuple[int, bool, tuple[str, ...], tuple[str, ...]], _Plan] = {}
        for spec, (_, patterns) in enumerate(scopes):
            for index, text in enumerate(patterns):
                compiled = GitIgnoreSpecPattern(text)
                if compiled.include is None or compiled.regex is None:
                    continue     # blank, comment or discarded: pathspec drops them too
                regex: re.Pattern[str] = compiled.regex
                try:
                    parsed = parse(text)
                except InvalidPattern:
                    parsed = None
                rule = _Rule(order=spec * 100_000 - index, spec=spec, regex=regex,
                             include=bool(compiled.include),
                             dir_mark=_DIR_MARK in regex.groupindex,
                             static=parsed is not None and _is_static(parsed))
                node = self._root
                for segment in parsed.literal_head() if parsed is not None else ():
                    node = node.children.setdefault(segment, _Node())
                required = _required_segment(parsed) if node is self._root else None
                ext = _required_extension(parsed) if node is self._root else None
                if required is not None:
                    self._named.setdefault(required, []).append(rule)
                elif ext is not None:
                    self._by_ext.setdefault(ext, []).append(rule)
                else:
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
    def scopes(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(answer, patterns) in the order they are tried: shared, then the teams."""
        return self._scopes

    @property
    def team_names(self) -> tuple[TeamName, ...]:
        """Team names in the order they are tried (most specific first)."""
        return tuple(TeamName(n) for n in self.names[1:])

    @cached_property
    def teams(self) -> tuple[tuple[TeamName, pathspec.GitIgnoreSpec], ...]:
        """(team, its pathspec spec), most specific first: for callers that match themselves."""
        return tuple((TeamName(name), compile_spec(patterns)) for name, patterns in self._scopes[1:])

    @cached_property
    def shared(self) -> pathspec.GitIgnoreSpec:
        return compile_spec(self._scopes[0][1])

    def _plan(self, directory: str) -> _Plan:
        """What decides the owner of the files directly in ``directory``.

        The rules filed along the directory's segments, in the order they are tried;
        where a whole scope's rules are static, their verdict for every file here is
        known now: a scope that cannot include one is dropped, and the first that
        includes them all ends the list (it is the answer when no earlier scope says so).
        """
        segments = directory.split("/") if directory else []
        named = tuple(sorted({s for s in segments if s in self._named}))
        exts = tuple(sorted({e for e in map(_extension, segments) if e in self._by_ext}))
        node: _Node | None = self._root
        last = self._root
        trail = [self._root]
        for segment in segments:
            assert node is not None
            node = node.children.get(segment)
            if node is None:
                break
            last = node
            trail.append(node)
        # directories that reach the same trie node see the same rules: plan once for all
        key = (id(last), node is None, named, exts)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._new_plan(directory, segments, named, exts, trail, node)
            self._plans[key] = plan
        self._cache[directory] = plan
        return plan

    def _new_plan(self, directory: str, segments: list[str], named: tuple[str, ...],
                  exts: tuple[str, ...], trail: list[_Node], node: _Node | None) -> _Plan:
        rules = [r for n in trail for r in n.rules]
        rules.extend(r for s in named for r in self._named[s])
        rules.extend(r for e in exts for r in self._by_ext[e])
        rules.sort(key=lambda r: r.order)
        probe = f"{directory}/x" if directory else "x"
        dynamic: list[_Rule] = []
        fallback = -1
        for spec in sorted({r.spec for r in rules}):
            group = tuple(r for r in rules if r.spec == spec)
            if not all(r.static for r in group):
                dynamic.extend(group)
            elif _decide(group, probe) == spec:
                fallback = spec
                break
        by_name: dict[str, tuple[_Rule, ...]] = {}
        for name in {*(node.children if node is not None else ()), *self._named}:
            extra = [*(node.children[name].rules if node is not None and name in node.children
                       else ()),
                     *(self._named.get(name, ()) if name not in segments else ())]
            if extra:
                by_name[name] = tuple(sorted((*rules, *extra), key=lambda r: r.order))
        by_ext = {e: tuple(sorted((*rules, *extra), key=lambda r: r.order))
                  for e, extra in self._by_ext.items() if e not in exts}
        return _Plan(tuple(rules), tuple(dynamic), fallback, by_name, by_ext)

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
            plan = cache.get(directory)
            if plan is None:
                plan = self._plan(directory)
            named = plan.by_name.get(name) if plan.by_name else None
            if plan.by_ext and "." in name:
                by_ext = plan.by_ext.get(name[name.rfind(".") + 1:])
                if by_ext is not None:
                    named = by_ext if named is None else tuple(
                        sorted({*named, *by_ext}, key=lambda r: r.order))
            if named is not None:
                index = _decide(named, path)     # a pattern names this very file: no shortcut
            else:
                index = _decide(plan.dynamic, path) if plan.dynamic else -1
                if index < 0:
                    index = plan.fallback
            append(names[index] if index >= 0 else UNOWNED)
        return out

    def counts_for(self, team: TeamName, path: str) -> bool:
        """The lines of ``path`` count for ``team`` (``loc_added``): the team owns the path,
        or one of its sub-teams does. Shared and unowned paths count for nobody."""
        owner = self.owner_of(path)
        return owner == team or (owner not in (SHARED, UNOWNED)
                                 and team in self.ancestors.get(TeamName(owner), ()))

    def may_change(self, team: TeamName, path: str) -> bool:
        """A team may change its own paths, its sub-teams' paths and shared paths."""
        owner = self.owner_of(path)
        if owner in (SHARED, team):
            return True
        return owner != UNOWNED and team in self.ancestors.get(TeamName(owner), ())


@dataclass(frozen=True)
class _Plan:
    rules: tuple[_Rule, ...]      # every rule filed along the directory, in order
    dynamic: tuple[_Rule, ...]    # the ones that must see each path
    fallback: int                 # the scope that owns every file here otherwise (-1: none)
    by_name: dict[str, tuple[_Rule, ...]]   # all rules, for file names some pattern names
    by_ext: dict[str, tuple[_Rule, ...]]    # all rules, for extensions some pattern demands


def _required_segment(parsed: Parsed | None) -> str | None:
    """A plain segment every path the pattern matches contains, if it has one."""
    if parsed is None:
        return None
    for token in parsed.tokens:
        if isinstance(token, tuple) and token and all(isinstance(c, Lit) for c in token):
            return "".join(c.char for c in token if isinstance(c, Lit))
    return None


def _required_extension(parsed: Parsed | None) -> str | None:
    """The extension ("cfg" for "*.cfg") of a segment every path the pattern matches has."""
    if parsed is None:
        return None
    for token in parsed.tokens:
        if not isinstance(token, tuple):
            continue
        tail = ""
        for c in reversed(token):
            if not isinstance(c, Lit):
                break
            tail = c.char + tail
        if "." in tail and not tail.endswith("."):
            return tail[tail.rfind(".") + 1:]
    return None


def _extension(segment: str) -> str | None:
    return segment[segment.rfind(".") + 1:] if "." in segment else None


def _is_static(parsed: Parsed) -> bool:
    """Plain directory names, then nothing or "**": the verdict is the same for every file
    below those directories (pathspec's regex is ``^a/b/`` or ``^a/b(/|$)``)."""
    tokens = parsed.tokens
    n = len(parsed.head)
    return tokens[n:] in ((STAR2,), (ANY_SEGMENT, STAR2))


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
        found: list[str] = []
        for path in witnesses(pa, pb, limit=64 if negated else 12, fills=fills):
            if spec_a.match_file(path) and spec_b.match_file(path):
                found.append(path)
                if negated and len(found) == 8:
                    break       # enough to pick a plain one from; the search may be long
        if found:
            return min(found, key=_plainness)
    return None


def first_segments(patterns: Sequence[str]) -> frozenset[str] | None:
    """The plain first segments the positive patterns start with; None if one floats.

    Two scopes whose sets are both known and disjoint cannot overlap: a cheap first test.
    """
    out = set()
    for parsed in _positives(patterns):
        if not parsed.head:
            return None
        out.add(parsed.head[0])
    return frozenset(out)


def _heads_agree(a: Parsed, b: Parsed) -> bool:
    n = min(len(a.head), len(b.head))
    return a.head[:n] == b.head[:n]


def _plainness(path: str) -> tuple[int, bool, int, int, str]:
    """Sort key for witnesses: few segments, no hidden names, short, the usual filler 'x'."""
    return (path.count("/"), any(s.startswith(".") for s in path.split("/")), len(path),
            -path.count("x"), path)


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
