"""Awkward file names, a test dimension of their own: a fixed corpus, a hypothesis
strategy, and a builder that commits any names git accepts, byte for byte.

Names are ``str`` as gitorch sees them: bytes that are not UTF-8 arrive as lone
surrogates (``surrogateescape``), the way both the hook's reader and pygit2 decode them.
The builder writes objects with ``git fast-import``, so names need no file system (a
component longer than 255 bytes is fine) and a commit of a hundred names is one process.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from hypothesis import strategies as st

LONG = "l" * 240                            # near the file system's 255-byte limit
TOO_LONG_FOR_A_DISK = "L" * 300             # only git can hold it

# One path component each. Every kind the hook's model-based testing asked for, and the
# shapes of git's own output (cat-file's "missing", log's status letters and our markers).
COMPONENTS: tuple[str, ...] = (
    "with space", "two  spaces", " leading space", "trailing space ", "tab\there",
    "new\nline", "\nleading newline", "trailing newline\n", "cr\rhere", "trailing cr\r", 'double"quote',
    "single'quote", "back\\slash", "\\", "-dash", "--double-dash", "-", "star*", "ques?tion",
    "[bracket]", "[!neg]", "**", "a{b,c}", "!bang", "#hash", "~tilde", "caf\u00e9",
    "cafe\u0301", "\u65e5\u672c\u8a9e", "emoji \U0001f642", "\u202eright-to-left",
    "bad\udcffbyte", "\udcc3(", "\udce9t\udce9", LONG, "x missing", "x ambiguous",
    "missing", f"{'0' * 40} blob 5", "HEAD", "@{1}", "a:b", ":colon", "^{tree}", "M\tx", "A",
    "\x01" + "a" * 40 + "\x02fake header", "\x01ctl", "del\x7f", "$HOME", "`tick`", "a;b|c&d",
    "%s %d", ".hidden", "...", "CON", "\u00a0nbsp", "zero\u200bwidth",
)

# Whole paths: nesting, depth, and the issue's own reproduction.
PATHS: tuple[str, ...] = (
    "with space/a.md", "with space/with space/b.md", "new\nline/x missing/c.md",
    "/".join(["d"] * 40) + "/deep.md", "/".join([LONG] * 4) + "/long.md",
    f"{TOO_LONG_FOR_A_DISK}/f.md", "-dash/--x", "star*/[a]/?.md",
)


def corpus(prefix: str, *, disk: bool = False) -> list[str]:
    """Every component as a file under ``prefix`` (a directory, no trailing slash), and
    every path under ``prefix/nested``; with ``disk``, only names a file system can hold
    (for tests that check the files out)."""
    return [name for name in (*(f"{prefix}/{c}" for c in COMPONENTS),
                              *(f"{prefix}/nested/{p}" for p in PATHS))
            if not disk or TOO_LONG_FOR_A_DISK not in name]


def valid_component(name: str) -> bool:
    """A name git stores in a tree without complaint (protectNTFS and protectHFS aside)."""
    folded = name.lower().rstrip(". ")
    return (bool(name) and "/" not in name and "\0" not in name and name not in (".", "..")
            and not folded.startswith(".git") and not folded.startswith("git~"))


_ALPHABET = st.sampled_from([
    "a", "b", "Z", " ", "  ", "\t", "\n", "\r", '"', "'", "\\", "-", "*", "?", "[", "]", "{",
    "!", "#", ":", "@", "^", "~", ".", "\u00e9", "e\u0301", "\u00c9", "\u65e5", "\U0001f642",
    "\udcff", "\udc80", "\x01", "\x02", "\x7f", " missing", " ambiguous", "M\t", "0" * 40,
])

# A component built from awkward pieces; "/" never, so each stays one tree entry.
components = st.one_of(
    st.sampled_from(COMPONENTS),
    st.lists(_ALPHABET, min_size=1, max_size=6).map("".join),
    st.text(st.characters(exclude_characters="/\0", exclude_categories=["Cs"]),
            min_size=1, max_size=12),
).filter(valid_component)

paths = st.lists(components, min_size=1, max_size=3).map("/".join)


def quote(path: str) -> bytes:
    """``path`` as fast-import reads a quoted path: C-style, every byte outside ASCII in octal."""
    out = bytearray(b'"')
    for byte in path.encode("utf-8", errors="surrogateescape"):
        if byte in b'"\\':
            out += b"\\" + bytes([byte])
        elif 0x20 <= byte < 0x7f:
            out.append(byte)
        else:
            out += f"\\{byte:03o}".encode()
    return bytes(out + b'"')


def commit_files(repo: Path, message: str, files: Mapping[str, bytes | str | None], *,
                 ref: str, parent: str | None = None, parents: Sequence[str] = (),
                 when: int = 1700000000) -> str:
    """Commit ``files`` (None deletes a path) on top of ``parent`` (default: ``ref``'s tip,
    if any) to ``ref``, with ``git fast-import``; returns the commit id. The work tree and
    index are not touched."""
    if parent is None:
        found = subprocess.run(["git", "rev-parse", "-q", "--verify", f"{ref}^{{commit}}"],
                               cwd=repo, capture_output=True, text=True)
        parent = found.stdout.strip() or None
    stream = bytearray()
    stream += f"commit {ref}\nmark :1\ncommitter T <t@example.com> {when} +0000\n".encode()
    body = message.encode()
    stream += b"data %d\n%s\n" % (len(body), body)
    if parent is not None:
        stream += f"from {parent}\n".encode()
    for other in parents:
        stream += f"merge {other}\n".encode()
    for path, content in files.items():
        if content is None:
            stream += b"D " + quote(path) + b"\n"
            continue
        data = content.encode() if isinstance(content, str) else content
        stream += b"M 100644 inline " + quote(path) + b"\n"
        stream += b"data %d\n%s\n" % (len(data), data)
    stream += b"get-mark :1\n"
    proc = subprocess.run(["git", "fast-import", "--quiet", "--force"], cwd=repo,
                          input=bytes(stream), capture_output=True)
    if proc.returncode != 0:
        raise AssertionError(f"git fast-import failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode().strip()


def ls_tree_paths(repo: Path, rev: str) -> set[str]:
    """Every file path of ``rev`` as git lists it (``-z``: no quoting), decoded as gitorch does."""
    out = subprocess.run(["git", "ls-tree", "-r", "-z", "--name-only", rev], cwd=repo,
                         capture_output=True, check=True).stdout
    return {p.decode("utf-8", errors="surrogateescape") for p in out.split(b"\0") if p}
