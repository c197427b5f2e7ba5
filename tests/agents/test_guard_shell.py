"""The guard on shell commands (before: best effort; after: what the command changed) and
when the agent stops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.agents import shell
from tests.agents.conftest import Shop, assert_allowed, assert_refused, event, guard
from tests.conftest import git

SHELLS = [("claude", "claude-bash"), ("codex", "codex-bash"), ("gemini", "gemini-shell"),
          ("cursor", "cursor-shell")]

REFUSED = [
    ("git commit --no-verify -m wip", "'--no-verify' skips the commit hooks"),
    ("git commit -anm wip", "'git commit -n' skips the commit hooks"),
    ("git add -A && git commit -qnm wip", "'git commit -n' skips the commit hooks"),
    ("git -c core.hooksPath=/dev/null commit -m wip", "'core.hooksPath' would swap out"),
    ("git config --worktree core.hookspath /tmp/h", "'core.hooksPath' would swap out"),
    ("git config --unset extensions.worktreeConfig",
     "'git config extensions.worktreeconfig' changes how gitorch guards"),
    ("git config gitorch.base elsewhere", "'git config gitorch.base' changes how gitorch guards"),
    ("git push origin team/beta", "pushes team/beta, which is not your team branch team/alpha"),
    ("git push origin HEAD:refs/heads/main", "pushes main, which is not your team branch"),
    ("git push --all origin", "'git push --all' pushes more than your team branch"),
    ("git push origin :team/alpha", "deletes team/alpha on the server"),
    ("git update-ref refs/heads/main HEAD", "moves a ref that is not your team branch"),
    ("echo 'x = 1' > src/api/x.py", "src/api/x.py is owned by team beta"),
    ("cat notes >> ../beta/src/api/x.py", "is in team beta's worktree"),
    ("generate | tee -a src/api/gen.py", "src/api/gen.py is owned by team beta"),
    ("(cd src && ls) ; sed -n 1p README.md > src/api/first.txt", "src/api/first.txt is owned"),
]
ALLOWED = [
    "ls -la src",
    "python -m pytest -q 2>/dev/null > /tmp/pytest.log",
    "echo 'x = 1' > src/core/x.py",
    "git commit -m 'no -n here: -m takes the message' -m next",
    "git commit -m wip",
    "git push origin team/alpha",
    "git push -u origin HEAD",
    "git push",
    "git log --oneline | head -3",
]


@pytest.mark.parametrize(("agent", "name"), SHELLS)
def test_shell_commands_before_they_run(agent: str, name: str, shared_shop: Shop) -> None:
    cwd = str(shared_shop.alpha)
    for command, phrase in REFUSED:
        reason = assert_refused(agent, guard(agent, event(name, cwd=cwd, command=command)),
                                phrase)
        assert "Team alpha may write: src/core/**" in reason, command
    for command in ALLOWED:
        outcome = guard(agent, event(name, cwd=cwd, command=command))
        assert outcome.code == 0, (command, outcome)
        assert_allowed(agent, outcome)


def test_a_codex_patch_sent_through_the_shell_is_judged_as_a_patch(shared_shop: Shop) -> None:
    command = ("apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: src/api/sneaky.py\n+x\n"
               "*** End Patch\nEOF\n")
    assert_refused("codex", guard("codex", event("codex-bash", cwd=str(shared_shop.alpha),
                                                 command=command)),
                   "src/api/sneaky.py is owned by team beta")


def test_shell_commands_outside_team_worktrees_are_let_through(shared_shop: Shop) -> None:
    assert_allowed("claude", guard("claude", event("claude-bash", cwd=str(shared_shop.main),
                                                   command="git commit --no-verify -m lead")))


def _dirty(shop: Shop) -> None:
    a = shop.alpha
    (a / "src" / "api" / "app.py").write_text("app = 2\n")              # tracked, changed
    (a / "src" / "api" / "new.py").write_text("new = 1\n")              # untracked
    (a / "src" / "core" / "fine.py").write_text("fine = 1\n")           # in scope
    git(a, "mv", "src/core/mv.py", "src/api/moved.py")                  # a rename out of scope


LISTED = ["gitorch: 3 files in this worktree changed outside team alpha's scope:",
          "    src/api/app.py  (beta)", "    src/api/moved.py  (beta)", "    src/api/new.py  (beta)",
          "Revert them now (the commit hooks and the server refuse them anyway):",
          "    git restore --source=HEAD --staged --worktree -- src/api/app.py",
          "    git rm -f -q -- src/api/moved.py", "    rm -- src/api/new.py"]


def test_after_a_shell_command_claude_is_told_what_to_revert(shop: Shop) -> None:
    clean = guard("claude", event("claude-post-bash", cwd=str(shop.alpha), command="make"))
    assert_allowed("claude", clean)
    _dirty(shop)
    outcome = guard("claude", event("claude-post-bash", cwd=str(shop.alpha), command="make"))
    assert outcome.code == 2
    message = outcome.stderr.rstrip("\n")
    assert message.splitlines()[:len(LISTED)] == LISTED
    assert "--on beta" in message
    assert json.loads(outcome.stdout) == {"decision": "block", "reason": message}
    # the advice works: after it, nothing is left
    for line in LISTED[5:]:
        git(shop.alpha, *line.split()[1:]) if line.strip().startswith("git") else \
            (shop.alpha / line.split()[-1]).unlink()
    assert_allowed("claude", guard("claude", event("claude-post-bash", cwd=str(shop.alpha),
                                                   command="make")))


def test_when_the_agent_stops(shop: Shop) -> None:
    _dirty(shop)
    cwd = str(shop.alpha)
    first = guard("claude", event("claude-stop", cwd=cwd))
    assert first.code == 2 and json.loads(first.stdout)["decision"] == "block"
    again = guard("claude", event("claude-stop-again", cwd=cwd))   # already told once: no loop
    assert again.code == 0 and again.stderr == ""
    assert json.loads(again.stdout)["systemMessage"].startswith(LISTED[0])
    codex = guard("codex", event("codex-stop", cwd=cwd))
    assert codex.code == 2 and LISTED[1] in codex.stderr
    gemini = guard("gemini", event("gemini-after-agent", cwd=cwd))
    assert gemini.code == 2 and json.loads(gemini.stdout)["decision"] == "deny"
    after_tool = guard("gemini", event("gemini-after-shell", cwd=cwd, command="make"))
    data = json.loads(after_tool.stdout)
    assert after_tool.code == 0       # the command's output stays; the list is added to it
    assert data["hookSpecificOutput"]["additionalContext"].startswith(LISTED[0])
    cursor = guard("cursor", event("cursor-stop", cwd=cwd))
    assert cursor.code == 0 and json.loads(cursor.stdout)["followup_message"].startswith(LISTED[0])


def test_an_unreadable_event_is_refused_in_one_line(shared_shop: Shop) -> None:
    for agent in ("claude", "codex", "gemini", "cursor"):
        outcome = guard(agent, "{not json")
        reason = assert_refused(agent, outcome, "cannot read the hook input")
        assert "\n" not in reason


def test_the_policy_is_the_base_branchs_not_the_worktrees(shop: Shop) -> None:
    # alpha widens its own copy of the manifest: the guard still reads main's
    manifest = shop.alpha / "gitorch.yaml"
    manifest.write_text(manifest.read_text().replace('owns: ["src/core/**"]',
                                                     'owns: ["src/core/**", "src/api/**"]'))
    assert_refused("claude", guard("claude", event("claude-write", cwd=str(shop.alpha),
                                                   path=f"{shop.alpha}/src/api/x.py")),
                   "src/api/x.py is owned by team beta")


def test_an_environment_variable_names_no_team_and_no_policy(shop: Shop, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    loose = tmp_path / "loose.yaml"
    loose.write_text("version: 1\nproject: x\nteams:\n  alpha:\n    owns: ['**']\n")
    monkeypatch.setenv("GITORCH_MANIFEST", str(loose))
    monkeypatch.setenv("GITORCH_TEAM", "beta")
    assert_refused("claude", guard("claude", event("claude-write", cwd=str(shop.alpha),
                                                   path=f"{shop.alpha}/src/api/x.py")),
                   "src/api/x.py is owned by team beta, not by team alpha")


def test_a_broken_policy_refuses_in_one_line(shop: Shop) -> None:
    shop.repo.commit("Break the manifest", {"gitorch.yaml": "version: 1\nteams: [\n"})
    reason = assert_refused("claude", guard("claude", event("claude-write", cwd=str(shop.alpha),
                                                            path=f"{shop.alpha}/src/core/x.py")),
                            "no readable gitorch policy (gitorch.yaml on main: invalid manifest")
    assert reason.splitlines()[0].startswith("gitorch: refused: no readable gitorch policy")


def test_a_team_worktree_on_another_branch_is_refused(shop: Shop) -> None:
    git(shop.alpha, "switch", "-q", "-c", "side")
    assert_refused("claude", guard("claude", event("claude-write", cwd=str(shop.alpha),
                                                   path=f"{shop.alpha}/src/core/x.py")),
                   "belongs to team alpha but has side checked out",
                   f"git -C {shop.alpha} switch team/alpha")


def test_a_repository_without_gitorch_is_none_of_its_business(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    (other / "f").write_text("x\n")
    git(other, "add", "f")
    git(other, "commit", "-qm", "x")
    assert_allowed("claude", guard("claude", event("claude-write", cwd=str(other),
                                                   path=f"{other}/anything.py")))


def test_a_moved_base_is_read_again(shop: Shop) -> None:
    path = f"{shop.alpha}/src/api/x.py"
    assert_refused("claude", guard("claude", event("claude-write", cwd=str(shop.alpha),
                                                   path=path)))
    shop.repo.commit("beta's paths go to alpha", {"gitorch.yaml": (
        shop.main / "gitorch.yaml").read_text().replace('owns: ["src/api/**"]',
                                                        'owns: ["src/web/**"]').replace(
        'owns: ["src/core/**"]', 'owns: ["src/core/**", "src/api/**"]')})
    assert_allowed("claude", guard("claude", event("claude-write", cwd=str(shop.alpha),
                                                   path=path)))
    shop.repo.git("pack-refs", "--all")          # the tip now read from packed-refs
    assert_allowed("claude", guard("claude", event("claude-write", cwd=str(shop.alpha),
                                                   path=path)))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=[*"ab-=/.*$`~12", " ", "\t", "\r", "\n", ";", "(", ")", "<", ">", "|",
                        "&", "'", '"', "\\", "#", "é"], max_size=24))
def test_commands_are_read_as_shlex_reads_them(command: str) -> None:
    """The common command is tokenized without shlex (which imports ``re``): word for word
    as shlex tokenizes it."""
    assert shell.tokens(command) == shell._shlex_tokens(command)
