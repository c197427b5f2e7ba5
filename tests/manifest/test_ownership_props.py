"""The fast engine answers exactly as pathspec does; static overlap never lies."""

from __future__ import annotations

import pathspec
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gitorch.manifest.ownership import UNOWNED, Ownership, scope_escape, scope_overlap
from tests.manifest.strategies import paths, positive_specs, specs

# the example count is the Hypothesis profile's (tests/conftest.py)
SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow])


def _within(inner: list[str] | tuple[str, ...], outer: list[str] | tuple[str, ...]) -> str | None:
    found = scope_escape(inner, outer)
    return found[0] if found is not None else None


def first_match(scopes: list[tuple[str, list[str]]], path: str) -> str:
    for name, patterns in scopes:
        if pathspec.GitIgnoreSpec.from_lines(patterns).match_file(path):
            return name
    return UNOWNED


@SETTINGS
@given(st.lists(specs, min_size=1, max_size=5), st.lists(paths, min_size=1, max_size=20))
def test_engine_equals_pathspec_first_match(scope_list: list[list[str]], sample: list[str]) -> None:
    scopes = [(f"t{i}", patterns) for i, patterns in enumerate(scope_list)]
    engine = Ownership(scopes, {})
    expected = [first_match(scopes, p) for p in sample]
    assert engine.owners_of(sample) == expected
    assert [engine.owner_of(p) for p in sample] == expected   # the per-directory cache is warm now


@SETTINGS
@given(specs, specs, st.lists(paths, min_size=1, max_size=30))
@example(["[a-c]*/"], ["[a-c]*/", "!a*/"], ["b/a"])     # found by a random run: 'b' escapes
def test_overlap_witness_is_real_and_complete_on_samples(a: list[str], b: list[str],
                                                           sample: list[str]) -> None:
    spec_a, spec_b = pathspec.GitIgnoreSpec.from_lines(a), pathspec.GitIgnoreSpec.from_lines(b)
    witness = scope_overlap(a, b)
    if witness is not None:
        assert spec_a.match_file(witness) and spec_b.match_file(witness)
    both = [p for p in sample if spec_a.match_file(p) and spec_b.match_file(p)]
    if both:
        assert witness is not None, f"{a} and {b} both match {both[0]}"


@SETTINGS
@given(positive_specs, specs, st.lists(paths, min_size=1, max_size=30))
def test_within_finds_escapes_on_samples(inner: list[str], outer: list[str],
                                         sample: list[str]) -> None:
    spec_in, spec_out = pathspec.GitIgnoreSpec.from_lines(inner), pathspec.GitIgnoreSpec.from_lines(outer)
    escaping = [p for p in sample if spec_in.match_file(p) and not spec_out.match_file(p)]
    if escaping:
        assert _within(inner, outer) is not None, f"{inner} escapes {outer} at {escaping[0]}"
