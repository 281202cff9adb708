"""The Kubernetes manifests: rendered with kustomize, validated offline, and cross-checked
against the code they deploy."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from contracts.topics import ALL_TOPICS
from maag.ops.deployment import (
    KAFKA_CA_SECRET,
    SECRETS,
    SERVICES,
    STORES,
    db_credentials,
    db_owner_credentials,
    own_secrets,
    rendered,
    secret_variables,
    secrets_of,
    settings_keys,
)
from maag.runtime.settings import Settings
from maag.services import SPECS, build_of
from tests.support import identity
from tests.support.keys import CHAIN_KEY
from tests.support.kustomize import build
from tests.support.referral import CHILD_INDEX_KEYS, CIPHER_KEY, KEKS

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
CRDS = ROOT / "tests" / "support" / "crds"
K8S_VERSION = "1.34.0"  # the oldest the guide supports (maag.ops.preflight.KUBERNETES_MINIMUM)
BUILT_IN = {"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1"}


def _build(overlay: str) -> list[dict[str, Any]]:
    return build(K8S / "overlays" / overlay)


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


def _crd_report(docs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The operators' objects checked by validators generated from the operators' own CRD
    schemas (npm: @kubernetes-models/strimzi-kafka-operator, from Strimzi 1.0.0's CRDs, and
    @kubernetes-models/cloudnative-pg; tests/run.sh installs them)."""
    node = shutil.which("node")
    assert node, "node is needed for the CRD validators (apt-get install -y nodejs)"
    assert (CRDS / "node_modules").is_dir(), "`bash tests/run.sh` installs tests/support/crds"
    out = subprocess.run(
        [node, str(CRDS / "validate.mjs")],
        input=json.dumps(docs),
        capture_output=True,
        text=True,
        check=True,
    )
    report: dict[str, list[str]] = json.loads(out.stdout)
    return report


