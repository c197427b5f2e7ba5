"""gitorch expand: all files or none, inside the team's scope, in a sandbox."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import Cli, GitRepo

ENTITIES = """\
megafile: core_entities
team: alpha
vars:
  entities: [user, product]
rules:
  - for: entity in entities
    path: "src/core/entities/{{ entity }}.py"
    template: |
      class {{ entity | capitalize }}:
          name = "{{ entity }}"
  - path: "src/core/entities/__init__.py"
    template: |
      {% for e in entities %}from .{{ e }} import {{ e | capitalize }}
      {% endfor %}
"""


def write_megafile(repo: GitRepo, text: str, name: str = "mega.yaml") -> str:
    (repo.path / name).write_text(text)
    return name


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and ".git" not in p.parts)


def test_expands_the_contract_example(shop: GitRepo, cli: Cli) -> None:
    mega = write_megafile(shop, ENTITIES)
    result = cli("expand", mega, cwd=shop.path)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "src/core/entities/user.py          2 lines  new\n"
        "src/core/entities/product.py       2 lines  new\n"
        "src/core/entities/__init__.py      3 lines  new\n"
        "core_entities (alpha): wrote 3 files, 0 unchanged, 7 lines in all\n"
    )
    assert (shop.path / "src/core/entities/product.py").read_text() == (
        'class Product:\n    name = "product"\n')
    assert (shop.path / "src/core/entities/__init__.py").read_text() == (
        "from .user import User\nfrom .product import Product\n\n")
    again = cli("expand", mega, cwd=shop.path)   # same content: nothing to refuse
    assert again.exit_code == 0
    assert again.stdout.splitlines()[-1] == (
        "core_entities (alpha): wrote 0 files, 3 unchanged, 7 lines in all")


def test_dry_run_and_json_write_nothing(shop: GitRepo, cli: Cli) -> None:
    mega = write_megafile(shop, ENTITIES)
    before = tree(shop.path)
    result = cli("expand", mega, "--dry-run", cwd=shop.path)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == (
        "core_entities (alpha): would write 3 files, 0 unchanged, 7 lines in all")
    result = cli("expand", mega, "--dry-run", "--json", cwd=shop.path)
    assert json.loads(result.stdout) == {
        "megafile": "core_entities", "team": "alpha", "dry_run": True, "written": False,
        "files": [{"path": "src/core/entities/user.py", "lines": 2, "status": "new"},
                  {"path": "src/core/entities/product.py", "lines": 2, "status": "new"},
                  {"path": "src/core/entities/__init__.py", "lines": 3, "status": "new"}],
        "problems": [],
    }
    assert tree(shop.path) == before
    result = cli("expand", mega, "--json", cwd=shop.path)
    assert json.loads(result.stdout)["written"] is True
    assert (shop.path / "src/core/entities/user.py").exists()


def test_team_from_the_checked_out_branch(shop: GitRepo, cli: Cli) -> None:
    mega = write_megafile(shop, ENTITIES.replace("team: alpha\n", ""))
    result = cli("expand", mega, "--dry-run", cwd=shop.path)
    assert result.exit_code == 2
    assert result.output == ("gitorch: branch 'main' is no team branch (team/<team>); "
                             "check out your team's branch or pass --team TEAM\n")
    shop.checkout("team/beta")
    result = cli("expand", mega, "--dry-run", cwd=shop.path)
    assert result.exit_code == 1
    assert "outside team beta's scope (owner: alpha)" in result.stderr
    shop.checkout("team/alpha")
    assert cli("expand", mega, "--dry-run", cwd=shop.path).exit_code == 0


def refused(cli: Cli, repo: GitRepo, text: str, *args: str) -> list[str]:
    """Run expand on a mega-file that must be refused; return its problem lines."""
    mega = write_megafile(repo, text)
    before = {p: (repo.path / p).read_bytes() for p in tree(repo.path)}
    result = cli("expand", mega, *args, cwd=repo.path)
    assert result.exit_code == 1, result.output
    assert {p: (repo.path / p).read_bytes() for p in tree(repo.path)} == before   # nothing written
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("gitorch: nothing written: ")
    return lines[:-1]


def one_rule(path: str, template: str = "x\n", extra: str = "") -> str:
    return ("megafile: m\nteam: alpha\nvars: {items: [a]}\nrules:\n"
            "  - path: src/core/good.py\n    template: ok\n"
            f"  - path: {json.dumps(path)}\n    template: {json.dumps(template)}\n{extra}")


def test_refuses_a_path_outside_the_scope(shop: GitRepo, cli: Cli) -> None:
    assert refused(cli, shop, one_rule("src/api/{{ items[0] }}.py")) == [
        "gitorch: mega.yaml: rule 2: src/api/a.py: is outside team alpha's scope (owner: beta)"]
    assert refused(cli, shop, one_rule("elsewhere.txt")) == [
        "gitorch: mega.yaml: rule 2: elsewhere.txt: is outside team alpha's scope (owner: -)"]


def test_refuses_absolute_and_dotdot_paths(shop: GitRepo, cli: Cli) -> None:
    assert refused(cli, shop, one_rule("/tmp/x.py")) == [
        "gitorch: mega.yaml: rule 2: /tmp/x.py: is an absolute path"]
    assert refused(cli, shop, one_rule("C:/x.py")) == [
        "gitorch: mega.yaml: rule 2: C:/x.py: is an absolute path"]
    assert refused(cli, shop, one_rule("src/core/../../x.py")) == [
        "gitorch: mega.yaml: rule 2: src/core/../../x.py: contains '..'"]
    assert refused(cli, shop, one_rule("src/core/.git/hooks/x")) == [
        "gitorch: mega.yaml: rule 2: src/core/.git/hooks/x: is not a plain repository path"]


def test_refuses_undefined_variables(shop: GitRepo, cli: Cli) -> None:
    assert refused(cli, shop, one_rule("src/core/x.py", "{{ nope }}")) == [
        "gitorch: mega.yaml: rule 2: render error: UndefinedError: 'nope' is undefined"]
    text = one_rule("src/core/{{ x }}.py", extra="    for: x in missing\n")
    assert refused(cli, shop, text) == [
        "gitorch: mega.yaml: rule 2: render error: UndefinedError: 'missing' is undefined"]


def test_refuses_a_syntax_error(shop: GitRepo, cli: Cli) -> None:
    lines = refused(cli, shop, one_rule("src/core/x.py", "{% for %}"))
    assert lines[0].startswith("gitorch: mega.yaml: rule 2: render error: TemplateSyntaxError: ")


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ items.__class__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ '{0.__class__}'.format(items) }}",
    "{{ range.__self__ }}",
    "{{ items.pop() }}",
])
def test_refuses_templates_that_reach_for_python_internals(
        shop: GitRepo, cli: Cli, template: str) -> None:
    lines = refused(cli, shop, one_rule("src/core/x.py", template))
    assert len(lines) == 1
    assert lines[0].startswith("gitorch: mega.yaml: rule 2: render error: ")
    assert ("SecurityError" in lines[0] or "UndefinedError" in lines[0]), lines[0]


def test_refuses_to_overwrite_without_force(shop: GitRepo, cli: Cli) -> None:
    shop.write({"src/core/entities/user.py": "mine\n"})
    assert refused(cli, shop, ENTITIES) == [
        "gitorch: mega.yaml: rule 1: src/core/entities/user.py: exists with other content "
        "(--force overwrites)"]
    result = cli("expand", "mega.yaml", "--force", cwd=shop.path)
    assert result.exit_code == 0
    assert "src/core/entities/user.py          2 lines  changed" in result.stdout
    assert (shop.path / "src/core/entities/user.py").read_text().startswith("class User:")


def test_every_problem_is_listed(shop: GitRepo, cli: Cli) -> None:
    text = ("megafile: m\nteam: alpha\nvars: {names: [a, b]}\nrules:\n"
            "  - for: n in names\n    path: 'src/api/{{ n }}.py'\n    template: x\n"
            "  - path: src/core/y.py\n    template: '{{ y }}'\n")
    assert refused(cli, shop, text) == [
        "gitorch: mega.yaml: rule 2: render error: UndefinedError: 'y' is undefined",
        "gitorch: mega.yaml: rule 1: src/api/a.py: is outside team alpha's scope (owner: beta)",
        "gitorch: mega.yaml: rule 1: src/api/b.py: is outside team alpha's scope (owner: beta)",
    ]


def test_refuses_one_path_with_two_bodies(shop: GitRepo, cli: Cli) -> None:
    text = ("megafile: m\nteam: alpha\nvars: {names: [a, b]}\nrules:\n"
            "  - for: n in names\n    path: src/core/same.py\n    template: '{{ n }}'\n")
    assert refused(cli, shop, text) == [
        "gitorch: mega.yaml: rule 1: src/core/same.py: rendered twice with different content"]


def test_refuses_a_symlink_out_of_the_repository(shop: GitRepo, cli: Cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (shop.path / "src").mkdir()
    os.symlink(outside, shop.path / "src/core")
    assert refused(cli, shop, one_rule("src/core/evil.py")) == [
        "gitorch: mega.yaml: rule 1: src/core/good.py: leads outside the repository",
        "gitorch: mega.yaml: rule 2: src/core/evil.py: leads outside the repository"]
    assert list(outside.iterdir()) == []


def test_combinations_of_several_lists(shop: GitRepo, cli: Cli) -> None:
    text = """\
