"""Validation at the boundary: manifest YAML -> records, every problem as FILE:LINE.

The checker reports every problem it finds (not just the first), each with the key's
line and the fix; ``gitorch.manifest.parse_manifest`` is its one caller.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitorch.errors import ManifestError
from gitorch.manifest import DEFAULT_COVERAGE_OMIT, SHARED, Gates, Manifest, Team, TeamName
from gitorch.manifest.records import (
    CODEOWNER_RE,
    DEFAULT_STALE_AFTER,
    GATE_KEYS,
    MERGE_ENGINES,
    MERGE_KEYS,
    ORG_RE,
    TEAM_KEYS,
    TEAM_NAME_RE,
    TOP_KEYS,
    branch_glob,
)

if TYPE_CHECKING:
    import yaml


TreeFiles = Callable[[], Sequence[str]]


def parse(text: str, path: Path, files: TreeFiles | None = None) -> Manifest:
    """Parse and validate; raise ManifestError listing every problem found.

    ``files`` (asked only when two teams overlap): the tree's files, so that the overlap
    is shown on a file both teams own today, or said to own none yet.
    """
    data, lines, duplicates = _load_yaml(text, path)
    checker = _Checker(path, lines, files)
    checker.problems.extend(duplicates)
    manifest = checker.build(data)
    if checker.problems:
        raise ManifestError(checker.sorted_problems())
    assert manifest is not None
    return manifest


def _load_yaml(text: str, path: Path) -> tuple[Any, dict[tuple[str | int, ...], int],
                                               list[tuple[int, str]]]:
    import yaml  # here, not at the top: the hook's start-up needs no YAML (cached policy)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)   # libyaml when present: 10x faster
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ManifestError([f"{path}:{line}: not valid YAML: {problem}"]) from None
    finally:
        loader.dispose()
    lines: dict[tuple[str | int, ...], int] = {}
    duplicates: list[tuple[int, str]] = []
    if node is not None:
        _record_lines(node, (), lines, duplicates)
    return data, lines, duplicates


def _record_lines(
    node: yaml.Node, key: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int],
    duplicates: list[tuple[int, str]],
) -> None:
    import yaml

    lines.setdefault(key, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k_node, v_node in node.value:
            sub = (*key, str(k_node.value))
            line = k_node.start_mark.line + 1
            if sub in lines:
                # YAML keeps the last of two equal keys silently; a manifest must not
                duplicates.append((line, f"duplicate key '{k_node.value}' (first at line "
                                         f"{lines[sub]}): keep one"))
                continue
            lines[sub] = line
            _record_lines(v_node, sub, lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record_lines(item, (*key, i), lines, duplicates)


# --------------------------------------------------------------------------- checking


class _Checker:
    def __init__(self, path: Path, lines: Mapping[tuple[str | int, ...], int],
                 files: TreeFiles | None = None):
        self.path = path
        self.org: str | None = None
        self.files = files
        self._listed: Sequence[str] | None = None
        self.lines = lines
        self.problems: list[tuple[int, str]] = []

    def line(self, key: tuple[str | int, ...]) -> int:
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), 1)

    def problem(self, key: tuple[str | int, ...], message: str) -> None:
        self.problems.append((self.line(key), message))

    def sorted_problems(self) -> list[str]:
        seen: list[str] = []
        for line, message in sorted(self.problems, key=lambda p: p[0]):
            text = f"{self.path}:{line}: {message}"
            if text not in seen:
                seen.append(text)
        return seen

    # -- scalar helpers

    def unknown_keys(self, data: Mapping[Any, Any], allowed: tuple[str, ...],
                     key: tuple[str | int, ...], where: str) -> None:
        for k in data:
            if str(k) not in allowed:
                import difflib  # only when a key is wrong

                close = difflib.get_close_matches(str(k), allowed, n=1)
                fix = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(allowed)}"
                self.problem((*key, str(k)), f"unknown key '{k}' in {where}: {fix}")

    def string(self, data: Mapping[str, Any], name: str, key: tuple[str | int, ...],
               default: str | None) -> str | None:
        value = data.get(name, default)
        if value is None:
            return default
        if not isinstance(value, str) or not value:
            self.problem((*key, name), f"'{name}' must be a non-empty string, not {_kind(value)}")
            return default
        return value

    def string_list(self, data: Mapping[str, Any], name: str,
                    key: tuple[str | int, ...]) -> tuple[str, ...]:
        value = data.get(name)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem((*key, name), f"'{name}' must be a list of strings, not {_kind(value)}")
            return ()
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                self.problem((*key, name, i),
                             f"'{name}' item {i + 1} must be a non-empty string, not {_kind(item)}")
            else:
                out.append(item)
        return tuple(out)

    def patterns(self, data: Mapping[str, Any], name: str,
                 key: tuple[str | int, ...]) -> tuple[str, ...]:
        """A list of gitignore patterns; a pattern pathspec cannot use is a problem."""
        from gitorch.manifest.ownership import pattern_problem

        out = []
        value = data.get(name)
        items = value if isinstance(value, list) else [value]
        for i, pattern in enumerate(self.string_list(data, name, key)):
            why = pattern_problem(pattern)
            if why is not None:
                at = items.index(pattern) if pattern in items else i
                self.problem((*key, name, at), f"'{name}' pattern {pattern!r} is not a valid "
                                               f"gitignore pattern: {why}")
            else:
                out.append(pattern)
        return tuple(out)

    def number(self, data: Mapping[str, Any], name: str, key: tuple[str | int, ...],
               *, integer: bool, low: float | None = None,
               high: float | None = None) -> float | None:
        value = data.get(name)
        if value is None:
            return None
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            want = "a whole number" if integer else "a number"
            self.problem((*key, name), f"'{name}' must be {want}, not {_kind(value)}")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.problem((*key, name), f"'{name}' must lie between {low:g} and {high:g}, not {value}")
            return None
        return float(value)

    # -- the document

    def build(self, data: Any) -> Manifest | None:
        if data is None:
            self.problem((), "the manifest is empty: it needs at least 'version', "
                             "'project' and 'teams'")
            return None
        if not isinstance(data, dict):
            self.problem((), f"the manifest must be a mapping of keys, not {_kind(data)}")
            return None
        self.unknown_keys(data, TOP_KEYS, (), "the manifest")
        version = data.get("version")
        if version is None:
            self.problem((), "'version' is missing: add 'version: 1'")
        elif version != 1 or isinstance(version, bool):
            self.problem(("version",), f"unsupported 'version' {version!r}: this gitorch reads "
                                       "version 1")
        project = self.string(data, "project", (), None)
        if "project" not in data or data["project"] is None:
            self.problem(("project",), "'project' is missing: add 'project: <name>'")
        base = self.string(data, "base", (), "main") or "main"
        integration = self.string(data, "integration", (), "integration") or "integration"
        prefix = self.string(data, "branch_prefix", (), "team/") or "team/"
        worktrees = self.string(data, "worktrees", (), None)
        integrators = self.string_list(data, "integrators", ())
        self.org = self.organisation(data)
        protected = self.string_list(data, "protected", ())
        shared = self.patterns(data, "shared", ())
        union = self.patterns(data, "union", ())
        engine = self.merge(data.get("merge"))
        if base == integration:
            self.problem(("integration",), f"'integration' must differ from 'base' ({base!r})")
        gates = self.gates(data.get("gates"))
        stale = self.number(data, "stale_after", (), integer=True, low=0, high=10_080)
        teams = self.teams(data.get("teams"))
        self.protected_branches(protected, prefix, teams)
        if self.problems or project is None:
            return None
        return Manifest(
            path=self.path, project=project, teams=teams, base=base, integration=integration,
            branch_prefix=prefix, worktrees=worktrees, integrators=integrators, org=self.org,
            protected=protected, shared=shared, union=union, merge_engine=engine, gates=gates,
            stale_after=int(stale) if stale is not None else DEFAULT_STALE_AFTER,
            lines=dict(self.lines),
        )

    def organisation(self, data: Mapping[str, Any]) -> str | None:
        """``org``: a GitHub organisation's name, as in github.com/<org>."""
        org = self.string(data, "org", (), None)
        if org is None or ORG_RE.fullmatch(org):
            return org
        bare = org.strip().lstrip("@").split("/")[0].strip()
        fix = (f"write 'org: {bare}'" if bare and ORG_RE.fullmatch(bare) else
               "letters, digits and single hyphens, as in github.com/<org>")
        self.problem(("org",), f"'org' {org!r} is not a GitHub organisation name: {fix} "
                               "(teams then get @<org>/<team>)")
        return None

    def protected_branches(self, protected: tuple[str, ...], prefix: str,
                           teams: Mapping[TeamName, Team]) -> None:
        """Branch names or globs, never a team's branch (a team must be able to push it)."""
        for i, pattern in enumerate(protected):
            key: tuple[str | int, ...] = ("protected", i)
            if not pattern.strip() or pattern.startswith(("refs/", "/")) or pattern.endswith("/"):
                self.problem(key, f"protected entry {pattern!r} is not a branch name or glob: "
                                  "write it as 'stable' or 'release/*' (no refs/heads/)")
                continue
            rx = branch_glob(pattern)
            hit = next((t for t in teams if rx.fullmatch(f"{prefix}{t}")), None)
            if hit is not None:
                self.problem(key, f"protected entry {pattern!r} matches team {hit}'s branch "
                                  f"{prefix}{hit}: a team must be able to push its own branch; "
                                  "narrow the pattern")

    def merge(self, data: Any) -> str:
        """The ``merge`` mapping: which engine computes merges (default libgit2)."""
        if data is None:
            return "libgit2"
        if not isinstance(data, dict):
            self.problem(("merge",), f"'merge' must be a mapping, not {_kind(data)}")
            return "libgit2"
        self.unknown_keys(data, MERGE_KEYS, ("merge",), "'merge'")
        engine = self.string(data, "engine", ("merge",), "libgit2") or "libgit2"
        if engine not in MERGE_ENGINES:
            self.problem(("merge", "engine"), f"'merge.engine' must be one of "
                         f"{', '.join(MERGE_ENGINES)}, not {engine!r}")
            return "libgit2"
        return engine

    def gates(self, data: Any) -> Gates:
        if data is None:
            return Gates()
        if not isinstance(data, dict):
            self.problem(("gates",), f"'gates' must be a mapping, not {_kind(data)}")
            return Gates()
        key: tuple[str | int, ...] = ("gates",)
        self.unknown_keys(data, GATE_KEYS, key, "'gates'")
        omit = self.patterns(data, "coverage_omit", key)
        keep = data.get("coverage_omit_defaults", True)
        if not isinstance(keep, bool):
            self.problem((*key, "coverage_omit_defaults"),
                         f"'coverage_omit_defaults' must be true or false, not {_kind(keep)}")
            keep = True
        if keep:
            omit = tuple(dict.fromkeys((*DEFAULT_COVERAGE_OMIT, *omit)))
        return Gates(
            test_command=self.string(data, "test_command", key, None),
            coverage=self.number(data, "coverage", key, integer=False, low=0, high=100),
            diff_coverage=self.number(data, "diff_coverage", key, integer=False, low=0, high=100),
            coverage_omit=omit, coverage_omit_defaults=keep,
            test_timeout=self.timeout(data, key),
        )

    def timeout(self, data: Mapping[str, Any], key: tuple[str | int, ...]) -> float | None:
        value = self.number(data, "test_timeout", key, integer=False)
        if value is not None and value <= 0:
            self.problem((*key, "test_timeout"),
                         f"'test_timeout' must be a positive number of seconds, not {value:g}")
            return None
        return value

    def teams(self, data: Any) -> dict[TeamName, Team]:
        if data is None:
            self.problem((), "'teams' is missing: add at least one team with 'owns'")
            return {}
        if not isinstance(data, dict):
            self.problem(("teams",), f"'teams' must be a mapping of team names, not {_kind(data)}")
            return {}
        if not data:
            self.problem(("teams",), "'teams' is empty: add at least one team with 'owns'")
            return {}
        teams: dict[TeamName, Team] = {}
        for raw_name, body in data.items():
            name = str(raw_name)
            key: tuple[str | int, ...] = ("teams", name)
            if not _valid_team_name(name):
                self.problem(key, f"team name {name!r} must be letters, digits, '-', '_' or '.', "
                                  "starting with a letter or digit")
                continue
            if name == SHARED:
                self.problem(key, "'shared' is reserved for shared paths: rename the team")
                continue
            team = self.team(TeamName(name), body, key)
            if team is not None:
                teams[team.name] = team
        self.relations(teams)
        return teams

    def team(self, name: TeamName, body: Any, key: tuple[str | int, ...]) -> Team | None:
        if not isinstance(body, dict):
            self.problem(key, f"team '{name}' must be a mapping with at least 'owns', "
                              f"not {_kind(body)}")
            return None
        self.unknown_keys(body, TEAM_KEYS, key, f"team '{name}'")
        owns = self.patterns(body, "owns", key)
        if "owns" not in body:
            self.problem(key, f"team '{name}' has no 'owns': list the paths it may write")
        elif body["owns"] == []:
            self.problem((*key, "owns"), f"team '{name}' owns nothing: list at least one pattern")
        if owns and all(p.startswith("!") for p in owns):
            self.problem((*key, "owns"), f"team '{name}' has only negated patterns: it owns nothing")
        priority = self.number(body, "priority", key, integer=True)
        target = self.target(body.get("target_loc"), (*key, "target_loc"))
        description = body.get("description", "")
        if not isinstance(description, str):
            self.problem((*key, "description"), f"'description' must be a string, "
                                                f"not {_kind(description)}")
            description = ""
        parent = self.string(body, "parent", key, None)
        codeowners = self.string_list(body, "codeowners", key) or (
            (f"@{self.org}/{name}",) if self.org else ())
        for i, who in enumerate(codeowners if "codeowners" in body else ()):
            if not _valid_codeowner(who):
                self.problem((*key, "codeowners", i),
                             f"'codeowners' entry {who!r} must be '@user', '@org/team' or an "
                             "e-mail address")
        return Team(
            name=name, owns=owns, description=description,
            priority=int(priority) if priority is not None else 0,
            depends_on=tuple(TeamName(d) for d in self.string_list(body, "depends_on", key)),
            target_loc=target, members=self.string_list(body, "members", key),
            parent=TeamName(parent) if parent else None, codeowners=codeowners,
        )

    def target(self, value: Any, key: tuple[str | int, ...]) -> tuple[int, int] | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return (value, value)
        if (isinstance(value, list) and len(value) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
                and value[0] <= value[1]):
            return (value[0], value[1])
        self.problem(key, f"'target_loc' must be a positive number or [low, high] with "
                          f"low <= high, not {value!r}")
        return None

    def relations(self, teams: dict[TeamName, Team]) -> None:
        from gitorch.manifest.ownership import first_segments, scope_escape, scope_overlap

        for team in teams.values():
            key: tuple[str | int, ...] = ("teams", team.name)
            for i, dep in enumerate(team.depends_on):
                if dep == team.name:
                    self.problem((*key, "depends_on", i), f"team '{team.name}' depends on itself")
                elif dep not in teams:
                    self.problem((*key, "depends_on", i),
                                 f"team '{team.name}' depends on '{dep}', which is no team"
                                 f"{_suggest(dep, teams)}")
            if team.parent is not None:
                if team.parent == team.name:
                    self.problem((*key, "parent"), f"team '{team.name}' is its own parent")
                elif team.parent not in teams:
                    self.problem((*key, "parent"), f"team '{team.name}' has parent "
                                 f"'{team.parent}', which is no team{_suggest(team.parent, teams)}")
                else:
                    outside = scope_escape(team.owns, teams[team.parent].owns)
                    if outside is not None:
                        pattern, path = outside
                        at = team.owns.index(pattern)
                        self.problem((*key, "owns", at),
                                     f"sub-team '{team.name}' reaches outside its parent "
                                     f"'{team.parent}': '{pattern}' matches '{path}', which "
                                     f"'{team.parent}' does not own")
        for cycle in _cycles(teams, lambda t: t.depends_on):
            self.problem(("teams", cycle[0], "depends_on"),
                         f"dependency cycle: {' -> '.join(cycle)}")
        for cycle in _cycles(teams, lambda t: (t.parent,) if t.parent else ()):
            if len(cycle) > 2:
                self.problem(("teams", cycle[0], "parent"),
                             f"parent cycle: {' -> '.join(cycle)}")
        names = sorted(teams)
        firsts = {name: first_segments(teams[name].owns) for name in names}
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                ta, tb = teams[a], teams[b]
                fa, fb = firsts[a], firsts[b]
                if (fa is not None and fb is not None and not fa & fb) or _related(teams, ta, tb):
                    continue
                witness = scope_overlap(ta.owns, tb.owns)
                if witness is not None:
                    self.problem(("teams", b, "owns"), self.overlap(ta, tb, witness))

    def overlap(self, a: Team, b: Team, witness: str) -> str:
        """The overlap problem, on a file of the tree when one is owned twice today."""
        from gitorch.manifest.ownership import overlap_in_tree

        who = f"teams '{a.name}' and '{b.name}'"
        if self.files is None:
            return f"{who} can both own '{witness}': " + _give_away(a, b, witness)
        if self._listed is None:
            self._listed = self.files()
        seen = overlap_in_tree(a.owns, b.owns, self._listed)
        if seen is None:
            return f"{who} can both own '{witness}': " + _give_away(a, b, witness)
        fix = _give_away(a, b, seen.witness)
        if seen.today:
            more = f" (and {seen.today - 1} more file{'s' if seen.today > 2 else ''} of the " \
                   "tree)" if seen.today > 1 else ""
            return f"{who} both own '{seen.witness}'{more}: {fix}"
        if seen.blocker is None:
            return (f"{who} can both own '{seen.witness}' (no file of the tree is owned "
                    f"twice today; a file added there would be): {fix}")
        return (f"{who} can both own paths below '{seen.blocker}', such as '{seen.witness}' "
                f"(no file of the tree is owned twice today: '{seen.blocker}' is a file, so "
                f"such a path exists only if it becomes a directory): {fix}")


