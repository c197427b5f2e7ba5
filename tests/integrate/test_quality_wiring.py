"""The quality stage wired into integrate."""

from __future__ import annotations

import sys

from tests.conftest import Cli, GitRepo
from tests.integrate.conftest import Scenario

MANIFEST = """\
version: 1
project: calc
shared: ["tests/**"]
teams:
  alpha:
    owns: ["calc/core.py"]
    priority: 10
  beta:
    owns: ["calc/extra.py"]
"""


def test_integrate_runs_the_test_command_on_the_integrated_tree(repo: GitRepo, cli: Cli) -> None:
    s = Scenario(repo, cli, {
        "gitorch.yaml": MANIFEST, "calc/__init__.py": "",
        "calc/core.py": "def add(a, b):\n    return a + b\n",
        "calc/extra.py": "def mul(a, b):\n    return a * b\n",
        "tests/test_calc.py": "from calc.core import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    })
    s.team("alpha", {"calc/core.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n"
                                     "    return a - b\n"})
    s.team("beta", {"calc/extra.py": "def mul(a, b):\n    return a * b\n\n\ndef div(a, b):\n"
                                     "    return a / b\n"})
    code, data, _ = s.run("--test", f"{sys.executable} -m pytest -q -p no:cacheprovider")
    assert data["tests"]["passed"] is True, data["tests"]
    assert data["merged"] == ["alpha", "beta"]
    assert data["coverage"]["total"] is not None
    assert set(data["coverage"]["teams"]) == {"alpha", "beta"}
    assert code == 0

    code, data, _ = s.run("--test", f"{sys.executable} -c 'raise SystemExit(3)'")
    assert code == 1
    assert data["tests"]["passed"] is False
    assert "tests failed" in data["gates"]["failures"]
