"""The Kubernetes base, generated from the code it deploys: one KafkaTopic per registry
topic, one KafkaUser per service with ACLs from what it publishes and consumes, and per
service a Deployment whose environment sets every setting the code reads, and the Job that
migrates its store once per release.

    maag deploy render deploy/k8s/base    (checked in; a test fails when it is stale)

The base is the same for every environment. What an environment changes is patched by its
overlay in one place each: the namespace, the image and its pull secret, the hosts, the
object store's path and endpoint (the `ObjectStore`), the WAL archive's server name (the
`Cluster`'s plugin parameters), the label Prometheus selects monitoring objects by (every
object of the group monitoring.coreos.com carries MONITORING_LABELS), and where the cluster's
own parts run (a `Site`: the NetworkPolicies and Ingresses are rendered from it, the base's
from SITE, an overlay's from its environment's values).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from contracts.topics import (
    AGENCY_OUTCOMES,
    ALL_TOPICS,
    CHAIN_ANCHORS,
    FRONT_DOOR,
    FRONT_DOOR_AGENCY,
    REFERRAL_SUBMISSIONS,
)
from maag.ops.identity.realm import INTEGRATING_AGENCIES
from maag.runtime.settings import service_keys
from maag.runtime.store.migrations import RELEASE, retry_budget_s
from maag.runtime.web.auth import agency_client
from maag.services import SPECS

KAFKA_CLUSTER = "maag"
PG_CLUSTER = "maag-pg"
HTTP_PORT = 8000
# The image is tagged with its release (`0.1.0-<build>`: a tag takes no `+`), so a build whose
# migration changed is a new tag, and its migration Job (named for it) runs.
IMAGE = f"ghcr.io/maag/maag:{RELEASE.replace('+', '-')}"
SERVICES = tuple(SPECS)
# Written for Strimzi 1.0.1 or later (the `v1` API only, validated against Strimzi 1.0.0's CRDs;
# Kafka 4.2.0) and CloudNativePG 1.30 or later with the Barman Cloud plugin 0.16 or later
# (maag.ops.preflight.OPERATORS says which versions, and warns above those checked).
STRIMZI_API = "kafka.strimzi.io/v1"
KAFKA_VERSION = "4.2.0"
TLS_PORT = 9093  # the internal listener: TLS, SCRAM-SHA-512
EXTERNAL_PORT = 9094  # agencies' systems: TLS, SCRAM-SHA-512; its type is the overlay's
# Strimzi's own ports on each Kafka node (its KafkaCluster model, whose generated
# NetworkPolicy opens them to the same peers as ours): the KRaft control plane (controllers,
# and the cluster operator in a rolling update), replication (brokers, the cluster and
# entity operators), the agent the cluster operator reads a node's state from, and the
# metrics endpoint (`metricsConfig`).
CONTROLPLANE_PORT = 9090
REPLICATION_PORT = 9091
KAFKA_AGENT_PORT = 8443
KAFKA_METRICS_PORT = 9404
KAFKA_METRICS_PORT_NAME = "tcp-prometheus"
KAFKA_POOL = "dual-role"
KAFKA_CA_SECRET = f"{KAFKA_CLUSTER}-cluster-ca-cert"  # made by Strimzi
KAFKA_CA_FILE = "/etc/maag/kafka-ca/ca.crt"
# Each broker's rack is its node's zone: Kafka places a partition's replicas in different
# zones, and Strimzi's init container reads the label (through the ClusterRoleBinding the
# cluster operator creates for it, bound to the ClusterRole `strimzi-kafka-broker` its
# installation brings).
ZONE_KEY = "topology.kubernetes.io/zone"
# CloudNativePG's ports on each instance: PostgreSQL, the instance manager (the operator
# and the other instances call it), the metrics exporter.
PG_PORT = 5432
PG_INSTANCE_MANAGER_PORT = 8000
PG_METRICS_PORT = 9187
PG_METRICS_PORT_NAME = "metrics"
# A current PostgreSQL for CloudNativePG: the project's minimal image (no Barman Cloud inside:
# the plugin's sidecar takes the backups), an immutable build tag (the plain `18.7-…` tags
# move weekly). PostgreSQL 18 is supported to November 2030.
PG_IMAGE = "ghcr.io/cloudnative-pg/postgresql:18.7-202611300810-minimal-trixie"
BACKUP_STORE = "maag-backups"
BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io"
# The folder the cluster's WAL and base backups go to in the object store (the plugin's
# `serverName`; it defaults to the cluster's name). A cluster restored from a backup archives
# to a new one (deploy/README.md, "Backup and restore"): the environment's `[backups]
# server_name`, which its overlay patches in.
BACKUP_SERVER_NAME = PG_CLUSTER
# The name a recovering cluster gives the archive it is recovered from (its
# `externalClusters` entry, rendered by the overlay from the environment's `[restore]`).
RECOVERY_SOURCE = "origin"
# The label kube-prometheus-stack selects PodMonitors and PrometheusRules by (its
# `podMonitorSelector` and `ruleSelector` default to `release: <its Helm release>`): on every
# monitoring object, patched by an overlay whose release is named otherwise.
MONITORING_LABELS = {"release": "kube-prometheus-stack"}
# The operators' pods, by the labels their own installations give them, wherever they run
# (Strimzi's generated policies name its cluster operator so; CloudNativePG's manifest and
# chart, and the Barman Cloud plugin's manifest). CloudNativePG and the plugin are installed
# in their own namespace (Site.cnpg_namespace); Strimzi's cluster operator is often installed
# beside its cluster.
STRIMZI_OPERATOR_POD = {"strimzi.io/kind": "cluster-operator"}
CNPG_OPERATOR_POD = {"app.kubernetes.io/name": "cloudnative-pg"}
BARMAN_PLUGIN_POD = {"app": "barman-cloud"}
CNPG_WEBHOOK_PORT = 9443
BARMAN_PLUGIN_PORT = 9090  # the plugin's gRPC server, which the operator calls
OPERATOR_METRICS_PORT = 8080  # the Strimzi and CloudNativePG operators' /metrics
# cert-manager's HTTP-01 solver pods, made in the namespace of the certificate's Ingress
# (cert-manager's acmesolver listens on 8089; the ingress controller forwards the ACME
# server's challenge to it).
ACME_SOLVER_POD = {"acme.cert-manager.io/http01-solver": "true"}
ACME_SOLVER_PORT = 8089
WEB_HOST = "maag.essex.example"
API_HOST = "api.maag.essex.example"
WEB_BASE_URL = f"https://{WEB_HOST}"  # what emails link to; the web app's public address
# The county's SMTP relay: in the cluster by default (a Service `smtp-relay` in namespace
# `mail`), or outside it.
SMTP_HOST = "smtp-relay.mail.svc"
SMTP_PORTS = (587, 25)  # submission with STARTTLS, and plain relay


# How often each service walks its own whole hash chain (MAAG_STORE_CHECK_INTERVAL): the
# alert on a walk overdue reads it too.
STORE_CHECK_INTERVAL_S = 300


def settings_keys() -> list[str]:
    """Every environment variable `Settings.from_env` reads."""
    source = (Path(__file__).parents[1] / "runtime" / "settings.py").read_text()
    return sorted(set(re.findall(r'(?:env\.get\(|_\w+\(env,)\s*"([A-Z_]+)"', source)))


OIDC_ISSUER = "https://id.essex.example/realms/maag"
# Where each service finds the others (their Services, port 80): a case's audit timeline, the
# web app's pages.
SERVICE_URLS = ",".join(f"{s}=http://maag-{s}" for s in SERVICES)


@dataclass(frozen=True)
class Peer:
    """Where something outside the namespace listens: its port, and its namespace when it
    is a Service of this cluster (`<name>.<namespace>.svc`: on Cilium no CIDR rule matches a
    pod, so the policies admit its namespace by name)."""

    port: int
    namespace: str | None = None


def _in_cluster_namespace(host: str) -> str | None:
    """The namespace of a Service's in-cluster name (`<service>.<namespace>.svc[...]`)."""
    parts = host.split(".")
    if len(parts) >= 3 and parts[2] == "svc":
        return parts[1]
    return None