def _give_away(a: Team, b: Team, witness: str) -> str:
    """The fix for an overlap: the exact lines to add when one team names a single path
    (giving one file or directory to another team), else the general advice."""
    from gitorch.manifest.ownership import compile_spec

    for giver, taker in ((a, b), (b, a)):
        for pattern in taker.owns:
            literal = pattern.lstrip("/").rstrip("/")
            if pattern.startswith("!") or any(c in literal for c in "*?[\\") or not literal:
                continue
            if witness != literal and not witness.startswith(literal + "/"):
                continue
            anchor = "/" if pattern.startswith("/") else ""
            if not {f"!{literal}", f"!/{literal}"} & set(giver.owns) \
                    and not compile_spec(giver.owns).match_file(literal):
                continue
            lines = [line for line in (f"!{anchor}{literal}", f"!{anchor}{literal}/**")
                     if line not in giver.owns]
            return (f"to give '{literal}' to '{taker.name}', add "
                    + " and ".join(f"'{line}'" for line in lines)
                    + f" to the 'owns' of team '{giver.name}'")
    return "make their 'owns' disjoint, or make one a sub-team ('parent') of the other"


def _related(teams: Mapping[TeamName, Team], a: Team, b: Team) -> bool:
    """True when one team is the other's parent (or ancestor)."""
    def ancestors(t: Team) -> set[TeamName]:
        out: set[TeamName] = set()
        while t.parent is not None and t.parent in teams and t.parent not in out:
            out.add(t.parent)
            t = teams[t.parent]
        return out
    return a.name in ancestors(b) or b.name in ancestors(a)


