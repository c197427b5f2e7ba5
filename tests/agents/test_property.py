"""One rule, one engine: the guard (through its compiled policy) decides an edit as the
server and `gitorch check` decide a commit (Ownership.may_change, and never the policy
file), for any path, awkward names included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.agents.guard import Guard
from gitorch.manifest import TeamName
from gitorch.manifest.loading import load_manifest
from tests.agents.conftest import Shop

SEGMENTS = st.sampled_from(["src", "core", "api", "db", "docs", "README.md", "x.py", "a b",
                            "café", "cafe\u0301", "it's", "core.py", "tests", "CORE", "core\n",
                            "new\nline", 'say "hi"', "back\\slash", "\udcff", "gitorch.yaml",
                            "*", "[x]", "~"])
PATHS = st.lists(SEGMENTS, min_size=1, max_size=5).map("/".join)


@settings(max_examples=150, deadline=None)
@given(path=PATHS, team=st.sampled_from(["alpha", "alpha-db", "beta"]))
def test_the_guard_and_the_ownership_engine_agree(shared_shop: Shop, path: str,
                                                  team: str) -> None:
    tree = shared_shop.tree(team)
    manifest = load_manifest(tree / "gitorch.yaml")
    expected = manifest.ownership.may_change(TeamName(team), path) and path != "gitorch.yaml"
    refusal = Guard(str(tree)).judge_path(str(tree / path))
    if path.startswith("src/core/link"):
        return          # the symlink the shop plants leads elsewhere: judged where it leads
    assert (refusal is None) == expected, (team, path, refusal)
