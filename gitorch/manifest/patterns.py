"""Gitignore patterns as segment-glob sequences: parsing, and paths two patterns share.

A pattern is normalised exactly as pathspec's ``GitIgnoreSpecPattern`` does it: an
unanchored single-segment pattern gets a ``**/`` prefix, a trailing ``/`` becomes
``/**`` (so it matches only below a directory), and a pattern also matches everything
below a path it matches. The result is a sequence of tokens: a segment glob (exactly one
path segment) or ``STAR2`` (zero or more segments). Two sequences are unified segment by
segment, and two segment globs character by character (``*``, ``?``, ``[...]``), which
yields concrete witness paths that both patterns match.

Limits, on purpose: bracket expressions are tested only on characters other than ``/``
(pathspec lets ``[!a]`` match a ``/``; no real scope relies on that) and path segments
are never empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

STAR2 = "**"                      # path token: zero or more whole segments
FILLERS = ("x", "y", "q0")        # characters a witness uses where any would do
_BUDGET = 5000                    # steps one search may take (bounds pathological star mixes)


@dataclass(frozen=True)
class CharClass:
    """A bracket expression, tested with the very regex pathspec builds for it."""

    regex: re.Pattern[str]
    mentioned: str

    def accepts(self, char: str) -> bool:
        return char != "/" and self.regex.fullmatch(char) is not None


# A character token: a literal one-character str, "?" as ANY, "*" as STAR, or a CharClass.
# Literals are wrapped so that a literal "*" differs from the wildcard.
@dataclass(frozen=True)
class Lit:
    char: str


ANY = "?"
STAR = "*"
CharToken = Lit | CharClass | str
Seg = tuple[CharToken, ...]
PathToken = Seg | str
ANY_SEGMENT: Seg = (STAR,)


@dataclass(frozen=True)
class Parsed:
    """One pattern line: whether it negates, and its token sequence."""

    text: str
    negated: bool
    tokens: tuple[PathToken, ...]
    head: tuple[str, ...] = ()   # leading plain-text segments: a matching path starts with them

    def literal_head(self) -> tuple[str, ...]:
        return self.head


def _head(tokens: Iterable[PathToken]) -> tuple[str, ...]:
    head: list[str] = []
    for token in tokens:
        if not isinstance(token, tuple) or not all(isinstance(c, Lit) for c in token):
            break
        head.append("".join(c.char for c in token if isinstance(c, Lit)))
    return tuple(head)


class InvalidPattern(ValueError):
    """A pattern that pathspec (and git) cannot use."""


@lru_cache(maxsize=4096)
def parse(pattern: str) -> Parsed | None:
    """The pattern's tokens, or None for a line that matches nothing (blank, comment, ``/``).

    Raises InvalidPattern where pathspec raises (a trailing backslash, a bad range).
    """
    text = pattern if pattern.endswith("\\ ") else pattern.rstrip()
    if not text or text.startswith("#") or text == "/":
        return None
    negated = text.startswith("!")
    if negated:
        text = text[1:]
    segs = text.split("/")
    is_dir = not segs[-1]
    if not segs[0]:
        del segs[0]
    elif (len(segs) == 1 or (len(segs) == 2 and not segs[1])) and segs[0] != "**":
        segs.insert(0, "**")
    if not segs:
        raise InvalidPattern(f"invalid pattern {pattern!r}")
    if not segs[-1]:
        segs[-1] = "**"
    for i in range(len(segs) - 1, 0, -1):
        if segs[i - 1] == "**" and segs[i] == "**":
            del segs[i]
    if segs == ["**"]:
        # pathspec special-cases these: "**" matches every path, "**/" every path below a directory
        count = 2 if is_dir else 1
        return Parsed(pattern, negated, (*([ANY_SEGMENT] * count), STAR2))
    tokens: list[PathToken] = []
    last = len(segs) - 1
    for i, seg in enumerate(segs):
        if seg == "**":
            tokens.extend([ANY_SEGMENT, STAR2] if i == last else [STAR2])
            continue
        try:
            tokens.append(ANY_SEGMENT if seg == "*" else _segment(seg))
        except _Discarded:
            return None      # git (and pathspec) ignore a pattern with an unclosed '['
        if i == last:
            tokens.append(STAR2)
    return Parsed(pattern, negated, tuple(tokens), _head(tokens))


class _Discarded(Exception):
    pass


def _segment(glob: str) -> Seg:
    """One segment glob as char tokens, mirroring pathspec's ``_translate_segment_glob``."""
    out: list[CharToken] = []
    i, end = 0, len(glob)
    while i < end:
        char = glob[i]
        i += 1
        if char == "\\":
            if i >= end:
                raise InvalidPattern(f"a pattern cannot end a segment with '\\': {glob!r}")
            out.append(Lit(glob[i]))
            i += 1
        elif char == "*":
            if not out or out[-1] != STAR:
                out.append(STAR)
        elif char == "?":
            out.append(ANY)
        elif char == "[":
            j = i
            if j < end and glob[j] in "!^":
                j += 1
            if j < end and glob[j] == "]":
                j += 1
            while j < end and glob[j] != "]":
                j += 1
            if j >= end:
                raise _Discarded
            j += 1
            expr = "["
            if glob[i] in "!^":
                expr += "^"
                i += 1
            expr += glob[i:j].replace("\\", "\\\\")
            try:
                regex = re.compile(expr)
            except re.error as exc:
                raise InvalidPattern(f"bad bracket expression in {glob!r}: {exc}") from None
            out.append(CharClass(regex, glob[i:j - 1]))
            i = j
        else:
            out.append(Lit(char))
    return tuple(out)


