"""A small project for the contract tests: a guarded server, a work clone, a lead clone.

``work`` has the team branches as local branches; ``lead`` is a clone whose remote is
called ``upstream`` (not ``origin``), so a team branch exists there only as
``upstream/team/<name>``: the case that ``--remote NAME`` is for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import GitRepo, git

# stale_after: 0, as the commits carry the pinned date of 2023 (tests/conftest.py)
MANIFEST = """\
version: 1
project: shop
stale_after: 0
integrators: [lead]
org: acme           # codeowners: @acme/<team>
shared: [README.md, src/core/shared.py]
teams:
  alpha:
    description: Foundation layer
    owns: ["src/core/**"]
    priority: 100
    target_loc: [10, 20]
  alpha-db:
    parent: alpha
    owns: ["src/core/db/**"]
  beta:
    description: API layer
    owns: ["src/api/**"]
    priority: 90
    depends_on: [alpha]
"""

# The alternative manifest the lookup tests point at: another project name, one more team.
ALT_MANIFEST = MANIFEST.replace("project: shop", "project: altshop") + """\
  omega:
    owns: ["src/omega/**"]
"""


@dataclass
class Project:
    work: GitRepo
    lead: Path
    server: Path
    alpha: str          # tip of team/alpha
    beta: str           # tip of team/beta
    base: str           # tip of main
    alt: str = "conf/alt.yaml"      # committed on main: the gate reads manifests from the base


@pytest.fixture
def project(make_repo: Callable[..., GitRepo], tmp_path: Path) -> Project:
    work = make_repo("work")
    base = work.commit("base", {"gitorch.yaml": MANIFEST, "conf/alt.yaml": ALT_MANIFEST,
                                "README.md": "hello\n", "src/core/a.py": "x = 1\n"})
    work.checkout("team/alpha", create=True)
    alpha = work.commit("alpha work", {"src/core/a.py": "x = 2\n", "src/core/db/t.py": "t = 1\n",
                                       "README.md": "hello from alpha\n"})
    work.checkout("main")
    work.checkout("team/beta", create=True)
    beta = work.commit("beta work", {"src/api/b.py": "b = 1\n", "README.md": "hello from beta\n"})
    work.checkout("main")
    work.branch("team/alpha-db")        # not started: at the base
    server = make_repo("server.git", bare=True)
    work.git("push", "-q", str(server.path), "main", "team/alpha", "team/beta", "team/alpha-db")
    lead = tmp_path / "lead"
    git(tmp_path, "clone", "-q", "-o", "upstream", str(server.path), str(lead))
    return Project(work=work, lead=lead, server=server.path, alpha=alpha, beta=beta, base=base)
