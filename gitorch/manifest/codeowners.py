"""A GitHub CODEOWNERS file that assigns every path the owner `gitorch owner` gives it.

GitHub reads CODEOWNERS differently from gitignore: the LAST matching line wins, ``!``
negation and ``[...]`` ranges do not exist, ``dir/*`` stops at one level, and a
pattern is anchored as soon as it has a ``/`` that is not its last character. So
each scope pattern is rewritten from its normalised segment form (see
``gitorch.patterns``) into an anchored line whose meaning is the same under GitHub's
rules, and the lines are ordered so that the owner gitorch picks comes last:

1. teams, parents before their sub-teams (the sub-team's lines then win), and a team
   whose pattern carries a negation before the teams owning what it excludes;
2. shared paths, owned by the integrators (every team may change them, the
   integrators review: they are what every team depends on);
3. the manifest itself and the CODEOWNERS file: the integrators, always (only they
   may push the manifest), even where a team's pattern also matches them.

A team's owners are its ``codeowners``, else ``@<org>/<team>`` (GitHub names teams
within their organisation); with neither, there is no valid owner to write, and the
file is refused rather than written with that team's paths missing.

What cannot be expressed is reported as a warning, never silently dropped: a negated
pattern (its paths stay with the team unless another team owns them), and a bracket
expression too large to spell out character by character.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from gitorch.errors import ManifestError
from gitorch.manifest import DEFAULT_MANIFEST, SHARED, Manifest, TeamName
from gitorch.manifest.patterns import ANY, STAR, STAR2, CharClass, Lit, Parsed, Seg, parse

CODEOWNERS_PATH = ".github/CODEOWNERS"
_SPECIAL = set("*?[]\\ ")
_CLASS_LIMIT = 16       # characters a bracket expression may stand for and still be spelt out
_EXPANSION_LIMIT = 64   # lines one pattern may turn into


@dataclass(frozen=True)
class Rule:
    """One CODEOWNERS line and where it comes from."""

    pattern: str
    owners: tuple[str, ...]
    owner: str                 # what `gitorch owner` says: a team, "shared", or "-"
    source: str                # the manifest pattern it was written from
    line: int = 0


@dataclass(frozen=True)
class CodeOwnersFile:
    rules: tuple[Rule, ...]
    text: str
    warnings: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {"codeowners": self.text, "warnings": list(self.warnings),
                "rules": [{"line": r.line, "pattern": r.pattern, "owners": list(r.owners),
                           "owner": r.owner, "source": r.source} for r in self.rules]}


def integrator_owners(manifest: Manifest) -> tuple[str, ...]:
    """The integrators as CODEOWNERS owners: ``@name`` unless already a handle or e-mail."""
    return tuple(i if i.startswith("@") or "@" in i else f"@{i}" for i in manifest.integrators)


def ownerless(manifest: Manifest) -> list[str]:
    """FILE:LINE problems, one per team GitHub would get no valid owner for: no
    ``codeowners`` of its own and no ``org`` to make ``@<org>/<team>`` from."""
    return [f"{manifest.path}:{manifest.lines.get(('teams', name), 1)}: team '{name}' has no "
            "'codeowners' and the manifest has no 'org': GitHub owners are '@org/team', "
            "'@user' or an e-mail address"
            for name, team in manifest.teams.items() if not team.codeowners]


OWNERLESS_HINT = ("add 'org: <your GitHub organisation>' at the top of gitorch.yaml (a team "
                  "without 'codeowners' is then @<org>/<team>), or give each team listed "
                  "'codeowners:'; then run 'gitorch codeowners' again")


def generate(manifest: Manifest) -> CodeOwnersFile:
    """The CODEOWNERS file for ``manifest``, with a warning for what GitHub cannot express.

    Raises ManifestError when a team would have no valid owner (``ownerless``): a file
    that left its paths out would give them, on GitHub, to whichever earlier line
    matches, not to the owner ``gitorch owner`` names.
    """
    problems = ownerless(manifest)
    if problems:
        raise ManifestError(problems, hint=OWNERLESS_HINT)
    warnings: list[str] = []
    blocks: list[tuple[str, list[Rule]]] = []
    for name in _team_order(manifest):
        team = manifest.teams[name]
        rules = []
        for pattern in team.owns:
            rules.extend(_rules(pattern, team.codeowners, name, warnings, f"team '{name}'"))
        title = f"team {name}" + (f" (sub-team of {team.parent})" if team.parent else "") \
            + (f": {team.description}" if team.description else "")
        blocks.append((title, rules))
    admins = integrator_owners(manifest)
    shared: list[Rule] = []
    for pattern in manifest.shared:
        shared.extend(_rules(pattern, admins, SHARED, warnings, "shared"))
    blocks.append(("shared paths: every team may change them, the integrators review", shared))
    manifest_name = _manifest_name(manifest)
    blocks.append(("the manifest and this file: only the integrators change them", [
        Rule(pattern=f"/{_escape_text(manifest_name)}", owners=admins, owner="integrators",
             source=manifest_name),
        Rule(pattern=f"/{CODEOWNERS_PATH}", owners=admins, owner="integrators",
             source=CODEOWNERS_PATH)]))

    lines = [f"# Generated by `gitorch codeowners` from {manifest_name} "
             f"(project {manifest.project}): do not edit, regenerate.",
             "# GitHub applies the LAST matching line; the order below makes it pick the owner "
             "that `gitorch owner` prints."]
    numbered: list[Rule] = []
    for title, rules in blocks:
        if not rules:
            continue
        lines += ["", f"# {title}"]
        for rule in rules:
            lines.append(" ".join((rule.pattern, *rule.owners)))
            numbered.append(Rule(rule.pattern, rule.owners, rule.owner, rule.source, len(lines)))
    if not admins:
        warnings.append("no 'integrators' in the manifest: shared paths and the manifest get no "
                        "owner in CODEOWNERS")
    return CodeOwnersFile(rules=tuple(numbered), text="\n".join(lines) + "\n",
                          warnings=tuple(warnings))


def _manifest_name(manifest: Manifest) -> str:
    """The policy the server enforces is always ``gitorch.yaml`` at the root of the base."""
    del manifest
    return DEFAULT_MANIFEST


def _team_order(manifest: Manifest) -> list[TeamName]:
    """Parents before sub-teams; a team with a negation before the teams owning what it excludes."""
    ownership = manifest.ownership
    base = list(reversed(ownership.team_names))     # gitorch tries sub-teams first; GitHub, last
    after: dict[str, set[str]] = {name: set() for name in base}
    from gitorch.manifest.ownership import scope_overlap

    for name in base:
        for pattern in manifest.teams[TeamName(name)].owns:
            if not pattern.startswith("!"):
                continue
            for other in base:
                if other != name and scope_overlap([pattern[1:]], manifest.teams[TeamName(other)].owns):
                    after[other].add(name)
    order: list[TeamName] = []
    left = list(base)
    while left:
        ready = next((n for n in left if after[n] <= set(order)), left[0])   # a cycle: keep base order
        order.append(TeamName(ready))
        left.remove(ready)
    return order


def _rules(pattern: str, owners: tuple[str, ...], owner: str, warnings: list[str],
           where: str) -> list[Rule]:
    parsed = parse(pattern)
    if parsed is None:
        return []
    if parsed.negated:
        warnings.append(f"{where}: '{pattern}' is a negation, which CODEOWNERS cannot express: "
                        "the paths it excludes keep this owner on GitHub unless another team "
                        "owns them")
        return []
    return [Rule(pattern=p, owners=owners, owner=owner, source=pattern)
            for p in translate(parsed, warnings, where)]


def translate(parsed: Parsed, warnings: list[str] | None = None, where: str = "") -> list[str]:
    """CODEOWNERS patterns that match, under GitHub's rules, the paths ``parsed`` matches."""
    tokens = list(parsed.tokens)
    assert tokens and tokens[-1] == STAR2      # every normalised pattern ends "and below"
    body = tokens[:-1]
    if all(t == STAR2 for t in body[:-1]) and body and body[-1] == (STAR,) and len(body) <= 2:
        return ["*"]                            # "**", "*": every path
    parts: list[list[str]] = []
    for i, token in enumerate(body):
        if token == STAR2:
            parts.append(["**"])
        elif i == len(body) - 1 and token == (STAR,):
            parts.append(["**"])                # "dir/*" stops at one level on GitHub; "**" does not
        else:
            assert isinstance(token, tuple)
            parts.append(_segment(token, parsed.text, warnings, where))
    out = ["/" + "/".join(combo) for combo in itertools.product(*parts)]
    if len(out) > _EXPANSION_LIMIT:
        if warnings is not None:
            warnings.append(f"{where}: '{parsed.text}' spells out to {len(out)} lines; "
                            f"kept the first {_EXPANSION_LIMIT}")
        out = out[:_EXPANSION_LIMIT]
    return out


def _segment(seg: Seg, text: str, warnings: list[str] | None, where: str) -> list[str]:
    options: list[list[str]] = []
    for token in seg:
        if isinstance(token, Lit):
            options.append([_escape_text(token.char)])
        elif token == STAR:
            options.append(["*"])
        elif token == ANY:
            options.append(["?"])
        elif isinstance(token, CharClass):
            members = _members(token)
            if members is None:
                if warnings is not None:
                    warnings.append(f"{where}: '{text}' has a bracket expression GitHub cannot "
                                    "read; written as '?' (any one character)")
                options.append(["?"])
            else:
                options.append([_escape_text(c) for c in members])
    return ["".join(combo) for combo in itertools.product(*options)]


def _members(token: CharClass) -> list[str] | None:
    """The characters a bracket expression matches, when they are few and printable."""
    universe = {chr(c) for c in range(32, 127)} | set(token.mentioned)
    members = sorted(c for c in universe if token.accepts(c))
    if len(members) > _CLASS_LIMIT or token.accepts("\u00e9"):
        return None     # a negated or wide class: it also matches what no list can hold
    return members


def _escape_text(text: str) -> str:
    return "".join(f"\\{c}" if c in _SPECIAL else c for c in text)