def peer(url: str) -> Peer:
    """Where a URL's server listens ("": Amazon S3's own endpoint, over HTTPS)."""
    found = urlsplit(url)
    port = found.port or (80 if found.scheme == "http" else 443)
    return Peer(port, _in_cluster_namespace(found.hostname or ""))


@dataclass(frozen=True)
class Site:
    """What differs between one cluster and another that the NetworkPolicies and Ingresses
    are rendered from: the namespaces CloudNativePG (and its Barman Cloud plugin), Prometheus
    and the ingress controller run in, the ingress class, and where the backups' object store
    and the identity provider listen. The base is rendered with SITE; an environment's overlay
    patches in what its own (deploy/environments/<env>.toml, [cluster]) makes different."""

    cnpg_namespace: str = "cnpg-system"
    monitoring_namespace: str = "monitoring"
    ingress_namespace: str = "ingress-nginx"
    ingress_class: str = "nginx"
    object_store: Peer = Peer(443)
    identity: Peer = Peer(443)


SITE = Site(object_store=peer(""), identity=peer(OIDC_ISSUER))
# What a Site changes, by kind: the spec's fields an overlay patches for its environment's.
SITE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "NetworkPolicy": ("ingress", "egress"),
    "Ingress": ("ingressClassName",),
}


@dataclass(frozen=True)
class SecretUse:
    """A Secret the operator makes, each of its keys as the variable the code reads it from,
    and the processes that use it: the only pods it is given to."""

    secret: str
    variables: Mapping[str, str]  # variable -> key in the Secret
    users: frozenset[str]
    optional: bool = False  # the process runs without it (e.g. a relay that wants no login)


# Every service keeps an event store, encrypted at rest (`Settings.eventsourcing_env`); the
# web app keeps none.
STORES = frozenset(SERVICES)
# Which process uses which secret, declared once: the Deployments are rendered from it, and
# a test checks every pod against it (tests/unit/deploy/test_kubernetes_manifests.py).
SECRETS: tuple[SecretUse, ...] = (
    # each store's own AES key (at rest), and each service's own key its chain, seals and
    # keyring log derive from (never in the database's hands): a service holds no other's
    *(
        SecretUse(f"maag-cipher-{service}", {"MAAG_CIPHER_KEY": "key"}, frozenset({service}))
        for service in sorted(STORES)
    ),
    *(
        SecretUse(f"maag-chain-{service}", {"MAAG_CHAIN_KEY": "key"}, frozenset({service}))
        for service in sorted(STORES)
    ),
    # each case's data key is wrapped by these (the first the current one): crypto-shredding;
    # each service that keeps data keys has its own
    SecretUse("maag-kek", {"MAAG_KEY_ENCRYPTION_KEYS": "keys"}, frozenset({"referral"})),
    SecretUse("maag-kek-panel", {"MAAG_KEY_ENCRYPTION_KEYS": "keys"}, frozenset({"panel"})),
    # the child index's HMAC keys (the first the current one), apart from the cipher key
    SecretUse("maag-child-index", {"MAAG_CHILD_INDEX_KEYS": "keys"}, frozenset({"referral"})),
    # each service's anchors' Ed25519 private key (`maag audit anchor-keys`): only that
    # service holds it; `maag audit verify` is given the public keys (MAAG_ANCHOR_PUBLIC_KEYS)
    *(
        SecretUse(
            f"maag-anchor-{service}",
            {"MAAG_ANCHOR_SIGNING_KEY": "signing-key"},
            frozenset({service}),
        )
        for service in sorted(STORES)
    ),
    SecretUse(
        "maag-smtp",
        {"MAAG_SMTP_USERNAME": "username", "MAAG_SMTP_PASSWORD": "password"},
        frozenset({"notifications"}),
        optional=True,  # a relay that takes mail from the cluster without a login
    ),
    SecretUse(
        "maag-web",
        {"MAAG_WEB_CLIENT_SECRET": "client-secret", "MAAG_WEB_SESSION_SECRET": "session-secret"},
        frozenset({"web"}),
    ),
)


def own_secrets(service: str) -> set[str]:
    """The Secrets made for one service alone: its Kafka user's (Strimzi makes it) and its
    database role's."""
    return {f"maag-{service}", db_credentials(service)}


def secrets_of(process: str) -> list[SecretUse]:
    return [s for s in SECRETS if process in s.users]


# Where one environment holds every service's own key (the local `maag run`, an auditor's
# tools), the variable of the map and the one each process is given its entry as.
PER_SERVICE_KEYS = {"MAAG_CIPHER_KEYS": "MAAG_CIPHER_KEY", "MAAG_CHAIN_KEYS": "MAAG_CHAIN_KEY"}


def secret_variables() -> set[str]:
    """The settings only the processes that use them are given (the maps of every
    service's key: none)."""
    return {v for s in SECRETS for v in s.variables} | set(PER_SERVICE_KEYS)


def process_env(process: str, env: Mapping[str, str]) -> dict[str, str]:
    """`env` as `process` may have it (what `maag run` starts each process with): the
    secret settings SECRETS gives it and no other, and of each per-service key map only its
    own entry, as a Kubernetes pod has them."""
    own = {v for s in secrets_of(process) for v in s.variables}
    given = {k: v for k, v in env.items() if k not in secret_variables() or k in own}
    for mapped, single in PER_SERVICE_KEYS.items():
        entries = service_keys(env.get(mapped, ""), mapped)
        if process in entries and single in own:
            given[single] = entries[process]
    return given


def _secret_env(process: str) -> dict[str, Any]:
    return {
        variable: ("secret", use.secret, key, use.optional)
        for use in secrets_of(process)
        for variable, key in use.variables.items()
    }


# name -> (ConfigMap value) or ("secret", secret name, key, optional)
def _env(service: str) -> dict[str, Any]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": f"{KAFKA_CLUSTER}-kafka-bootstrap:{TLS_PORT}",
        "MAAG_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "MAAG_KAFKA_CA_FILE": KAFKA_CA_FILE,
        "MAAG_KAFKA_SASL_USERNAME": f"maag-{service}",
        "MAAG_KAFKA_SASL_PASSWORD": (
            "secret",
            f"maag-{service}",
            "password",
            False,
        ),  # Strimzi makes it
        "MAAG_KAFKA_CREATE_TOPICS": "false",
        # the role's password is the one secret the database operator creates the role with;
        # the service runs as its writer role, which may not change its history
        "MAAG_POSTGRES_URL": f"postgresql://{service}@{PG_CLUSTER}-rw:{PG_PORT}/{service}",
        "MAAG_POSTGRES_PASSWORD": ("secret", db_credentials(service), "password", False),
        "MAAG_STORE_MIGRATED": "true",
        "MAAG_POSTGRES_SCHEMA": service,
        "MAAG_DATA_DIR": "/tmp/maag",
        # the keys and credentials this service uses, and no other (SECRETS)
        **_secret_env(service),
        # empty: the defaults, sourced in services/referral/domain/retention.py
        "MAAG_RETENTION": "",
        "MAAG_ANCHOR_INTERVAL": "60",
        "MAAG_STORE_CHECK_INTERVAL": str(STORE_CHECK_INTERVAL_S),
        "MAAG_ANCHOR_FILE": "",
        # empty: each service checks its anchors by its own signing key's public half
        "MAAG_ANCHOR_PUBLIC_KEYS": "",
        # empty until the overlay mounts the witness bucket (object lock) and names the path
        # (deploy/README.md, "Tamper evidence")
        "MAAG_ANCHOR_WITNESS_DIR": "",
        "MAAG_TOPIC_PREFIX": "",
        "MAAG_LOG_FORMAT": "json",
        # The county's OpenID Connect provider: services fetch its public keys, hold no secret.
        "MAAG_OIDC_ISSUER": OIDC_ISSUER,
        "MAAG_OIDC_JWKS_URL": "",
        "MAAG_HTTP_HOST": "0.0.0.0",
        "MAAG_HTTP_PORT": str(HTTP_PORT),
        "MAAG_QUORUM_OTHER_AGENCIES": "3",
        "MAAG_MEETING_WINDOW_HOURS": "24",
        "MAAG_SMTP_HOST": SMTP_HOST,
        "MAAG_SMTP_PORT": str(SMTP_PORTS[0]),
        "MAAG_SMTP_STARTTLS": "true",
        "MAAG_MAIL_FROM": "maag-notifications@essex.example",
        "MAAG_WEB_BASE_URL": WEB_BASE_URL,
        "MAAG_SMTP_RETRY_SECONDS": "300",
        "MAAG_SMTP_CONNECTIONS": "4",
        "MAAG_REVIEW_REMINDER_DAYS": "14",
        "MAAG_PROVIDER_DIRECTORY": "",
        # empty: the sourced defaults (services/commissioning/domain/savings.py); the county
        # sets its own costs here
        "MAAG_AVOIDED_ANNUAL_COST_PENCE": "",
        "MAAG_SERVICE_URLS": SERVICE_URLS,
    }


