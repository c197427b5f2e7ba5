"""Awkward names through `gitorch integrate`: merged, conflicted, dropped and reported,
with the corpus in one run and generated names in a property test."""

from __future__ import annotations

import json
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from gitorch.manifest.pathnames import shown
from tests.conftest import Cli, GitRepo
from tests.integrate.conftest import MANIFEST as WITH_TARGETS
from tests.names import commit_files, corpus, ls_tree_paths, paths

MANIFEST = WITH_TARGETS.replace("    target_loc: [10, 20]\n", "")   # no line-count gate
assert MANIFEST != WITH_TARGETS
TEXT = "".join(f"line {i}\n" for i in range(1, 11))


def line(n: int, text: str, base: str = TEXT) -> str:
    lines = base.splitlines(keepends=True)
    lines[n - 1] = text + "\n"
    return "".join(lines)


def blob(repo: Path, rev: str, path: str) -> bytes:
    """The file at ``rev:path``, read by tree entry (the path may hold a newline)."""
    listing = subprocess.run(["git", "ls-tree", "-z", rev, "--", path], cwd=repo,
                             capture_output=True, check=True).stdout
    oid = listing.split(b"\t", 1)[0].split()[2].decode()
    return subprocess.run(["git", "cat-file", "blob", oid], cwd=repo, capture_output=True,
                          check=True).stdout


def integrate(cli: Cli, repo: Path, out: Path, *args: str) -> tuple[int, dict[str, object]]:
    (out.parent / "m.yaml").write_text(MANIFEST)
    result = cli("--manifest", str(out.parent / "m.yaml"), "integrate", "--json", *args,
                 "--format", "md,json,junit,html", "--report", str(out / "report.md"),
                 cwd=repo)
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return result.exit_code, data


def test_the_corpus_merged_conflicted_dropped_and_reported(repo: GitRepo, cli: Cli,
                                                           tmp_path: Path) -> None:
    docs = corpus("docs")
    odd, even = docs[1::2], docs[::2]
    foreign = corpus("src/cli")[:12]
    base = commit_files(repo.path, "base", {"gitorch.yaml": MANIFEST,
                                            **dict.fromkeys(docs, TEXT)}, ref="refs/heads/main")
    alpha, beta, gamma = corpus("src/core"), corpus("src/api"), corpus("src/ui")
    commit_files(repo.path, "alpha", {**dict.fromkeys(alpha, "a\n"),
                                      **dict.fromkeys(docs, line(2, "alpha"))},
                 ref="refs/heads/team/alpha", parent=base)
    commit_files(repo.path, "beta", {**dict.fromkeys(beta, "b\n"),
                                     **dict.fromkeys(odd, line(2, "beta")),
                                     **dict.fromkeys(even, line(9, "beta")),
                                     **dict.fromkeys(foreign, "not mine\n")},
                 ref="refs/heads/team/beta", parent=base)
    commit_files(repo.path, "gamma", dict.fromkeys(gamma, "g\n"), ref="refs/heads/team/gamma",
                 parent=base)
    repo.git("update-ref", "refs/heads/team/delta", base)       # nothing yet: not skipped
    out = tmp_path / "out"
    code, data = integrate(cli, repo.path, out, "--fix")
    assert code == 0, data
    assert data["merged"] == ["alpha", "beta", "gamma"]
    files = ls_tree_paths(repo.path, "integration")
    assert set(alpha) | set(beta) | set(gamma) | set(docs) <= files
    assert not files & set(foreign)
    for path in odd[:5]:
        assert blob(repo.path, "integration", path) == line(2, "alpha").encode()
    for path in even[:5]:
        assert blob(repo.path, "integration", path) == line(9, "beta", line(2, "alpha")).encode()
    assert sorted(c["path"] for c in data["conflicts"]) == sorted(odd)   # type: ignore[attr-defined]
    dropped = {d["path"]: d["reason"] for d in data["dropped"]}          # type: ignore[attr-defined]
    assert set(dropped) == set(odd) | set(foreign)
    # Every report names each path on one line, quoted as git quotes it where needed.
    markdown = (out / "report.md").read_text()
    rows = [r for r in markdown.split("\n") if r.startswith("| ")]
    assert all(r.endswith(" |") for r in rows)
    assert all(shown(p).replace("|", "\\|") in markdown for p in odd + foreign)  # a table cell
    page = (out / "report.html").read_text()
    assert all(str(escape(shown(p))) in page for p in odd + foreign)   # as the template escapes
    junit = ET.parse(out / "report.xml").getroot()
    assert junit.get("failures") == "0"
    message = repo.git("log", "-1", "--format=%B", "integration^").stdout
    assert all(f"  {shown(p)}: kept alpha" in message for p in odd)
    # The saved patch gives back what was dropped, names and bytes: the out-of-scope files
    # as beta wrote them, beta's lost line next to alpha's (nothing of alpha's removed).
    saved = repo.git("for-each-ref", "--format=%(refname)", "refs/gitorch/dropped").stdout.split()
    (beta_ref,) = [r for r in saved if r.endswith("/beta")]
    index = {"GIT_INDEX_FILE": str(tmp_path / "index")}
    repo.git("read-tree", "integration", env=index)
    repo.git("apply", "--cached", str(out / "dropped" / "beta.patch"), env=index)
    patched = repo.git("write-tree", env=index).stdout.strip()
    for path in foreign:
        assert blob(repo.path, patched, path) == blob(repo.path, beta_ref, path)
    for path in odd:
        assert blob(repo.path, patched, path) == line(2, "alpha\nbeta").encode()


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(paths, min_size=1, max_size=4), min_size=3, max_size=3))
def test_generated_names_all_reach_the_integration_branch(per_team: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        base = commit_files(repo, "base", {"gitorch.yaml": MANIFEST}, ref="refs/heads/main")
        expected = {"gitorch.yaml"}
        for team, where, names in zip(("alpha", "beta", "gamma"), ("core", "api", "ui"),
                                      per_team, strict=True):
            tip = commit_files(repo, team, {f"src/{where}/{n}": f"{team}\n" for n in names},
                               ref=f"refs/heads/team/{team}", parent=base)
            expected |= ls_tree_paths(repo, tip)
        subprocess.run(["git", "update-ref", "refs/heads/team/delta", base], cwd=repo, check=True)
        code, data = integrate(Cli(repo), repo, Path(tmp) / "out")
        assert code == 0, data
        assert data["merged"] == ["alpha", "beta", "gamma"]
        assert ls_tree_paths(repo, "integration") == expected