# --------------------------------------------------------------------------- unification


def _accepts(token: CharToken, char: str) -> bool:
    if isinstance(token, Lit):
        return token.char == char
    if isinstance(token, CharClass):
        return token.accepts(char)
    return char != "/"


def _candidates(token: CharToken, fill: str) -> list[str]:
    """Characters worth trying for ``token``: its own, their neighbours, then the filler."""
    if isinstance(token, Lit):
        return [token.char]
    if isinstance(token, CharClass):
        seen: list[str] = []
        for c in token.mentioned:
            for d in (c, chr(ord(c) + 1), chr(max(ord(c) - 1, 1))):
                if d not in seen:
                    seen.append(d)
        return [fill[0], *seen, "a", "0", "_", "~"]   # the filler first: witnesses vary with it
    return [fill[0]]


def _chars(a: CharToken, b: CharToken, fill: str) -> Iterator[str]:
    """Characters both tokens accept (at most two, to bound the search)."""
    found: list[str] = []
    for source, other in ((a, b), (b, a)):
        for c in _candidates(source, fill):
            if c not in found and c != "/" and _accepts(source, c) and _accepts(other, c):
                yield c
                found.append(c)
                if len(found) == 2:
                    return


def segment_witnesses(a: Seg, b: Seg, fill: str = "x") -> Iterator[str]:
    """Non-empty segments that both globs match, a few of them, shortest tries first."""
    dead: set[tuple[int, int, int]] = set()

    # ``filled``: 0 nothing emitted yet, 1 something, 2 a filler was also padded into a
    # star that meets a star (so "a*" also yields "ax", not only "a")
    budget = [_BUDGET]

    def walk(i: int, j: int, filled: int) -> Iterator[str]:
        budget[0] -= 1
        if budget[0] < 0:
            return      # equal alignments of many stars: enough has been tried
        state = (i, j, filled)
        nonempty = filled > 0
        if state in dead:
            return
        produced = False
        ta = a[i] if i < len(a) else None
        tb = b[j] if j < len(b) else None
        if ta is None and tb is None:
            if nonempty:
                produced = True
                yield ""
        elif ta == STAR or tb == STAR:
            if ta == STAR and tb == STAR and filled < 2:
                for rest in walk(i, j, filled + 1):
                    produced = True
                    yield fill + rest
            if ta == STAR:
                for rest in walk(i + 1, j, filled):
                    produced = True
                    yield rest
            if tb == STAR:
                for rest in walk(i, j + 1, filled):
                    produced = True
                    yield rest
            if ta == STAR and tb is not None and tb != STAR:
                for c in _chars(STAR, tb, fill):
                    for rest in walk(i, j + 1, max(filled, 1)):
                        produced = True
                        yield c + rest
            elif tb == STAR and ta is not None and ta != STAR:
                for c in _chars(ta, STAR, fill):
                    for rest in walk(i + 1, j, max(filled, 1)):
                        produced = True
                        yield c + rest
        elif ta is not None and tb is not None:
            for c in _chars(ta, tb, fill):
                for rest in walk(i + 1, j + 1, max(filled, 1)):
                    produced = True
                    yield c + rest
        if not produced:
            dead.add(state)

    seen: set[str] = set()
    for w in walk(0, 0, 0):
        if w not in seen:
            seen.add(w)
            yield w


