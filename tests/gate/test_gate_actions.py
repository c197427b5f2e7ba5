"""`gitorch gate` in a simulated GitHub Actions run, on real repositories."""

from __future__ import annotations

import re

from tests.conftest import Cli, GitRepo
from tests.gate.conftest import Actions

WIDER = """\
version: 1
project: shop
integrators: [lead]
shared: [README.md]
teams:
  alpha:
    owns: ["src/core/**", "docs/**"]
  beta:
    owns: ["src/api/**"]
"""


def short(sha: str) -> str:
    return sha[:8]


def bad_pull_request(upstream: GitRepo) -> tuple[str, str, str, str]:
    """team/alpha: one good commit, a manifest edit that widens its scope, then two
    commits outside the old scope (one into the widened area, one into beta's)."""
    upstream.checkout("team/alpha", create=True)
    good = upstream.commit("core: add B", {"src/core/models.py": "A = 1\nB = 2\n"})
    widen = upstream.commit("alpha owns docs now", {"gitorch.yaml": WIDER})
    docs = upstream.commit("docs: guide", {"docs/guide.md": "# Guide\n\nRead me.\n"})
    api = upstream.commit("api: tweak view", {"src/api/views.py": "def view():\n    return 2\n"})
    upstream.checkout("main")
    assert good
    return widen, docs, api, upstream.head("team/alpha")


def test_bad_pull_request_fails_with_annotations_summary_and_outputs(
        upstream: GitRepo, actions: Actions, cli: Cli) -> None:
    widen, docs, api, head = bad_pull_request(upstream)
    base = upstream.head("main")
    actions.pull_request("team/alpha")

    result = cli("gate", cwd=actions.clone.path)

    assert result.exit_code == 1, result.output
    assert result.output == (
        f"::error file=gitorch.yaml,line=7,title=manifest edited::gitorch.yaml belongs to the "
        f"integrators: a team branch may not change it (commits {short(widen)}). This pull request "
        f"is judged by gitorch.yaml as main has it; ask an integrator to change it there.\n"
        f"::error file=docs/guide.md,line=1,title=outside team alpha's scope::docs/guide.md is "
        f"owned by no team; team alpha may not change it (commits {short(docs)}). Move the change "
        f"to the owner's branch, or ask an integrator to change gitorch.yaml.\n"
        f"::error file=src/api/views.py,line=2,title=outside team alpha's scope::src/api/views.py "
        f"belongs to team beta; team alpha may not change it (commits {short(api)}). Move the "
        f"change to the owner's branch, or ask an integrator to change gitorch.yaml.\n"
        f"gitorch gate: team alpha, 4 commits in main..team/alpha, policy gitorch.yaml at main "
        f"({short(base)})\n"
        f"  {short(widen)} alpha owns docs now\n"
        f"    gitorch.yaml  (owner: integrators)\n"
        f"  {short(docs)} docs: guide\n"
        f"    docs/guide.md  (owner: -)\n"
        f"  {short(api)} api: tweak view\n"
        f"    src/api/views.py  (owner: beta)\n"
        f"3 violations: each path belongs to its owner's branch; gitorch.yaml belongs to the "
        f"integrators\n"
        f"gitorch gate: failed\n"
    )
    assert actions.summary.read_text() == (
        "## gitorch gate: failed ❌\n"
        "\n"
        f"Team **alpha** · `team/alpha` (`{short(head)}`) into `main` (`{short(base)}`) · "
        "4 commits checked · policy `gitorch.yaml` as `main` has it\n"
        "\n"
        "### 3 paths outside team alpha's scope\n"
        "\n"
        "| Path | Owner | Commits |\n"
        "| --- | --- | --- |\n"
        f"| `gitorch.yaml` | integrators | `{short(widen)}` alpha owns docs now |\n"
        f"| `docs/guide.md` | *no team* | `{short(docs)}` docs: guide |\n"
        f"| `src/api/views.py` | beta | `{short(api)}` api: tweak view |\n"
        "\n"
        "Each path belongs to its owner's branch; `gitorch.yaml` belongs to the integrators.\n"
        "\n"
    )
    output = actions.output.read_text()
    match = re.fullmatch(
        r"passed=false\nviolations=3\nteam=alpha\ncommits=4\noverlaps=0\n"
        r"paths<<(ghadelimiter_[0-9a-f]{32})\ngitorch.yaml\ndocs/guide.md\nsrc/api/views.py\n\1\n",
        output)
    assert match, output


def test_clean_pull_request_passes(upstream: GitRepo, actions: Actions, cli: Cli) -> None:
    upstream.checkout("team/beta", create=True)
    upstream.commit("api: v2", {"src/api/views.py": "def view():\n    return 2\n"})
    upstream.commit("readme: api", {"README.md": "# shop\n\nAPI v2.\n"})
    upstream.checkout("main")
    base, head = upstream.head("main"), upstream.head("team/beta")
    actions.pull_request("team/beta", actor="bob")

    result = cli("gate", cwd=actions.clone.path)

    assert result.exit_code == 0, result.output
    assert result.output == (
        f"gitorch gate: team beta, 2 commits in main..team/beta, policy gitorch.yaml at main "
        f"({short(base)})\n"
        "gitorch gate: passed\n"
    )
    assert actions.summary.read_text() == (
        "## gitorch gate: passed ✅\n"
        "\n"
        f"Team **beta** · `team/beta` (`{short(head)}`) into `main` (`{short(base)}`) · "
        "2 commits checked · policy `gitorch.yaml` as `main` has it\n"
        "\n"
        "No commit changes a path outside team beta's scope.\n"
        "\n"
    )
    assert actions.output.read_text() == (
        "passed=true\nviolations=0\nteam=beta\ncommits=2\noverlaps=0\npaths=\n")
