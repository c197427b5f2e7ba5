"""A fixed IntegrationReport for the golden files: every kind of fact, and text to escape."""

from __future__ import annotations

from gitorch.ids import ObjectId
from gitorch.manifest import TeamName
from gitorch.records import (
    Dropped,
    IntegrationReport,
    QualityResult,
    Resolution,
    Skipped,
    TeamCoverage,
    TeamOutcome,
)

A, B, G, D = TeamName("alpha"), TeamName("beta"), TeamName("gamma"), TeamName("delta")


def sample_report() -> IntegrationReport:
    quality = QualityResult(
        command=("PYTHONPATH=src:$PYTHONPATH python -m pytest -q -p no:cacheprovider --maxfail=1 "
                 "tests/unit tests/integration"), passed=True, returncode=0, duration=1.234,
        output_tail="\x1b[32m5 passed\x1b[0m in 0.72s\n<ok> & done \x07\n",
        total=72.73,
        teams={A: TeamCoverage(87.5, 83.33, 8, 7, 6, 5), B: TeamCoverage(57.14, 57.14, 7, 4, 7, 4),
               G: TeamCoverage(None, None), D: TeamCoverage(None, None)},
        failures=("coverage 72.7% < 80% (whole tree)", "diff coverage of beta 57.1% < 80%"),
        coverage_gate=80, diff_coverage_gate=80,
        shared=TeamCoverage(71.43, None, 7, 5),
        warnings=("the tests imported click from /venv/lib/click/__init__.py (outside the tree), "
                  "not the tree's src/click: install the project into the Python its tests run",),
    )
    return IntegrationReport(
        project="shop", base_ref="main", base=ObjectId("1" * 40),
        order=(A, B, G, D), integration=ObjectId("abcdef0123456789" * 2 + "abcdef01"),
        integration_ref="integration",
        teams=(
            TeamOutcome(A, "team/alpha", "merged", head=ObjectId("a" * 40),
                        merge_commit=ObjectId("c" * 40), commits=3, loc_added=150,
                        target_loc=(100, 200), priority=100),
            TeamOutcome(B, "team/beta", "merged", head=ObjectId("b" * 40),
                        merge_commit=ObjectId("d" * 40), commits=2, loc_added=40,
                        depends_on=(A,), priority=90),
            TeamOutcome(G, "team/gamma", "skipped", head=ObjectId("e" * 40), commits=1, loc_added=12,
                        target_loc=(50, 50), priority=50),
            TeamOutcome(D, "team/delta", "skipped", head=ObjectId("f" * 40), commits=4, loc_added=80,
                        depends_on=(G,), priority=10),
        ),
        skipped=(Skipped(G, "conflict with alpha <needs review>", ("src/core/db.py",)),
                 Skipped(D, "depends on gamma, which was skipped")),
        conflicts=(Resolution("src/core/db.py", (A, G), "skipped gamma"),
                   Resolution("src/api/a|b.py", (A, B), "kept alpha", "modify/delete", A)),
        dropped=(Dropped(B, "docs/notes.md", "refs/gitorch/dropped/beta/1", "outside scope"),),
        quality=quality, fix=True,
        started="2026-11-25T12:00:00Z", finished="2026-11-25T12:00:05Z",
    )