megafile: combos
team: alpha
vars:
  models: [{name: m1, fields: [x, y]}, {name: m2, fields: [z]}]
  sizes: [s, l]
  kinds: [k]
rules:
  - for: [m in models, s in sizes]
    path: "src/core/a/{{ m.name }}_{{ s }}.py"
    template: "{{ m.name }}-{{ s }}"
  - for: "s in sizes, k in kinds"
    path: "src/core/b/{{ s }}_{{ k }}.py"
    template: ""
  - for: [m in models, f in m.fields]
    path: "src/core/c/{{ m.name }}_{{ f }}.py"
    template: "{{ f }}\\n"
"""
    mega = write_megafile(shop, text)
    result = cli("expand", mega, "--json", cwd=shop.path)
    assert result.exit_code == 0, result.output
    files = {f["path"]: f["lines"] for f in json.loads(result.stdout)["files"]}
    assert list(files) == [
        "src/core/a/m1_s.py", "src/core/a/m1_l.py", "src/core/a/m2_s.py", "src/core/a/m2_l.py",
        "src/core/b/s_k.py", "src/core/b/l_k.py",
        "src/core/c/m1_x.py", "src/core/c/m1_y.py", "src/core/c/m2_z.py",
    ]
    assert files["src/core/a/m2_l.py"] == 1 and files["src/core/b/s_k.py"] == 0
    assert (shop.path / "src/core/a/m2_l.py").read_text() == "m2-l"


@pytest.mark.parametrize(("text", "message"), [
    ("[1, 2]\n", "a mega-file is a mapping with 'megafile' and 'rules'"),
    ("megafile: m\nrules: []\n", "'rules' must be a non-empty list"),
    ("megafile: m\nrule: []\n", "unknown key 'rule' (known: megafile, team, vars, rules)"),
    ("megafile: m\nrules: [{path: a}]\n", "rule 1: 'template' must be a string"),
    ("megafile: m\nrules: [{path: a, template: b, for: 'x of y'}]\n",
     "rule 1: 'for: x of y' is not 'NAME in LIST'"),
    ("megafile: m\nrules: [{path: a, template: b, each: x}]\n",
     "rule 1: unknown key 'each' (known: for, path, template)"),
])
def test_malformed_megafiles_are_usage_errors(shop: GitRepo, cli: Cli, text: str, message: str) -> None:
    mega = write_megafile(shop, text)
    result = cli("expand", mega, cwd=shop.path)
    assert result.exit_code == 2
    assert result.output == f"gitorch: mega.yaml: {message}; see docs/progress.md, 'Mega-files'\n"


def test_unreadable_and_invalid_yaml(shop: GitRepo, cli: Cli) -> None:
    result = cli("expand", "missing.yaml", cwd=shop.path)
    assert result.exit_code == 2
    assert result.output == ("gitorch: missing.yaml: cannot read the mega-file: "
                             "No such file or directory; check the path\n")
    mega = write_megafile(shop, "megafile: [\n")
    result = cli("expand", mega, cwd=shop.path)
    assert result.exit_code == 2
    assert result.output.startswith("gitorch: mega.yaml:2: not valid YAML: ")


def test_a_list_that_is_no_list_is_a_render_error(shop: GitRepo, cli: Cli) -> None:
    text = one_rule("src/core/{{ x }}.py", extra="    for: x in 'abc'\n")
    assert refused(cli, shop, text) == [
        "gitorch: mega.yaml: rule 2: render error: TypeError: for: x in 'abc': not a list"]


def test_unknown_team_is_a_usage_error(shop: GitRepo, cli: Cli) -> None:
    mega = write_megafile(shop, ENTITIES.replace("team: alpha", "team: omega"))
    result = cli("expand", mega, cwd=shop.path)
    assert result.exit_code == 2
    assert result.output.startswith("gitorch: no team 'omega' in ")


def test_paths_are_relative_to_the_repository_root(shop: GitRepo, cli: Cli) -> None:
    write_megafile(shop, ENTITIES)
    sub = shop.path / "docs"
    sub.mkdir()
    result = cli("expand", "../mega.yaml", cwd=sub)
    assert result.exit_code == 0, result.output
    assert (shop.path / "src/core/entities/user.py").exists()
    assert not (sub / "src").exists()


def test_bare_repository_is_refused(make_repo: object, cli: Cli, tmp_path: Path) -> None:
    assert callable(make_repo)
    bare = make_repo("bare.git", bare=True)
    (tmp_path / "m.yaml").write_text(ENTITIES)
    (tmp_path / "gitorch.yaml").write_text("version: 1\nproject: p\nteams: {}\n")
    result = cli("--manifest", str(tmp_path / "gitorch.yaml"), "expand", str(tmp_path / "m.yaml"),
                 cwd=bare.path)
    assert result.exit_code == 2
    assert result.output == ("gitorch: a bare repository has no working tree to expand into; "
                             "run 'gitorch expand' in a clone or worktree\n")


def test_list_expressions_range_and_filters(shop: GitRepo, cli: Cli) -> None:
    text = """\
