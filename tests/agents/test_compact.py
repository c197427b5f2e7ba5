"""The guard's compiled policy answers exactly as the ownership engine and the server do,
for any scopes and any path (awkward names included); it is read back only by the code
that wrote it, and a broken or foreign file is never trusted."""

from __future__ import annotations

import json
import marshal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch.agents import compact, jsonio
from gitorch.agents.locate import Checkout, checkout_of
from gitorch.agents.policy import MANIFEST, Policies, guard_policy
from gitorch.enforce.commits import MANIFEST_OWNER
from gitorch.manifest.ownership import UNOWNED, Ownership
from gitorch.manifest.records import DEFAULT_MANIFEST, SHARED, Manifest, Team, TeamName
from gitorch.manifest.scope import CompiledOwnership
from tests.agents.conftest import Shop, assert_allowed, assert_refused, event, guard
from tests.manifest.strategies import PATH_SEGMENTS, patterns

SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
                    deadline=None)
# names a path may have that a line of text or a regular expression trips on
AWKWARD = [*PATH_SEGMENTS, "README.md", "x.md", ".md", "core", "core\n", "new\nline", "it's",
           'say "hi"', "back\\slash", "tab\there", "cafe\u0301", "caf\u00e9", "\udcff\udcfe",
           "src", "x.py", "gitorch.yaml", "[x]", "!x", "#x", "a ", "~"]
PATHS = st.lists(st.sampled_from(AWKWARD), min_size=1, max_size=4).map("/".join)
SCOPE = st.lists(st.one_of(patterns(), st.sampled_from(
    ["src/**", "src/", "src", "/src", "README.md", "*.md", "docs/*.md", "a/**/b", "**/x/**",
     "src/core\n", "a\\ ", "src/*/x", "!README.md", "x.py"])), min_size=1, max_size=4)


def manifest_of(shared: list[str], scopes: list[list[str]]) -> Manifest:
    teams = {}
    for i, owns in enumerate(scopes):
        name = TeamName(f"t{i}")
        # t1 is a sub-team of t0: t0 may change t1's paths
        teams[name] = Team(name=name, owns=tuple(owns),
                           parent=TeamName("t0") if i == 1 else None)
    return Manifest(path=Path(DEFAULT_MANIFEST), project="p", teams=teams, shared=tuple(shared))


def server_may_change(compiled: CompiledOwnership, team: str, path: str) -> bool:
    """The server's rule (``ScopeJudge.may_change``): the ownership engine's, and never the
    policy file."""
    return path != DEFAULT_MANIFEST and compiled.may_change(TeamName(team), path)


@SETTINGS
@given(shared=SCOPE, scopes=st.lists(SCOPE, min_size=1, max_size=4),
       sample=st.lists(PATHS, min_size=1, max_size=25))
def test_the_compiled_policy_equals_the_ownership_engine(shared: list[str], scopes: list[list[str]],
                                                          sample: list[str]) -> None:
    manifest = manifest_of(shared, scopes)
    engine = Ownership.from_manifest(manifest)
    hook = CompiledOwnership(Ownership.from_manifest(manifest))
    data = compact.compile_policy(manifest, "0" * 40)
    rules = compact.CompactPolicy(marshal.loads(marshal.dumps(data)))   # as read from its file
    for path in sample:
        assert rules.owner_of(path) == engine.owner_of(path) == hook.owner_of(path), path
        for team in manifest.teams:
            assert rules.may_change(team, path) == server_may_change(hook, team, path), \
                (team, path)


def test_plain_directory_scopes_need_no_regular_expression() -> None:
    manifest = manifest_of(["README.md"], [["src/a/**", "tests/a/"], ["src/b", "docs/b/*.md"]])
    data = compact.compile_policy(manifest, "0" * 40)
    kinds = {text: kind for _, _, patterns in data["scopes"] for _, kind, text, _, _ in patterns}
    assert kinds["src/a/"] == compact.PREFIX
    assert kinds["tests/a/"] == compact.DIRECTORY
    assert kinds["src/b"] == compact.PLAIN
    rules = compact.CompactPolicy(data)
    assert rules.owner_of("src/b\n") == "t1"          # pathspec's '$' before a last newline
    assert rules.owner_of("src/bb") == "-"
    assert rules.owner_of("docs/b/x.md") == "t1"
    assert rules.owner_of("x/README.md") == "shared"
    assert rules.may_change("t0", MANIFEST) is False
    assert MANIFEST == DEFAULT_MANIFEST and MANIFEST_OWNER == "integrators"
    assert (compact.SHARED, compact.UNOWNED) == (SHARED, UNOWNED)     # the engine's names