def db_credentials(process: str) -> str:
    """The basic-auth Secret of a process's database role (created once by the operator)."""
    return f"maag-{process}-db-credentials"


def db_owner(service: str) -> str:
    """The role that owns a service's database and tables: only `maag db migrate` (the
    release's migration Job) signs in as it."""
    return f"{service}_owner"


def db_owner_credentials(service: str) -> str:
    return f"maag-{service}-owner-db-credentials"


# The release in a name and label Kubernetes takes.
RELEASE_NAME = re.sub(r"[^a-z0-9-]", "-", RELEASE.lower())
# How long a pod waits for its release's migration, and a migration for the database (on a
# first install CloudNativePG makes the cluster, the roles and the databases meanwhile).
MIGRATION_TIMEOUT_S = 600
# How long a migration Job may run, all its pods together (its `activeDeadlineSeconds`): the
# wait for the database, then every attempt and pause the migration allows itself, and a
# minute to start. A Job past it fails (and its alert fires) rather than hold the release's
# pods back without end.
MIGRATION_DEADLINE_S = MIGRATION_TIMEOUT_S + math.ceil(retry_budget_s()) + 60
# How long a finished migration Job is kept (its logs to read) before Kubernetes deletes it
# (its TTL): applying the manifests after it is gone creates it again, and the migration run
# again finds everything made and changes nothing.
MIGRATION_KEPT_S = 7 * 24 * 3600
MIGRATION_COMPONENT = "migrate"


def migration_labels(service: str) -> dict[str, str]:
    """A release's migration Job for `service` (the guide selects this release's by them)."""
    return {
        "app.kubernetes.io/name": "maag",
        "app.kubernetes.io/component": MIGRATION_COMPONENT,
        "app.kubernetes.io/instance": service,
        "app.kubernetes.io/version": RELEASE_NAME,
    }


def migrations_selector() -> str:
    """This release's migration Jobs, as `kubectl -l` takes them (`maag deploy env` prints
    it as MIGRATIONS): not an older release's, kept until their TTL."""
    labels = migration_labels("")
    return ",".join(
        f"{k}={labels[k]}" for k in ("app.kubernetes.io/component", "app.kubernetes.io/version")
    )


def template_hash(template: Mapping[str, Any]) -> str:
    """A short hash of a Job's pod template as it is applied (image, pull secret, resources
    and all): a Job's template cannot change once created, so a changed template is a new
    Job, under a new name."""
    text = json.dumps(template, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def migration_job_name(service: str, template: Mapping[str, Any]) -> str:
    """`maag-migrate-<service>-<release>-<hash of the pod template>`: a new release, or an
    environment's change to the pod (its image, a moved tag's digest aside), runs again."""
    return f"maag-migrate-{service}-{RELEASE_NAME}-{template_hash(template)}"


def migration_job(service: str) -> dict[str, Any]:
    """The Job that makes the service's store as its owner and grants the service's role its
    part (maag.runtime.store.migrations), once per release and pod template: the name carries
    both (an overlay renames it for the template it applies, maag.ops.overlays). No service
    pod holds the owner's password, and none runs DDL."""
    password = {"secretKeyRef": {"name": db_owner_credentials(service), "key": "password"}}
    env = [
        {
            "name": "MAAG_POSTGRES_URL",
            "value": f"postgresql://{db_owner(service)}@{PG_CLUSTER}-rw:{PG_PORT}/{service}",
        },
        {"name": "MAAG_POSTGRES_PASSWORD", "valueFrom": password},
        {"name": "MAAG_POSTGRES_SCHEMA", "value": service},
        {"name": "MAAG_LOG_FORMAT", "value": "json"},
    ]
    labels = migration_labels(service)
    template = {
        "metadata": {"labels": labels},
        "spec": {
            "restartPolicy": "Never",  # each attempt a pod of its own, its log kept
            "automountServiceAccountToken": False,
            "securityContext": POD_SECURITY,
            "containers": [
                {
                    "name": "migrate",
                    "image": IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "args": [
                        "db",
                        "migrate",
                        service,
                        "--writer",
                        service,
                        "--timeout",
                        str(MIGRATION_TIMEOUT_S),
                    ],
                    "env": env,
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                    "securityContext": CONTAINER_SECURITY,
                    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                }
            ],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
        },
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": migration_job_name(service, template), "labels": labels},
        "spec": {
            "backoffLimit": 6,
            "activeDeadlineSeconds": MIGRATION_DEADLINE_S,
            "ttlSecondsAfterFinished": MIGRATION_KEPT_S,
            "template": template,
        },
    }


# What the wait for the migration reads: the service's own database settings, nothing else.
_WAIT_SETTINGS = (
    "MAAG_POSTGRES_URL",
    "MAAG_POSTGRES_PASSWORD",
    "MAAG_POSTGRES_SCHEMA",
    "MAAG_LOG_FORMAT",
)


def _wait_for_migration(service: str, env: dict[str, Any]) -> dict[str, Any]:
    """The init container that holds the service back until its store is at this release's
    head (`maag db wait`), as the service's own role, reading the catalogue only: a new
    release's pods start after its migration Job has run, and never make a history table
    themselves (maag.runtime.store.migration_head)."""
    return {
        "name": "wait-for-migration",
        "image": IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": ["db", "wait", service, "--timeout", str(MIGRATION_TIMEOUT_S)],
        "env": _env_entries(service, {k: env[k] for k in _WAIT_SETTINGS}),
        "resources": {
            "requests": {"cpu": "50m", "memory": "128Mi"},
            "limits": {"cpu": "250m", "memory": "256Mi"},
        },
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def _labels(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "maag", "app.kubernetes.io/component": service}


def kafka() -> list[dict[str, Any]]:
    """Three KRaft nodes, each a controller and a broker, one per zone: the pool spreads
    them (at most one more in any zone than in another; none placed where the zone is
    unknown), and rack awareness tells Kafka each broker's zone, so a partition's replicas
    land in different zones and a zone lost keeps every partition's majority."""
    node = {"strimzi.io/cluster": KAFKA_CLUSTER, "strimzi.io/pool-name": KAFKA_POOL}
    pool = {
        "apiVersion": STRIMZI_API,
        "kind": "KafkaNodePool",
        "metadata": {"name": KAFKA_POOL, "labels": {"strimzi.io/cluster": KAFKA_CLUSTER}},
        "spec": {
            "replicas": 3,
            "roles": ["controller", "broker"],
            "storage": {
                "type": "jbod",
                "volumes": [
                    {
                        "id": 0,
                        "type": "persistent-claim",
                        "size": "50Gi",
                        "deleteClaim": False,
                        "kraftMetadata": "shared",
                    }
                ],
            },
            "resources": {
                "requests": {"cpu": "500m", "memory": "2Gi"},
                "limits": {"cpu": "2", "memory": "4Gi"},
            },
            "template": {
                "pod": {
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": ZONE_KEY,
                            "whenUnsatisfiable": "DoNotSchedule",
                            "labelSelector": {"matchLabels": node},
                        },
                        {  # and never two on one node, whatever the zones
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "DoNotSchedule",
                            "labelSelector": {"matchLabels": node},
                        },
                    ]
                }
            },
        },
    }
    scram = {"type": "scram-sha-512"}
    cluster = {
        "apiVersion": STRIMZI_API,
        "kind": "Kafka",
        "metadata": {"name": KAFKA_CLUSTER},
        "spec": {
            "kafka": {
                "version": KAFKA_VERSION,
                "listeners": [
                    # children's data crosses these: TLS everywhere, a user per client
                    {
                        "name": "tls",
                        "port": TLS_PORT,
                        "type": "internal",
                        "tls": True,
                        "authentication": scram,
                        # the policy Strimzi generates for it admits the MAAG pods, as ours
                        "networkPolicyPeers": [MAAG_PODS],
                    },
                    {
                        "name": "external",
                        "port": EXTERNAL_PORT,
                        "type": "loadbalancer",  # dev: nodeport (its overlay)
                        "tls": True,
                        "authentication": scram,
                    },
                ],
                "authorization": {"type": "simple"},
                "rack": {"topologyKey": ZONE_KEY},
                # Kafka's own metrics in Prometheus's format on KAFKA_METRICS_PORT, by the
                # Strimzi Metrics Reporter (Strimzi's default allow list; no exporter rules to
                # keep)
                "metricsConfig": {"type": "strimziMetricsReporter"},
                "config": {
                    "auto.create.topics.enable": False,
                    "default.replication.factor": 3,
                    "min.insync.replicas": 2,
                    "offsets.topic.replication.factor": 3,
                    "transaction.state.log.replication.factor": 3,
                    "transaction.state.log.min.isr": 2,
                },
            },
            "entityOperator": {"topicOperator": {}, "userOperator": {}},
        },
    }
    return [pool, cluster]


