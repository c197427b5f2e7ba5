"""Awkward names through `gitorch conflicts`: git merge-tree as the oracle, the corpus in
one repository and generated names in a property test."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pygit2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch.manifest.loading import parse_manifest
from gitorch.manifest.pathnames import shown
from gitorch.overlap import find_conflicts
from tests.conflicts.conftest import MANIFEST, numbered, replaced
from tests.conftest import Cli, GitRepo
from tests.names import commit_files, corpus, paths

TEXT = numbered("shared", 10)
OURS = replaced(TEXT, {2: "alpha two\n"})
THEIRS_SAME_LINE = replaced(TEXT, {2: "beta two\n"})
THEIRS_ELSEWHERE = replaced(TEXT, {9: "beta nine\n"})


def merge_tree_conflicts(repo: Path, a: str, b: str) -> set[str]:
    """The paths ``git merge-tree`` cannot merge, read NUL-separated (names as they are)."""
    proc = subprocess.run(["git", "merge-tree", "--write-tree", "--name-only", "--no-messages",
                           "-z", a, b], cwd=repo, capture_output=True)
    fields = [f for f in proc.stdout.split(b"\0")[1:] if f]     # after the tree: conflicted
    assert proc.returncode == (1 if fields else 0), proc.stderr
    return {f.decode("utf-8", "surrogateescape") for f in fields}


def build(repo: Path, overlapping: list[str], clean: list[str], ui: list[str]) -> None:
    files = overlapping + clean
    base = commit_files(repo, "base", {"gitorch.yaml": MANIFEST, **dict.fromkeys(files, TEXT)},
                        ref="refs/heads/main")
    commit_files(repo, "alpha", dict.fromkeys(files, OURS), ref="refs/heads/team/alpha",
                 parent=base)
    commit_files(repo, "beta", {**dict.fromkeys(overlapping, THEIRS_SAME_LINE),
                                **dict.fromkeys(clean, THEIRS_ELSEWHERE)},
                 ref="refs/heads/team/beta", parent=base)
    commit_files(repo, "gamma", dict.fromkeys(ui, "ui\n"), ref="refs/heads/team/gamma",
                 parent=base)


def test_the_corpus_predicted_as_git_merges_it(repo: GitRepo, cli: Cli, tmp_path: Path) -> None:
    names = corpus("shared")
    overlapping, clean = names[::2], names[1::2]
    build(repo.path, overlapping, clean, corpus("src/ui"))
    assert merge_tree_conflicts(repo.path, "team/alpha", "team/beta") == set(overlapping)
    report = find_conflicts(pygit2.Repository(str(repo.path)), parse_manifest(MANIFEST))
    assert {c.path for c in report.overlaps} == set(overlapping)
    assert {c.path for c in report.conflicts if c.kind == "same-file"} == set(clean)
    assert all(c.teams == ("alpha", "beta") for c in report.conflicts)
    assert not any(report.violations.values())
    (tmp_path / "m.yaml").write_text(MANIFEST)
    text = cli("--manifest", str(tmp_path / "m.yaml"), "conflicts", cwd=repo.path)
    assert text.exit_code == 1
    headers = [line for line in text.output.split("\n") if line.endswith(" (owner shared)")]
    assert headers == [f"{shown(c.path)} (owner shared)" for c in report.conflicts]
    assert len(text.output.split("\n")) == 2 + len(headers) + 2 * len(overlapping) \
        + len(clean) + 2
    data = json.loads(cli("--manifest", str(tmp_path / "m.yaml"), "conflicts", "--json",
                          cwd=repo.path).stdout)
    assert [c["path"] for c in data["conflicts"]] == [c.path for c in report.conflicts]


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(paths, st.booleans()), min_size=1, max_size=5))
def test_generated_names_predicted_as_git_merges_them(named: list[tuple[str, bool]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        chosen = dict((f"shared/{p}", same) for p, same in named)
        overlapping = [p for p, same in chosen.items() if same]
        build(repo, overlapping, [p for p, same in chosen.items() if not same], [])
        report = find_conflicts(pygit2.Repository(str(repo)), parse_manifest(MANIFEST))
        expected = merge_tree_conflicts(repo, "team/alpha", "team/beta")
        assert {c.path for c in report.overlaps} == expected
        assert expected <= set(overlapping)
