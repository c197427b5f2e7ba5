"""``MergeBases`` answers as libgit2's merge base of the chain itself, on generated histories:
teams forked from old and new base commits, teams that merged another team's branch or
caught up with the base, a base with a side line merged in (two best ancestors are
possible), equal commit times (libgit2's order between ties), chains of any teams."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygit2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.ids import ObjectId
from gitorch.integrate.bases import MergeBases
from gitorch.manifest import TeamName
from tests.conftest import examples


class _History:
    def __init__(self, path: Path, same_time: bool):
        self.repo = pygit2.init_repository(str(path), bare=True)
        self.same_time = same_time
        self.count = 0

    def commit(self, parents: list[pygit2.Oid]) -> pygit2.Oid:
        self.count += 1
        when = 1_700_000_000 + (0 if self.same_time else self.count)
        sig = pygit2.Signature("t", "t@example.com", when, 0)
        blob = self.repo.create_blob(f"{self.count}\n".encode())
        builder = self.repo.TreeBuilder()
        builder.insert("f", blob, pygit2.enums.FileMode.BLOB)
        return self.repo.create_commit(None, sig, sig, f"c{self.count}\n", builder.write(),
                                       parents)


@dataclass(frozen=True)
class Spec:
    base: int                   # commits on the base line
    side: bool                  # a side line merged into the base
    same_time: bool             # every commit at the same second
    teams: list[tuple[int, int, str, int]]  # (fork point, own commits, merged, which)
    chains: list[list[int]]     # the teams each chain merges


histories = st.builds(
    Spec, st.integers(2, 5), st.booleans(), st.booleans(),
    st.lists(st.tuples(st.integers(0, 10), st.integers(0, 2),
                       st.sampled_from(["none", "team", "base"]),   # merged a team / the base
                       st.integers(0, 10)), min_size=2, max_size=5),
    st.lists(st.lists(st.integers(0, 4), max_size=4), min_size=1, max_size=4))


@settings(max_examples=examples(0.25), deadline=None)
@given(histories)
def test_merge_bases_agree_with_libgit2_on_every_chain(
        tmp_path_factory: pytest.TempPathFactory, spec: Spec) -> None:
    """Any chain of other teams' merges on the base (a team is never in its own chain)."""
    path = tmp_path_factory.mktemp("bases")
    h = _History(path, spec.same_time)
    line = [h.commit([])]
    for _ in range(spec.base - 1):
        line.append(h.commit([line[-1]]))
    if spec.side:
        side = h.commit([line[0]])
        line.append(h.commit([line[-1], side]))
        line.append(side)       # a team may fork from the side line too
    base = line[-2] if spec.side else line[-1]
    heads: dict[TeamName, ObjectId | None] = {}
    for i, (fork, own, merged, other) in enumerate(spec.teams):
        tip = line[fork % len(line)]
        for _ in range(own):
            tip = h.commit([tip])
        made = [pygit2.Oid(hex=x) for x in heads.values() if x is not None]
        if merged == "team" and made:
            tip = h.commit([tip, made[other % len(made)]])
        elif merged == "base":
            tip = h.commit([tip, line[other % len(line)]])
        heads[TeamName(f"t{i}")] = ObjectId(str(tip))
    bases = MergeBases(h.repo, ObjectId(str(base)), heads)
    teams = list(heads)
    sig = pygit2.Signature("m", "m@example.com", 1_700_000_000, 0)
    for picks in spec.chains:
        chain = base
        in_chain = [teams[pick % len(teams)] for pick in picks]
        for name in in_chain:
            merged_head = heads[name]
            assert merged_head is not None
            chain = h.repo.create_commit(None, sig, sig, f"merge {chain} {merged_head}\n",
                                         h.repo[base].peel(pygit2.Tree).id,
                                         [chain, pygit2.Oid(hex=merged_head)])
        for team in (t for t in teams if t not in in_chain):
            head = heads[team]
            assert head is not None
            want = h.repo.merge_base(chain, pygit2.Oid(hex=head))
            assert bases.of(team, ObjectId(str(chain))) == want, (team, picks)
