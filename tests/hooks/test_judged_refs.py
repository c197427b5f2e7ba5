"""Already judged means reachable from the refs the hook governs (branches and tags), not
from refs a hosting server writes itself, outside pre-receive."""

from __future__ import annotations

import pytest

from tests.hooks.conftest import Server, on_branch, push

# Refs that GitLab, Gitea, GitHub Enterprise (and mirrors) write without running the hook.
PARKED = ["refs/pull/7/head", "refs/pull/7/merge", "refs/merge-requests/7/head",
          "refs/keep-around/{sha}", "refs/remotes/origin/team/alpha", "refs/changes/07/7/1"]


def park(server: Server, sha: str, ref: str) -> None:
    """Put ``sha`` under ``ref`` the way a hosting server does: objects fetched into the bare
    repository (no pre-receive runs), then ``git update-ref``."""
    server.bare.git("fetch", "-q", str(server.clone.path), sha)
    server.bare.git("update-ref", ref.format(sha=sha), sha)


@pytest.mark.parametrize("parked", PARKED)
def test_a_commit_parked_under_an_ungoverned_ref_is_still_judged(server: Server,
                                                                   parked: str) -> None:
    c = server.clone
    on_branch(c, "fork")
    bad = c.commit("Fork request: alpha edits the API", {"src/api/app.py": "forked\n"})
    park(server, bad, parked)
    on_branch(c, "team/alpha", bad)
    good = c.commit("Core on top", {"src/core/x.py": "x\n"})
    result = push(c, "team/alpha", user="alice")
    assert result.code == 1
    assert result.remote[:3] == [
        "gitorch: REFUSED refs/heads/team/alpha: 1 commit of 2 changes paths outside team "
        "alpha's scope",
        f"  {bad[:8]} Fork request: alpha edits the API",
        "    src/api/app.py  (owner: beta)"]
    assert server.ref("refs/heads/team/alpha") is None
    assert good


def test_commits_on_branches_and_tags_count_as_judged(server: Server) -> None:
    c = server.clone
    c.commit("Integrator fixes the API", {"src/api/app.py": "fixed\n"})
    c.git("tag", "-a", "-m", "release", "v1")
    assert push(c, "v1", user="lead").code == 0                  # a tag: an integrator's
    on_branch(c, "team/alpha", "v1")
    c.commit("Core", {"src/core/x.py": "x\n"})
    result = push(c, "team/alpha", user="alice")
    assert result.code == 0, result.stderr
    assert result.remote == ["gitorch: ok refs/heads/team/alpha: 1 new commit within team "
                             "alpha's scope"]