megafile: exprs
team: alpha
vars:
  models: [{name: a}, {name: b}]
rules:
  - for: i in range(2)
    path: "src/core/n{{ i }}.py"
    template: "{{ i }}"
  - for: name in models | map(attribute='name')
    path: "src/core/m_{{ name }}.py"
    template: "{{ name }}"
"""
    mega = write_megafile(shop, text)
    result = cli("expand", mega, "--json", "--dry-run", cwd=shop.path)
    assert result.exit_code == 0, result.output
    assert [f["path"] for f in json.loads(result.stdout)["files"]] == [
        "src/core/n0.py", "src/core/n1.py", "src/core/m_a.py", "src/core/m_b.py"]


def test_refuses_control_characters_and_empty_paths(shop: GitRepo, cli: Cli) -> None:
    assert refused(cli, shop, one_rule("src/core/a\\b.py")) == [
        "gitorch: mega.yaml: rule 2: src/core/a\\b.py: contains a backslash (use '/')"]
    assert refused(cli, shop, one_rule("src/core/a\tb.py")) == [
        "gitorch: mega.yaml: rule 2: src/core/a\tb.py: contains a control character"]
    assert refused(cli, shop, one_rule("{{ '' }}")) == [
        "gitorch: mega.yaml: rule 2: '': renders to an empty path"]
