"""The keep-green project of the tests: ``scripts/greenproject.py`` (the benchmark builds
its projects from the same module), loaded by path."""

from __future__ import annotations

from tests.conflicts.test_synthrepo import load_script

green = load_script("greenproject")
base_files = green.base_files
team_files = green.team_files
command = green.command
counter_env = green.counter_env
