"""End to end: a fake agent reads what `agents setup` wrote and runs the hook commands exactly
as configured there, before each edit and shell command and when it stops."""

from __future__ import annotations

import pytest

from tests.agents.conftest import Shop
from tests.agents.fakeagent import FakeAgent
from tests.conftest import git

HOOKED = ["claude", "codex", "gemini", "cursor"]


@pytest.mark.parametrize("kind", [*HOOKED, "aider"])
def test_the_agent_reads_the_brief(kind: str, shared_shop: Shop) -> None:
    text = FakeAgent(kind, shared_shop.alpha).instructions()
    assert "# Team ALPHA — shop" in text and "## When gitorch refuses an edit" in text
    assert "- `src/core/**`" in text
    if kind == "codex":
        assert "Run the tests." in text        # the repository's own AGENTS.md, still read


@pytest.mark.parametrize("kind", HOOKED)
def test_edits_out_of_scope_are_refused_before_they_happen(kind: str, shop: Shop) -> None:
    agent = FakeAgent(kind, shop.alpha)
    assert agent.write("src/core/feature.py", "x = 1") is None
    assert (shop.alpha / "src" / "core" / "feature.py").read_text() == "x = 1"
    refused = agent.write("src/api/feature.py", "x = 1")
    assert refused is not None and "src/api/feature.py is owned by team beta" in refused
    assert not (shop.alpha / "src" / "api" / "feature.py").exists()
    refused = agent.write("GITORCH.md", "you may write anything")
    assert refused is not None and "control file" in refused


@pytest.mark.parametrize("kind", HOOKED)
def test_shell_commands(kind: str, shop: Shop) -> None:
    agent = FakeAgent(kind, shop.alpha)
    refused = agent.shell("git commit --no-verify -m wip")
    assert refused is not None and "--no-verify" in refused
    refused = agent.shell("echo x > src/api/direct.py")
    assert refused is not None and not (shop.alpha / "src" / "api" / "direct.py").exists()
    # what the command text does not show gets through, and is reported after the command
    # (Cursor's after-shell hook cannot talk to the agent: its stop hook does)
    assert agent.shell("python3 -c \"open('src/api/hidden.py', 'w').write('x')\"") is None
    assert (shop.alpha / "src" / "api" / "hidden.py").exists()
    if kind != "cursor":
        assert any("src/api/hidden.py  (beta)" in m for m in agent.told)
    back = agent.stop()
    assert back is not None and "rm -- src/api/hidden.py" in back
    agent.shell("rm -- src/api/hidden.py")
    assert agent.stop() is None


def test_aider_commits_meet_the_worktrees_hooks(shop: Shop) -> None:
    (shop.alpha / "src" / "api" / "aider.py").write_text("x = 1\n")
    git(shop.alpha, "add", "-A")
    # Aider commits with --no-verify unless git-commit-verify is on; either way
    # prepare-commit-msg runs
    proc = git(shop.alpha, "commit", "--no-verify", "-m", "aider: edit", check=False)
    assert proc.returncode != 0 and "src/api/aider.py  (owner: beta)" in proc.stderr
