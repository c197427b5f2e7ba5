"""gitorch agents setup (and init-worktrees): the brief where each agent reads it, the hook
settings, untracked and excluded; merged into what the user had; tracked files untouched."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from gitorch.agents.files import guard_command
from tests.agents.conftest import SEED, Shop, make_shop
from tests.conftest import Cli, GitRepo, git

WRITTEN = ["GITORCH.md", "CLAUDE.local.md", ".claude/settings.json", "AGENTS.override.md",
           ".codex/hooks.json", ".gemini/settings.json", ".cursor/rules/gitorch.mdc",
           ".cursor/hooks.json", ".aider.conf.yml"]


def test_every_agent_gets_the_brief_and_the_guard(shop: Shop) -> None:
    a = shop.alpha
    brief = (a / "GITORCH.md").read_text()
    assert brief.startswith("# Team ALPHA — shop\n")
    assert len(brief.splitlines()) < 200 and len(brief.encode()) < 32 * 1024
    assert "- **beta**: `src/api/**`" in brief           # what is not alpha's, and whose it is
    assert "**alpha-db**: `src/core/db/**`" in brief      # its sub-team's part of its paths
    assert "## When gitorch refuses an edit" in brief and "--on OWNER" in brief
    assert "@GITORCH.md" in (a / "CLAUDE.local.md").read_text()
    override = (a / "AGENTS.override.md").read_text()
    assert brief.rstrip() in override and override.rstrip().endswith("# Rules\nRun the tests.\n"
                                                                     "<!-- gitorch:end -->")
    gemini = json.loads((a / ".gemini/settings.json").read_text())
    assert gemini["context"]["fileName"] == ["GITORCH.md", "AGENTS.md", "GEMINI.md"]
    rule = (a / ".cursor/rules/gitorch.mdc").read_text()
    assert rule.startswith("---\ndescription: ") and "\nalwaysApply: true\n---\n" in rule
    assert brief.rstrip() in rule
    aider = yaml.safe_load((a / ".aider.conf.yml").read_text())
    assert aider == {"read": ["GITORCH.md"], "git-commit-verify": True}
    command = guard_command("claude", before=False)
    assert guard_command("claude") == f"{command} || exit 2"     # fails closed before a tool
    claude = json.loads((a / ".claude/settings.json").read_text())
    assert claude == {"hooks": {
        "PreToolUse": [{"matcher": "^(Write|Edit|MultiEdit|NotebookEdit|Bash|mcp__.+__("
                                   "write_file|edit_file|create_directory|move_file|edit_block|"
                                   "create_text_file|replace_content|replace_regex|"
                                   "replace_symbol_body|insert_after_symbol|insert_before_symbol|"
                                   "replace_lines|delete_lines|insert_at_line))$",
                        "hooks": [{"type": "command", "command": f"{command} || exit 2"}]}],
        "PostToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": command}]}],
        "Stop": [{"hooks": [{"type": "command", "command": command}]}]}}
    codex = json.loads((a / ".codex/hooks.json").read_text())
    assert sorted(codex["hooks"]) == ["PostToolUse", "PreToolUse", "Stop"]
    assert codex["hooks"]["PreToolUse"][0]["matcher"] == "apply_patch|Bash"
    assert sorted(gemini["hooks"]) == ["AfterAgent", "AfterTool", "BeforeTool"]
    cursor = json.loads((a / ".cursor/hooks.json").read_text())
    assert cursor["version"] == 1 and sorted(cursor["hooks"]) == [
        "beforeMCPExecution", "beforeShellExecution", "preToolUse", "stop"]


def test_everything_is_untracked_and_excluded(shop: Shop) -> None:
    for tree in (shop.alpha, shop.alpha_db, shop.beta):
        assert git(tree, "status", "--porcelain", "--untracked-files=all").stdout == ""
        for rel in WRITTEN:
            assert (tree / rel).is_file(), rel
            assert git(tree, "check-ignore", "-q", rel, check=False).returncode == 0, rel
    exclude = (shop.main / ".git" / "info" / "exclude").read_text()
    assert [f"/{r}" for r in WRITTEN] == [line for line in exclude.splitlines()
                                          if line.startswith("/")]


def test_setup_again_changes_nothing(shop: Shop, cli: Cli) -> None:
    result = cli("agents", "setup", "--json", cwd=shop.main)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["policy"] == "gitorch.yaml on main" and data["missing"] == []
    actions = {f["action"] for w in data["worktrees"] for f in w["files"]}
    assert actions == {"unchanged"}
    assert [w["team"] for w in data["worktrees"]] == ["alpha", "alpha-db", "beta"]


def test_existing_settings_are_merged_not_replaced(shop: Shop, cli: Cli) -> None:
    settings = shop.alpha / ".claude" / "settings.json"
    mine = {"permissions": {"allow": ["Bash(make test)"]},
            "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
                {"type": "command", "command": "my-audit-log"}]}]}}
    settings.write_text(json.dumps(mine))
    (shop.alpha / "CLAUDE.local.md").write_text("My own notes.\n")
    for _ in range(2):
        assert cli("agents", "setup", "--agent", "claude", cwd=shop.main).exit_code == 0
    data = json.loads(settings.read_text())
    assert data["permissions"] == {"allow": ["Bash(make test)"]}
    pre = data["hooks"]["PreToolUse"]
    assert pre[0] == {"matcher": "Bash", "hooks": [{"type": "command", "command": "my-audit-log"}]}
    assert [h["command"] for g in pre for h in g["hooks"]].count(guard_command("claude")) == 1
    local = (shop.alpha / "CLAUDE.local.md").read_text()
    assert local.count("@GITORCH.md") == 1 and local.endswith("My own notes.\n")


def test_a_settings_file_that_is_no_json_is_left_alone(shop: Shop, cli: Cli) -> None:
    broken = shop.alpha / ".codex" / "hooks.json"
    broken.write_text("{ not json")
    result = cli("agents", "setup", "--agent", "codex", "--json", cwd=shop.main)
    assert result.exit_code == 0
    files = {f["path"]: f for w in json.loads(result.output)["worktrees"] for f in w["files"]}
    assert files[str(broken)]["action"] == "skipped"
    assert files[str(broken)]["note"].startswith("not valid JSON")
    assert broken.read_text() == "{ not json"


def test_a_tracked_file_is_never_overwritten(tmp_path: Path, cli: Cli) -> None:
    tracked = {"CLAUDE.local.md": "Team-wide notes.\n",
               ".claude/settings.json": '{"model": "opus"}\n'}
    shop = make_shop(tmp_path, cli, agents="claude", seed=tracked)
    for rel, text in tracked.items():
        assert (shop.alpha / rel).read_text() == text
    local = json.loads((shop.alpha / ".claude" / "settings.local.json").read_text())
    assert "PreToolUse" in local["hooks"]                 # the hooks went to the local file
    assert git(shop.alpha, "status", "--porcelain").stdout == ""
    text = cli("agents", "setup", "--agent", "claude", cwd=shop.main).output
    assert "skipped CLAUDE.local.md: tracked in the repository" in text


def test_only_the_agents_named(tmp_path: Path, cli: Cli) -> None:
    shop = make_shop(tmp_path, cli, agents="codex,aider")
    present = sorted(str(p.relative_to(shop.alpha)) for p in shop.alpha.rglob("*")
                     if p.is_file() and ".git" not in p.parts and "src" not in p.parts
                     and p.name not in SEED)
    assert present == [".aider.conf.yml", ".codex/hooks.json", "AGENTS.override.md", "GITORCH.md"]
    bad = cli("agents", "setup", "--agent", "claude,vim", cwd=shop.main)
    assert bad.exit_code == 2
    assert bad.output == ("gitorch: unknown agent 'vim'; name some of: claude, codex, gemini, "
                          "cursor, aider (comma-separated)\n")


def test_a_long_agents_md_is_reported(tmp_path: Path, cli: Cli) -> None:
    shop = make_shop(tmp_path, cli, agents="codex",
                     seed={"AGENTS.md": "# Rules\n" + "Keep it tidy.\n" * 3000})
    text = cli("agents", "setup", "--agent", "codex", "--json", cwd=shop.main).output
    files = {f["path"]: f for w in json.loads(text)["worktrees"] for f in w["files"]}
    override = files[str(shop.alpha / "AGENTS.override.md")]
    assert override["action"] == "unchanged"
    assert override["note"] == ("44 KiB: Codex reads the first 32 KiB (the brief comes first; "
                                "the end of AGENTS.md is cut)")
    assert (shop.alpha / "AGENTS.override.md").read_text().startswith(
        "<!-- gitorch:begin (written by 'gitorch agents setup'; rerun it rather than edit) -->\n"
        "# Team ALPHA")


def test_the_old_brief_goes(tmp_path: Path, cli: Cli) -> None:
    shop = make_shop(tmp_path, cli, agents="claude")
    old = shop.alpha / "TEAM_BRIEF.md"
    old.write_text("# Team ALPHA — shop\n")
    assert cli("agents", "setup", "--agent", "claude", cwd=shop.main).exit_code == 0
    assert not old.exists()


def test_a_big_manifest_keeps_the_brief_short(tmp_path: Path, cli: Cli) -> None:
    teams = "".join(f"  t{i:03d}:\n    description: {'word ' * 20}\n    owns: "
                    f"[\"src/t{i:03d}/**\", \"tests/t{i:03d}/**\", \"docs/t{i:03d}/**\"]\n"
                    for i in range(300))
    repo = GitRepo(tmp_path / "big")
    repo.commit("seed", {"gitorch.yaml": f"version: 1\nproject: big\nteams:\n{teams}",
                         "README.md": "x\n"})
    repo.git("worktree", "add", "-q", "-b", "team/t007", str(tmp_path / "big-worktrees" / "t007"))
    result = cli("agents", "setup", "--agent", "claude", cwd=repo.path)
    assert result.exit_code == 0, result.output
    brief = (tmp_path / "big-worktrees" / "t007" / "GITORCH.md").read_text()
    assert len(brief.splitlines()) <= 200 and len(brief.encode()) <= 32 * 1024
    assert "more teams: `gitorch owner PATH` names the owner of any path" in brief
    assert "## When gitorch refuses an edit" in brief
    assert "t299: no worktree on its branch" in result.output


def test_setup_needs_the_manifest_on_the_base(tmp_path: Path, cli: Cli) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("seed", {"README.md": "x\n"})
    (repo.path / "gitorch.yaml").write_text(SEED["gitorch.yaml"])    # not committed
    result = cli("agents", "setup", cwd=repo.path)
    assert result.exit_code == 2
    assert result.output == ("gitorch: the guard would find no policy: no gitorch.yaml on main "
                             "(nor on origin/main); commit a valid gitorch.yaml to main, then "
                             "run 'gitorch agents setup' again\n")
