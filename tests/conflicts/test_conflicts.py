"""gitorch conflicts on real repositories: git merge-tree as the oracle, exact text, JSON."""

from __future__ import annotations

import itertools
import json

import pygit2

from gitorch.manifest import TeamName
from gitorch.manifest.loading import load_manifest
from gitorch.overlap import find_conflicts
from tests.conflicts.conftest import MANIFEST, WIDGET, numbered, replaced
from tests.conftest import Cli, GitRepo


def git_pairs(repo: GitRepo, teams: list[str]) -> dict[frozenset[str], set[str]]:
    """For each pair that git merge-tree cannot merge cleanly, the conflicted paths."""
    out: dict[frozenset[str], set[str]] = {}
    for a, b in itertools.combinations(teams, 2):
        proc = repo.git("merge-tree", "--write-tree", "--name-only", "--no-messages",
                        f"team/{a}", f"team/{b}", check=False)
        conflicted = set(proc.stdout.split()[1:])       # after the tree: the conflicted paths
        assert proc.returncode == (1 if conflicted else 0), proc.stderr
        if conflicted:
            out[frozenset((a, b))] = conflicted
    return out


def predicted_pairs(repo: GitRepo) -> dict[frozenset[str], set[str]]:
    report = find_conflicts(pygit2.Repository(str(repo.path)),
                            load_manifest(repo.path / "gitorch.yaml"))
    out: dict[frozenset[str], set[str]] = {}
    for c in report.overlaps:
        out.setdefault(frozenset(c.teams), set()).add(c.path)
    return out


def test_every_pair_agrees_with_git_merge_tree(teams_repo: GitRepo) -> None:
    expected = git_pairs(teams_repo, ["alpha", "beta", "gamma", "delta"])
    assert predicted_pairs(teams_repo) == expected
    assert len(expected) == 4        # the scenario really has conflicts to find


def test_renames_and_deletes_agree_with_git_merge_tree(repo: GitRepo) -> None:
    manifest = MANIFEST.replace('owns: ["src/ui/**"]', 'owns: ["src/**"]').replace(
        'owns: ["src/core/**"]', 'owns: ["lib/**"]').replace(
        'owns: ["src/api/**", "docs/**"]', 'owns: ["docs/**"]')
    repo.commit("base", {"gitorch.yaml": manifest, "shared/w.py": WIDGET})
    edits: dict[str, dict[str, str | None]] = {
        "alpha": {"shared/w.py": None, "shared/b.py": WIDGET},                  # rename
        "beta": {"shared/w.py": None, "shared/c.py": replaced(WIDGET, {2: "c\n"})},  # rename
        "gamma": {"shared/w.py": replaced(WIDGET, {19: "gamma\n"})},            # modify
        "delta": {"shared/w.py": None},                                        # delete
    }
    for team, files in edits.items():
        repo.checkout("main")
        repo.checkout(f"team/{team}", create=True)
        repo.commit(team, files)
    repo.checkout("main")
    expected = git_pairs(repo, list(edits))
    predicted = predicted_pairs(repo)
    assert set(predicted) == set(expected)
    for pair, paths in predicted.items():
        assert paths <= expected[pair] | {"shared/w.py"}
    # rename/modify merges cleanly in git; rename/rename and anything/delete conflict.
    assert frozenset(("alpha", "gamma")) not in predicted
    assert frozenset(("alpha", "beta")) in predicted
    report = find_conflicts(pygit2.Repository(str(repo.path)),
                            load_manifest(repo.path / "gitorch.yaml"))
    assert {(c.teams, c.kind, c.detail) for c in report.conflicts} == {
        (("alpha", "beta"), "overlap", "rename/rename"),
        (("alpha", "gamma"), "same-file", "rename/modify"),
        (("alpha", "delta"), "overlap", "rename/delete"),
        (("beta", "gamma"), "same-file", "rename/modify"),
        (("beta", "delta"), "overlap", "rename/delete"),
        (("gamma", "delta"), "overlap", "modify/delete"),
    }


def test_teams_forked_at_different_commits_use_the_pair_merge_base(repo: GitRepo) -> None:
    repo.commit("base", {"gitorch.yaml": MANIFEST, "shared/config.py": numbered("c", 30)})
    repo.branch("team/alpha")
    repo.commit("main moves on", {"shared/config.py": replaced(numbered("c", 30), {5: "main\n"})})
    repo.branch("team/beta")
    repo.checkout("team/alpha")
    repo.commit("alpha", {"shared/config.py": replaced(numbered("c", 30), {6: "alpha\n"})})
    repo.checkout("team/beta")
    repo.commit("beta", {"shared/config.py": replaced(numbered("c", 30), {5: "main\n", 20: "b\n"})})
    repo.checkout("main")
    assert predicted_pairs(repo) == git_pairs(repo, ["alpha", "beta"]) != {}