def test_operator_objects_validate_against_the_operators_crd_schemas(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = overlay
    operated = [d for d in docs if d["apiVersion"] not in BUILT_IN]
    report = _crd_report(operated)
    assert report["errors"] == []
    assert len(report["checked"]) == len(operated)


def test_the_crd_check_refuses_what_the_operators_would() -> None:
    """It can fail: an API version Strimzi 1.0 no longer serves, a wrong type, an unknown
    listener type, a Barman object store without a string path."""
    bad = [
        {"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "Kafka", "metadata": {"name": "a"}},
        {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaTopic",
            "metadata": {"name": "t"},
            "spec": {"partitions": "six"},
        },
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Cluster",
            "metadata": {"name": "c"},
            "spec": {"instances": "3"},
        },
        {
            "apiVersion": "barmancloud.cnpg.io/v1",
            "kind": "ObjectStore",
            "metadata": {"name": "o"},
            "spec": {"configuration": {"destinationPath": 1}, "retentionPolicy": "forever"},
        },
    ]
    assert len(_crd_report(bad)["errors"]) == 4


def test_operator_resources_have_what_their_operators_need(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    name, docs = overlay
    (kafka,) = _of(docs, "Kafka")
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1"
    assert "annotations" not in kafka["metadata"]  # node pools and KRaft are all there is
    listeners = {x["name"]: x for x in kafka["spec"]["kafka"]["listeners"]}
    assert all(
        x["tls"] and x["authentication"]["type"] == "scram-sha-512" for x in listeners.values()
    )
    assert listeners["external"]["type"] == ("nodeport" if name == "dev" else "loadbalancer")
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    (pool,) = _of(docs, "KafkaNodePool")
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    for d in _of(docs, "KafkaTopic") + _of(docs, "KafkaUser") + [pool]:
        assert d["metadata"]["labels"]["strimzi.io/cluster"] == "maag"
    (pg,) = _of(docs, "Cluster")
    assert pg["apiVersion"] == "postgresql.cnpg.io/v1"
    roles = {r["name"]: r for r in pg["spec"]["managed"]["roles"]}
    # each service's role, and the role that owns its database (and its history); the web
    # app's role, owning its sessions' database
    assert set(roles) == {*SERVICES, *(f"{s}_owner" for s in SERVICES), "web"}
    assert all(r["login"] for r in roles.values())
    assert {(d["spec"]["name"], d["spec"]["owner"]) for d in _of(docs, "Database")} == {
        *((s, f"{s}_owner") for s in SERVICES),
        ("web", "web"),
    }
    # backups: WAL archived and nightly base backups, by the Barman Cloud plugin
    (plugin,) = pg["spec"]["plugins"]
    (store,) = _of(docs, "ObjectStore")
    assert (
        plugin["isWALArchiver"]
        and plugin["parameters"]["barmanObjectName"] == store["metadata"]["name"]
    )
    assert "backup" not in pg["spec"]  # the in-tree barmanObjectStore is deprecated
    (nightly,) = _of(docs, "ScheduledBackup")
    assert (
        nightly["spec"]["method"] == "plugin"
        and nightly["spec"]["cluster"]["name"] == pg["metadata"]["name"]
    )


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
        # every setting, but the secrets only where they are used (the test below)
        lacking = keys - secret_variables() - set(env)
        assert not lacking, f"{d['metadata']['name']} lacks {lacking}"
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


# Pods as the manifests and the operators label them, and the namespaces traffic comes from.
MAAG = {"app.kubernetes.io/name": "maag"}
# Strimzi's labels: a Kafka node and the entity operator carry the cluster and kind "Kafka"
BROKER = {"strimzi.io/cluster": "maag", "strimzi.io/kind": "Kafka", "strimzi.io/name": "maag-kafka"}
ENTITY_OPERATOR = {
    "strimzi.io/cluster": "maag",
    "strimzi.io/kind": "Kafka",
    "strimzi.io/name": "maag-entity-operator",
}
STRIMZI_OPERATOR = {"name": "strimzi-cluster-operator", "strimzi.io/kind": "cluster-operator"}
CNPG_OPERATOR = {"app.kubernetes.io/name": "cloudnative-pg"}
BARMAN_PLUGIN = {"app": "barman-cloud"}
PG = {"cnpg.io/cluster": "maag-pg", "cnpg.io/podRole": "instance"}
MIGRATE = {**MAAG, "app.kubernetes.io/component": "migrate", "app.kubernetes.io/instance": "panel"}
AUDIT = {**MAAG, "app.kubernetes.io/component": "audit"}  # where `maag audit verify` runs
# cert-manager's HTTP-01 solver pod, made in the namespace of the certificate's Ingress
ACME_SOLVER = {
    "acme.cert-manager.io/http01-solver": "true",
    "acme.cert-manager.io/http-domain": "1234",
    "acme.cert-manager.io/http-token": "5678",
}
HERE = {"kubernetes.io/metadata.name": "maag"}
KUBE_SYSTEM = {"kubernetes.io/metadata.name": "kube-system"}
DNS_POD = ({"k8s-app": "kube-dns"}, KUBE_SYSTEM)
OUTSIDE = "outside"  # an address outside the cluster (S3, the IdP, SMTP, agencies' systems)
# NodeLocal DNSCache's link-local address on every node: neither a pod nor an address an
# ipBlock is sure to match (on Cilium a CIDR does not select a node's own addresses)
NODE_LOCAL_DNS = "169.254.20.10"
# The Kubernetes API server: on Cilium it has the kube-apiserver (host, remote-node)
# identity, which no ipBlock matches by default (cilium/cilium#20550, #14724), and it is no
# pod: only a rule naming no peer reaches it, or lets it in
API_SERVER = "the API server (a node's identity)"


def _component(name: str) -> dict[str, str]:
    return {**MAAG, "app.kubernetes.io/component": name}


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _peer_matches(peer: dict[str, Any], pod: Any) -> bool:
    """Whether a NetworkPolicy peer selects `pod`: (labels, namespace labels), OUTSIDE (only
    an ipBlock selects it), or NODE_LOCAL_DNS and API_SERVER (no peer does: only a rule naming
    no peer)."""
    if pod in (NODE_LOCAL_DNS, API_SERVER):
        return False
    if pod == OUTSIDE:
        return "ipBlock" in peer
    labels, namespace = pod
    if "ipBlock" in peer:
        return False  # a CIDR does not select pods on Cilium: never count on it
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], namespace):
            return False
    elif namespace != HERE:
        return False
    return _selects(peer.get("podSelector", {}), labels)


def _port_ok(rule: dict[str, Any], port: int) -> bool:
    return "ports" not in rule or any(p["port"] == port for p in rule["ports"])


