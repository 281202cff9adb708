"""The Kubernetes manifests: rendered with kustomize, validated offline, and cross-checked
against the code they deploy."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from contracts.topics import ALL_TOPICS
from maag.deployment import SERVICES, rendered, settings_keys
from maag.runtime.settings import Settings
from maag.services import SPECS, build_of
from tests.support import identity
from tests.support.referral import CIPHER_KEY

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
K8S_VERSION = "1.31.0"
BUILT_IN = {"v1", "apps/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1"}


def _kustomize() -> str:
    found = shutil.which("kustomize")
    if found is None:
        pytest.fail(
            "kustomize is not on PATH: `bash tests/run.sh` builds it into .maag/cache/bin "
            "(go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1)"
        )
    return found


def _build(overlay: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        [_kustomize(), "build", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@pytest.fixture(scope="module", params=["dev", "prod"])
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, _build(request.param)


def _of(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def test_the_checked_in_base_is_what_the_code_renders() -> None:
    stale = [name for name, text in rendered().items() if (K8S / "base" / name).read_text() != text]
    assert stale == [], f"run `maag deploy render deploy/k8s/base`: {stale}"


def test_every_kubernetes_object_validates_against_its_schema(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = overlay
    built_in = [d for d in docs if d["apiVersion"] in BUILT_IN]
    assert len(built_in) >= 6 * len(SERVICES)
    for doc in built_in:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    assert _of(docs, "Secret") == [], "secret values are never committed"


def test_operator_resources_have_what_their_operators_need(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    # Strimzi and CloudNativePG CRD schemas are not on a registry this project can reach
    # (Strimzi's Maven `api` jar holds Java classes, not CRD YAML), so these are our own checks.
    _, docs = overlay
    (kafka,) = _of(docs, "Kafka")
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1beta2"
    assert kafka["metadata"]["annotations"] == {
        "strimzi.io/node-pools": "enabled",
        "strimzi.io/kraft": "enabled",
    }
    assert kafka["spec"]["kafka"]["listeners"][0]["authentication"]["type"] == "scram-sha-512"
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    (pool,) = _of(docs, "KafkaNodePool")
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    for d in _of(docs, "KafkaTopic") + _of(docs, "KafkaUser") + [pool]:
        assert d["metadata"]["labels"]["strimzi.io/cluster"] == "maag"
    (pg,) = _of(docs, "Cluster")
    assert pg["apiVersion"] == "postgresql.cnpg.io/v1"
    roles = {r["name"]: r for r in pg["spec"]["managed"]["roles"]}
    assert set(roles) == set(SERVICES) and all(r["login"] for r in roles.values())
    assert {(d["spec"]["name"], d["spec"]["owner"]) for d in _of(docs, "Database")} == {
        (s, s) for s in SERVICES
    }


def test_prod_has_three_brokers_replication_three_min_isr_two_and_dev_one() -> None:
    for name, brokers, replicas, min_isr in [("prod", 3, 3, "2"), ("dev", 1, 1, "1")]:
        docs = _build(name)
        assert _of(docs, "KafkaNodePool")[0]["spec"]["replicas"] == brokers
        assert {t["spec"]["replicas"] for t in _of(docs, "KafkaTopic")} == {replicas}
        assert {t["spec"]["config"]["min.insync.replicas"] for t in _of(docs, "KafkaTopic")} == {
            min_isr
        }
        assert (
            _of(docs, "Kafka")[0]["spec"]["kafka"]["config"]["default.replication.factor"]
            == brokers
        )
        assert {d["metadata"]["namespace"] for d in docs} == {
            "maag" if name == "prod" else "maag-dev"
        }


def test_every_registry_topic_has_a_kafka_topic_and_nothing_else_does(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = overlay
    declared = {t["spec"]["topicName"]: t["spec"] for t in _of(docs, "KafkaTopic")}
    assert set(declared) == {t.name for t in ALL_TOPICS}
    for t in ALL_TOPICS:
        assert declared[t.name]["partitions"] == t.partitions
        assert declared[t.name]["config"]["retention.ms"] == str(t.retention_ms)


def test_each_deployment_sets_every_setting_and_is_locked_down(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = overlay
    keys = set(settings_keys())
    assert {"KAFKA_BOOTSTRAP_SERVERS", "MAAG_POSTGRES_URL", "MAAG_OIDC_ISSUER"} <= keys
    # no service holds a token-signing secret: the provider's public keys are fetched
    assert not any("JWT" in k for k in keys)
    every = _of(docs, "Deployment")
    assert {d["spec"]["template"]["spec"]["containers"][0]["args"][1] for d in every} == {
        *SERVICES,
        "web",
    }
    deployments = [d for d in every if d["metadata"]["name"] != "maag-web"]
    configmaps = {c["metadata"]["name"]: c["data"] for c in _of(docs, "ConfigMap")}
    for d in deployments:
        pod = d["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        env = {e["name"]: e for e in c["env"]}
        assert keys <= set(env), f"{d['metadata']['name']} lacks {keys - set(env)}"
        for e in env.values():
            ref = e["valueFrom"].get("configMapKeyRef")
            if ref:
                assert ref["key"] in configmaps[ref["name"]], f"{ref} is not in its ConfigMap"
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert c["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        assert c["resources"]["requests"] and c["resources"]["limits"]
        assert {
            c[p]["httpGet"]["path"] for p in ("livenessProbe", "readinessProbe", "startupProbe")
        } == {"/healthz", "/readyz"}


def test_a_default_deny_network_policy_and_a_policy_per_service(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = overlay
    policies = {p["metadata"]["name"]: p["spec"] for p in _of(docs, "NetworkPolicy")}
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for s in SERVICES:
        ports = {p["port"] for rule in policies[f"maag-{s}"]["egress"] for p in rule["ports"]}
        assert {9092, 5432, 53} <= ports
    assert 587 in {p["port"] for r in policies["maag-notifications"]["egress"] for p in r["ports"]}


async def test_probe_paths_exist_and_acls_match_what_each_service_really_does(
    tmp_path: Path,
) -> None:
    docs = _build("prod")
    users = {
        u["metadata"]["name"]: u["spec"]["authorization"]["acls"] for u in _of(docs, "KafkaUser")
    }
    settings = Settings(data_dir=tmp_path, cipher_key=CIPHER_KEY, **identity.settings())
    for service in SERVICES:
        built = build_of(service)(settings)
        paths = {getattr(r, "path", None) for r in built.api.routes}
        assert {"/healthz", "/readyz"} <= paths
        consumed = set(built.consumer.subscriptions)
        assert consumed == {t.name for t in SPECS[service].consumes}, service
        acls = users[f"maag-{service}"]
        reads = {
            a["resource"]["name"]
            for a in acls
            if "Read" in a["operations"] and a["resource"]["type"] == "topic"
        }
        writes = {a["resource"]["name"] for a in acls if "Write" in a["operations"]}
        assert reads == consumed
        assert writes == {t.name for t in SPECS[service].publishes}
        assert built.relay.source == f"/maag/{service}"
        groups = {a["resource"]["name"] for a in acls if a["resource"]["type"] == "group"}
        assert groups == {built.consumer.group_id}


def test_the_web_app_is_deployed_with_its_secrets_from_a_secret_and_locked_down(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = overlay
    (web,) = [d for d in _of(docs, "Deployment") if d["metadata"]["name"] == "maag-web"]
    assert web["spec"]["replicas"] == 1  # sessions live in its memory
    (c,) = web["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["valueFrom"] for e in c["env"]}
    for secret in ("MAAG_WEB_CLIENT_SECRET", "MAAG_WEB_SESSION_SECRET"):
        assert env[secret]["secretKeyRef"]["name"] == "maag-web"
    assert {"MAAG_OIDC_ISSUER", "MAAG_SERVICE_URLS", "MAAG_WEB_BASE_URL"} <= set(env)
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    (policy,) = [p for p in _of(docs, "NetworkPolicy") if p["metadata"]["name"] == "maag-web"]
    ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert 9092 not in ports and 5432 not in ports  # no broker, no database: only the APIs
