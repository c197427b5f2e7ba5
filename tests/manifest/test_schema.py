"""The JSON Schema shipped in the package says what the loader accepts; the examples pass both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gitorch.errors import ManifestError
from gitorch.manifest import TeamName
from gitorch.manifest import records as m
from gitorch.manifest.loading import load_manifest, parse_manifest, schema_path

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads(schema_path().read_text())
EXAMPLES = [*sorted((ROOT / "manifests").glob("*.yaml")), ROOT / "gitorch.yaml"]


def schema_errors(data: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [e.message for e in validator.iter_errors(data)]


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_keys_are_the_loaders_keys() -> None:
    defs = SCHEMA["$defs"]
    assert tuple(SCHEMA["properties"]) == m.TOP_KEYS
    assert tuple(defs["team"]["properties"]) == m.TEAM_KEYS
    assert tuple(defs["gates"]["properties"]) == m.GATE_KEYS
    assert SCHEMA["properties"]["teams"]["propertyNames"]["pattern"] \
        == m.TEAM_NAME_RE.pattern
    assert defs["owner"]["pattern"] == m.CODEOWNER_RE.pattern
    assert set(SCHEMA["required"]) == {"version", "project", "teams"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate_with_the_loader_and_the_schema(path: Path) -> None:
    manifest = load_manifest(path)
    assert manifest.teams
    assert schema_errors(yaml.safe_load(path.read_text())) == []


def test_seed_manifest_has_the_ten_teams_and_a_sub_team() -> None:
    manifest = load_manifest(ROOT / "manifests" / "ecommerce.yaml")
    assert sorted(manifest.teams) == ["alpha", "alpha-db", "beta", "delta", "epsilon", "eta",
                                      "gamma", "iota", "kappa", "theta", "zeta"]
    assert manifest.teams[TeamName("alpha")].owns == ("src/core/**", "src/database/**",
                                            "src/shared/utils/**", "infrastructure/base/**")
    assert manifest.teams[TeamName("alpha")].target_loc == (8000, 10000)
    assert manifest.teams[TeamName("beta")].depends_on == ("alpha",)
    assert manifest.gates.coverage == 80
    owners = manifest.ownership.owners_of(
        ["src/database/schema.sql", "src/core/x.py", "infrastructure/base/vpc.tf",
         "infrastructure/k8s/app.yaml", "README.md", "frontend/app.tsx", "elsewhere.txt"])
    assert owners == ["alpha-db", "alpha", "alpha", "eta", "shared", "epsilon", "-"]
    assert manifest.ownership.may_change(m.TeamName("alpha"), "src/database/schema.sql")
    assert not manifest.ownership.may_change(m.TeamName("alpha-db"), "src/core/x.py")


# Documents both must reject: the schema by its rules, the loader with a line.
REJECTED = [
    {"version": 1, "project": "x", "teams": {"a": {"owns": ["a/"], "colour": "red"}}},
    {"version": 1, "project": "x", "teams": {"a": {"owns": ["a/"]}}, "extra": 1},
    {"version": 1, "project": "x", "teams": {"a": {"owns": ["a/"]}}, "gates": {"coverage": 101}},
    {"version": 2, "project": "x", "teams": {"a": {"owns": ["a/"]}}},
    {"version": 1, "project": "x", "teams": {"a": {"owns": ["a/"], "priority": "high"}}},
    {"version": 1, "project": "x", "teams": {"a": {"owns": ["a/"], "target_loc": [1, 2, 3]}}},
    {"version": 1, "project": "x", "teams": {"a": {"owns": ["a/"], "codeowners": ["bob"]}}},
    {"version": 1, "project": "x", "teams": {"shared": {"owns": ["a/"]}}},
    {"version": 1, "project": "x", "teams": {"-a": {"owns": ["a/"]}}},
    {"version": 1, "project": "x", "teams": {"a": {"description": "no owns"}}},
    {"version": 1, "project": "x", "teams": {}},
    {"version": 1, "teams": {"a": {"owns": ["a/"]}}},
    {"version": 1, "project": "x", "teams": {"a": {"owns": ["a/"]}}, "stale_after": -1},
    {"version": 1, "project": "x", "teams": {"a": {"owns": ["a/"]}}, "stale_after": "soon"},
    {"version": 1, "project": "x", "teams": {"a": {"owns": ["a/"]}}, "stale_after": 2.5},
]


@pytest.mark.parametrize("data", REJECTED)
def test_schema_and_loader_reject_the_same_documents(data: dict[str, Any]) -> None:
    assert schema_errors(data)
    with pytest.raises(ManifestError):
        parse_manifest(yaml.safe_dump(data), "m.yaml")


def test_gitorch_schema_prints_the_shipped_schema(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("schema", cwd=tmp_path)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == SCHEMA
    as_json = json.loads(cli("schema", "--json", cwd=tmp_path).stdout)
    assert as_json["schema"] == SCHEMA and Path(as_json["path"]).is_file()
