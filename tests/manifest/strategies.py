"""Hypothesis strategies: gitignore patterns and paths over a small, tricky alphabet."""

from __future__ import annotations

from hypothesis import strategies as st

PATH_SEGMENTS = ["a", "b", "ab", "ba", "c", "x", ".x", "a.py", "b.md", "é", " a", "a b", "*", "[ab]", "a!"]
GLOB_SEGMENTS = [*PATH_SEGMENTS[:-3], "*", "?", "**", "[ab]", "[!a]", "a*", "*b", "*.py", "?b",
                 "\\*", "[a-c]*", "a?", "[^b]", "[a"]


@st.composite
def patterns(draw: st.DrawFn, negation: bool = True) -> str:
    segs = draw(st.lists(st.sampled_from(GLOB_SEGMENTS), min_size=1, max_size=3))
    text = "/".join(segs)
    if draw(st.booleans()):
        text = "/" + text
    if draw(st.integers(0, 3)) == 0:
        text += "/"
    if negation and draw(st.integers(0, 3)) == 0:
        text = "!" + text
    return text


paths = st.lists(st.sampled_from(PATH_SEGMENTS), min_size=1, max_size=4).map("/".join)
specs = st.lists(patterns(), min_size=1, max_size=3)
positive_specs = st.lists(patterns(negation=False), min_size=1, max_size=3)
