"""How a path is shown on a line of text: as is, or C-quoted the way git quotes it.

Paths are ``str`` with the bytes that are not UTF-8 kept as lone surrogates
(``surrogateescape``), as both the hook's reader and pygit2 decode them. A path that a
line of text cannot carry faithfully (a newline, a tab, a quote, a backslash, a control
character, a byte that is not UTF-8) is quoted as git quotes it with ``core.quotePath``
off: in double quotes, with ``\\n``, ``\\t``, ``\\"``, ``\\\\`` and octal bytes, so that
one path stays one line and ``git``'s own unquoting gives the bytes back. Characters that
reorder or break lines on a terminal (C1 controls, bidirectional overrides, line and
paragraph separators) are quoted as octal bytes as well. Anything else, including valid
non-ASCII, is shown as is.
"""

from __future__ import annotations

import re

_ESCAPES = {"\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f",
            "\r": "\\r", '"': '\\"', "\\": "\\\\"}

# Control characters, DEL, C1 controls, line/paragraph separators, bidirectional
# embeddings, overrides and isolates, and the surrogates that stand for non-UTF-8 bytes.
_NEEDS_QUOTING = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069'
                            '\udc80-\udcff]')


def shown(path: str) -> str:
    """``path`` fit for one line of text: unchanged, or C-quoted as git quotes it."""
    if not _NEEDS_QUOTING.search(path):
        return path
    return '"' + _NEEDS_QUOTING.sub(_escape, path) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    found = _ESCAPES.get(char)
    if found is not None:
        return found
    raw = char.encode("utf-8", errors="surrogateescape")
    return "".join(f"\\{byte:03o}" for byte in raw)


def unquoted(text: str) -> str:
    """The path that ``shown`` turned into ``text`` (a C-quoted string or a plain one)."""
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    out = bytearray()
    body = text[1:-1]
    reverse = {v[1]: k for k, v in _ESCAPES.items()}
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out += char.encode("utf-8", errors="surrogateescape")
            i += 1
        elif body[i + 1:i + 2] in reverse:
            out += reverse[body[i + 1]].encode()
            i += 2
        else:
            out.append(int(body[i + 1:i + 4], 8))
            i += 4
    return out.decode("utf-8", errors="surrogateescape")
