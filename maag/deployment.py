"""The Kubernetes base, generated from the code it deploys: one KafkaTopic per registry
topic, one KafkaUser per service with ACLs from what it publishes and consumes, and per
service a Deployment whose environment sets every setting the code reads.

    maag deploy render deploy/k8s/base    (checked in; a test fails when it is stale)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from contracts.topics import ALL_TOPICS
from maag.services import SPECS

KAFKA_CLUSTER = "maag"
PG_CLUSTER = "maag-pg"
HTTP_PORT = 8000
IMAGE = "ghcr.io/maag/maag:0.1.0"
SERVICES = tuple(SPECS)


def settings_keys() -> list[str]:
    """Every environment variable `Settings.from_env` reads."""
    source = (Path(__file__).parent / "runtime" / "settings.py").read_text()
    return sorted(set(re.findall(r'(?:env\.get\(|_\w+\(env,)\s*"([A-Z_]+)"', source)))


OIDC_ISSUER = "https://id.essex.example/realms/maag"


# name -> (ConfigMap value) or ("secret", secret name, key, optional)
def _env(service: str) -> dict[str, Any]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": f"{KAFKA_CLUSTER}-kafka-bootstrap:9092",
        "MAAG_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "MAAG_KAFKA_SASL_USERNAME": f"maag-{service}",
        "MAAG_KAFKA_SASL_PASSWORD": (
            "secret",
            f"maag-{service}",
            "password",
            False,
        ),  # Strimzi makes it
        "MAAG_KAFKA_CREATE_TOPICS": "false",
        "MAAG_POSTGRES_URL": ("secret", f"maag-{service}-db", "url", False),
        "MAAG_POSTGRES_SCHEMA": service,
        "MAAG_DATA_DIR": "/tmp/maag",
        "MAAG_CIPHER_KEY": ("secret", "maag-cipher", "key", service != "referral"),
        "MAAG_TOPIC_PREFIX": "",
        "MAAG_LOG_FORMAT": "json",
        # The county's OpenID Connect provider: services fetch its public keys, hold no secret.
        "MAAG_OIDC_ISSUER": OIDC_ISSUER,
        "MAAG_OIDC_JWKS_URL": "",
        "MAAG_HTTP_HOST": "0.0.0.0",
        "MAAG_HTTP_PORT": str(HTTP_PORT),
        "MAAG_QUORUM_OTHER_AGENCIES": "3",
        "MAAG_SMTP_HOST": "smtp-relay.mail.svc",
        "MAAG_SMTP_PORT": "587",
        "MAAG_SMTP_STARTTLS": "true",
        "MAAG_SMTP_USERNAME": ("secret", "maag-smtp", "username", True),
        "MAAG_SMTP_PASSWORD": ("secret", "maag-smtp", "password", True),
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


def _labels(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "maag", "app.kubernetes.io/component": service}


def kafka() -> list[dict[str, Any]]:
    pool = {
        "apiVersion": "kafka.strimzi.io/v1beta2",
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
    cluster = {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "Kafka",
        "metadata": {
            "name": KAFKA_CLUSTER,
            "annotations": {"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"},
        },
        "spec": {
            "kafka": {
                "version": "4.1.0",
                "listeners": [
                    {
                        "name": "plain",
                        "port": 9092,
                        "type": "internal",
                        "tls": False,
                        "authentication": {"type": "scram-sha-512"},
                    }
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
            "apiVersion": "kafka.strimzi.io/v1beta2",
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


def users() -> list[dict[str, Any]]:
    out = []
    for service in SERVICES:
        acls: list[dict[str, Any]] = (
            [
                {
                    "resource": {"type": "topic", "name": t.name, "patternType": "literal"},
                    "operations": ["Write", "Describe"],
                }
                for t in SPECS[service].publishes
            ]
            + [
                {
                    "resource": {"type": "topic", "name": t.name, "patternType": "literal"},
                    "operations": ["Read", "Describe"],
                }
                for t in SPECS[service].consumes
            ]
            + [
                {
                    "resource": {
                        "type": "group",
                        "name": SPECS[service].group_id,
                        "patternType": "literal",
                    },
                    "operations": ["Read"],
                }
            ]
        )
        out.append(
            {
                "apiVersion": "kafka.strimzi.io/v1beta2",
                "kind": "KafkaUser",
                "metadata": {
                    "name": f"maag-{service}",
                    "labels": {"strimzi.io/cluster": KAFKA_CLUSTER},
                },
                "spec": {
                    "authentication": {"type": "scram-sha-512"},
                    "authorization": {"type": "simple", "acls": acls},
                },
            }
        )
    return out


def postgres() -> list[dict[str, Any]]:
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
                        "name": s,
                        "ensure": "present",
                        "login": True,
                        "passwordSecret": {"name": f"maag-{s}-db-credentials"},
                    }
                    for s in SERVICES
                ]
            },
            "backup": {"retentionPolicy": "30d"},
        },
    }
    databases = [
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Database",
            "metadata": {"name": f"maag-{s}"},
            "spec": {"name": s, "owner": s, "cluster": {"name": PG_CLUSTER}},
        }
        for s in SERVICES
    ]
    return [cluster, *databases]


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


def _app(
    service: str, env: dict[str, Any], egress: list[dict[str, Any]], scaled: bool
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
            "replicas": 2 if scaled else 1,
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
                    "containers": [
                        {
                            "name": service,
                            "image": IMAGE,
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
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
                },
            },
        },
    }
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"maag-{service}", "labels": labels},
        "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }
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
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"maag-{service}", "labels": labels},
        "spec": {
            "podSelector": {"matchLabels": labels},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"ports": [{"protocol": "TCP", "port": HTTP_PORT}]}],
            "egress": egress,
        },
    }
    return [config, deployment, svc, *([pdb, hpa] if scaled else []), policy]


def _common_egress() -> list[dict[str, Any]]:
    return [
        {
            "to": [
                {"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
            ],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        },
        # the other MAAG processes' HTTP APIs (a case's audit timeline; the web app's pages)
        {
            "to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "maag"}}}],
            "ports": [{"protocol": "TCP", "port": HTTP_PORT}],
        },
        # the identity provider (its published keys; the web app's token exchange), over HTTPS
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]},
    ]


def service_resources(service: str) -> list[dict[str, Any]]:
    egress: list[dict[str, Any]] = [
        {
            "to": [
                {
                    "podSelector": {
                        "matchLabels": {
                            "strimzi.io/cluster": KAFKA_CLUSTER,
                            "strimzi.io/kind": "Kafka",
                        }
                    }
                }
            ],
            "ports": [{"protocol": "TCP", "port": 9092}],
        },
        {
            "to": [{"podSelector": {"matchLabels": {"cnpg.io/cluster": PG_CLUSTER}}}],
            "ports": [{"protocol": "TCP", "port": 5432}],
        },
        *_common_egress(),
    ]
    if service == "notifications":
        egress.append(
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                "ports": [{"protocol": "TCP", "port": 587}, {"protocol": "TCP", "port": 25}],
            }
        )
    return _app(service, _env(service), egress, scaled=True)


def web_resources() -> list[dict[str, Any]]:
    """The web app: one replica while sessions live in its memory (two would need sticky
    sessions or a shared store); it reaches the services and the identity provider only."""
    env: dict[str, Any] = {
        "MAAG_OIDC_ISSUER": OIDC_ISSUER,
        "MAAG_WEB_BASE_URL": "https://maag.essex.example",
        "MAAG_WEB_HOST": "0.0.0.0",
        "MAAG_WEB_PORT": str(HTTP_PORT),
        "MAAG_WEB_CLIENT_ID": "maag-web",
        "MAAG_WEB_CLIENT_SECRET": ("secret", "maag-web", "client-secret", False),
        "MAAG_WEB_SESSION_SECRET": ("secret", "maag-web", "session-secret", False),
        "MAAG_WEB_SESSION_MINUTES": "60",
        "MAAG_LOG_FORMAT": "json",
        "MAAG_SERVICE_URLS": ",".join(f"{s}=http://maag-{s}" for s in SERVICES),
    }
    return _app("web", env, _common_egress(), scaled=False)


def network_defaults() -> list[dict[str, Any]]:
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
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
                        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "maag"}}},
                        {"podSelector": {"matchLabels": {"cnpg.io/cluster": PG_CLUSTER}}},
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "cnpg-system"}
                            }
                        },
                    ],
                    "ports": [{"protocol": "TCP", "port": 5432}, {"protocol": "TCP", "port": 8000}],
                }
            ],
            "egress": [
                {"to": [{"podSelector": {"matchLabels": {"cnpg.io/cluster": PG_CLUSTER}}}]},
                {
                    "to": [{"namespaceSelector": {}}],
                    "ports": [
                        {"protocol": "TCP", "port": 443},
                        {"protocol": "TCP", "port": 6443},
                        {"protocol": "UDP", "port": 53},
                    ],
                },
            ],
        },
    }
    return [deny, postgres_in]


def base() -> dict[str, list[dict[str, Any]]]:
    files = {
        "kafka.yaml": kafka(),
        "topics.yaml": topics(),
        "users.yaml": users(),
        "postgres.yaml": postgres(),
        "network.yaml": network_defaults(),
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
