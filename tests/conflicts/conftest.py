"""A several-team repository with every kind of meeting between branches."""

from __future__ import annotations

import pytest

from tests.conftest import GitRepo

MANIFEST = """\
version: 1
project: shop
shared: [README.md, "shared/**"]
teams:
  alpha:
    owns: ["src/core/**"]
    priority: 100
  beta:
    owns: ["src/api/**", "docs/**"]
    priority: 90
    depends_on: [alpha]
  gamma:
    owns: ["src/ui/**"]
    priority: 50
  delta:
    owns: ["tools/**"]
    priority: 10
"""


def numbered(name: str, n: int) -> str:
    return "".join(f"{name} line {i}\n" for i in range(1, n + 1))


def replaced(text: str, changes: dict[int, str | None], inserts: dict[int, str] | None = None) -> str:
    """Replace (or with None delete) 1-based lines; ``inserts`` puts text after line k."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    for i, line in enumerate(lines, start=1):
        if inserts and i - 1 in inserts and i == 1:
            out.append(inserts[0])
        new = changes.get(i, line)
        if new is not None:
            out.append(new)
        if inserts and i in inserts:
            out.append(inserts[i])
    return "".join(out)


CONFIG = numbered("config", 30)
WIDGET = numbered("widget", 20)


def build_teams(repo: GitRepo) -> None:
    """main plus four team branches; see each commit for what it sets up."""
    repo.commit("base", {
        "gitorch.yaml": MANIFEST, "README.md": numbered("readme", 10),
        "shared/config.py": CONFIG, "src/core/db.py": numbered("db", 10),
        "src/ui/widget.py": WIDGET, "docs/old.md": numbered("old", 5),
        "shared/logo.bin": b"\x00\x01logo",
    })
    repo.checkout("team/alpha", create=True)
    repo.commit("alpha: config 10-14, readme 5, ui widget line 3 (outside scope), logo", {
        "shared/config.py": replaced(CONFIG, {i: f"alpha {i}\n" for i in range(10, 15)}),
        "README.md": replaced(numbered("readme", 10), {5: "same fix\n"}),
        "src/core/db.py": replaced(numbered("db", 10), {2: "alpha db\n"}),
        "src/ui/widget.py": replaced(WIDGET, {3: "alpha widget\n"}),
        "shared/logo.bin": b"\x00\x02alpha",
    })
    repo.checkout("main")
    repo.checkout("team/beta", create=True)
    repo.commit("beta: config 12-20, delete docs/old.md, add shared/new.py", {
        "shared/config.py": replaced(CONFIG, {i: f"beta {i}\n" for i in range(12, 21)}),
        "docs/old.md": None, "shared/new.py": "beta = 1\n",
    })
    repo.checkout("main")
    repo.checkout("team/gamma", create=True)
    repo.commit("gamma: readme 5 identical to alpha's, rename the widget, add shared/new.py", {
        "README.md": replaced(numbered("readme", 10), {5: "same fix\n"}),
        "src/ui/widget.py": None,
        "src/ui/widgets/button.py": replaced(WIDGET, {18: "gamma button\n"}),
        "shared/new.py": "gamma = 2\n", "shared/config.py": replaced(CONFIG, {}, {25: "gamma\n"}),
    })
    repo.checkout("main")
    repo.checkout("team/delta", create=True)
    repo.commit("delta: config 21 (touches beta's 12-20), modify docs/old.md, logo", {
        "shared/config.py": replaced(CONFIG, {21: "delta 21\n"}),
        "docs/old.md": replaced(numbered("old", 5), {1: "delta\n"}),
        "shared/logo.bin": b"\x00\x03delta",
    })
    repo.checkout("main")


@pytest.fixture
def teams_repo(repo: GitRepo) -> GitRepo:
    build_teams(repo)
    return repo
