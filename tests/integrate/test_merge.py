"""Merging team branches in order into the integration chain, without --fix."""

from __future__ import annotations

from tests.integrate.conftest import Scenario, readme


def test_clean_run_merges_every_team_in_order(scenario: Scenario) -> None:
    s = scenario
    heads = {
        "gamma": s.team("gamma", {"src/ui/view.py": "def view():\n    return 'v2'\n"}),
        "alpha": s.team("alpha", {"src/core/db.py": "def connect():\n    return 'db2'\n"},
                        {"src/core/extra.py": "X = 1\nY = 2\n"}),
        "beta": s.team("beta", {"src/api/app.py": "def app():\n    return 'app2'\n"}),
        "delta": s.team("delta", {"src/cli/main.py": "def main():\n    return 'm2'\n",
                                  "README.md": readme(l5="delta was here")}),
    }
    status_before = s.repo.git("status", "--porcelain").stdout
    head_before = s.repo.head()
    index_before = (s.path / ".git" / "index").read_bytes()

    code, data, _ = s.run()

    assert code == 0
    assert data["order"] == ["alpha", "beta", "gamma", "delta"]
    assert data["merged"] == ["alpha", "beta", "gamma", "delta"]
    assert data["skipped"] == [] and data["conflicts"] == [] and data["dropped"] == []
    assert s.repo.head("integration") == data["integration"]
    # one merge commit per team: first parent the chain, second the team's head
    chain = s.repo.git("rev-list", "--first-parent", "--reverse", "integration").stdout.split()
    assert chain[0] == s.base and len(chain) == 5
    for i, team in enumerate(data["order"]):
        parents = s.repo.git("rev-list", "--parents", "-n1", chain[i + 1]).stdout.split()
        assert parents == [chain[i + 1], chain[i], heads[team]]
        outcome = next(t for t in data["teams"] if t["team"] == team)
        assert outcome["merge_commit"] == chain[i + 1]
    alpha = next(t for t in data["teams"] if t["team"] == "alpha")
    assert (alpha["commits"], alpha["loc_added"], alpha["target_loc"]) == (2, 3, [10, 20])
    delta = next(t for t in data["teams"] if t["team"] == "delta")
    assert delta["loc_added"] == 1  # the README line is shared, not delta's own
    assert s.show("integration:README.md") == readme(l5="delta was here")
    assert s.show("integration:src/core/extra.py") == "X = 1\nY = 2\n"
    # nothing of the user's or the teams' was touched
    assert s.repo.git("status", "--porcelain").stdout == status_before
    assert s.repo.head() == head_before and s.repo.git("symbolic-ref", "HEAD").stdout == "refs/heads/main\n"
    assert (s.path / ".git" / "index").read_bytes() == index_before
    assert {t: s.repo.head(f"team/{t}") for t in heads} == heads
    assert "refs/gitorch/checkpoint" not in s.refs()