def path_witnesses(a: tuple[PathToken, ...], b: tuple[PathToken, ...],
                   fill: str = "x") -> Iterator[str]:
    """Paths that both token sequences match, shortest alignments first."""
    dead: set[tuple[int, int]] = set()

    def segs(x: Seg, y: Seg) -> list[str]:
        return list(islice(segment_witnesses(x, y, fill), 2))

    budget = [_BUDGET]

    def walk(i: int, j: int) -> Iterator[list[str]]:
        budget[0] -= 1
        if budget[0] < 0 or (i, j) in dead:
            return
        produced = False
        ta = a[i] if i < len(a) else None
        tb = b[j] if j < len(b) else None
        if ta is None and tb is None:
            produced = True
            yield []
        elif ta == STAR2 or tb == STAR2:
            if ta == STAR2 and tb == STAR2:
                # one more segment: a way round negations such as '!src/*/x' or '!/[!a]/'
                for rest in walk(i + 1, j + 1):
                    produced = True
                    yield [fill, *rest]
            if ta == STAR2:
                for rest in walk(i + 1, j):
                    produced = True
                    yield rest
            if tb == STAR2:
                for rest in walk(i, j + 1):
                    produced = True
                    yield rest
            if ta == STAR2 and isinstance(tb, tuple):
                for s in segs(ANY_SEGMENT, tb):
                    for rest in walk(i, j + 1):
                        produced = True
                        yield [s, *rest]
            if tb == STAR2 and isinstance(ta, tuple):
                for s in segs(ta, ANY_SEGMENT):
                    for rest in walk(i + 1, j):
                        produced = True
                        yield [s, *rest]
        elif isinstance(ta, tuple) and isinstance(tb, tuple):
            for s in segs(ta, tb):
                for rest in walk(i + 1, j + 1):
                    produced = True
                    yield [s, *rest]
        if not produced:
            dead.add((i, j))

    seen: set[str] = set()
    for parts in walk(0, 0):
        path = "/".join(parts)
        if path and path not in seen:
            seen.add(path)
            yield path


def hints(patterns: Iterable[Parsed]) -> tuple[str, ...]:
    """Characters the patterns mention: fillers worth trying to slip past a negation."""
    chars: list[str] = []
    for parsed in patterns:
        for token in parsed.tokens:
            for c in token if isinstance(token, tuple) else ():
                text = c.char if isinstance(c, Lit) else c.mentioned if isinstance(c, CharClass) else ""
                chars.extend(ch for ch in text if ch not in chars and ch not in "/-")
    # then each one's successor: a class such as '[a-c]' negated only at 'a' ('!a*/')
    # still has 'b' (a filler is tried first wherever a class accepts it)
    after = [n for ch in chars[:8] if (n := chr(ord(ch) + 1)) not in chars and n not in "/-"]
    return tuple(chars[:8]) + tuple(dict.fromkeys(after))[:8]


def witnesses(a: Parsed, b: Parsed, limit: int = 12, fills: tuple[str, ...] = ()) -> Iterator[str]:
    """Distinct paths that both patterns (taken as positive) match, ``limit`` per filler.

    ``fills`` are extra filler characters to try after the usual ones.
    """
    ha, hb = a.head, b.head
    n = min(len(ha), len(hb))
    if ha[:n] != hb[:n]:
        return
    seen: set[str] = set()
    for fill in (*FILLERS, *(f for f in fills if f not in FILLERS)):
        for path in islice(path_witnesses(a.tokens, b.tokens, fill), limit):
            if path not in seen:
                seen.add(path)
                yield path