def topics() -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": STRIMZI_API,
            "kind": "KafkaTopic",
            "metadata": {"name": t.name, "labels": {"strimzi.io/cluster": KAFKA_CLUSTER}},
            "spec": {
                "topicName": t.name,
                "partitions": t.partitions,
                "replicas": 3,
                "config": {**t.config, "min.insync.replicas": "2"},
            },
        }
        for t in ALL_TOPICS
    ]


def _acl(kind: str, name: str, operations: list[str], pattern: str = "literal") -> dict[str, Any]:
    return {
        "resource": {"type": kind, "name": name, "patternType": pattern},
        "operations": operations,
    }


def _kafka_user(name: str, acls: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": STRIMZI_API,
        "kind": "KafkaUser",
        "metadata": {"name": name, "labels": {"strimzi.io/cluster": KAFKA_CLUSTER}},
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acls},
        },
    }


AUDIT_CLIENT = "maag-audit"


def users() -> list[dict[str, Any]]:
    """One KafkaUser per service (what it publishes and consumes) and per integrating agency:
    an agency's system writes referral submissions and reads its own outcomes topic (its
    rejections among them), and nothing else: not `maag.referral.events`, which holds every
    agency's cases, nor another agency's outcomes, and it writes no outcomes (only the
    referral service does, its `tells`)."""
    out = []
    for service in SERVICES:
        spec = SPECS[service]
        acls = [
            *(_acl("topic", t.name, ["Write", "Describe"]) for t in spec.publishes),
            *(_acl("topic", t.name, ["Read", "Describe"]) for t in spec.consumes),
            *(
                _acl("topic", t.name, ["Read", "Describe"])
                for t in spec.reads
                if t not in spec.consumes
            ),
            _acl("group", spec.group_id, ["Read"]),
            # its chain's anchors (which it publishes), read back for /audit/store
            _acl("topic", CHAIN_ANCHORS.name, ["Read"]),
        ]
        out.append(_kafka_user(f"maag-{service}", acls))
    # `maag audit verify`, run by an auditor or an operator: reads the anchors, writes nothing
    out.append(_kafka_user(AUDIT_CLIENT, [_acl("topic", CHAIN_ANCHORS.name, ["Read", "Describe"])]))
    for agency in INTEGRATING_AGENCIES:
        client = agency_client(agency.value)
        acls = [
            _acl("topic", REFERRAL_SUBMISSIONS.name, ["Write", "Describe"]),
            _acl("topic", AGENCY_OUTCOMES[agency].name, ["Read", "Describe"]),
            _acl("group", f"{client}-", ["Read"], pattern="prefix"),
        ]
        if agency is FRONT_DOOR_AGENCY:  # social care's system: the front door's cases too
            acls.append(_acl("topic", FRONT_DOOR.name, ["Read", "Describe"]))
        out.append(_kafka_user(client, acls))
    return out


# The replica plan, declared once: each process of the image runs in its own pods (`maag
# serve`: one process a pod), which an autoscaler keeps between these counts.
MIN_REPLICAS = 2
MAX_REPLICAS = 6
SCALED_PROCESSES = (*SERVICES, "web")
# PostgreSQL connections one process holds: 11 to 13 for each service's process through the
# whole flow, restores included (tests/e2e/test_restore.py, counted per process on the
# client side), 16 with a margin. Its event store's pool (eventsourcing's 5, and up to 10
# more in a burst), its read models' pool (SQLAlchemy's, likewise), the leader's lock and
# the wake-up listener: a burst can open more, which the MaagPostgresConnections alert
# catches before PostgreSQL refuses any (deploy/README.md, "Scaling").
CONNECTIONS_PER_PROCESS = 16
# Beyond the processes: CloudNativePG's own (the reserved superuser slots, the streaming
# replicas, the instance manager, the metrics exporter, backups), a migration Job per service,
# and an operator's `psql` or `maag audit verify`.
CONNECTIONS_HEADROOM = 40


def max_connections(max_replicas: int = MAX_REPLICAS) -> int:
    """What PostgreSQL must accept with every process at its autoscaler's maximum (an
    overlay that lowers the autoscalers' maximum derives its own from it)."""
    return max_replicas * len(SCALED_PROCESSES) * CONNECTIONS_PER_PROCESS + CONNECTIONS_HEADROOM


# Each instance's share of its node: requests equal to limits (CloudNativePG's advice: the
# Guaranteed class, never the first evicted).
PG_RESOURCES = {
    "requests": {"cpu": "2", "memory": "8Gi"},
    "limits": {"cpu": "2", "memory": "8Gi"},
}
_MEBIBYTES = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024 * 1024}


def _mebibytes(quantity: str) -> int:
    """A Kubernetes memory quantity in Mi, Gi, Ti or Ki, in MiB (PostgreSQL's MB)."""
    found = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti)", quantity)
    if not found:
        raise ValueError(f"memory {quantity!r}: give it in Mi, Gi or Ti")
    return int(float(found.group(1)) * _MEBIBYTES[found.group(2)])


def _megabytes(mib: int) -> str:
    return f"{mib // 1024}GB" if mib % 1024 == 0 else f"{mib}MB"


