"""The entry the settings files run: a whole process, answering as each agent expects,
without click, pygit2, YAML or rich on its way (the manifest comes from the cache)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gitorch.agents.files import guard_command
from gitorch.agents.githooks import GUARD_FILE
from tests.agents.conftest import Shop, event, guard_process
from tests.conftest import Cli


def test_the_process_answers_in_both_forms(shared_shop: Shop) -> None:
    shop = shared_shop
    text = event("claude-write", cwd=str(shop.alpha), path=f"{shop.alpha}/src/api/x.py")
    proc = guard_process("claude", text, shop.alpha)
    assert proc.returncode == 2
    reason = proc.stderr.rstrip("\n")
    assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecisionReason"] == reason
    assert reason.startswith("gitorch: refused: src/api/x.py is owned by team beta")
    fine = guard_process("gemini", event("gemini-write-file", cwd=str(shop.alpha),
                                         path="src/core/ok.py"), shop.alpha)
    assert (fine.returncode, fine.stdout, fine.stderr) == (0, "{}\n", "")


def test_the_click_command_gives_the_same_answer(shared_shop: Shop, cli: Cli) -> None:
    shop = shared_shop
    text = event("cursor-write", cwd=str(shop.alpha), path=f"{shop.alpha}/src/api/x.py")
    entry = guard_process("cursor", text, shop.alpha)
    command = subprocess.run([sys.executable, "-m", "gitorch", "guard", "--agent", "cursor"],
                             input=text, cwd=shop.alpha, capture_output=True, text=True)
    assert (command.returncode, command.stdout, command.stderr) == (
        entry.returncode, entry.stdout, entry.stderr)
    assert cli("guard", "--agent", "vim", cwd=shop.alpha).exit_code == 2


def test_no_heavy_import_on_the_way(shared_shop: Shop) -> None:
    """While the base branch does not move, a decision starts no git and imports no
    subprocess, nor anything heavier than the interpreter's own start-up: the tip is read
    from the ref files, the policy from its compiled form (marshal), JSON through ``_json``
    (``json`` imports ``re``), and a plain directory scope is matched as a string."""
    shop = shared_shop
    for path, code in ((f"{shop.alpha}/src/api/x.py", 2), (f"{shop.alpha}/src/core/x.py", 0)):
        text = event("claude-write", cwd=str(shop.alpha), path=path)
        guard_process("claude", text, shop.alpha)   # the policy is compiled, the base tip known
        proc = _decide_and_list(shop.alpha, text, {
            "click", "pygit2", "yaml", "rich", "pathspec", "jinja2", "coverage", "subprocess",
            "re", "json", "typing", "dataclasses", "pathlib", "pickle", "hashlib", "inspect",
            "site"})
        assert proc.stdout == f"{code} []\n", proc.stderr


def test_a_shell_command_is_judged_without_starting_a_process(shared_shop: Shop) -> None:
    shop = shared_shop
    text = event("claude-bash", cwd=str(shop.alpha), command="git commit -qm 'a \"b\"' && git push")
    proc = _decide_and_list(shop.alpha, text, {
        "subprocess", "json", "re", "shlex", "typing", "dataclasses", "pathlib", "yaml",
        "pathspec"})
    assert proc.stdout == "0 []\n", proc.stderr


def _decide_and_list(cwd: Path, text: str, heavy: set[str]) -> subprocess.CompletedProcess[str]:
    """One guard decision on ``text`` in a bare ``python -I -S``; it prints the exit code
    and which of the ``heavy`` modules the decision imported."""
    probe = ("import io, sys\n"
             f"sys.path.insert(0, {str(GUARD_FILE.parent.parent)!r})\n"
             "from gitorch.agents.guard import run\n"
             f"outcome = run(['--agent', 'claude'], io.StringIO({text!r}))\n"
             f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(heavy)!r}))\n"
             "print(outcome.code, heavy)\n")
    return subprocess.run([sys.executable, "-I", "-S", "-c", probe], cwd=cwd,
                          capture_output=True, text=True)


def test_a_broken_install_refuses_in_one_line(shared_shop: Shop) -> None:
    # the command as the settings hold it, its guard file gone (gitorch uninstalled or
    # moved): the agent is refused, not let through
    command = guard_command("claude").replace(str(GUARD_FILE), "/nowhere/gitorch/guard.py")
    assert command != guard_command("claude")
    proc = subprocess.run(["sh", "-c", command], input="{}", capture_output=True, text=True,
                          cwd=shared_shop.alpha)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "/nowhere/gitorch/guard.py" in proc.stderr


def test_the_module_form_gives_the_same_answer(shared_shop: Shop) -> None:
    """``python -I -m gitorch.guard`` (site-packages on) runs the same code as the file form."""
    shop = shared_shop
    text = event("claude-write", cwd=str(shop.alpha), path=f"{shop.alpha}/src/api/x.py")
    module = subprocess.run([sys.executable, "-I", "-m", "gitorch.guard", "--agent", "claude"],
                            input=text, cwd=shop.alpha, capture_output=True, text=True)
    entry = guard_process("claude", text, shop.alpha)
    assert (module.returncode, module.stdout, module.stderr) == (
        entry.returncode, entry.stdout, entry.stderr)
    assert entry.returncode == 2


def test_the_process_compiles_a_missing_policy_under_dash_s(shop: Shop) -> None:
    """Started without site-packages (``-S``), the guard brings them in itself when it must
    compile the policy (YAML, pathspec): the answer is the same, and the compiled form is
    written for the next decision."""
    cache = shop.main / ".git" / "gitorch" / "cache"
    for stale in [*cache.glob("guard-*.marshal"), *cache.glob("manifest-*.pickle")]:
        stale.unlink()
    text = event("claude-write", cwd=str(shop.alpha), path=f"{shop.alpha}/src/api/x.py")
    proc = guard_process("claude", text, shop.alpha)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("gitorch: refused: src/api/x.py is owned by team beta")
    assert len([p for p in cache.glob("guard-*.marshal") if "tree" not in p.name]) == 1
