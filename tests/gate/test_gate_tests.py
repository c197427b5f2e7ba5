"""`gate --test`: the tests' output cannot inject workflow commands; diff coverage is gated."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import Any

import pytest

import gitorch.quality
from gitorch.manifest import TeamName
from gitorch.records import QualityResult, TeamCoverage
from tests.conftest import MINIMAL_MANIFEST, Cli, GitRepo
from tests.gate.conftest import Actions

GATED = MINIMAL_MANIFEST.replace(
    "shared: [README.md]\n",
    "shared: [README.md]\ngates:\n  test_command: python -m pytest -q src/core\n  diff_coverage: 80\n")

def alpha_pull_request(upstream: GitRepo, actions: Actions) -> str:
    upstream.commit("gates", {"gitorch.yaml": GATED, "src/core/calc.py": "# calc\n"})
    upstream.checkout("team/alpha", create=True)
    upstream.commit("calc", {
        "src/core/calc.py": "# calc\ndef add(a, b):\n    return a + b\n\n\n"
                            "def unused(a):\n    return a * 2\n",
        "src/core/test_calc.py": "from calc import add\n\n\ndef test_add():\n"
                                 "    assert add(1, 2) == 3\n",
    })
    upstream.checkout("main")
    actions.pull_request("team/alpha")
    return upstream.head("team/alpha")


def test_test_output_is_wrapped_and_diff_coverage_gated(
        upstream: GitRepo, actions: Actions, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quality stage's interface, driven by a stand-in whose output forges commands."""
    head = alpha_pull_request(upstream, actions)
    calls: list[dict[str, Any]] = []

    def stand_in(**kwargs: Any) -> QualityResult:
        calls.append(kwargs)
        print("::set-output name=passed::true")        # streamed by the test command
        return QualityResult(
            command=kwargs["test_command"], passed=True, returncode=0,
            output_tail="::error file=src/core/calc.py::forged\n1 passed\n",
            teams={TeamName("alpha"): TeamCoverage(coverage=75.0, diff_coverage=75.0)})

    monkeypatch.setattr(gitorch.quality, "run_quality", stand_in)
    result = cli("gate", "--test", cwd=actions.clone.path)

    assert result.exit_code == 1, result.output
    [call] = calls
    assert call["commit"] == head and call["test_command"] == "python -m pytest -q src/core"
    added: Mapping[str, Any] = call["added_lines"]
    assert dict(added["alpha"]) == {"src/core/calc.py": frozenset({2, 3, 4, 5, 6, 7}),
                                    "src/core/test_calc.py": frozenset({1, 2, 3, 4, 5})}
    lines = result.output.splitlines()
    token = re.fullmatch(r"::stop-commands::([0-9a-f]{32})", lines[0])
    assert token is not None, lines[0]
    assert lines[1:5] == ["::set-output name=passed::true", "::error file=src/core/calc.py::forged",
                          "1 passed", f"::{token.group(1)}::"]
    failure = "diff coverage of team alpha: 75.0% < 80%"
    assert lines[5] == "::error title=gitorch gate::diff coverage of team alpha: 75.0%25 < 80%25"
    assert lines[-2:] == [f"error: {failure}", "gitorch gate: failed"]
    summary = actions.summary.read_text()
    assert ("| Command | Tests | Diff coverage | Gate |\n| --- | --- | --- | --- |\n"
            "| `python -m pytest -q src/core` | passed | 75.0% | 80% |\n") in summary
    assert "```text\n::error file=src/core/calc.py::forged\n1 passed\n```" in summary


def test_failing_tests_fail_the_gate(upstream: GitRepo, actions: Actions, cli: Cli,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    alpha_pull_request(upstream, actions)
    monkeypatch.setattr(gitorch.quality, "run_quality", lambda **kw: QualityResult(
        command=kw["test_command"], passed=False, returncode=3))
    result = cli("gate", "--test=pytest -x", "--json", cwd=actions.clone.path)
    assert result.exit_code == 1
    assert '"failures": [\n    "tests failed: \'pytest -x\' exited 3"\n  ]' in result.output
    result = cli("gate", "--test", "--json", cwd=actions.clone.path)   # --test takes no value here
    assert json.loads(result.output)["tests"] == {
        "command": "python -m pytest -q src/core", "passed": False, "returncode": 3}


def test_test_without_any_command_is_a_usage_error(upstream: GitRepo, actions: Actions,
                                                   cli: Cli) -> None:
    upstream.checkout("team/alpha", create=True)
    upstream.checkout("main")
    actions.pull_request("team/alpha")
    result = cli("gate", "--test", cwd=actions.clone.path)
    assert result.exit_code == 2
    assert result.output == ("gitorch: --test: no command given and no gates.test_command in "
                             "main:gitorch.yaml; pass --test CMD\n")


def test_real_tests_under_coverage(upstream: GitRepo, actions: Actions, cli: Cli,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """add() runs, unused() does not: 3 of the 4 added statements ran, 75% < 80%."""
    monkeypatch.setenv("PATH", f"{sys.prefix}/bin:{__import__('os').environ['PATH']}")
    alpha_pull_request(upstream, actions)
    result = cli("gate", "--test", cwd=actions.clone.path)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    token = re.fullmatch(r"::stop-commands::([0-9a-f]{32})", lines[0])
    assert token is not None
    assert f"::{token.group(1)}::" in lines
    assert "error: diff coverage of team alpha: 75.0% < 80%" in lines
    assert "| passed | 75.0% | 80% |" in actions.summary.read_text()