def pg_parameters(memory: str, max_replicas: int = MAX_REPLICAS) -> dict[str, str]:
    """PostgreSQL's settings for an instance whose memory limit is `memory`, serving every
    process at `max_replicas`: a quarter of the memory its shared buffers, three quarters
    what the planner may count on the operating system caching (PostgreSQL's own starting
    points), and max_connections from the replica plan. The base's and each overlay's
    (an environment's own memory and maximum) come from here."""
    mib = _mebibytes(memory)
    return {
        "max_connections": str(max_connections(max_replicas)),
        "shared_buffers": _megabytes(mib // 4),
        "effective_cache_size": _megabytes(mib * 3 // 4),
    }


PG_PARAMETERS = pg_parameters(PG_RESOURCES["limits"]["memory"])


def postgres() -> list[dict[str, Any]]:
    """The cluster, one database and role per service, and backups: base backups and WAL
    archived to an object store by the Barman Cloud plugin (point-in-time recovery). Its
    metrics are CloudNativePG's own exporter's (a PodMonitor in monitoring())."""
    cluster = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": PG_CLUSTER},
        "spec": {
            "instances": 3,
            "imageName": PG_IMAGE,
            "storage": {"size": "50Gi"},
            "resources": PG_RESOURCES,
            "postgresql": {"parameters": PG_PARAMETERS},
            "managed": {
                "roles": [
                    {
                        "name": role,
                        "ensure": "present",
                        "login": True,
                        "passwordSecret": {"name": secret},
                    }
                    for s in SERVICES
                    for role, secret in (
                        (s, db_credentials(s)),  # the service: no UPDATE or DELETE of history
                        (db_owner(s), db_owner_credentials(s)),  # its database and tables
                    )
                ]
                + [
                    {
                        "name": "web",
                        "ensure": "present",
                        "login": True,
                        "passwordSecret": {"name": db_credentials("web")},
                    }
                ]
            },
            "plugins": [
                {
                    "name": BARMAN_PLUGIN,
                    "isWALArchiver": True,
                    "parameters": {
                        "barmanObjectName": BACKUP_STORE,
                        "serverName": BACKUP_SERVER_NAME,
                    },
                }
            ],
        },
    }
    store = {
        "apiVersion": "barmancloud.cnpg.io/v1",
        "kind": "ObjectStore",
        "metadata": {"name": BACKUP_STORE},
        "spec": {
            "retentionPolicy": "30d",
            "configuration": {
                "destinationPath": "s3://maag-backups/",
                # empty: the provider's own (Amazon S3); an on-premises store names its URL
                "endpointURL": "",
                "s3Credentials": {
                    "accessKeyId": {"name": "maag-backup-s3", "key": "ACCESS_KEY_ID"},
                    "secretAccessKey": {"name": "maag-backup-s3", "key": "ACCESS_SECRET_KEY"},
                },
                "wal": {"compression": "gzip"},
                "data": {"compression": "gzip"},
            },
        },
    }
    nightly = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "ScheduledBackup",
        "metadata": {"name": f"{PG_CLUSTER}-nightly"},
        "spec": {
            "schedule": "0 0 2 * * *",
            "backupOwnerReference": "self",
            "cluster": {"name": PG_CLUSTER},
            "method": "plugin",
            "pluginConfiguration": {"name": BARMAN_PLUGIN},
        },
    }
    databases = [
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Database",
            "metadata": {"name": f"maag-{s}"},
            "spec": {"name": s, "owner": db_owner(s), "cluster": {"name": PG_CLUSTER}},
        }
        for s in SERVICES
    ]
    # The web app's sessions: it owns its database and makes its one table (no history there,
    # so no owner apart from the role that uses it).
    databases.append(
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Database",
            "metadata": {"name": "maag-web"},
            "spec": {"name": "web", "owner": "web", "cluster": {"name": PG_CLUSTER}},
        }
    )
    return [cluster, store, nightly, *databases]


def _env_entries(service: str, env: dict[str, Any]) -> list[dict[str, Any]]:
    entries = []
    for name, value in env.items():
        if isinstance(value, tuple):
            _, secret, key, optional = value
            entries.append(
                {
                    "name": name,
                    "valueFrom": {
                        "secretKeyRef": {
                            "name": secret,
                            "key": key,
                            **({"optional": True} if optional else {}),
                        }
                    },
                }
            )
        else:
            entries.append(
                {
                    "name": name,
                    "valueFrom": {"configMapKeyRef": {"name": f"maag-{service}", "key": name}},
                }
            )
    return entries


POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "runAsGroup": 10001,
    "fsGroup": 10001,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def _app(
    service: str,
    env: dict[str, Any],
    egress: list[dict[str, Any]],
    scaled: bool,
    volumes: Sequence[tuple[dict[str, Any], dict[str, Any]]] = (),
    public: bool = False,
    init: Sequence[dict[str, Any]] = (),
    site: Site = SITE,
) -> list[dict[str, Any]]:
    """A ConfigMap, Deployment, Service and NetworkPolicy (and, when `scaled`, a
    PodDisruptionBudget and HorizontalPodAutoscaler) for one process of the image."""
    labels = _labels(service)
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"maag-{service}", "labels": labels},
        "data": {k: v for k, v in env.items() if not isinstance(v, tuple)},
    }
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"maag-{service}", "labels": labels},
        "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }
    return [
        config,
        _deployment(service, env, scaled, volumes, init),
        svc,
        *(_scaling(service) if scaled else []),
        _network_policy(service, egress, public, site),
    ]


def _deployment(
    service: str,
    env: dict[str, Any],
    scaled: bool,
    volumes: Sequence[tuple[dict[str, Any], dict[str, Any]]],
    init: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """The process's pods: non-root, read-only, probed, bounded."""
    labels = _labels(service)
    probe: dict[str, Any] = {
        "httpGet": {"path": "/healthz", "port": "http"},
        "periodSeconds": 10,
        "timeoutSeconds": 2,
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"maag-{service}", "labels": labels},
        "spec": {
            # with an autoscaler, it alone sets the count (a `replicas` here would reset it
            # at every apply)
            **({} if scaled else {"replicas": 1}),
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": POD_SECURITY,
                    **({"initContainers": list(init)} if init else {}),
                    "containers": [
                        {
                            "name": service,
                            "image": IMAGE,
                            "imagePullPolicy": "IfNotPresent",  # dev: Always (a moving tag)
                            "args": ["serve", service],
                            "ports": [{"name": "http", "containerPort": HTTP_PORT}],
                            "env": _env_entries(service, env),
                            "startupProbe": probe | {"periodSeconds": 2, "failureThreshold": 60},
                            "livenessProbe": probe,
                            "readinessProbe": probe
                            | {"httpGet": {"path": "/readyz", "port": "http"}},
                            "resources": {
                                "requests": {"cpu": "200m", "memory": "256Mi"},
                                "limits": {"cpu": "1", "memory": "768Mi"},
                            },
                            "securityContext": CONTAINER_SECURITY,
                            "volumeMounts": [
                                {"name": "tmp", "mountPath": "/tmp"},
                                *(mount for mount, _ in volumes),
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                        *(volume for _, volume in volumes),
                    ],
                },
            },
        },
    }
    return deployment


def _scaling(service: str) -> list[dict[str, Any]]:
    """MIN_REPLICAS to MAX_REPLICAS replicas by CPU, one always available through a
    disruption."""
    labels = _labels(service)
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": f"maag-{service}", "labels": labels},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}},
    }
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": f"maag-{service}", "labels": labels},
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": f"maag-{service}",
            },
            "minReplicas": MIN_REPLICAS,
            "maxReplicas": MAX_REPLICAS,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
    }
    return [pdb, hpa]


def _network_policy(
    service: str, egress: list[dict[str, Any]], public: bool, site: Site
) -> dict[str, Any]:
    """Who may reach the process (the other MAAG pods, monitoring, the ingress when public)
    and where it may go (`egress`)."""
    labels = _labels(service)
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"maag-{service}", "labels": labels},
        "spec": {
            "podSelector": {"matchLabels": labels},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        MAAG_PODS,  # the web app; each other's parts of a case's timeline
                        _namespace(site.monitoring_namespace),  # /metrics
                        *([_namespace(site.ingress_namespace)] if public else []),
                    ],
                    "ports": _tcp(HTTP_PORT),
                }
            ],
            "egress": egress,
        },
    }
    return policy


MAAG_PODS = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "maag"}}}
KAFKA_PODS = {"podSelector": {"matchLabels": {"strimzi.io/cluster": KAFKA_CLUSTER}}}
PG_PODS = {"podSelector": {"matchLabels": {"cnpg.io/cluster": PG_CLUSTER}}}
# Outside the cluster. On Cilium a CIDR matches no pod and no node (where the API server runs)
# unless `policy-cidr-match-mode: nodes` is set: see API_SERVER.
ANYWHERE = {"ipBlock": {"cidr": "0.0.0.0/0"}}


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _anywhere_in_cluster(labels: Mapping[str, str]) -> dict[str, Any]:
    """Pods so labelled in any namespace (an operator installed here or in its own)."""
    return {"namespaceSelector": {}, "podSelector": {"matchLabels": dict(labels)}}


def _here(labels: Mapping[str, str]) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": dict(labels)}}


