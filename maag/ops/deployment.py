"""The Kubernetes base, generated from the code it deploys: one KafkaTopic per registry
topic, one KafkaUser per service with ACLs from what it publishes and consumes, and per
service a Deployment whose environment sets every setting the code reads.

    maag deploy render deploy/k8s/base    (checked in; a test fails when it is stale)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from maag.runtime.web.auth import agency_client
from maag.services import SPECS

KAFKA_CLUSTER = "maag"
PG_CLUSTER = "maag-pg"
HTTP_PORT = 8000
IMAGE = "ghcr.io/maag/maag:0.1.0"
SERVICES = tuple(SPECS)
# Written for Strimzi 1.0 to 1.2 (the `v1` API only; Kafka 4.2.0 is the version all three
# support) and CloudNativePG 1.27 or later with the Barman Cloud plugin 0.6 or later.
STRIMZI_API = "kafka.strimzi.io/v1"
KAFKA_VERSION = "4.2.0"
TLS_PORT = 9093  # the internal listener: TLS, SCRAM-SHA-512
EXTERNAL_PORT = 9094  # agencies' systems: TLS, SCRAM-SHA-512; its type is the overlay's
KAFKA_CA_SECRET = f"{KAFKA_CLUSTER}-cluster-ca-cert"  # made by Strimzi
KAFKA_CA_FILE = "/etc/maag/kafka-ca/ca.crt"
BACKUP_STORE = "maag-backups"
BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io"
# Where traffic into the namespace may come from: the ingress controller (the web app and
# the referral API agencies call) and Prometheus (each process's /metrics).
INGRESS_NAMESPACE = "ingress-nginx"
MONITORING_NAMESPACE = "monitoring"
WEB_HOST = "maag.essex.example"
API_HOST = "api.maag.essex.example"


def settings_keys() -> list[str]:
    """Every environment variable `Settings.from_env` reads."""
    source = (Path(__file__).parents[1] / "runtime" / "settings.py").read_text()
    return sorted(set(re.findall(r'(?:env\.get\(|_\w+\(env,)\s*"([A-Z_]+)"', source)))


OIDC_ISSUER = "https://id.essex.example/realms/maag"


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
        "MAAG_POSTGRES_URL": f"postgresql://{service}@{PG_CLUSTER}-rw:5432/{service}",
        "MAAG_POSTGRES_PASSWORD": ("secret", db_credentials(service), "password", False),
        "MAAG_STORE_MIGRATED": "true",
        "MAAG_POSTGRES_SCHEMA": service,
        "MAAG_DATA_DIR": "/tmp/maag",
        # the keys and credentials this service uses, and no other (SECRETS)
        **_secret_env(service),
        # empty: the defaults, sourced in services/referral/domain/retention.py
        "MAAG_RETENTION": "",
        "MAAG_ANCHOR_INTERVAL": "60",
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
        "MAAG_SMTP_HOST": "smtp-relay.mail.svc",
        "MAAG_SMTP_PORT": "587",
        "MAAG_SMTP_STARTTLS": "true",
        "MAAG_MAIL_FROM": "maag-notifications@essex.example",
        "MAAG_WEB_BASE_URL": "https://maag.essex.example",
        "MAAG_SMTP_RETRY_SECONDS": "300",
        "MAAG_REVIEW_REMINDER_DAYS": "14",
        "MAAG_PROVIDER_DIRECTORY": "",
        # empty: the sourced defaults (services/commissioning/domain/savings.py); the county
        # sets its own costs here
        "MAAG_AVOIDED_ANNUAL_COST_PENCE": "",
        "MAAG_SERVICE_URLS": ",".join(f"{s}=http://maag-{s}" for s in SERVICES),  # port 80
    }


def db_credentials(process: str) -> str:
    """The basic-auth Secret of a process's database role (created once by the operator)."""
    return f"maag-{process}-db-credentials"


def db_owner(service: str) -> str:
    """The role that owns a service's database and tables: only `maag db migrate` (the
    service's init container) signs in as it."""
    return f"{service}_owner"


def db_owner_credentials(service: str) -> str:
    return f"maag-{service}-owner-db-credentials"


