"""Files everyone appends to (issue: one CHANGES.md entry won, the patch deleted the
winner's): union paths (``merge=union`` in .gitattributes, or the manifest's ``union``)
merge with both entries, ``conflicts`` says so exactly as the merge does, and where a
hunk is lost the saved patch adds the lost lines back and removes nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pygit2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch import repo as git
from gitorch.manifest.loading import parse_manifest
from gitorch.manifest.ownership import union_rule
from gitorch.overlap import find_conflicts
from tests.conftest import Cli, GitRepo
from tests.integrate.conftest import BASE_FILES, MANIFEST, Scenario

CHANGES = "# Changes\n\n## Unreleased\n\n## 1.0\n\n- first release\n"


def entry(text: str) -> str:
    return CHANGES.replace("## Unreleased\n\n", f"## Unreleased\n\n- {text}\n")


def scenario(repo: GitRepo, cli: Cli, *, attributes: bool, manifest_union: bool) -> Scenario:
    manifest = MANIFEST.replace('shared: [README.md, "docs/**"]',
                                'shared: [README.md, "docs/**", CHANGES.md]')
    if manifest_union:
        manifest = manifest.replace("teams:\n", "union: [CHANGES.md]\nteams:\n", 1)
    files = {**BASE_FILES, "gitorch.yaml": manifest, "CHANGES.md": CHANGES}
    if attributes:
        files[".gitattributes"] = "CHANGES.md merge=union\n"
    s = Scenario(repo, cli, files)
    s.team("alpha", {"CHANGES.md": entry("alpha: faster queries")})
    s.team("gamma", {"CHANGES.md": entry("gamma: dark mode")})
    return s


def pair_verdicts(cli: Cli, repo: GitRepo) -> list[tuple[str, str | None]]:
    result = cli("conflicts", "--json", cwd=repo.path)
    return [(c["kind"], c["detail"]) for c in json.loads(result.stdout)["conflicts"]
            if c["path"] == "CHANGES.md"]


@pytest.mark.parametrize(("attributes", "manifest_union"), [(True, False), (False, True)],
                         ids=["gitattributes", "manifest"])
def test_union_path_merges_both_entries_and_conflicts_agrees(
        repo: GitRepo, cli: Cli, attributes: bool, manifest_union: bool) -> None:
    s = scenario(repo, cli, attributes=attributes, manifest_union=manifest_union)
    assert pair_verdicts(cli, repo) == [("same-file", "union")]
    _, data, _ = s.run()                        # no --fix: a conflict would skip gamma
    assert data["merged"] == ["alpha", "gamma"]    # (beta and delta have no branch)
    assert data["conflicts"] == []
    merged = s.show("integration:CHANGES.md")
    assert "- alpha: faster queries\n" in merged and "- gamma: dark mode\n" in merged


def test_without_union_the_saved_patch_adds_the_lost_entry_and_keeps_the_winner(
        repo: GitRepo, cli: Cli) -> None:
    s = scenario(repo, cli, attributes=False, manifest_union=False)
    assert pair_verdicts(cli, repo) == [("overlap", None)]
    out = s.path.parent / "out"
    _, data, _ = s.run("--fix", "--report", str(out / "report.md"))
    assert data["merged"] == ["alpha", "gamma"]
    assert s.show("integration:CHANGES.md") == entry("alpha: faster queries")
    check = s.path.parent / "check"
    repo.git("worktree", "add", "-q", str(check), "integration")
    repo.git("-C", str(check), "apply", str(out / "dropped" / "gamma.patch"))
    restored = (check / "CHANGES.md").read_text()
    assert "- alpha: faster queries\n" in restored     # nothing the winner wrote is removed
    assert "- gamma: dark mode\n" in restored          # the lost entry is back
    assert restored.count("\n") == entry("x").count("\n") + 1


# ---------------------------------------------------------------- the predictor = the engine

LINES = st.lists(st.sampled_from(["- a\n", "- b\n", "## 1.0\n", "\n", "- c\n"]), max_size=8)
OPS = st.lists(st.tuples(st.integers(0, 8), st.integers(0, 2),
                         st.lists(st.sampled_from(["- x\n", "- y\n", "- a\n"]), max_size=2)),
               min_size=1, max_size=2)


def _edit(lines: list[str], ops: list[tuple[int, int, list[str]]]) -> str:
    out = list(lines)
    for at, drop, new in ops:
        out[min(at, len(out)):min(at, len(out)) + drop] = new
    return "".join(out)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> pygit2.Repository:
    path = tmp_path_factory.mktemp("union")
    r = pygit2.init_repository(str(path))
    (path / ".gitattributes").write_text("ATTR.md merge=union\nBIN.md -merge\n")
    return r


UNION_MANIFEST = """\
version: 1
project: u
shared: ["*.md"]
union: [MANIFEST.md]
teams:
  a:
    owns: ["a/**"]
    priority: 2
  b:
    owns: ["b/**"]
    priority: 1
"""


def _commit(store: pygit2.Repository, ref: str, files: dict[str, str | None],
            parent: pygit2.Oid | None) -> pygit2.Oid:
    builder = store.TreeBuilder()
    for name, text in files.items():
        if text is not None:
            builder.insert(name, store.create_blob(text.encode()), pygit2.enums.FileMode.BLOB)
    sig = pygit2.Signature("t", "t@example.com", 1700000000, 0)
    oid = store.create_commit(None, sig, sig, "c", builder.write(), [parent] if parent else [])
    store.references.create(ref, oid, force=True)
    return oid


@settings(max_examples=int(os.environ.get("PROP_N", "400")) // 2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["ATTR.md", "MANIFEST.md", "PLAIN.md", "BIN.md"]), base=LINES,
       ours=OPS, theirs=OPS, added=st.booleans())
def test_prediction_equals_the_engine_for_every_driver(
        store: pygit2.Repository, tmp_path: Path, name: str, base: list[str],
        ours: list[tuple[int, int, list[str]]], theirs: list[tuple[int, int, list[str]]],
        added: bool) -> None:
    """Random edits (or adds) of one file under each merge driver: ``conflicts`` says
    overlap exactly when the engine's merge (libgit2 + the manifest's union) stops."""
    manifest_path = tmp_path / "gitorch.yaml"
    manifest = parse_manifest(UNION_MANIFEST, manifest_path)
    root = _commit(store, "refs/heads/main", {name: None if added else "".join(base)}, None)
    a = _commit(store, "refs/heads/team/a", {name: _edit(base, ours)}, root)
    b = _commit(store, "refs/heads/team/b", {name: _edit(base, theirs)}, root)
    report = find_conflicts(store, manifest, remote=None)
    predicted = any(c.kind == "overlap" for c in report.conflicts)
    merge = git.merge_trees(store, git.tree_of(store, root), git.tree_of(store, a),
                            git.tree_of(store, b))
    merge = git.settle_unions(store, merge, union_rule(manifest))
    assert predicted == bool(merge.conflicts), (name, base, ours, theirs, report.conflicts)