# DNS by port, to any address: the cluster's DNS Service, NodeLocal DNSCache's link-local
# address (169.254.20.10, not a pod), or a resolver outside. A selector of `kube-dns` pods
# misses the last two.
DNS = {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
# The Kubernetes API server is not a pod, so no pod selector reaches it, and on Cilium no CIDR
# does either: it has the `kube-apiserver` (or `host`, `remote-node`) identity, which an
# ipBlock never matches by default (cilium/cilium#20550, #14724). So its ports, to any
# destination, as DNS; and the admission webhook CloudNativePG's operator serves, from any
# source. Wider than needed (any in-cluster HTTPS endpoint): to narrow, an overlay's `local`
# component replaces the rule (allow rules add up: adding a narrower one narrows nothing)
# with the control plane's addresses, or on Cilium removes it for a CiliumNetworkPolicy to
# the entity `kube-apiserver` (deploy/README.md, "Prerequisites").
API_SERVER_NARROWING = (
    "Any destination on the API server's ports (443, 6443): on Cilium a CIDR does not match "
    "the API server's identity. To narrow, in the overlay's local component, replace this rule "
    "(allow rules add up) with the control plane's addresses (kubectl get endpointslices -n "
    "default -l kubernetes.io/service-name=kubernetes), or on Cilium remove it and allow "
    "toEntities kube-apiserver in a CiliumNetworkPolicy."
)
API_SERVER = {"ports": _tcp(443, 6443)}
WEBHOOK_NARROWING = (
    "Any source on the webhook's port: the API server calls it, and on Cilium no CIDR or "
    "selector matches the API server. To narrow on Cilium, in the overlay's local component, "
    "remove this rule's open source and allow fromEntities kube-apiserver in a "
    "CiliumNetworkPolicy."
)


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def _outside(namespace: str | None) -> list[dict[str, Any]]:
    """The peers of something outside the namespace: any address outside the cluster, and
    its namespace when it is a Service of this cluster."""
    return [ANYWHERE, *([_namespace(namespace)] if namespace else [])]


def _common_egress(site: Site) -> list[dict[str, Any]]:
    return [
        # the other MAAG processes' HTTP APIs (a case's audit timeline; the web app's pages)
        {"to": [MAAG_PODS], "ports": _tcp(HTTP_PORT)},
        # the identity provider (its published keys; the web app's token exchange), over
        # HTTPS on its issuer's port: outside, in this cluster behind its ingress controller,
        # or a Service of this cluster (addresses inside the cluster no CIDR rule matches on
        # Cilium)
        {
            "to": [*_outside(site.identity.namespace), _namespace(site.ingress_namespace)],
            "ports": _tcp(site.identity.port),
        },
    ]


def _smtp_egress() -> dict[str, Any]:
    """The county's SMTP relay: outside the cluster, or the in-cluster relay's namespace
    (on Cilium a 0.0.0.0/0 block does not match pods). A relay whose pods listen on
    other ports than its Service's needs those here instead."""
    return {
        "to": _outside(_in_cluster_namespace(SMTP_HOST)),
        "ports": _tcp(*SMTP_PORTS),
    }


def service_resources(service: str, site: Site = SITE) -> list[dict[str, Any]]:
    egress: list[dict[str, Any]] = [
        {"to": [KAFKA_PODS], "ports": _tcp(TLS_PORT)},
        {"to": [PG_PODS], "ports": _tcp(PG_PORT)},
        *_common_egress(site),
    ]
    if service == "notifications":
        egress.append(_smtp_egress())
    kafka_ca = (
        {"name": "kafka-ca", "mountPath": KAFKA_CA_FILE.rsplit("/", 1)[0], "readOnly": True},
        {
            "name": "kafka-ca",
            "secret": {
                "secretName": KAFKA_CA_SECRET,
                "items": [{"key": "ca.crt", "path": "ca.crt"}],
            },
        },
    )
    env = _env(service)
    return [
        *_app(
            service,
            env,
            egress,
            scaled=True,
            volumes=[kafka_ca],
            public=service == "referral",  # agencies' systems call its API
            init=[_wait_for_migration(service, env)],
            site=site,
        ),
        migration_job(service),
    ]


def web_resources(site: Site = SITE) -> list[dict[str, Any]]:
    """The web app: two or more replicas, its sessions in its own PostgreSQL database; it
    reaches the services, its database and the identity provider only."""
    env: dict[str, Any] = {
        "MAAG_OIDC_ISSUER": OIDC_ISSUER,
        "MAAG_WEB_BASE_URL": WEB_BASE_URL,
        "MAAG_WEB_HOST": "0.0.0.0",
        "MAAG_WEB_PORT": str(HTTP_PORT),
        "MAAG_WEB_CLIENT_ID": "maag-web",
        **_secret_env("web"),  # its OpenID Connect client secret and its sessions' key
        # its sessions (services/web/sessions.py): every replica serves every person, and a
        # restart signs nobody out
        "MAAG_POSTGRES_URL": f"postgresql://web@{PG_CLUSTER}-rw:{PG_PORT}/web",
        "MAAG_POSTGRES_PASSWORD": ("secret", db_credentials("web"), "password", False),
        "MAAG_POSTGRES_SCHEMA": "web",
        "MAAG_WEB_SESSION_MINUTES": "60",
        "MAAG_LOG_FORMAT": "json",
        "MAAG_SERVICE_URLS": SERVICE_URLS,
    }
    egress = [{"to": [PG_PODS], "ports": _tcp(PG_PORT)}, *_common_egress(site)]
    return [*_app("web", env, egress, scaled=True, public=True, site=site), *ingress(site)]


def ingress(site: Site = SITE) -> list[dict[str, Any]]:
    """The web app, and the referral API agencies' systems call, over TLS (the certificates'
    Secrets are the cluster's to provide, e.g. by cert-manager)."""

    def route(name: str, host: str, service: str, path: str) -> dict[str, Any]:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": name},
            "spec": {
                "ingressClassName": site.ingress_class,
                "tls": [{"hosts": [host], "secretName": f"{name}-tls"}],
                "rules": [
                    {
                        "host": host,
                        "http": {
                            "paths": [
                                {
                                    "path": path,
                                    "pathType": "Prefix",
                                    "backend": {
                                        "service": {
                                            "name": f"maag-{service}",
                                            "port": {"name": "http"},
                                        }
                                    },
                                }
                            ]
                        },
                    }
                ],
            },
        }

    return [
        route("maag-web", WEB_HOST, "web", "/"),
        route("maag-api", API_HOST, "referral", "/referrals"),
    ]


def _policy(
    name: str,
    pods: Mapping[str, str],
    ingress: list[dict[str, Any]] | None = None,
    egress: list[dict[str, Any]] | None = None,
    narrowing: str | None = None,
) -> dict[str, Any]:
    """A NetworkPolicy for the pods so labelled (all pods in the namespace when empty): the
    directions given are the ones it governs."""
    types = [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None]
    spec: dict[str, Any] = {"podSelector": {"matchLabels": dict(pods)} if pods else {}}
    spec["policyTypes"] = types
    if ingress:  # none: nothing in
        spec["ingress"] = ingress
    if egress:  # none: nothing out
        spec["egress"] = egress
    metadata: dict[str, Any] = {"name": name}
    if narrowing:  # what the operator may narrow, on the object itself (kubectl describe)
        metadata["annotations"] = {"maag.essex.example/narrowing": narrowing}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata,
        "spec": spec,
    }


# Where `maag audit verify` runs in the cluster: a pod so labelled (deploy/README.md, "Tamper
# evidence") reaches PostgreSQL and the brokers' TLS listener (as the `maag-audit` Kafka user),
# and nothing reaches it.
AUDIT_POD = {"app.kubernetes.io/name": "maag", "app.kubernetes.io/component": "audit"}