def test_human_output_exact(teams_repo: GitRepo, cli: Cli) -> None:
    result = cli("conflicts", cwd=teams_repo.path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("base main ")
    assert "team branches: alpha " in lines[0]
    assert lines[1:] == [
        "README.md (owner shared)",
        "  same-file (identical): alpha line 5; gamma line 5 (merges cleanly)",
        "docs/old.md (owner beta)",
        "  overlap (delete/modify): beta the whole file; delta line 1",
        "    integrate --fix: beta (priority 90) keeps the file deleted; "
        "delta's change there is saved and dropped",
        "shared/config.py (owner shared)",
        "  overlap: alpha lines 10-14; beta lines 12-20",
        "    integrate --fix: alpha (priority 100) keeps lines 10-14; "
        "beta's change there is saved and dropped",
        "  same-file: alpha lines 10-14; gamma insertion after line 25 (merges cleanly)",
        "  same-file: alpha lines 10-14; delta line 21 (merges cleanly)",
        "  same-file: beta lines 12-20; gamma insertion after line 25 (merges cleanly)",
        "  overlap: beta lines 12-20; delta line 21",
        "    integrate --fix: beta (priority 90) keeps lines 12-20; "
        "delta's change there is saved and dropped",
        "  same-file: gamma insertion after line 25; delta line 21 (merges cleanly)",
        "shared/logo.bin (owner shared)",
        "  overlap (binary): alpha the whole file; delta the whole file",
        "    integrate --fix: alpha (priority 100) keeps its version of the file; "
        "delta's change there is saved and dropped",
        "shared/new.py (owner shared)",
        "  overlap (add/add): beta the whole file; gamma the whole file",
        "    integrate --fix: beta (priority 90) keeps its version of the file; "
        "gamma's change there is saved and dropped",
        "src/ui/widget.py (owner gamma)",
        "  same-file (modify/rename): alpha line 3; gamma line 18 "
        "(renamed to src/ui/widgets/button.py) (merges cleanly)",
        "outside scope: alpha changed src/ui/widget.py",
        "outside scope: delta changed docs/old.md",
        "5 overlaps and 6 same-file changes between 4 teams",
    ]


def test_json_shape(teams_repo: GitRepo, cli: Cli) -> None:
    result = cli("conflicts", "--json", cwd=teams_repo.path)
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["base"] == teams_repo.head("main")
    assert data["teams"] == {t: teams_repo.head(f"team/{t}")
                             for t in ("alpha", "beta", "gamma", "delta")}
    first = next(c for c in data["conflicts"] if c["path"] == "shared/config.py")
    assert first == {"path": "shared/config.py", "teams": ["alpha", "beta"], "kind": "overlap",
                     "ranges": {"alpha": [[10, 14]], "beta": [[12, 20]]},
                     "owner": "shared", "detail": None, "winner": "alpha",
                     "renamed_to": None}
    renamed = next(c for c in data["conflicts"] if c["path"] == "src/ui/widget.py")
    assert renamed["renamed_to"] == {"gamma": "src/ui/widgets/button.py"}   # git's name
    insertion = next(c for c in data["conflicts"] if c["teams"] == ["alpha", "gamma"]
                     and c["path"] == "shared/config.py")
    assert insertion["kind"] == "same-file"
    assert insertion["ranges"]["gamma"] == [[26, 25]]      # inserted after line 25
    assert data["violations"] == {"alpha": ["src/ui/widget.py"], "delta": ["docs/old.md"]}
    assert data["missing"] == []


def test_same_file_only_exits_0(teams_repo: GitRepo, cli: Cli) -> None:
    result = cli("conflicts", "--team", "alpha", "--team", "gamma", cwd=teams_repo.path)
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "0 overlaps and 3 same-file changes between 2 teams"


def test_nothing_shared(repo: GitRepo, cli: Cli) -> None:
    repo.commit("base", {"gitorch.yaml": MANIFEST})
    repo.checkout("team/alpha", create=True)
    repo.commit("alpha", {"src/core/a.py": "a\n"})
    repo.checkout("main")
    result = cli("conflicts", cwd=repo.path)
    assert result.exit_code == 0
    assert result.output.splitlines()[1:] == [
        "no branch yet: beta, gamma, delta",
        "no two teams changed the same file (1 team)",
    ]
    other = repo.path.parent / "other.yaml"
    other.write_text(MANIFEST.replace("  gamma:", "  zeta:\n    owns: [z/**]\n  gamma:"))
    result = cli("conflicts", "--manifest", str(other), "--json", cwd=repo.path)
    assert json.loads(result.output)["missing"] == ["beta", "gamma", "delta", "zeta"]


def test_remote_branches_and_base_option(teams_repo: GitRepo, make_repo: object, cli: Cli) -> None:
    assert callable(make_repo)
    clone: GitRepo = make_repo("clone")
    clone.git("remote", "add", "upstream", str(teams_repo.path))
    clone.git("fetch", "-q", "upstream")
    clone.git("checkout", "-q", "-b", "main", "upstream/main")
    assert cli("conflicts", cwd=clone.path).output.splitlines()[1] == \
        "no branch yet: alpha, beta, gamma, delta"
    result = cli("conflicts", "--remote", "upstream", "--json", cwd=clone.path)
    assert result.exit_code == 1
    assert len(json.loads(result.output)["teams"]) == 4
    result = cli("conflicts", "--remote", "upstream", "--base", "HEAD", "--json",
                 "--team", "beta", "--team", "delta", cwd=clone.path)
    data = json.loads(result.output)
    assert data["base_ref"] == "HEAD" and data["base"] == clone.head()
    assert {c["path"] for c in data["conflicts"]} == {"docs/old.md", "shared/config.py"}


def test_bad_base_and_unknown_team_exit_2(teams_repo: GitRepo, cli: Cli) -> None:
    result = cli("conflicts", "--base", "nope", cwd=teams_repo.path)
    assert result.exit_code == 2
    assert result.output == ("gitorch: no commit named 'nope' in this repository; "
                             "check the name with 'git log --oneline -1 REV'\n")
    result = cli("conflicts", "--team", "omega", cwd=teams_repo.path)
    assert result.exit_code == 2
    assert result.output == ("gitorch: no team named omega in the manifest; "
                             "use one of: alpha, beta, delta, gamma\n")


def test_diverges_from_git_cli_only_where_histogram_and_myers_align_differently(
        repo: GitRepo) -> None:
    """Pinned divergence: git merge-tree (merge-ort) diffs with the histogram algorithm,
    libgit2 (and so gitorch integrate) with Myers; on this repetitive file they disagree,
    and gitorch agrees with libgit2, the merge gitorch integrate really makes."""
    base, ours, theirs = "\n}\nc\nx\nx\nc\nx\n", "\nc\nx\nx\nc\nx\n", "\nc\nc\nx\n}\nc\n"
    repo.commit("base", {"gitorch.yaml": MANIFEST, "shared/f": base})
    for team, body in (("alpha", ours), ("beta", theirs)):
        repo.checkout("main")
        repo.checkout(f"team/{team}", create=True)
        repo.commit(team, {"shared/f": body})
    repo.checkout("main")
    assert git_pairs(repo, ["alpha", "beta"]) == {frozenset(("alpha", "beta")): {"shared/f"}}
    store = pygit2.Repository(str(repo.path))
    trees = [store.revparse_single(r).peel(pygit2.Tree).id
             for r in ("main", "team/alpha", "team/beta")]
    assert store.merge_trees(trees[0], trees[1], trees[2]).conflicts is None   # merges cleanly
    report = find_conflicts(store, load_manifest(repo.path / "gitorch.yaml"))
    assert [(c.path, c.kind) for c in report.conflicts] == [("shared/f", "same-file")]
    assert report.teams.keys() == {TeamName("alpha"), TeamName("beta")}


def test_whole_file_kinds_agree_with_git_merge_tree(repo: GitRepo) -> None:
    base = numbered("w", 12)
    repo.commit("base", {"gitorch.yaml": MANIFEST, "shared/w.py": base, "shared/m.py": base})
    steps: dict[str, list[tuple[str, object]]] = {
        "alpha": [("files", {"shared/x": "file\n"}),
                  ("symlink", ("shared/ln", "w.py"))],
        "beta": [("files", {"shared/x/inner.py": "dir\n"}), ("symlink", ("shared/ln", "m.py"))],
        "gamma": [("chmod", "shared/m.py")],
        "delta": [("files", {"shared/m.py": replaced(base, {3: "delta\n"}),
                             "shared/w.py": None, "shared/w2.py": base})],
    }
    for team, actions in steps.items():
        repo.checkout("main")
        repo.checkout(f"team/{team}", create=True)
        for action, arg in actions:
            if action == "files":
                assert isinstance(arg, dict)
                repo.write(arg)
            elif action == "symlink":
                assert isinstance(arg, tuple)
                (repo.path / arg[0]).symlink_to(arg[1])
            else:
                (repo.path / str(arg)).chmod(0o755)
        repo.git("add", "-A")
        repo.git("commit", "-q", "--allow-empty", "-m", team)
    repo.checkout("main")
    # git names the file of a file/directory conflict after the side it came from.
    expected = {pair: {p.split("~")[0] for p in paths}
                for pair, paths in git_pairs(repo, list(steps)).items()}
    assert predicted_pairs(repo) == expected
    report = find_conflicts(pygit2.Repository(str(repo.path)),
                            load_manifest(repo.path / "gitorch.yaml"))
    kinds = {(c.path, c.kind, c.detail) for c in report.conflicts}
    assert ("shared/x", "overlap", "file/directory") in kinds
    assert ("shared/ln", "overlap", "add/add") in kinds
    assert ("shared/m.py", "same-file", "") in kinds            # chmod + content: clean


def test_missing_base_branch_exit_2(repo: GitRepo, cli: Cli) -> None:
    repo.commit("base", {"gitorch.yaml": MANIFEST.replace("version: 1", "version: 1\nbase: trunk")})
    result = cli("conflicts", cwd=repo.path)
    assert result.exit_code == 2
    assert result.output == ("gitorch: no base branch 'trunk' (nor origin/trunk); "
                             "fetch it, or name the base with --base REF\n")


def test_team_that_merged_another_agrees_with_git(repo: GitRepo) -> None:
    """beta merged alpha's branch: their merge base is alpha's tip, so only beta's later
    edits count, exactly as git merge-tree sees it; gamma still meets both."""
    config = numbered("c", 30)
    repo.commit("base", {"gitorch.yaml": MANIFEST, "shared/config.py": config})
    repo.checkout("team/alpha", create=True)
    repo.commit("alpha", {"shared/config.py": replaced(config, {5: "alpha\n"})})
    repo.checkout("main")
    repo.checkout("team/beta", create=True)
    repo.git("merge", "-q", "--no-ff", "-m", "beta takes alpha", "team/alpha")
    repo.commit("beta", {"shared/config.py": replaced(config, {5: "alpha\n", 6: "beta\n"})})
    repo.checkout("main")
    repo.checkout("team/gamma", create=True)
    repo.commit("gamma", {"shared/config.py": replaced(config, {5: "gamma\n"})})
    repo.checkout("main")
    expected = git_pairs(repo, ["alpha", "beta", "gamma"])
    assert predicted_pairs(repo) == expected
    assert frozenset(("alpha", "beta")) not in expected
    assert frozenset(("alpha", "gamma")) in expected and frozenset(("beta", "gamma")) in expected


def test_same_rename_with_edits_follows_libgit2_not_git_cli(repo: GitRepo) -> None:
    """Pinned divergence: both teams rename a file to one new name and edit different
    lines. git merge-tree merges the edits; libgit2, whose merge gitorch integrate makes,
    stops; gitorch predicts the stop (an overlap that git's CLI would not raise)."""
    repo.commit("base", {"gitorch.yaml": MANIFEST, "shared/f.py": WIDGET})
    for team, line in (("alpha", 1), ("beta", 15)):
        repo.checkout("main")
        repo.checkout(f"team/{team}", create=True)
        repo.commit(team, {"shared/f.py": None,
                           "shared/g.py": replaced(WIDGET, {line: f"{team}\n"})})
    repo.checkout("main")
    assert git_pairs(repo, ["alpha", "beta"]) == {}
    store = pygit2.Repository(str(repo.path))
    trees = [store.revparse_single(r).peel(pygit2.Tree).id
             for r in ("main", "team/alpha", "team/beta")]
    assert store.merge_trees(trees[0], trees[1], trees[2]).conflicts is not None
    report = find_conflicts(store, load_manifest(repo.path / "gitorch.yaml"))
    assert [(c.path, c.kind, c.detail) for c in report.conflicts] == [
        ("shared/f.py", "overlap", "same rename")]


def test_overlaps_only_leaves_out_clean_pairs_but_counts_them(teams_repo: GitRepo,
                                                              cli: Cli) -> None:
    full = cli("conflicts", cwd=teams_repo.path).output.splitlines()
    result = cli("conflicts", "--overlaps-only", cwd=teams_repo.path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines == [line for line in full
                     if "(merges cleanly)" not in line
                     and line not in ("README.md (owner shared)", "src/ui/widget.py (owner gamma)")]
    assert lines[-1] == "5 overlaps and 6 same-file changes between 4 teams"
