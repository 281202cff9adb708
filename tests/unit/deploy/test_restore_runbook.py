"""The restore runbook (deploy/README.md, "Backup and restore") as an operator would run it:
its commands stop and start the services and nothing else, and the values it has the
operator add to the environment's file render an overlay whose Cluster the operator accepts,
reads the old archive and archives into a new folder, and nothing else changes. Its
store-side steps run in tests/e2e/test_restore.py."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import textwrap
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from maag.ops import environments, overlays
from maag.ops.deployment import (
    BACKUP_SERVER_NAME,
    BACKUP_STORE,
    BARMAN_PLUGIN,
    MIN_REPLICAS,
    SERVICES,
    base,
    rendered,
)
from maag.ops.environments import Environment
from tests.unit.deploy.test_kubernetes_manifests import _crd_report

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "deploy" / "README.md"
OVERLAYS = ROOT / "deploy" / "k8s" / "overlays"
# Deployments an operator may have in the namespace beside MAAG's, as their operators label
# them: Strimzi's entity operator (it makes one per Kafka cluster), Strimzi's and
# CloudNativePG's own operators when installed here.
OTHERS = {
    "maag-entity-operator": {
        "app.kubernetes.io/name": "entity-operator",
        "app.kubernetes.io/instance": "maag",
        "app.kubernetes.io/part-of": "strimzi-maag",
        "strimzi.io/cluster": "maag",
        "strimzi.io/kind": "Kafka",
        "strimzi.io/name": "maag-entity-operator",
    },
    "strimzi-cluster-operator": {"app": "strimzi"},
    "cnpg-controller-manager": {"app.kubernetes.io/name": "cloudnative-pg"},
}


def _section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def _blocks(text: str, language: str) -> list[str]:
    """The fenced blocks of a language, list items' indentation taken off."""
    found = re.findall(rf"^( *)```{language}\n(.*?)^\1```", text, re.MULTILINE | re.DOTALL)
    return [textwrap.dedent(body) for _, body in found]


def _selects(selector: str, labels: dict[str, str]) -> bool:
    for term in selector.split(","):
        if "!=" in term:
            key, value = term.split("!=")
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.split("=")
            if labels.get(key) != value:
                return False
        elif term not in labels:
            return False
    return True


def test_the_restore_stops_and_starts_the_services_and_nothing_else() -> None:
    commands = [
        line
        for block in _blocks(_section("Backup and restore"), "sh")
        for line in block.splitlines()
        if "kubectl" in line and " scale " in line
    ]
    deployments = {
        d["metadata"]["name"]: d["metadata"]["labels"]
        for docs in base().values()
        for d in docs
        if d.get("kind") == "Deployment"
    }
    assert set(deployments) == {f"maag-{s}" for s in (*SERVICES, "web")}
    counts = []
    for command in commands:
        (selector,) = re.findall(r"-l '([^']+)'", command)
        chosen = {
            name for name, labels in {**deployments, **OTHERS}.items() if _selects(selector, labels)
        }
        assert chosen == {f"maag-{s}" for s in SERVICES}, command
        counts.append(int(re.findall(r"--replicas=(\d+)", command)[0]))
    # stopped, then started at the autoscalers' minimum (they take over from there); no
    # autoscaler told `minReplicas: 0`, which one on CPU refuses
    assert counts == [0, MIN_REPLICAS]
    assert not [line for line in commands if "hpa" in line or "minReplicas" in line]


class _Strings(yaml.SafeLoader):
    """YAML as kubectl reads kustomize's output: a time is a string (kustomize writes
    `targetTime` unquoted)."""


_Strings.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _restore_values() -> dict[str, dict[str, Any]]:
    """What the runbook has the operator add to the environment's file."""
    (block,) = _blocks(_section("Backup and restore"), "toml")
    return tomllib.loads(block)


def _environment_restoring() -> Environment:
    """Production's file with the runbook's values added where it says."""
    path = environments.ENVIRONMENTS / "prod.toml"
    raw = tomllib.loads(path.read_text())
    assert "restore" not in raw
    for table, values in _restore_values().items():
        raw.setdefault(table, {}).update(values)
    return environments.parse("prod", raw, path)


def _build(tmp: Path, env: Environment) -> list[dict[str, Any]]:
    """The environment's overlay as `maag deploy render` writes it, over the base, built."""
    kustomize = shutil.which("kustomize")
    assert kustomize, "`bash tests/run.sh` builds kustomize into .maag/cache/bin"
    base = tmp / "base"
    base.mkdir()
    for name, text in rendered().items():
        (base / name).write_text(text)
    overlays.write(tmp / "overlays", [env])
    overlay = tmp / "overlays" / env.name
    built = subprocess.run(
        [kustomize, "build", str(overlay)], capture_output=True, text=True, check=True
    ).stdout
    return [d for d in yaml.load_all(built, _Strings) if d]


