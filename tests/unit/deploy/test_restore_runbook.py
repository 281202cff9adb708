"""The restore runbook (deploy/README.md, "Backup and restore") as an operator would run it:
its commands stop and start the services and nothing else, and its recovery patch over the
rendered base makes a Cluster the operator accepts, that reads the old archive and archives
into a new folder. Its store-side steps run in tests/e2e/test_restore.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from maag.ops.deployment import (
    BACKUP_SERVER_NAME,
    BACKUP_STORE,
    BARMAN_PLUGIN,
    MIN_REPLICAS,
    SERVICES,
    base,
)
from tests.unit.deploy.test_kubernetes_manifests import _crd_report

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "deploy" / "README.md"
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
        for block in _blocks(_section("Backup and restore"), "text")
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


@pytest.fixture(scope="module")
def recovered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The base with the runbook's recovery patch, as kustomize builds it."""
    (patch,) = _blocks(_section("Backup and restore"), "yaml")
    kustomize = shutil.which("kustomize")
    assert kustomize, "`bash tests/run.sh` builds kustomize into .maag/cache/bin"
    folder = tmp_path_factory.mktemp("restore")
    (folder / "restore.yaml").write_text(patch)
    (folder / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                # kustomize takes no absolute root
                "resources": [os.path.relpath(ROOT / "deploy" / "k8s" / "base", folder)],
                "patches": [{"path": "restore.yaml"}],
            }
        )
    )
    built = subprocess.run(
        [kustomize, "build", "--load-restrictor", "LoadRestrictionsNone", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    docs: list[dict[str, Any]] = [d for d in yaml.load_all(built, _Strings) if d]
    (cluster,) = [d for d in docs if d["kind"] == "Cluster"]
    return cluster


class _Strings(yaml.SafeLoader):
    """YAML as kubectl reads kustomize's output: a time is a string (kustomize writes
    `targetTime` unquoted)."""


_Strings.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def test_the_recovery_patch_makes_a_cluster_the_operator_accepts(
    recovered: dict[str, Any],
) -> None:
    report = _crd_report([recovered])
    assert report["errors"] == [] and len(report["checked"]) == 1


def test_the_recovered_cluster_reads_the_old_archive_and_archives_into_a_new_folder(
    recovered: dict[str, Any],
) -> None:
    spec = recovered["spec"]
    recovery = spec["bootstrap"]["recovery"]
    assert recovery["recoveryTarget"]["targetTime"]
    (source,) = [c for c in spec["externalClusters"] if c["name"] == recovery["source"]]
    # the plugin finds the backups in the folder the cluster archived to: its serverName
    assert source["plugin"]["name"] == BARMAN_PLUGIN
    assert source["plugin"]["parameters"] == {
        "barmanObjectName": BACKUP_STORE,
        "serverName": BACKUP_SERVER_NAME,
    }
    (archiver,) = spec["plugins"]
    assert archiver["isWALArchiver"] is True
    assert archiver["parameters"]["barmanObjectName"] == BACKUP_STORE
    # never into the folder it restores from (the plugin refuses a non-empty archive)
    assert archiver["parameters"]["serverName"] != BACKUP_SERVER_NAME
    # the rest of the cluster as rendered: its roles, resources and settings
    (rendered,) = [d for d in base()["postgres.yaml"] if d["kind"] == "Cluster"]
    for kept in ("managed", "resources", "postgresql", "imageName", "instances", "storage"):
        assert spec[kept] == rendered["spec"][kept], kept