def _cycles(teams: Mapping[TeamName, Team], edges: Any) -> Iterator[list[str]]:
    """Each elementary cycle once, as a list of names starting and ending with its least name."""
    seen: set[tuple[str, ...]] = set()
    for start in sorted(teams):
        stack: list[tuple[TeamName, list[TeamName]]] = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in edges(teams[node]):
                if nxt not in teams:
                    continue
                if nxt == start and len(path) > 1:
                    if min(path) == start:
                        cycle = (*path, start)
                        if cycle not in seen:
                            seen.add(cycle)
                            yield list(cycle)
                elif nxt not in path and nxt > start:
                    stack.append((nxt, [*path, nxt]))


def _suggest(name: str, teams: Mapping[TeamName, Team]) -> str:

    close = difflib.get_close_matches(name, list(teams), n=1)
    return f": did you mean '{close[0]}'?" if close else ""


def _valid_team_name(name: str) -> bool:
    # a team name becomes part of a branch name: git refuses ".." and a ".lock" suffix
    return TEAM_NAME_RE.fullmatch(name) is not None and ".." not in name \
        and not name.endswith(".lock")


def _valid_codeowner(who: str) -> bool:
    return CODEOWNER_RE.fullmatch(who) is not None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def unanchored_warnings(manifest: Manifest, files: list[str]) -> list[str]:
    """FILE:LINE warnings for patterns without a '/' that match files in more than one
    directory of the tree today (``pyproject.toml`` also takes ``examples/*/pyproject.toml``),
    with the anchored form to write instead."""
    from gitorch.manifest.ownership import compile_spec

    where: list[tuple[tuple[str | int, ...], str, str]] = [
        (("shared", i), p, "'shared'") for i, p in enumerate(manifest.shared)]
    for name, team in manifest.teams.items():
        where += [(("teams", name, "owns", i), p, f"team '{name}'") for i, p in enumerate(team.owns)]
    out = []
    for key, pattern, owner in where:
        body = pattern.rstrip("/")
        if pattern.startswith("!") or "/" in body or not body:
            continue
        spec = compile_spec([pattern])
        hits = [f for f in files if spec.match_file(f)]
        dirs = sorted({f.rpartition("/")[0] for f in hits})
        if len(dirs) < 2:
            continue
        line = manifest.lines.get(key) or manifest.lines.get(key[:-1]) or 1
        shown = ", ".join(d or "." for d in dirs[:3]) + (", ..." if len(dirs) > 3 else "")
        fix = (f"write '/{body}' for the one at the root only" if "" in dirs
               else f"anchor it, e.g. '/{dirs[0]}/{body}'")
        out.append(f"{manifest.path}:{line}: warning: '{pattern}' in {owner} has no '/', so it "
                   f"matches at every depth: {len(hits)} files in {len(dirs)} directories "
                   f"({shown}); {fix}")
    return out
