"""Static scope relations, decided from the patterns themselves."""

from __future__ import annotations

import pytest
from pathspec import GitIgnoreSpec

from gitorch.manifest.ownership import scope_escape, scope_overlap


@pytest.mark.parametrize(("a", "b", "witness"), [
    (["src/*/handlers/**"], ["src/core/**"], "src/core/handlers/x"),
    (["docs/*.md"], ["docs/api/**"], None),
    (["*.py"], ["src/"], "src/x.py"),                     # a floating pattern reaches into src/
    (["src/**", "!src/gen/**"], ["src/gen/**"], None),    # the negation carves it out
    (["src/**", "!src/*/x"], ["src/core/**"], "src/core/y"),   # the first witness is excluded
    (["a[0-9]*"], ["a[!0-4]b"], "a8b"),
    (["/top"], ["top/"], "top/x"),                       # "/top" is a directory too
    (["/top"], ["**/top/x"], "top/x"),
    (["lib/a?c/**"], ["lib/abc"], "lib/abc/x"),
    (["**"], ["**/"], "x/x"),
    (["a\\*b/**"], ["a?b/**"], "a*b/x"),
])
def test_overlap(a: list[str], b: list[str], witness: str | None) -> None:
    assert scope_overlap(a, b) == witness
    back = scope_overlap(b, a)
    if witness is None:
        assert back is None
    else:
        assert back is not None
        assert all(GitIgnoreSpec.from_lines(s).match_file(back) for s in (a, b))


@pytest.mark.parametrize(("inner", "outer", "escape"), [
    (["src/core/db/**"], ["src/core/**"], None),
    (["src/*/handlers/**"], ["src/core/**"], ("src/*/handlers/**", "src/x/handlers/x")),
    (["src/core/**"], ["src/core/**", "!src/core/secret/**"], ("src/core/**", "src/core/secret/x")),
    (["src/core/*.py"], ["src/core/"], None),
    (["docs/**/*.md"], ["docs/*.md"], ("docs/**/*.md", "docs/x/x.md")),
])
def test_within(inner: list[str], outer: list[str], escape: tuple[str, str] | None) -> None:
    assert scope_escape(inner, outer) == escape
