"""A pull request as GitHub Actions sees it: a clone with origin/* branches and HEAD
detached at the pull request's merge commit, plus the runner's environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_MANIFEST, GitRepo

BASE_FILES = {
    "gitorch.yaml": MINIMAL_MANIFEST,
    "README.md": "# shop\n",
    "src/core/models.py": "A = 1\n",
    "src/api/views.py": "def view():\n    return 1\n",
}


@dataclass
class Actions:
    """The runner's files and the clone the job works in."""

    clone: GitRepo
    summary: Path
    output: Path
    monkeypatch: pytest.MonkeyPatch

    def pull_request(self, head: str, base: str = "main", *, actor: str = "alice") -> str:
        """Check out the merge of origin/<head> into origin/<base>, as actions/checkout does."""
        c = self.clone
        c.git("fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*")
        c.git("checkout", "-q", "--detach", f"origin/{base}")
        c.git("merge", "-q", "--no-ff", "-m", f"Merge {head} into {base}", f"origin/{head}")
        for name in c.git("for-each-ref", "--format=%(refname:short)", "refs/heads").stdout.split():
            c.git("branch", "-q", "-D", name)
        sha = c.head()
        env = {"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_BASE_REF": base,
               "GITHUB_HEAD_REF": head, "GITHUB_SHA": sha, "GITHUB_ACTOR": actor,
               "GITHUB_EVENT_NAME": "pull_request", "GITHUB_STEP_SUMMARY": str(self.summary),
               "GITHUB_OUTPUT": str(self.output)}
        for name, value in env.items():
            self.monkeypatch.setenv(name, value)
        return sha


@pytest.fixture
def upstream(make_repo: object) -> GitRepo:
    """The shared repository: main with the manifest; no team branch yet."""
    assert callable(make_repo)
    r = make_repo("upstream")
    assert isinstance(r, GitRepo)
    r.commit("init", dict(BASE_FILES))
    return r


@pytest.fixture
def actions(upstream: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Actions:
    clone_path = tmp_path / "clone"
    upstream.git("clone", "-q", str(upstream.path), str(clone_path))
    clone = GitRepo.__new__(GitRepo)
    clone.path = clone_path
    runner = tmp_path / "runner"
    runner.mkdir()
    summary, output = runner / "step_summary.md", runner / "output.txt"
    summary.write_text("")
    output.write_text("")
    return Actions(clone=clone, summary=summary, output=output, monkeypatch=monkeypatch)