def _allowed(
    policies: list[dict[str, Any]], direction: str, pod: dict[str, str], other: Any, port: int
) -> bool:
    """Whether a NetworkPolicy selecting `pod` (in this namespace) lets traffic `direction`
    to/from `other` on `port`. A rule naming no peers admits every peer."""
    key, peers = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    for p in policies:
        spec = p["spec"]
        if direction not in spec["policyTypes"] or not _selects(spec["podSelector"], pod):
            continue
        for rule in spec.get(key, []):
            if _port_ok(rule, port) and (
                peers not in rule or any(_peer_matches(peer, other) for peer in rule[peers])
            ):
                return True
    return False


def _connects(policies: list[dict[str, Any]], src: Any, dst: Any, port: int) -> bool:
    """Both ends' policies: the source's egress when it is a pod here, the destination's
    ingress when it is a pod here (elsewhere is not ours to govern)."""
    here = [end for end in (src, dst) if isinstance(end, tuple) and end[1] == HERE]
    out = src not in here or _allowed(policies, "Egress", src[0], dst, port)
    into = dst not in here or _allowed(policies, "Ingress", dst[0], src, port)
    return out and into


def test_every_path_a_pod_needs_is_open_and_the_rest_is_denied(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    """On kube-proxy, Cilium and NodeLocal DNSCache alike: no path counts on a CIDR to
    reach a pod, DNS is by port to any address, every broker and operator port is ours (not
    left to Strimzi's generated policies), and operators installed here are let through."""
    _, docs = overlay
    policies = _of(docs, "NetworkPolicy")
    assert {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]} in [
        p["spec"] for p in policies
    ]

    def here(labels: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        return (labels, HERE)

    def elsewhere(labels: dict[str, str], namespace: str) -> tuple[dict[str, str], Any]:
        return (labels, {"kubernetes.io/metadata.name": namespace})

    monitoring = elsewhere({"app.kubernetes.io/name": "prometheus"}, "monitoring")
    every_pod = {
        **{s: _component(s) for s in (*SERVICES, "web")},
        "migration": MIGRATE,
        "audit": AUDIT,
        "ACME solver": ACME_SOLVER,
        "broker": BROKER,
        "entity operator": ENTITY_OPERATOR,
        "PostgreSQL": PG,
        "Strimzi's operator (installed here)": STRIMZI_OPERATOR,
        "CloudNativePG's operator (installed here)": CNPG_OPERATOR,
        "the Barman Cloud plugin (installed here)": BARMAN_PLUGIN,
    }
    needs: list[tuple[str, Any, Any, int]] = []
    for name, pod in every_pod.items():
        needs += [
            (f"{name} -> DNS (kube-dns)", here(pod), DNS_POD, 53),
            (f"{name} -> DNS (NodeLocal DNSCache)", here(pod), NODE_LOCAL_DNS, 53),
        ]
    for s in (*SERVICES, "web"):
        process = here(_component(s))
        needs += [
            (f"{s} -> identity provider", process, OUTSIDE, 443),
            (
                f"{s} -> identity provider behind this cluster's ingress",
                process,
                elsewhere({"app.kubernetes.io/name": "ingress-nginx"}, "ingress-nginx"),
                443,
            ),
            (f"{s} -> other MAAG APIs", process, here(_component("panel")), 8000),
            (f"{s} -> PostgreSQL", process, here(PG), 5432),
            (f"Prometheus -> {s}", monitoring, process, 8000),
        ]
    for s in SERVICES:
        needs += [(f"{s} -> brokers", here(_component(s)), here(BROKER), 9093)]
    co_elsewhere = elsewhere(STRIMZI_OPERATOR, "strimzi")
    cnpg_elsewhere = elsewhere(CNPG_OPERATOR, "cnpg-system")
    needs += [
        ("migration -> PostgreSQL", here(MIGRATE), here(PG), 5432),
        ("notifications -> SMTP relay outside", here(_component("notifications")), OUTSIDE, 587),
        (
            "notifications -> SMTP relay in the cluster",
            here(_component("notifications")),
            elsewhere({"app": "smtp-relay"}, "mail"),
            587,
        ),
        ("controller -> controller (KRaft)", here(BROKER), here(BROKER), 9090),
        ("broker -> broker (replication)", here(BROKER), here(BROKER), 9091),
        ("entity operator -> brokers", here(ENTITY_OPERATOR), here(BROKER), 9091),
        ("entity operator -> API server", here(ENTITY_OPERATOR), API_SERVER, 6443),
        ("broker's init container -> API server (its zone)", here(BROKER), API_SERVER, 443),
        ("agencies' systems -> external listener", OUTSIDE, here(BROKER), 9094),
        ("Prometheus -> Kafka's metrics", monitoring, here(BROKER), 9404),
        *(
            (f"Strimzi's operator ({where}) -> brokers :{port}", co, here(BROKER), port)
            for where, co in (("here", here(STRIMZI_OPERATOR)), ("elsewhere", co_elsewhere))
            for port in (9090, 9091, 8443)
        ),
        ("Strimzi's operator (here) -> API server", here(STRIMZI_OPERATOR), API_SERVER, 6443),
        ("PostgreSQL -> replica", here(PG), here(PG), 5432),
        ("PostgreSQL -> API server", here(PG), API_SERVER, 6443),
        ("PostgreSQL -> object store", here(PG), OUTSIDE, 443),
        ("Prometheus -> PostgreSQL's metrics", monitoring, here(PG), 9187),
        *(
            (f"CloudNativePG's operator ({where}) -> instance manager", op, here(PG), 8000)
            for where, op in (("here", here(CNPG_OPERATOR)), ("elsewhere", cnpg_elsewhere))
        ),
        ("CloudNativePG's operator (here) -> API server", here(CNPG_OPERATOR), API_SERVER, 443),
        ("API server -> CloudNativePG's webhook (here)", API_SERVER, here(CNPG_OPERATOR), 9443),
        (
            "CloudNativePG's operator -> plugin (here)",
            here(CNPG_OPERATOR),
            here(BARMAN_PLUGIN),
            9090,
        ),
        ("the plugin (here) -> API server", here(BARMAN_PLUGIN), API_SERVER, 443),
        ("`maag audit verify` -> PostgreSQL", here(AUDIT), here(PG), 5432),
        ("`maag audit verify` -> brokers (as maag-audit)", here(AUDIT), here(BROKER), 9093),
        (
            "ingress controller -> cert-manager's HTTP-01 solver",
            elsewhere({"app.kubernetes.io/name": "ingress-nginx"}, "ingress-nginx"),
            here(ACME_SOLVER),
            8089,
        ),
    ]
    closed = [what for what, src, dst, port in needs if not _connects(policies, src, dst, port)]
    assert closed == [], f"no NetworkPolicy path for: {closed}"

    stranger = elsewhere({"app": "anything"}, "elsewhere")
    refused = [
        ("web -> brokers", here(_component("web")), here(BROKER), 9093),
        ("migration -> brokers", here(MIGRATE), here(BROKER), 9093),
        ("another namespace -> brokers' internal listener", stranger, here(BROKER), 9093),
        ("another namespace -> brokers' replication", stranger, here(BROKER), 9091),
        ("another namespace -> PostgreSQL", stranger, here(PG), 5432),
        ("a service -> brokers' replication", here(_component("panel")), here(BROKER), 9091),
        ("a service -> SMTP relay", here(_component("panel")), OUTSIDE, 587),
        ("a service -> anywhere else", here(_component("referral")), OUTSIDE, 5432),
        ("anything -> a migration", here(_component("web")), here(MIGRATE), 8000),
        ("anything -> `maag audit verify`", here(_component("web")), here(AUDIT), 8000),
        ("`maag audit verify` -> a service's API", here(AUDIT), here(_component("panel")), 8000),
        ("`maag audit verify` -> anywhere else", here(AUDIT), OUTSIDE, 443),
        ("another namespace -> HTTP-01 solver", stranger, here(ACME_SOLVER), 8089),
        ("a service -> the API server", here(_component("referral")), API_SERVER, 6443),
    ]
    opened = [what for what, src, dst, port in refused if _connects(policies, src, dst, port)]
    assert opened == [], f"open, and should not be: {opened}"
    # in from outside the namespace: the ingress controller to the web app and the referral
    # API, Prometheus to /metrics; nothing else
    ingress_ns = {"kubernetes.io/metadata.name": "ingress-nginx"}
    for s in (*SERVICES, "web"):
        public = s in ("web", "referral")
        assert _allowed(policies, "Ingress", _component(s), ({}, ingress_ns), 8000) is public, s
        assert not _allowed(policies, "Ingress", _component(s), ({}, {"x": "y"}), 8000), s
    # the policy Strimzi generates for the internal listener admits no more than ours
    (kafka,) = _of(docs, "Kafka")
    (internal,) = [x for x in kafka["spec"]["kafka"]["listeners"] if x["port"] == 9093]
    assert internal["networkPolicyPeers"] == [{"podSelector": {"matchLabels": MAAG}}]
    # each rule open to any peer on the API server's or the webhook's port says how to narrow
    # it (the policies for MAAG's own pods need no such rule)
    for p in policies:
        spec = p["spec"]
        open_to_all = [
            r
            for key, peers in (("egress", "to"), ("ingress", "from"))
            for r in spec.get(key, [])
            if peers not in r and (_port_ok(r, 6443) or _port_ok(r, 9443))
        ]
        if open_to_all:
            narrowing = p["metadata"]["annotations"]["maag.essex.example/narrowing"]
            assert "kube-apiserver" in narrowing and "local component" in narrowing
            assert spec["podSelector"]["matchLabels"].get("app.kubernetes.io/name") != "maag"


def test_services_trust_the_brokers_ca_and_read_the_one_copy_of_their_db_password(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = overlay
    (pg,) = _of(docs, "Cluster")
    role_secret = {r["name"]: r["passwordSecret"]["name"] for r in pg["spec"]["managed"]["roles"]}
    configmaps = {c["metadata"]["name"]: c["data"] for c in _of(docs, "ConfigMap")}
    for d in _of(docs, "Deployment"):
        service = d["spec"]["template"]["spec"]["containers"][0]["args"][1]
        if service == "web":
            continue
        pod = d["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        env = {e["name"]: e["valueFrom"] for e in c["env"]}
        config = configmaps[f"maag-{service}"]
        assert config["MAAG_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert config["KAFKA_BOOTSTRAP_SERVERS"].endswith(":9093")
        ca_dir = config["MAAG_KAFKA_CA_FILE"].rsplit("/", 1)[0]
        (mount,) = [m for m in c["volumeMounts"] if m["mountPath"] == ca_dir]
        (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        assert volume["secret"]["secretName"] == "maag-cluster-ca-cert"  # Strimzi's
        assert env["MAAG_POSTGRES_PASSWORD"]["secretKeyRef"]["name"] == role_secret[service]
        assert "@" not in config["MAAG_POSTGRES_URL"].split("@")[0].replace("postgresql://", "")
        assert "replicas" not in d["spec"]  # the autoscaler sets the count


def test_each_agency_writes_only_submissions_and_reads_only_its_own_outcomes() -> None:
    from contracts.topics import (
        AGENCY_OUTCOMES,
        FRONT_DOOR,
        FRONT_DOOR_AGENCY,
        OUTCOME_TOPICS,
        REFERRAL_SUBMISSIONS,
    )
    from maag.ops.identity.realm import INTEGRATING_AGENCIES

    users = {u["metadata"]["name"]: u for u in _of(_build("prod"), "KafkaUser")}
    for agency in INTEGRATING_AGENCIES:
        acls = users[f"agency-{agency.value}"]["spec"]["authorization"]["acls"]
        writes = {a["resource"]["name"] for a in acls if "Write" in a["operations"]}
        reads = {
            a["resource"]["name"]
            for a in acls
            if "Read" in a["operations"] and a["resource"]["type"] == "topic"
        }
        assert writes == {REFERRAL_SUBMISSIONS.name}, agency
        # not maag.referral.events (every agency's cases), not another agency's outcomes;
        # social care's system reads the front door's cases too, and no other agency's does
        front_door = {FRONT_DOOR.name} if agency is FRONT_DOOR_AGENCY else set()
        assert reads == {AGENCY_OUTCOMES[agency].name} | front_door, agency
        # named one by one: no prefix that would reach another agency's outcomes
        assert {a["resource"]["patternType"] for a in acls if a["resource"]["type"] == "topic"} == {
            "literal"
        }
    # only the referral service writes an outcomes topic, or the front door's
    for topic in (*OUTCOME_TOPICS, FRONT_DOOR):
        writers = {
            name
            for name, u in users.items()
            for a in u["spec"]["authorization"]["acls"]
            if a["resource"]["name"] == topic.name and "Write" in a["operations"]
        }
        assert writers == {"maag-referral"}, topic.name


async def test_probe_paths_exist_and_acls_match_what_each_service_really_does(
    tmp_path: Path,
) -> None:
    docs = _build("prod")
    users = {
        u["metadata"]["name"]: u["spec"]["authorization"]["acls"] for u in _of(docs, "KafkaUser")
    }
    for service in SERVICES:
        # each built with the secrets its pod is given, and no other
        built = build_of(service)(_with_only_its_secrets(service, tmp_path / service))
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
        # what its projections fed from topics read outside the group (the boards' report)
        fed = {
            t
            for loop in built.extra_loops
            for t in getattr(getattr(loop, "__self__", None), "topics", ())
        }
        assert fed == {t.name for t in SPECS[service].reads}, service
        # its chain's anchors: written, and read back for /audit/store
        assert reads == consumed | fed | {built.anchorer.topic}
        assert writes == {t.name for t in SPECS[service].publishes} >= {built.anchorer.topic}
        # its relay publishes where its user may write (the agencies' outcomes, the referral's)
        assert set(built.relay.producer.publishers) == {t.name for t in SPECS[service].relays}
        assert built.relay.source == f"/maag/{service}"
        groups = {a["resource"]["name"] for a in acls if a["resource"]["type"] == "group"}
        assert groups == {built.consumer.group_id}


# A valid value of each secret setting, as `maag secrets` makes them (or a login's text).
_VALUES = {
    "MAAG_CIPHER_KEY": CIPHER_KEY,
    "MAAG_CHAIN_KEY": base64.b64encode(CHAIN_KEY).decode(),
    "MAAG_ANCHOR_SIGNING_KEY": base64.b64encode(bytes(range(32))).decode(),
    "MAAG_KEY_ENCRYPTION_KEYS": ",".join(f"{i}={base64.b64encode(k).decode()}" for i, k in KEKS),
    "MAAG_CHILD_INDEX_KEYS": ",".join(
        f"{i}={base64.b64encode(k).decode()}" for i, k in CHILD_INDEX_KEYS
    ),
}


def _with_only_its_secrets(service: str, folder: Path) -> Settings:
    """The settings a service's pod gives it: of the secret settings, only those SECRETS
    declares it uses."""
    given = {v: _VALUES.get(v, "smtp-login") for use in secrets_of(service) for v in use.variables}
    found = Settings.from_env({"MAAG_DATA_DIR": str(folder), **given})
    return dataclasses.replace(
        found, **{k: getattr(found, k) for k in _fields_of(set(given))}, **identity.settings()
    )


def _fields_of(variables: set[str]) -> set[str]:
    """The Settings fields these variables set (found by setting each, not by a list)."""
    plain = Settings.from_env({})
    fields = set()
    for variable in variables:
        changed = Settings.from_env({variable: _VALUES.get(variable, "smtp-login")})
        fields |= {
            f.name
            for f in dataclasses.fields(Settings)
            if getattr(changed, f.name) != getattr(plain, f.name)
        }
    return fields


def _secrets_named(pod: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The Secrets a pod's containers read (env and envFrom), and those it mounts."""
    read = set()
    for c in (*pod["containers"], *pod.get("initContainers", ())):
        for e in c.get("env", ()):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                read.add(ref["name"])
        read |= {e["secretRef"]["name"] for e in c.get("envFrom", ()) if "secretRef" in e}
    mounted = {v["secret"]["secretName"] for v in pod.get("volumes", ()) if "secret" in v}
    return read, mounted


def test_each_pod_names_only_the_secrets_its_process_uses(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    """The cipher key only where a store encrypts, the key-encryption and child-index keys
    only in referral, the SMTP login only in notifications, the web client's secret only in
    the web app: every pod exactly as SECRETS declares."""
    _, docs = overlay
    for d in _of(docs, "Deployment"):
        process = d["spec"]["template"]["spec"]["containers"][0]["args"][1]
        read, mounted = _secrets_named(d["spec"]["template"]["spec"])
        declared = {use.secret for use in secrets_of(process)}
        # its Kafka user's and database role's; the web app's, its sessions' role. Never the
        # owner's of its store: only the release's migration Job reads that
        own = {db_credentials("web")} if process == "web" else own_secrets(process)
        assert read - own == declared, process
        assert mounted <= {KAFKA_CA_SECRET}, process  # the brokers' CA certificate, public
    jobs = _of(docs, "Job")
    assert len(jobs) == len(SERVICES)
    for job in jobs:
        service = job["spec"]["template"]["spec"]["containers"][0]["args"][2]
        assert _secrets_named(job["spec"]["template"]["spec"]) == (
            {db_owner_credentials(service)},
            set(),
        ), service
    users = {s.secret: s.users for s in SECRETS}
    assert users["maag-kek"] == users["maag-child-index"] == {"referral"}
    assert users["maag-kek-panel"] == {"panel"}  # its own: the plan's texts' data keys
    assert users["maag-smtp"] == {"notifications"}
    assert users["maag-web"] == {"web"}
    for service in STORES:  # each store's cipher, chain and anchor keys its own alone
        for kind in ("cipher", "chain", "anchor"):
            assert users[f"maag-{kind}-{service}"] == {service}
    assert set(SERVICES) == STORES


def test_the_declared_users_of_each_secret_are_the_code_that_reads_it() -> None:
    """SECRETS against the code: a process reads a secret setting (its Settings field, or the
    variable itself) if and only if SECRETS gives it to that process. The runtime's store
    and chains are every service's."""
    root = ROOT
    source = {
        process: "\n".join(p.read_text() for p in (root / "services" / process).rglob("*.py"))
        for process in (*SERVICES, "web")
    }
    # the runtime, settings.py included: its eventsourcing_env hands the store the cipher key
    runtime = "\n".join(p.read_text() for p in (root / "maag" / "runtime").rglob("*.py"))
    for use in SECRETS:
        for variable in use.variables:
            fields = _fields_of({variable}) if variable in settings_keys() else set()
            needles = [variable, *(f".{f}" for f in fields)]
            readers = {
                process
                for process, text in source.items()
                if any(re.search(re.escape(n) + r"\b", text) for n in needles)
            }
            if any(re.search(re.escape(f".{f}") + r"\b", runtime) for f in fields):
                readers |= STORES
            # a variable may come from a secret of each process's own (its key-encryption keys)
            given = set().union(*(u.users for u in SECRETS if variable in u.variables))
            assert readers == given, (variable, readers)


def test_the_web_app_is_deployed_with_its_secrets_from_a_secret_and_locked_down(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    name, docs = overlay
    (web,) = [d for d in _of(docs, "Deployment") if d["metadata"]["name"] == "maag-web"]
    # two or more replicas: its sessions are in PostgreSQL, not in a process's memory
    assert "replicas" not in web["spec"]
    (hpa,) = [
        h for h in _of(docs, "HorizontalPodAutoscaler") if h["metadata"]["name"] == "maag-web"
    ]
    assert hpa["spec"]["minReplicas"] >= (1 if name == "dev" else 2)
    (c,) = web["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["valueFrom"] for e in c["env"]}
    for secret in ("MAAG_WEB_CLIENT_SECRET", "MAAG_WEB_SESSION_SECRET"):
        assert env[secret]["secretKeyRef"]["name"] == "maag-web"
    assert {"MAAG_OIDC_ISSUER", "MAAG_SERVICE_URLS", "MAAG_WEB_BASE_URL"} <= set(env)
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    (policy,) = [p for p in _of(docs, "NetworkPolicy") if p["metadata"]["name"] == "maag-web"]
    ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert 9092 not in ports and 9093 not in ports  # no broker: the APIs and its sessions
    assert env["MAAG_POSTGRES_PASSWORD"]["secretKeyRef"]["name"] == "maag-web-db-credentials"


def test_alerts_and_the_dashboard_use_only_metrics_the_code_exposes() -> None:
    import re

    import prometheus_client

    import maag.runtime.web.metrics  # noqa: F401 (registers them)
    from maag.ops.deployment import ALERTS, grafana_dashboard

    exposed: set[str] = set()
    for metric in prometheus_client.REGISTRY.collect():
        exposed.update(sample.name for sample in metric.samples)
        exposed.add(metric.name)
    exprs = [a["expr"] for a in ALERTS] + [
        t["expr"] for p in grafana_dashboard()["panels"] for t in p["targets"]
    ]
    used = {m for e in exprs for m in re.findall(r"\bmaag_[a-z_]+", e)}
    # a labelled metric shows its samples only once a label set is used: compare by family
    families = {
        n.removesuffix("_total").removesuffix("_count").removesuffix("_bucket") for n in exposed
    }
    missing = {
        m
        for m in used
        if m.removesuffix("_total").removesuffix("_count").removesuffix("_bucket") not in families
    }
    assert used and not missing, missing
    kinds = {d["kind"] for d in _build("prod")}
    assert {"PodMonitor", "PrometheusRule"} <= kinds