def _migrate(service: str) -> dict[str, Any]:
    """The init container that makes the service's store as its owner and grants the
    service's role its part (maag.runtime.store.migrations); the service's own container never
    holds the owner's password."""
    password = {"secretKeyRef": {"name": db_owner_credentials(service), "key": "password"}}
    env = [  # its own values: the service's ConfigMap names the service's role
        {
            "name": "MAAG_POSTGRES_URL",
            "value": f"postgresql://{db_owner(service)}@{PG_CLUSTER}-rw:5432/{service}",
        },
        {"name": "MAAG_POSTGRES_PASSWORD", "valueFrom": password},
        {"name": "MAAG_POSTGRES_SCHEMA", "value": service},
        {"name": "MAAG_LOG_FORMAT", "value": "json"},
    ]
    return {
        "name": "migrate",
        "image": IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": ["db", "migrate", service, "--writer", service],
        "env": env,
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def _labels(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "maag", "app.kubernetes.io/component": service}


def kafka() -> list[dict[str, Any]]:
    pool = {
        "apiVersion": STRIMZI_API,
        "kind": "KafkaNodePool",
        "metadata": {"name": "dual-role", "labels": {"strimzi.io/cluster": KAFKA_CLUSTER}},
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


def postgres() -> list[dict[str, Any]]:
    """The cluster, one database and role per service, and backups: base backups and WAL
    archived to an object store by the Barman Cloud plugin (point-in-time recovery)."""
    cluster = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": PG_CLUSTER},
        "spec": {
            "instances": 3,
            "imageName": "ghcr.io/cloudnative-pg/postgresql:16.4",
            "storage": {"size": "50Gi"},
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
                    "parameters": {"barmanObjectName": BACKUP_STORE},
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
        _network_policy(service, egress, public),
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
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "fsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
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
    """Two to six replicas by CPU, one always available through a disruption."""
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
            "minReplicas": 2,
            "maxReplicas": 6,
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


def _network_policy(service: str, egress: list[dict[str, Any]], public: bool) -> dict[str, Any]:
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
                        _namespace(MONITORING_NAMESPACE),  # /metrics
                        *([_namespace(INGRESS_NAMESPACE)] if public else []),
                    ],
                    "ports": [{"protocol": "TCP", "port": HTTP_PORT}],
                }
            ],
            "egress": egress,
        },
    }
    return policy


MAAG_PODS = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "maag"}}}
KAFKA_PODS = {"podSelector": {"matchLabels": {"strimzi.io/cluster": KAFKA_CLUSTER}}}
PG_PODS = {"podSelector": {"matchLabels": {"cnpg.io/cluster": PG_CLUSTER}}}
DNS = {
    "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
}
# The Kubernetes API server is not a pod, so no pod selector reaches it; its address is the
# cluster's (narrow this CIDR to it in an overlay).
API_SERVER = {
    "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
    "ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}],
}


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def _common_egress() -> list[dict[str, Any]]:
    return [
        DNS,
        # the other MAAG processes' HTTP APIs (a case's audit timeline; the web app's pages)
        {"to": [MAAG_PODS], "ports": [{"protocol": "TCP", "port": HTTP_PORT}]},
        # the identity provider (its published keys; the web app's token exchange), over HTTPS
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]},
    ]


def service_resources(service: str) -> list[dict[str, Any]]:
    egress: list[dict[str, Any]] = [
        {"to": [KAFKA_PODS], "ports": [{"protocol": "TCP", "port": TLS_PORT}]},
        {"to": [PG_PODS], "ports": [{"protocol": "TCP", "port": 5432}]},
        *_common_egress(),
    ]
    if service == "notifications":  # the county's SMTP relay
        egress.append(
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                "ports": [{"protocol": "TCP", "port": 587}, {"protocol": "TCP", "port": 25}],
            }
        )
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
    return _app(
        service,
        _env(service),
        egress,
        scaled=True,
        volumes=[kafka_ca],
        public=service == "referral",  # agencies' systems call its API
        init=[_migrate(service)],
    )


