"""One verdict everywhere: what the server accepts, check, gate and status accept too.

Reproduces issue 16 item 1 on a real server: a team merges its dependency's branch (the
docs allow it) and the base (after the lead changed gitorch.yaml there); the hook accepts
the push, and before this fix ``check`` exited 1, ``gate`` counted two violations (one of
them gitorch.yaml) and ``status`` counted one.
"""

from __future__ import annotations

import json

from tests.conftest import Cli
from tests.hooks.conftest import Server, on_branch, push


def verdicts(cli: Cli, server: Server, branch: str) -> dict[str, object]:
    """check, gate and status on ``branch`` (checked out), before it is pushed."""
    c = server.clone
    check = cli("check", "--json", cwd=c.path)
    gate = cli("gate", "--json", "--base", "main", cwd=c.path)
    status = cli("status", "--json", cwd=c.path)
    team = branch.split("/", 1)[1]
    row = next(t for t in json.loads(status.output)["teams"] if t["team"] == team)
    return {"check": check.exit_code, "check_ok": json.loads(check.output)["ok"],
            "gate_violations": len(json.loads(gate.output)["violations"]),
            "status_violations": row["violations"]}


def test_dependency_and_base_merges_are_accepted_everywhere(server: Server, cli: Cli) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/engine.py": "engine = 1\n"})
    assert push(c, "team/alpha", user="alice").code == 0

    c.checkout("main")        # the lead changes the policy on the base
    text = (c.path / "gitorch.yaml").read_text()
    c.commit("Share the changelog", {"gitorch.yaml": text.replace(
        "shared: [README.md]", "shared: [README.md, CHANGES.md]")})
    assert push(c, "main", user="lead").code == 0

    on_branch(c, "team/beta", "main~1")
    c.commit("API", {"src/api/routes.py": "routes = 1\n"})
    c.git("fetch", "-q", "origin")
    c.git("merge", "-q", "--no-edit", "origin/team/alpha")       # its dependency's work
    c.git("merge", "-q", "--no-edit", "origin/main")             # and the base's new policy

    before = verdicts(cli, server, "team/beta")
    assert push(c, "team/beta", user="bob").code == 0            # the server accepts
    assert before == {"check": 0, "check_ok": True, "gate_violations": 0,
                      "status_violations": 0}


def test_a_real_violation_is_refused_everywhere(server: Server, cli: Cli) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/engine.py": "engine = 1\n"})
    assert push(c, "team/alpha", user="alice").code == 0
    on_branch(c, "team/beta")
    c.git("merge", "-q", "--no-edit", "team/alpha")
    c.commit("Reach into core", {"src/core/engine.py": "engine = 2\n"})
    c.commit("Widen my scope", {"gitorch.yaml": "# mine now\n"})
    before = verdicts(cli, server, "team/beta")
    result = push(c, "team/beta", user="bob")
    assert result.code == 1
    assert "    gitorch.yaml  (owner: integrators)" in result.remote
    assert before == {"check": 1, "check_ok": False, "gate_violations": 2,
                      "status_violations": 2}