def network_defaults(site: Site = SITE) -> list[dict[str, Any]]:
    """Nothing in or out unless a policy lets it; then DNS for every pod here, and what the
    brokers, the database, the migrations, `maag audit verify`, cert-manager's HTTP-01 solver
    and the operators need. Every broker and operator port is opened here, not left to the
    policies Strimzi generates (which it makes for ingress only, and not at all when its
    policy generation is off), so the paths hold on kube-proxy and Cilium alike."""
    deny = _policy("default-deny", {}, ingress=[], egress=[])
    dns = _policy("maag-dns", {}, egress=[DNS])  # every pod here, operators' too
    kafka_nodes = _policy(
        "maag-kafka",
        {"strimzi.io/cluster": KAFKA_CLUSTER},  # the nodes and the entity operator
        ingress=[
            # the KRaft quorum and replication, and the entity operator with the brokers
            {"from": [KAFKA_PODS], "ports": _tcp(CONTROLPLANE_PORT, REPLICATION_PORT)},
            # the cluster operator, here or in its own namespace: a rolling update (the
            # control plane), the admin client (replication), a node's state (its agent)
            {
                "from": [_anywhere_in_cluster(STRIMZI_OPERATOR_POD)],
                "ports": _tcp(CONTROLPLANE_PORT, REPLICATION_PORT, KAFKA_AGENT_PORT),
            },
            {"from": [MAAG_PODS], "ports": _tcp(TLS_PORT)},  # the services
            {"ports": _tcp(EXTERNAL_PORT)},  # agencies' systems, from anywhere (SCRAM, TLS)
            {"from": [_namespace(site.monitoring_namespace)], "ports": _tcp(KAFKA_METRICS_PORT)},
        ],
        egress=[
            {"to": [KAFKA_PODS], "ports": _tcp(CONTROLPLANE_PORT, REPLICATION_PORT)},
            # the entity operator makes topics' and users' Secrets; each broker's init
            # container reads its node's zone (rack awareness)
            API_SERVER,
        ],
        narrowing=API_SERVER_NARROWING,
    )
    database = _policy(
        "maag-pg",
        {"cnpg.io/cluster": PG_CLUSTER},
        ingress=[
            {"from": [MAAG_PODS], "ports": _tcp(PG_PORT)},  # the services, the web app, Jobs
            {"from": [PG_PODS], "ports": _tcp(PG_PORT, PG_INSTANCE_MANAGER_PORT)},  # replicas
            {  # the operator, in its namespace or here
                "from": [_namespace(site.cnpg_namespace), _here(CNPG_OPERATOR_POD)],
                "ports": _tcp(PG_PORT, PG_INSTANCE_MANAGER_PORT),
            },
            {"from": [_namespace(site.monitoring_namespace)], "ports": _tcp(PG_METRICS_PORT)},
        ],
        egress=[
            {"to": [PG_PODS], "ports": _tcp(PG_PORT, PG_INSTANCE_MANAGER_PORT)},
            # the operator and the Barman Cloud plugin
            {
                "to": [
                    _namespace(site.cnpg_namespace),
                    _here(CNPG_OPERATOR_POD),
                    _here(BARMAN_PLUGIN_POD),
                ]
            },
            API_SERVER,  # the instance manager watches its Cluster
            # the backup object store, where the ObjectStore's endpoint listens (outside, or a
            # Service of this cluster: its namespace)
            {"to": _outside(site.object_store.namespace), "ports": _tcp(site.object_store.port)},
        ],
        narrowing=API_SERVER_NARROWING,
    )
    migrations = _policy(
        "maag-migrate",
        {"app.kubernetes.io/name": "maag", "app.kubernetes.io/component": MIGRATION_COMPONENT},
        ingress=[],
        egress=[{"to": [PG_PODS], "ports": _tcp(PG_PORT)}],
    )
    audit = _policy(
        "maag-audit",
        AUDIT_POD,
        ingress=[],
        egress=[
            {"to": [PG_PODS], "ports": _tcp(PG_PORT)},
            {"to": [KAFKA_PODS], "ports": _tcp(TLS_PORT)},
        ],
    )
    # cert-manager's HTTP-01 solver for the Ingresses' certificates: the ACME server's
    # challenge reaches it through the ingress controller
    acme = _policy(
        "maag-acme-solver",
        ACME_SOLVER_POD,
        ingress=[{"from": [_namespace(site.ingress_namespace)], "ports": _tcp(ACME_SOLVER_PORT)}],
    )
    # Operators installed in this namespace: default-deny selects their pods too.
    strimzi = _policy(
        "maag-strimzi-operator",
        STRIMZI_OPERATOR_POD,
        ingress=[
            {"from": [_namespace(site.monitoring_namespace)], "ports": _tcp(OPERATOR_METRICS_PORT)}
        ],
        egress=[
            API_SERVER,
            {
                "to": [KAFKA_PODS],
                "ports": _tcp(CONTROLPLANE_PORT, REPLICATION_PORT, KAFKA_AGENT_PORT),
            },
        ],
        narrowing=API_SERVER_NARROWING,
    )
    cnpg = _policy(
        "maag-cnpg-operator",
        CNPG_OPERATOR_POD,
        ingress=[
            # its admission webhook, called by the API server (not a pod, and on Cilium no
            # CIDR either: see API_SERVER), so from any source
            {"ports": _tcp(CNPG_WEBHOOK_PORT)},
            {"from": [_namespace(site.monitoring_namespace)], "ports": _tcp(OPERATOR_METRICS_PORT)},
        ],
        egress=[
            API_SERVER,
            {"to": [PG_PODS], "ports": _tcp(PG_PORT, PG_INSTANCE_MANAGER_PORT)},
            {"to": [_here(BARMAN_PLUGIN_POD)], "ports": _tcp(BARMAN_PLUGIN_PORT)},
        ],
        narrowing=f"{API_SERVER_NARROWING} {WEBHOOK_NARROWING}",
    )
    plugin = _policy(
        "maag-barman-plugin",
        BARMAN_PLUGIN_POD,
        ingress=[{"from": [_here(CNPG_OPERATOR_POD)], "ports": _tcp(BARMAN_PLUGIN_PORT)}],
        egress=[API_SERVER],
        narrowing=API_SERVER_NARROWING,
    )
    return [deny, dns, kafka_nodes, database, migrations, audit, acme, strimzi, cnpg, plugin]


# What pages someone, and what waits for working hours (a PrometheusRule's alerts).
ALERTS: list[dict[str, Any]] = [
    {
        "alert": "MaagOutboxBlocked",
        "expr": "max by (service) (maag_outbox_blocked) == 1",
        "labels": {"severity": "critical"},
        "annotations": {
            "summary": "{{ $labels.service }} has stopped publishing at an event it cannot "
            "publish; its log line 'outbox blocked' says which and why"
        },
    },
    {
        "alert": "MaagOutboxLag",
        "expr": 'max by (service) (maag_store_lag{follower="relay"}) > 100',
        "for": "10m",
        "labels": {"severity": "warning"},
        "annotations": {"summary": "{{ $labels.service }}: stored events not yet published"},
    },
    {
        "alert": "MaagConsumerLag",
        "expr": "max by (consumer, topic) (maag_consumer_lag) > 1000",
        "for": "10m",
        "labels": {"severity": "warning"},
        "annotations": {"summary": "{{ $labels.consumer }} is behind on {{ $labels.topic }}"},
    },
    {
        "alert": "MaagDeadLetters",
        "expr": "sum by (consumer, topic) (increase(maag_dead_letters_total[10m])) > 0",
        "labels": {"severity": "warning"},
        "annotations": {
            "summary": "{{ $labels.consumer }} dead-lettered messages from {{ $labels.topic }}: "
            "read their dlq_error headers"
        },
    },
    {
        "alert": "MaagEmailsFailing",
        "expr": 'sum (increase(maag_emails_total{outcome="failed"}[30m])) > 0 '
        "or sum (rate(maag_smtp_retries_total[10m])) > 0",
        "for": "15m",
        "labels": {"severity": "warning"},
        "annotations": {"summary": "emails are failing or being retried (the SMTP relay)"},
    },
    {
        "alert": "MaagRestarting",
        "expr": 'sum by (pod) (increase(kube_pod_container_status_restarts_total{pod=~"maag-.*"}'
        "[30m])) > 2",
        "labels": {"severity": "warning"},
        "annotations": {"summary": "{{ $labels.pod }} has restarted repeatedly"},
    },
    {
        "alert": "MaagChainLag",
        "expr": 'max by (service) (maag_store_lag{follower="chain"}) > 1000',
        "for": "15m",
        "labels": {"severity": "warning"},
        "annotations": {"summary": "{{ $labels.service }}: events not yet on the hash chain"},
    },
    {
        "alert": "MaagMigrationFailed",
        # the Job's Failed condition (kube-state-metrics' kube_job_failed): every retry
        # (backoffLimit) used up, not a pod that failed and was retried
        "expr": "max by (namespace, job_name) "
        '(kube_job_failed{condition="true", job_name=~"maag-migrate-.*"}) == 1',
        "labels": {"severity": "critical"},
        "annotations": {
            "summary": "{{ $labels.job_name }} failed: its service's new pods wait for it "
            "(`kubectl logs -n {{ $labels.namespace }} job/{{ $labels.job_name }}`)"
        },
    },
    {
        "alert": "MaagPostgresConnections",
        "expr": "sum by (namespace, pod) (cnpg_backends_total) / max by (namespace, pod) "
        '(cnpg_pg_settings_setting{name="max_connections"}) > 0.8',
        "for": "10m",
        "labels": {"severity": "warning"},
        "annotations": {
            "summary": "{{ $labels.pod }} uses over 80% of max_connections (raise "
            "CONNECTIONS_PER_PROCESS in maag/ops/deployment.py, re-render, apply)"
        },
    },
    # Each service walks its own whole hash chain every STORE_CHECK_INTERVAL_S, every replica
    # (maag.runtime.evidence.store_check): a break any replica finds pages, at once.
    {
        "alert": "MaagStoreNotIntact",
        "expr": "min by (namespace, service) (maag_store_intact) == 0",
        "labels": {"severity": "critical"},
        "annotations": {
            "summary": "{{ $labels.service }}'s stored history is not intact: run `maag audit "
            "verify {{ $labels.service }}`, which names each break (deploy/README.md, "
            '"Tamper evidence")'
        },
    },
    # No replica has walked for three intervals (each walk failing: the broker's anchors or
    # the store unreadable), so a break would go unseen.
    {
        "alert": "MaagStoreNotWalked",
        "expr": "time() - max by (namespace, service) (maag_store_walked_timestamp_seconds) "
        f"> 3 * {STORE_CHECK_INTERVAL_S}",
        "labels": {"severity": "warning"},
        "annotations": {
            "summary": "{{ $labels.service }} has not walked its hash chain for "
            f"{3 * STORE_CHECK_INTERVAL_S // 60} minutes: its log's 'store check retrying' "
            "lines say why"
        },
    },
    # The same, for a service whose replicas have not walked once since they started (they
    # expose no walk's time to fall behind): running, its outbox's metric says, and no walk.
    {
        "alert": "MaagStoreNeverWalked",
        "expr": "max by (namespace, service) (maag_outbox_blocked) unless on (namespace, "
        "service) max by (namespace, service) (maag_store_walked_timestamp_seconds)",
        "for": f"{3 * STORE_CHECK_INTERVAL_S // 60}m",
        "labels": {"severity": "warning"},
        "annotations": {
            "summary": "{{ $labels.service }} has run for "
            f"{3 * STORE_CHECK_INTERVAL_S // 60} minutes without walking its hash chain once: "
            "its log's 'store check retrying' lines say why"
        },
    },
]