def web_resources() -> list[dict[str, Any]]:
    """The web app: two or more replicas, its sessions in its own PostgreSQL database; it
    reaches the services, its database and the identity provider only."""
    env: dict[str, Any] = {
        "MAAG_OIDC_ISSUER": OIDC_ISSUER,
        "MAAG_WEB_BASE_URL": "https://maag.essex.example",
        "MAAG_WEB_HOST": "0.0.0.0",
        "MAAG_WEB_PORT": str(HTTP_PORT),
        "MAAG_WEB_CLIENT_ID": "maag-web",
        **_secret_env("web"),  # its OpenID Connect client secret and its sessions' key
        # its sessions (services/web/sessions.py): every replica serves every person, and a
        # restart signs nobody out
        "MAAG_POSTGRES_URL": f"postgresql://web@{PG_CLUSTER}-rw:5432/web",
        "MAAG_POSTGRES_PASSWORD": ("secret", db_credentials("web"), "password", False),
        "MAAG_POSTGRES_SCHEMA": "web",
        "MAAG_WEB_SESSION_MINUTES": "60",
        "MAAG_LOG_FORMAT": "json",
        "MAAG_SERVICE_URLS": ",".join(f"{s}=http://maag-{s}" for s in SERVICES),
    }
    egress = [{"to": [PG_PODS], "ports": [{"protocol": "TCP", "port": 5432}]}, *_common_egress()]
    return [*_app("web", env, egress, scaled=True, public=True), *ingress()]


def ingress() -> list[dict[str, Any]]:
    """The web app, and the referral API agencies' systems call, over TLS (the certificates'
    Secrets are the cluster's to provide, e.g. by cert-manager)."""

    def route(name: str, host: str, service: str, path: str) -> dict[str, Any]:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": name},
            "spec": {
                "ingressClassName": "nginx",
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


def network_defaults() -> list[dict[str, Any]]:
    """Nothing in or out unless a policy lets it; then what the operators' pods need (Strimzi
    makes ingress policies for its listeners, never egress ones)."""
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    kafka_egress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "maag-kafka-egress"},
        "spec": {
            "podSelector": {"matchLabels": {"strimzi.io/cluster": KAFKA_CLUSTER}},
            "policyTypes": ["Egress"],
            "egress": [
                # brokers and controllers with each other (replication, the KRaft quorum), and
                # the entity operator with the brokers
                {"to": [KAFKA_PODS]},
                DNS,
                API_SERVER,  # the entity operator makes topics' and users' Secrets
            ],
        },
    }
    kafka_in = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "maag-kafka-peers"},
        "spec": {
            "podSelector": {"matchLabels": {"strimzi.io/cluster": KAFKA_CLUSTER}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [KAFKA_PODS]},
                {"from": [_namespace(MONITORING_NAMESPACE)]},
            ],
        },
    }
    postgres_in = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "maag-pg-clients"},
        "spec": {
            "podSelector": {"matchLabels": {"cnpg.io/cluster": PG_CLUSTER}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        MAAG_PODS,
                        PG_PODS,
                        _namespace("cnpg-system"),  # the operator, and its plugin
                        _namespace(MONITORING_NAMESPACE),
                    ],
                    "ports": [
                        {"protocol": "TCP", "port": 5432},
                        {"protocol": "TCP", "port": 8000},  # the instance manager
                        {"protocol": "TCP", "port": 9187},  # metrics
                    ],
                }
            ],
            "egress": [
                {"to": [PG_PODS]},  # replication
                # the operator and the Barman Cloud plugin's sidecar
                {"to": [_namespace("cnpg-system")]},
                DNS,
                API_SERVER,  # the instance manager watches its Cluster
                # the backup object store, over HTTPS (S3 or another)
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                    "ports": [{"protocol": "TCP", "port": 443}],
                },
            ],
        },
    }
    return [deny, kafka_egress, kafka_in, postgres_in]


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


def monitoring() -> list[dict[str, Any]]:
    """Prometheus scrapes every MAAG process's /metrics; the alerts above; the dashboard as
    a ConfigMap Grafana's sidecar loads (label grafana_dashboard)."""
    return [
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PodMonitor",
            "metadata": {"name": "maag"},
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": "maag"}},
                "podMetricsEndpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}],
            },
        },
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "maag"},
            "spec": {"groups": [{"name": "maag", "rules": ALERTS}]},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "maag-grafana-dashboard", "labels": {"grafana_dashboard": "1"}},
            "data": {"maag.json": json.dumps(grafana_dashboard(), indent=2)},
        },
    ]


def base() -> dict[str, list[dict[str, Any]]]:
    files = {
        "kafka.yaml": kafka(),
        "topics.yaml": topics(),
        "users.yaml": users(),
        "postgres.yaml": postgres(),
        "network.yaml": network_defaults(),
        "monitoring.yaml": monitoring(),
    }
    for service in SERVICES:
        files[f"{service}.yaml"] = service_resources(service)
    files["web.yaml"] = web_resources()
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