# --------------------------------------------------------------------------- the file


def test_the_file_is_read_back_only_by_the_code_that_wrote_it(tmp_path: Path) -> None:
    manifest = manifest_of([], [["src/**"]])
    data = compact.compile_policy(manifest, "1" * 40)
    compact.write(str(tmp_path), data)
    found = compact.read(str(tmp_path), "1" * 40)
    assert found is not None and found.owner_of("src/x") == "t0"
    assert compact.read(str(tmp_path), "2" * 40) is None           # another manifest
    for n in range(3, 9):
        compact.write(str(tmp_path), {**data, "blob": str(n) * 40})
    kept = sorted(p.name.split("-")[1][0] for p in tmp_path.glob("guard-*.marshal"))
    assert kept == ["5", "6", "7", "8"]                          # the newest KEEP
    compact.write(str(tmp_path), data)
    file = tmp_path / compact.file_name("1" * 40)
    # written by other code: one recorded file changed since
    stale = {**data, "fingerprint": [(p, size + 1, mtime) for p, size, mtime in data["fingerprint"]]}
    file.write_bytes(marshal.dumps(stale))
    assert compact.read(str(tmp_path), "1" * 40) is None
    for junk in (b"", b"\x00garbage", marshal.dumps([1, 2]), marshal.dumps({**data, "format": 0})):
        file.write_bytes(junk)
        assert compact.read(str(tmp_path), "1" * 40) is None


def test_a_broken_compiled_policy_is_replaced_and_the_answer_stays(shop: Shop) -> None:
    common = str((shop.main / ".git").resolve())
    rules = guard_policy(common).compact
    assert rules is not None
    cache = Path(common) / "gitorch" / "cache"
    written = list(cache.glob("guard-*.marshal"))
    assert len(written) == 1
    written[0].write_bytes(b"not marshal")
    text = event("claude-write", cwd=str(shop.alpha), path=f"{shop.alpha}/src/api/x.py")
    assert_refused("claude", guard("claude", text), "src/api/x.py is owned by team beta")
    assert compact.read(str(cache), written[0].name.split("-")[1]) is not None   # rewritten


def test_a_new_manifest_on_the_base_is_obeyed_at_once(shop: Shop) -> None:
    path = f"{shop.alpha}/docs/alpha.md"
    assert_refused("claude", guard("claude", event("claude-write", cwd=str(shop.alpha),
                                                   path=path)), "docs/alpha.md belongs to no team")
    text = (shop.main / "gitorch.yaml").read_text().replace('owns: ["src/core/**"]',
                                                            'owns: ["src/core/**", "docs/*.md"]')
    shop.repo.commit("Alpha writes docs", {"gitorch.yaml": text})
    assert_allowed("claude", guard("claude", event("claude-write", cwd=str(shop.alpha),
                                                   path=path)))
    place = Policies().place(_checkout(shop.alpha))
    assert place.team == "alpha" and place.policy.compact is not None


def _checkout(path: Path) -> Checkout:
    found = checkout_of(str(path))
    assert found is not None
    return found


# --------------------------------------------------------------------------- JSON


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(), inner, max_size=4), max_leaves=12)


@settings(deadline=None)
@given(value=JSON, pad=st.sampled_from(["", " ", "\n", " \t\r\n"]))
def test_json_in_and_out_as_the_json_module(value: object, pad: str) -> None:
    text = json.dumps(value)
    assert jsonio.dumps(value) == text
    assert jsonio.loads(pad + text + pad) == value
    assert jsonio.loads(json.dumps(value, indent=2)) == value


def test_what_is_no_json_is_a_value_error() -> None:
    for text in ("", "{", '{"a": 1} x', "[1,]", "nan", '"\\x"'):
        try:
            jsonio.loads(text)
        except ValueError:
            continue
        raise AssertionError(f"{text!r} was read")
    assert jsonio.loads("NaN") != jsonio.loads("NaN")       # json.loads reads it too