# The volumes that fill as the record grows: each broker's log (Strimzi names the claim
# data-<volume>-<cluster>-<pool>-<node>) and each PostgreSQL instance's data and WAL
# (CloudNativePG: <cluster>-<serial>[-wal]), read from the kubelet's volume statistics.
VOLUMES = {
    "Kafka": rf"data-[0-9]+-{KAFKA_CLUSTER}-{KAFKA_POOL}-[0-9]+",
    "PostgreSQL": rf"{PG_CLUSTER}-[0-9]+(-wal)?",
}
DISK_FULL = {"warning": 0.80, "critical": 0.90}  # the share of a volume in use


def _disk_alert(what: str, claims: str, severity: str) -> dict[str, Any]:
    chosen = f'{{persistentvolumeclaim=~"{claims}"}}'
    used = (
        f"1 - max by (namespace, persistentvolumeclaim) "
        f"(kubelet_volume_stats_available_bytes{chosen}) / max by (namespace, "
        f"persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes{chosen})"
    )
    share = DISK_FULL[severity]
    return {
        "alert": f"Maag{what}DiskFilling" if severity == "warning" else f"Maag{what}DiskFull",
        "expr": f"{used} > {share}",
        "for": "15m" if severity == "warning" else "5m",
        "labels": {"severity": severity},
        "annotations": {
            "summary": f"{what} volume {{{{ $labels.persistentvolumeclaim }}}} is over "
            f'{share:.0%} full (deploy/README.md, "What to watch")'
        },
    }


ALERTS += [
    _disk_alert(what, claims, severity)
    for what, claims in VOLUMES.items()
    for severity in DISK_FULL
]


def _panel(title: str, expr: str, y: int, x: int) -> dict[str, Any]:
    return {
        "type": "timeseries",
        "title": title,
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "targets": [{"expr": expr, "refId": "A"}],
    }


def grafana_dashboard() -> dict[str, Any]:
    panels = [
        (
            "Requests per second by service and status",
            "sum by (job, status) (rate(maag_http_request_seconds_count[5m]))",
        ),
        (
            "Request p95 (s) by route",
            "histogram_quantile(0.95, sum by (le, route) (rate(maag_http_request_seconds_bucket[5m])))",
        ),
        ("Consumer lag by group and topic", "sum by (consumer, topic) (maag_consumer_lag)"),
        ("Stored, not yet published / chained", "max by (service, follower) (maag_store_lag)"),
        ("Dead letters (10m)", "sum by (consumer, topic) (increase(maag_dead_letters_total[10m]))"),
        ("Emails by outcome (1h)", "sum by (outcome) (increase(maag_emails_total[1h]))"),
    ]
    return {
        "title": "MAAG",
        "uid": "maag",
        "schemaVersion": 39,
        "tags": ["maag"],
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]
        },
        "panels": [
            _panel(title, expr, y=8 * (i // 2), x=12 * (i % 2))
            for i, (title, expr) in enumerate(panels)
        ],
    }


def _pod_monitor(name: str, pods: Mapping[str, str], port: str, path: str) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": name, "labels": dict(MONITORING_LABELS)},
        "spec": {
            "selector": {"matchLabels": dict(pods)},
            "podMetricsEndpoints": [{"port": port, "path": path, "interval": "30s"}],
        },
    }


def monitoring() -> list[dict[str, Any]]:
    """Prometheus scrapes every MAAG process's /metrics, and Kafka's and PostgreSQL's through
    their operators' own exporters (Strimzi's metrics reporter on each Kafka node,
    CloudNativePG's exporter on each instance: its `enablePodMonitor` is deprecated, so the
    PodMonitor is ours); the alerts above; the dashboard as a ConfigMap Grafana's sidecar
    loads (label grafana_dashboard). Every monitoring object carries MONITORING_LABELS."""
    return [
        _pod_monitor("maag", {"app.kubernetes.io/name": "maag"}, "http", "/metrics"),
        _pod_monitor(
            "maag-kafka",
            {"strimzi.io/cluster": KAFKA_CLUSTER, "strimzi.io/kind": "Kafka"},
            KAFKA_METRICS_PORT_NAME,
            "/metrics",
        ),
        _pod_monitor("maag-pg", {"cnpg.io/cluster": PG_CLUSTER}, PG_METRICS_PORT_NAME, "/metrics"),
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "maag", "labels": dict(MONITORING_LABELS)},
            "spec": {"groups": [{"name": "maag", "rules": ALERTS}]},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "maag-grafana-dashboard", "labels": {"grafana_dashboard": "1"}},
            "data": {"maag.json": json.dumps(grafana_dashboard(), indent=2)},
        },
    ]


def base(site: Site = SITE) -> dict[str, list[dict[str, Any]]]:
    """Every object, by the file it is written to (the base's with SITE; an overlay renders it
    with its environment's site to patch what differs)."""
    files = {
        "kafka.yaml": kafka(),
        "topics.yaml": topics(),
        "users.yaml": users(),
        "postgres.yaml": postgres(),
        "network.yaml": network_defaults(site),
        "monitoring.yaml": monitoring(),
    }
    for service in SERVICES:
        files[f"{service}.yaml"] = service_resources(service, site)
    files["web.yaml"] = web_resources(site)
    files["kustomization.yaml"] = [
        {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "labels": [{"pairs": {"app.kubernetes.io/part-of": "maag"}}],
            "resources": [name for name in files if name != "kustomization.yaml"],
        }
    ]
    return files


def rendered() -> dict[str, str]:
    header = "# Generated by `maag deploy render deploy/k8s/base` from the code; do not edit.\n"
    return {
        name: header + yaml.safe_dump_all(docs, sort_keys=False, width=100)
        for name, docs in base().items()
    }


def render(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered().items():
        (directory / name).write_text(text)
        written.append(directory / name)
    return written
