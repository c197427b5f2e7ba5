"""Odd inputs: exit 2 for usage errors, never a traceback or an 'internal error'."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.contract.conftest import Project


def test_integrate_report_in_a_folder_that_cannot_exist(project: Project, cli: Cli,
                                                        tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = cli("integrate", "--report", str(blocker / "reports" / "r.md"),
                 cwd=project.work.path)
    assert result.exit_code == 2
    assert result.output == (f"gitorch: cannot create the report folder {blocker / 'reports'}: "
                             "Not a directory; pass --report PATH in a folder you can write\n")
    assert project.work.git("rev-parse", "--verify", "-q", "integration",
                            check=False).returncode != 0      # nothing merged, no ref moved


ODD = [
    ("brief", "../etc"),
    ("conflicts", "--team", "nope"),
    ("conflicts", "--base", ""),
    ("integrate", "--format", "pdf"),
    ("signal", "blocked", "--team", "alpha"),
    ("signal", "ready", "--team", "nope"),
    ("signal", "ready"),                              # main is checked out: no team branch
    ("check",),                                       # likewise
    ("check", "--team", "nope"),
    ("gate", "--team", "nope", "--head", "team/alpha", "--base", "main"),
    ("expand", "/dev/null"),
    ("validate", "--manifest", "/dev/null"),
    ("status", "--manifest", "/nonexistent.yaml"),
    ("monitor", "--interval", "0"),
    ("hooks", "install"),
]


@pytest.mark.parametrize("args", ODD, ids=[" ".join(a) for a in ODD])
def test_odd_input_is_a_usage_error(project: Project, cli: Cli, args: tuple[str, ...]) -> None:
    result = cli(*args, cwd=project.work.path)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output and "internal error" not in result.output


@pytest.mark.parametrize("args", [("gate",), ("signal", "ready")])
def test_a_corrupt_head_is_an_unreadable_repository(project: Project, cli: Cli,
                                                    args: tuple[str, ...]) -> None:
    (project.work.path / ".git" / "HEAD").write_text("garbage\n")
    result = cli(*args, cwd=project.work.path)
    assert result.exit_code == 2
    assert result.output.startswith(f"gitorch: {project.work.path}: cannot read HEAD: ")
    assert "internal error" not in result.output