@pytest.fixture(scope="module")
def restoring(tmp_path_factory: pytest.TempPathFactory) -> tuple[Environment, dict[str, Any]]:
    """The environment the runbook describes, and its Cluster as kustomize builds it."""
    env = _environment_restoring()
    docs = _build(tmp_path_factory.mktemp("restore"), env)
    (cluster,) = [d for d in docs if d["kind"] == "Cluster"]
    return env, cluster


@pytest.fixture(scope="module")
def recovered(restoring: tuple[Environment, dict[str, Any]]) -> dict[str, Any]:
    return restoring[1]


def test_the_recovery_patch_makes_a_cluster_the_operator_accepts(
    recovered: dict[str, Any],
) -> None:
    report = _crd_report([recovered])
    assert report["errors"] == [] and len(report["checked"]) == 1


def test_the_recovered_cluster_reads_the_old_archive_and_archives_into_a_new_folder(
    recovered: dict[str, Any],
) -> None:
    values = _restore_values()
    spec = recovered["spec"]
    recovery = spec["bootstrap"]["recovery"]
    # to the moment the runbook names (kubectl takes kustomize's unquoted time as a string)
    assert datetime.fromisoformat(recovery["recoveryTarget"]["targetTime"]) == (
        datetime.fromisoformat(values["restore"]["target_time"])
    )
    (source,) = [c for c in spec["externalClusters"] if c["name"] == recovery["source"]]
    # the plugin finds the backups in the folder the cluster archived to: on a first restore
    # the base's serverName
    assert values["restore"]["from_server_name"] == BACKUP_SERVER_NAME
    assert source["plugin"]["name"] == BARMAN_PLUGIN
    assert source["plugin"]["parameters"] == {
        "barmanObjectName": BACKUP_STORE,
        "serverName": BACKUP_SERVER_NAME,
    }
    (archiver,) = spec["plugins"]
    assert archiver["isWALArchiver"] is True
    assert archiver["parameters"]["barmanObjectName"] == BACKUP_STORE
    # never into the folder it restores from (the plugin refuses a non-empty archive)
    assert archiver["parameters"]["serverName"] == values["backups"]["server_name"]
    assert archiver["parameters"]["serverName"] != BACKUP_SERVER_NAME
    # the rest of the cluster as the environment renders it: its roles, resources, settings
    prod = subprocess.run(
        [shutil.which("kustomize") or "kustomize", "build", str(OVERLAYS / "prod")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (rendered,) = [d for d in yaml.load_all(prod, _Strings) if d and d["kind"] == "Cluster"]
    for kept in ("managed", "resources", "postgresql", "imageName", "instances", "storage"):
        assert spec[kept] == rendered["spec"][kept], kept
    assert "bootstrap" not in rendered["spec"] and "externalClusters" not in rendered["spec"]


def test_the_restore_changes_the_cluster_and_nothing_else(
    restoring: tuple[Environment, dict[str, Any]],
) -> None:
    env, _ = restoring
    before = dataclasses.replace(
        env, restore=None, backups=dataclasses.replace(env.backups, server_name="")
    )
    assert before == environments.load("prod")  # what the file says today
    patches, patched = (
        {json.dumps(p["target"], sort_keys=True): p["patch"] for p in k["patches"]}
        for k in (overlays.kustomization(before), overlays.kustomization(env))
    )
    changed = {t for t in patches.keys() | patched.keys() if patches.get(t) != patched.get(t)}
    assert [json.loads(t)["kind"] for t in changed] == ["Cluster"]


def test_the_runbook_renders_the_environment_before_it_applies() -> None:
    """The overlay is generated: an edit of the environment's file reaches the cluster only
    through `maag deploy render`, before the cluster is deleted and the overlay applied."""
    lines = [
        line.strip()
        for block in _blocks(_section("Backup and restore"), "sh")
        for line in block.splitlines()
    ]
    order = [
        next(i for i, line in enumerate(lines) if line.startswith(command))
        for command in (
            "maag deploy render",
            'kubectl -n "$NAMESPACE" delete clusters.postgresql.cnpg.io',
            "kubectl apply -k",
        )
    ]
    assert order == sorted(order), lines
    assert not _blocks(_section("Backup and restore"), "yaml")  # no patch written by hand
