"""Where the policy comes from, the bootstrap push, the pinned file, and failing closed."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitorch.enforce import hookrun, install, receive
from gitorch.errors import UsageError
from tests.conftest import GitRepo
from tests.hooks.conftest import MANIFEST, ZERO, Server, make_server, on_branch, push


def empty_server(tmp_path: Path) -> tuple[GitRepo, GitRepo]:
    bare = GitRepo(tmp_path / "server.git", bare=True)
    install.install_server(bare.path)
    clone = GitRepo(tmp_path / "work")
    clone.git("remote", "add", "origin", str(bare.path))
    return bare, clone


def test_no_policy_only_the_push_creating_the_base_branch_passes(tmp_path: Path) -> None:
    _, clone = empty_server(tmp_path)
    clone.git("checkout", "-q", "-b", "team/alpha")
    clone.commit("Core first", {"src/core/a.py": "a\n"})
    result = push(clone, "team/alpha", user="lead")
    assert result.code == 1
    assert result.remote == [
        "gitorch: push rejected: no readable policy in gitorch.yaml on main: the base branch "
        "main does not exist yet; " + receive.NO_POLICY_ADVICE]
    clone.git("checkout", "-q", "--orphan", "main")
    clone.git("rm", "-q", "-rf", ".")
    clone.commit("Bad manifest", {"gitorch.yaml": "version: 1\nteams: []\n"})
    assert push(clone, "main").code == 1
    clone.commit("Manifest", {"gitorch.yaml": MANIFEST})
    result = push(clone, "main")
    assert result.code == 0, result.stderr
    assert result.remote == ["gitorch: ok refs/heads/main: creates the base branch main with a "
                             "valid gitorch.yaml"]
    # From now on the policy is the one on main: alpha's out-of-scope commit is refused.
    on_branch(clone, "team/alpha")
    clone.commit("API", {"src/api/x.py": "x\n"})
    assert push(clone, "team/alpha").code == 1


def test_bootstrap_push_judges_its_other_refs_with_the_new_manifest(tmp_path: Path) -> None:
    _, clone = empty_server(tmp_path)
    clone.commit("Manifest", {"gitorch.yaml": MANIFEST})
    on_branch(clone, "team/beta")
    clone.commit("Reach into core", {"src/core/x.py": "x\n"})
    result = push(clone, "main", "team/beta")
    assert result.code == 1
    assert result.remote[0] == ("gitorch: ok refs/heads/main: creates the base branch main with a "
                                "valid gitorch.yaml")
    assert result.remote[-1] == "gitorch: push rejected (1 of 2 refs refused); nothing was applied"


def test_broken_policy_on_the_server_rejects_in_one_line(tmp_path: Path) -> None:
    server = make_server(tmp_path, hook=False)
    c = server.clone
    c.commit("Broken manifest", {"gitorch.yaml": "version: 1\nproject: [\n"})
    c.git("push", "-q", "origin", "main")           # before the hook: the server breaks
    install.install_server(server.bare.path)
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/x.py": "x\n"})
    result = push(c, "team/alpha", user="alice")
    assert result.code == 1
    assert len(result.remote) == 1
    assert result.remote[0].startswith("gitorch: push rejected: no readable policy in "
                                       f"gitorch.yaml on main: gitorch.yaml@{c.head('main')[:8]}:3: "
                                       "not valid YAML")
    assert result.remote[0].endswith(receive.NO_POLICY_ADVICE)


def test_pinned_policy_wins_over_the_base_branch(tmp_path: Path) -> None:
    server = make_server(tmp_path, hook=False)
    pinned = tmp_path / "policy.yaml"
    pinned.write_text(MANIFEST.replace('"src/core/**", "Docs/**"', '"src/**"')
                      .replace('"src/api/**"', '"api/**"'))
    install.install_server(server.bare.path, policy=pinned)
    assert f"--policy {pinned}" in (server.bare.path / "hooks/pre-receive").read_text()
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("API per the pinned policy", {"src/api/x.py": "x\n"})
    assert push(c, "team/alpha", user="alice").code == 0
    pinned.write_text("not: [valid\n")
    c.commit("More", {"src/core/y.py": "y\n"})
    result = push(c, "team/alpha", user="alice")
    assert len(result.remote) == 1
    assert result.remote[0].startswith(f"gitorch: push rejected: no readable policy in {pinned}: "
                                       f"{pinned}:2: not valid YAML")


def test_hook_python_gone_fails_closed(server: Server) -> None:
    hook = server.bare.path / "hooks/pre-receive"
    hook.write_text(install.hook_script("pre-receive", "/nonexistent/python3"))
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/x.py": "x\n"})
    result = push(c, "team/alpha", user="alice")
    assert result.code == 1
    assert len(result.remote) == 1 and "/nonexistent/python3" in result.remote[0]
    assert server.ref("team/alpha") is None


def test_garbage_on_stdin_fails_closed_in_one_line(server: Server) -> None:
    run = subprocess.run([str(server.bare.path / "hooks/pre-receive")], input="not a ref line\n",
                         capture_output=True, text=True, cwd=server.bare.path,
                         env={**os.environ, "GIT_DIR": "."})
    assert run.returncode == 1
    assert run.stderr == ("gitorch: push rejected: internal error in the hook: ValueError: "
                          "unexpected input line 'not a ref line'\n")


def test_any_crash_is_one_line_and_a_refusal(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: object, **_kw: object) -> list[receive.Verdict]:
        raise KeyError("surprise")

    monkeypatch.setattr(receive, "judge_push", boom)
    monkeypatch.chdir(server.bare.path)
    out = io.StringIO()
    line = f"{ZERO} {server.clone.head()} refs/heads/team/alpha\n"
    code = hookrun.run(["pre-receive"], io.StringIO(line), out, {})
    assert code == 1
    assert out.getvalue() == "gitorch: push rejected: internal error in the hook: KeyError: 'surprise'\n"


def test_install_refuses_foreign_hooks_and_non_bare_repos(server: Server, tmp_path: Path) -> None:
    hook = server.bare.path / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\nexit 0\n")
    with pytest.raises(UsageError, match="exists and was not written by gitorch"):
        install.install_server(server.bare.path)
    assert install.install_server(server.bare.path, force=True).replaced
    assert install.install_server(server.bare.path).replaced       # ours: rewritten quietly
    text = hook.read_text()
    assert text.startswith("#!/bin/sh\n# gitorch-hook: pre-receive")
    assert f"exec {sys.executable} -I -m gitorch.hooks pre-receive \"$@\"" in text
    assert os.access(hook, os.X_OK)
    with pytest.raises(UsageError, match="is not a bare repository"):
        install.install_server(server.clone.path)


def test_repository_templates_match_the_generator() -> None:
    root = Path(__file__).resolve().parents[2]
    for kind in ("pre-receive", "pre-commit", "pre-push"):
        path = root / "hooks" / kind
        assert path.read_text() == install.hook_script(kind, "python3")
        assert os.access(path, os.X_OK)


@pytest.mark.xdist_group("manifest-cache")
@pytest.mark.usefixtures("steady_cache_key")
def test_policy_cache_is_written_and_a_broken_one_is_ignored(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/x.py": "x\n"})
    assert push(c, "team/alpha").code == 0
    caches = list((server.bare.path / "gitorch-cache").glob("manifest-*.pickle"))
    blob = server.bare.git("rev-parse", "main:gitorch.yaml").stdout.strip()
    assert [p.name.endswith(f"-{blob}.pickle") for p in caches] == [True]
    caches[0].write_bytes(b"not a pickle")
    c.commit("API", {"src/api/x.py": "x\n"})
    result = push(c, "team/alpha")
    assert result.code == 1                          # still judged, by a freshly parsed policy
    assert result.remote[2] == "    src/api/x.py  (owner: beta)"


def test_install_honours_core_hooks_path(tmp_path: Path) -> None:
    server = make_server(tmp_path, hook=False)
    server.bare.git("config", "core.hooksPath", str(tmp_path / "server-hooks"))
    installed = install.install_server(server.bare.path)
    assert installed.path == tmp_path / "server-hooks" / "pre-receive"
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("API", {"src/api/x.py": "x\n"})
    assert push(c, "team/alpha").code == 1


def test_a_policy_push_with_overlapping_teams_names_a_file_of_its_tree(tmp_path: Path) -> None:
    """The lead's push of a manifest where two teams own the same file is refused, and the
    overlap is shown on a file of the pushed tree (not a path the tree cannot hold)."""
    server = make_server(tmp_path)
    c = server.clone
    overlapping = MANIFEST.replace('owns: ["src/api/**"]', 'owns: ["src/api/**", "src/core/x.py"]')
    c.commit("Give x.py to beta as well", {"gitorch.yaml": overlapping, "src/core/x.py": "x\n"})
    result = push(c, "main", user="lead")
    assert result.code == 1
    assert any("'alpha' and 'beta' both own 'src/core/x.py'" in line for line in result.remote), \
        result.remote
