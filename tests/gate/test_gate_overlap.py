"""Overlaps with other team branches are warnings, never failures."""

from __future__ import annotations

from tests.conftest import Cli, GitRepo
from tests.gate.conftest import Actions


def test_overlap_with_another_team_branch_is_a_warning(upstream: GitRepo, actions: Actions,
                                                       cli: Cli) -> None:
    upstream.checkout("team/beta", create=True)
    upstream.commit("readme from beta", {"README.md": "# shop by beta\n"})
    upstream.checkout("main")
    upstream.checkout("team/alpha", create=True)
    upstream.commit("readme from alpha", {"README.md": "# shop by alpha\n"})
    upstream.checkout("main")
    actions.pull_request("team/alpha")

    result = cli("gate", cwd=actions.clone.path)

    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("::warning file=README.md,line=1,title=overlap with beta::teams "
                            "alpha, beta all change README.md (alpha line 1; beta line 1): git "
                            "will stop with a conflict when they merge"), first
    assert "overlaps=1\n" in actions.output.read_text()
    assert "### Overlaps with other team branches (warnings)" in actions.summary.read_text()
