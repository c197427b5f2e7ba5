"""Scopes compiled for per-path matching: the form the server hook (and its cache) uses."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gitorch.manifest.ownership import UNOWNED, Ownership
from gitorch.manifest.records import SHARED, TeamName

if TYPE_CHECKING:
    import pathspec


_NAMED_GROUP = re.compile(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>")


class CompiledOwnership:
    """``Ownership.owner_of`` answered by one regular expression match per path.

    The hook classifies every path a push touches, so the scopes are compiled once into
    a single alternation, in ownership order (shared first, then the most specific team):
    the first alternative that matches names the owner. A scope with a negation pattern
    (``!x``) keeps pathspec's last-match-wins rule: it is asked on its own, in its turn.
    It pickles (the hook caches it with the policy): pathspec is needed only to build it.
    """

    def __init__(self, ownership: Ownership):
        self.ancestors = ownership.ancestors
        stages: list[tuple[re.Pattern[str] | None, list[str], pathspec.GitIgnoreSpec | None]] = []
        pending: list[tuple[str, str]] = []       # (owner, regex) not yet joined

        def flush() -> None:
            if pending:
                names = [owner for owner, _ in pending]
                joined = "|".join(f"(?P<g{i}>{rx})" for i, (_, rx) in enumerate(pending))
                stages.append((re.compile(joined), names, None))
                pending.clear()

        specs: list[tuple[str, pathspec.GitIgnoreSpec]] = [(SHARED, ownership.shared),
                                                           *ownership.teams]
        for owner, spec in specs:
            live = [p for p in spec.patterns if p.include is not None]
            if any(p.include is False for p in live) or any(p.regex is None for p in live):
                flush()
                stages.append((None, [owner], spec))
            elif live:
                body = "|".join(f"(?:{_searched(_NAMED_GROUP.sub('(?:', _regex(p)))})"
                                for p in live)
                pending.append((owner, body))
        flush()
        self._stages = stages

    def may_change(self, team: TeamName, path: str) -> bool:
        """``Ownership.may_change``: own paths, sub-teams' paths, shared paths."""
        owner = self.owner_of(path)
        if owner in (SHARED, team):
            return True
        return owner != UNOWNED and team in self.ancestors.get(TeamName(owner), ())

    def owner_of(self, path: str) -> str:
        for regex, names, spec in self._stages:
            if regex is not None:
                found = regex.match(path)
                if found is not None and found.lastgroup is not None:
                    return names[int(found.lastgroup[1:])]
            elif spec is not None and spec.match_file(path):
                return names[0]
        return UNOWNED


def _searched(regex: str) -> str:
    """``regex`` matched from the start as pathspec searches it: a pattern's expression that is
    not anchored (``*`` is ``.``, ``*/`` is ``(?P<ps_d>/)``) may match anywhere in the path."""
    return regex if regex.startswith("^") else f"[\\s\\S]*?(?:{regex})"


def _regex(pattern: pathspec.Pattern) -> str:
    regex = getattr(pattern, "regex", None)
    assert regex is not None
    return str(regex.pattern)
