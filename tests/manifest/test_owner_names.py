"""Awkward names through `gitorch owner` and the one way paths are shown on a line."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch.cli import main as cli_main
from gitorch.manifest.loading import parse_manifest
from gitorch.manifest.pathnames import shown, unquoted
from tests.conftest import MINIMAL_MANIFEST, GitRepo, examples
from tests.names import commit_files, corpus, paths

MANIFEST = MINIMAL_MANIFEST + """\
  docs:
    owns: ["docs/**", "/*.md", "!docs/private/**"]
"""
OWNERSHIP = parse_manifest(MANIFEST).ownership
PREFIXES = ["src/core", "src/api", "docs", "docs/private", "other"]
BEYOND_GIT = re.compile("[\x80-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
NOT_UTF8 = re.compile("[\udc80-\udcff]")


def owner(tmp_path: Path, *args: str, stdin: bytes = b"") -> bytes:
    manifest = tmp_path / "m.yaml"
    if not manifest.exists():
        manifest.write_text(MANIFEST)
    result = CliRunner().invoke(cli_main, ["--manifest", str(manifest), "owner", *args],
                                input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def raw(path: str) -> bytes:
    return path.encode("utf-8", errors="surrogateescape")


def everything() -> list[str]:
    return [name for prefix in PREFIXES for name in corpus(prefix)]


def test_the_corpus_through_every_input_and_output(tmp_path: Path) -> None:
    names = everything()
    expected = [OWNERSHIP.owner_of(n) for n in names]
    assert set(expected) == {"alpha", "beta", "docs", "-"}
    # -z: NUL in, NUL out, bytes exact
    out = owner(tmp_path, "-z", stdin=b"\0".join(raw(n) for n in names) + b"\0")
    fields = out.split(b"\0")
    assert fields[-1] == b"" and len(fields) == 2 * len(names) + 1
    assert fields[0:-1:2] == [raw(n) for n in names]
    assert [f.decode() for f in fields[1::2]] == expected
    # lines: one path a line, quoted where a line cannot carry it, and read back unquoted
    text = owner(tmp_path, stdin=b"".join(raw(shown(n)) + b"\n" for n in names
                                          if n.strip())).decode()
    rows = [line.rsplit("\t", 1) for line in text.split("\n")[:-1]]
    assert [(unquoted(p), o) for p, o in rows] == [(n, OWNERSHIP.owner_of(n)) for n in names
                                                   if n.strip()]
    # JSON and arguments: the names themselves
    data = json.loads(owner(tmp_path, "--json", *names))
    assert [(e["path"], e["owner"]) for e in data["owners"]] == list(zip(names, expected,
                                                                         strict=True))


def test_git_ls_files_piped_in_as_git_quotes_it(tmp_path: Path, repo: GitRepo) -> None:
    names = everything()
    tip = commit_files(repo.path, "names", dict.fromkeys(names, "x\n"), ref="refs/heads/main")
    repo.git("read-tree", tip)                  # an index to list, no checkout needed
    listed = subprocess.run(["git", "ls-files"], cwd=repo.path, capture_output=True,
                            check=True).stdout
    assert b'"docs/caf\\303\\251"' in listed.split(b"\n")        # git's quotePath at work
    text = owner(tmp_path, stdin=listed).decode("utf-8", "surrogateescape")
    zero = subprocess.run(["git", "ls-files", "-z"], cwd=repo.path, capture_output=True,
                          check=True).stdout
    fields = owner(tmp_path, "-z", stdin=zero).split(b"\0")
    by_z = dict(zip((f.decode("utf-8", "surrogateescape") for f in fields[0:-1:2]),
                    (f.decode() for f in fields[1::2]), strict=True))
    by_line = {unquoted(p): o for p, o in (line.rsplit("\t", 1) for line in text.split("\n")[:-1])}
    assert by_line == by_z == {n: OWNERSHIP.owner_of(n) for n in names}


@pytest.fixture(scope="module")
def manifest_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("owner") / "m.yaml"
    path.write_text(MANIFEST)
    return path


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(PREFIXES), paths), min_size=1, max_size=6))
def test_generated_names_in_and_out(manifest_file: Path, picked: list[tuple[str, str]]) -> None:
    names = [f"{prefix}/{path}" for prefix, path in picked]
    expected = [(n, OWNERSHIP.owner_of(n)) for n in names]
    run = CliRunner().invoke(cli_main, ["--manifest", str(manifest_file), "owner", "-z"],
                             input=b"\0".join(raw(n) for n in names), catch_exceptions=False)
    fields = run.stdout_bytes.split(b"\0")[:-1]
    assert [(p.decode("utf-8", "surrogateescape"), o.decode())
            for p, o in zip(fields[0::2], fields[1::2], strict=True)] == expected
    run = CliRunner().invoke(cli_main, ["--manifest", str(manifest_file), "owner"],
                             input=b"".join(raw(shown(n)) + b"\n" for n in names),
                             catch_exceptions=False)
    rows = run.stdout_bytes.decode().split("\n")[:-1]
    assert [(unquoted(p), o) for p, o in (r.rsplit("\t", 1) for r in rows)] == expected


@settings(max_examples=examples(0.75))      # 300 in CI, 75 locally
@given(st.text(min_size=1, max_size=20) | paths
       | st.binary(min_size=1, max_size=12).map(lambda b: b.decode("utf-8", "surrogateescape")))
def test_shown_is_one_line_and_unquotes_to_the_path(path: str) -> None:
    text = shown(path)
    assert "\n" not in text and "\t" not in text and "\r" not in text
    assert all(not ("\udc80" <= c <= "\udcff") for c in text)
    text.encode("utf-8")                       # printable anywhere: no lone surrogates
    assert unquoted(text) == path
    if text != path:
        assert text.startswith('"') and text.endswith('"')


def git_listing(repo: GitRepo, names: list[str], *, quote_path: bool) -> list[str]:
    tip = commit_files(repo.path, "names", dict.fromkeys(names, "x\n"),
                       ref=f"refs/heads/quote-path-{quote_path}")
    out = subprocess.run(["git", "-c", f"core.quotePath={str(quote_path).lower()}", "ls-tree",
                          "-r", "--name-only", tip], cwd=repo.path, capture_output=True,
                         check=True).stdout
    return sorted(out.decode("utf-8", "surrogateescape").split("\n")[:-1])


def test_shown_quotes_as_git_does(repo: GitRepo) -> None:
    """Valid UTF-8 as git shows it with core.quotePath off; bytes that are not UTF-8 as git
    shows them with it on (octal); beyond git, C1 controls, line separators and
    bidirectional controls are quoted too."""
    names = everything()
    readable = [n for n in names if not BEYOND_GIT.search(n) and not NOT_UTF8.search(n)]
    assert git_listing(repo, readable, quote_path=False) == sorted(shown(n) for n in readable)
    broken = [n for n in names if NOT_UTF8.search(n) and n.encode("ascii", "surrogateescape")]
    assert broken
    assert git_listing(repo, broken, quote_path=True) == sorted(shown(n) for n in broken)
    assert shown("a\u202eb\x85c") == '"a\\342\\200\\256b\\302\\205c"'
