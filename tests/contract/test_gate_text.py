"""The gate's overlap warning describes an insertion as the conflicts command does."""

from __future__ import annotations

from tests.conftest import Cli
from tests.contract.conftest import Project


def test_gate_warning_names_insertions(project: Project, cli: Cli) -> None:
    w = project.work
    for team in ("alpha", "beta"):
        w.git("checkout", "-q", "-B", f"team/{team}", "main")
        w.commit(f"{team} adds a line", {"README.md": f"hello\n{team}\n"})
    w.checkout("main")
    result = cli("gate", "--head", "team/alpha", "--base", "main", cwd=w.path)
    assert result.exit_code == 0, result.output
    assert ("warning: overlap with beta in README.md "
            "(alpha insertion after line 1; beta insertion after line 1)\n") in result.output
    conflicts = cli("conflicts", cwd=w.path)
    assert "overlap: alpha insertion after line 1; beta insertion after line 1" in conflicts.output
