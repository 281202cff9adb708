"""One place for an environment's values: `deploy/environments/<name>.toml`.

Each file names what differs between one installation and another (its namespace, its host
names, the image and the registry's pull secret, where its backups go, its identity provider
and mail, the label its Prometheus selects by, where the cluster's own parts run, how big it
is, and while its database is being recovered, from where); the overlay
`deploy/k8s/overlays/<name>` and the realm `deploy/keycloak/maag-realm.<name>.json` are
rendered from it (`maag deploy render`), so a host is written once and the Ingress, the web
app's address and the identity provider's redirect all follow it.

This module reads and checks the files only: it imports nothing of the deployment, so the
realm can read the web host from it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENVIRONMENTS = Path(__file__).resolve().parents[2] / "deploy" / "environments"
# The environment whose realm is "the production realm" (`maag identity realm` writes it).
PRODUCTION = "prod"
# The path the web app's provider sends a person back to after sign-in
# (services/web/routes/sign_in.py).
CALLBACK_PATH = "/auth/callback"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$")
# PostgreSQL's memory: its buffers are derived from it (maag.ops.deployment.pg_parameters)
_MEMORY = re.compile(r"^[0-9]+(\.[0-9]+)?(Mi|Gi|Ti)$")
# An IngressClass's name (a DNS subdomain)
_CLASS = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_PULL_POLICIES = ("Always", "IfNotPresent")
_LISTENER_TYPES = ("loadbalancer", "nodeport", "ingress", "route", "cluster-ip")


class EnvironmentFileError(ValueError):
    """An environment file that cannot be deployed: the message names the file and field."""


@dataclass(frozen=True)
class Image:
    repository: str  # registry host and path, without the tag
    tag: str  # "": the release being rendered (the checkout's version)
    pull_secret: str  # the docker-registry Secret every pod pulls with ("" for none)
    pull_policy: str = "IfNotPresent"

    @property
    def registry(self) -> str:
        return self.repository.split("/", 1)[0]


@dataclass(frozen=True)
class Backups:
    """Where the Barman Cloud plugin archives WAL and base backups. Two environments never
    share a destination: the plugin refuses to archive into a path that already holds
    another cluster's WAL."""

    bucket: str
    path: str
    endpoint_url: str = ""  # an on-premises S3 (MinIO, Ceph...): its URL; "" for AWS S3
    # The folder under the destination the cluster archives into (the plugin's `serverName`):
    # "" the base's; a new one after each restore, the old one holding the WAL restored from.
    server_name: str = ""

    @property
    def destination(self) -> str:
        return f"s3://{self.bucket}/{self.path.strip('/')}/"


@dataclass(frozen=True)
class Restore:
    """The environment's PostgreSQL cluster is created from its backups (deploy/README.md,
    "Backup and restore"): from what its cluster archived into the folder `from_server_name`
    (of the same object store), as it was at `target_time` (None: all the WAL archived). Read
    only when the cluster is created; taken out of the file once it is recovered."""

    from_server_name: str
    target_time: datetime | None = None


@dataclass(frozen=True)
class ClusterParts:
    """Where the cluster's own parts run, which the NetworkPolicies admit by namespace, and
    the class the Ingresses ask for; None: the base's (maag.ops.deployment.SITE). `maag deploy
    check` compares them with where the operators and Prometheus actually are."""

    cnpg_namespace: str | None = None  # CloudNativePG's operator and its Barman Cloud plugin
    monitoring_namespace: str | None = None  # Prometheus, which scrapes every /metrics
    ingress_namespace: str | None = None  # the ingress controller (and cert-manager's solver)
    ingress_class: str | None = None  # any controller: its IngressClass's name


@dataclass(frozen=True)
class Resources:
    requests: Mapping[str, str]
    limits: Mapping[str, str]

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {"requests": dict(self.requests), "limits": dict(self.limits)}


@dataclass(frozen=True)
class Size:
    """How big the environment is; what is left out stays as the base has it (production's
    sizing)."""

    brokers: int | None = None  # the replication factor and min.insync.replicas follow it
    broker_storage: str | None = None
    broker_resources: Resources | None = None
    external_listener: str | None = None  # the agencies' listener's type
    postgres_instances: int | None = None
    postgres_storage: str | None = None
    # each instance's; PostgreSQL's buffers follow its memory limit, as max_connections
    # follows max_replicas (maag.ops.deployment.pg_parameters)
    postgres_resources: Resources | None = None
    app_resources: Resources | None = None  # every MAAG container
    min_replicas: int | None = None
    max_replicas: int | None = None
    # Brokers spread over the nodes' zones, each told its zone (rack awareness): Strimzi then
    # places brokers only on nodes labelled with one. False for a cluster without zones (a
    # single-node development cluster).
    zones: bool = True

    @property
    def replication(self) -> int | None:
        return None if self.brokers is None else min(self.brokers, 3)

    @property
    def min_insync(self) -> int | None:
        return None if self.replication is None else max(1, self.replication - 1)


@dataclass(frozen=True)
class Environment:
    name: str
    namespace: str
    web_host: str
    api_host: str
    image: Image
    backups: Backups
    oidc_issuer: str
    mail_from: str  # the sender of every email, the address replies reach
    # cert-manager's ClusterIssuer for the Ingresses' certificates ("" : the operator makes
    # the TLS Secrets by hand)
    tls_issuer: str = ""
    monitoring_labels: Mapping[str, str] = field(default_factory=dict)
    cluster: ClusterParts = field(default_factory=ClusterParts)
    size: Size = field(default_factory=Size)
    restore: Restore | None = None  # while its PostgreSQL cluster is being recovered

    @property
    def web_url(self) -> str:
        return f"https://{self.web_host}"

    @property
    def redirect_uri(self) -> str:
        return f"{self.web_url}{CALLBACK_PATH}"

    @property
    def realm(self) -> str:
        """The realm's name, as the issuer names it (Keycloak: `<base>/realms/<name>`)."""
        return urlsplit(self.oidc_issuer).path.rstrip("/").rsplit("/", 1)[-1]


def realm_file(environment: str) -> Path:
    """The realm an environment's identity provider imports (relative to the checkout)."""
    return Path("deploy/keycloak") / f"maag-realm.{environment}.json"


def names(directory: Path = ENVIRONMENTS) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.toml"))


def load(name: str, directory: Path = ENVIRONMENTS) -> Environment:
    path = directory / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(names(directory)) or "none"
        raise EnvironmentFileError(f"no environment {name!r} ({path} is missing; known: {known})")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise EnvironmentFileError(f"{path}: {e}") from None
    return parse(name, raw, path)


def load_all(directory: Path = ENVIRONMENTS) -> list[Environment]:
    """Every environment, checked together: no two share a namespace-less resource they
    would fight over (the backup destination)."""
    found = [load(name, directory) for name in names(directory)]
    by_destination: dict[str, str] = {}
    for env in found:
        other = by_destination.setdefault(env.backups.destination, env.name)
        if other != env.name:
            raise EnvironmentFileError(
                f"{env.name} and {other} both archive to {env.backups.destination}: give each "
                "its own [backups] path (the Barman Cloud plugin refuses a WAL archive that "
                "already holds another cluster's)"
            )
    return found


def parse(name: str, raw: dict[str, Any], path: Path) -> Environment:
    """An environment from its file's contents (`path` names the file in messages)."""

    def section(key: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise EnvironmentFileError(f"{path}: [{key}] must be a table")
        return value

    def text(table: dict[str, Any], key: str, where: str, *, empty: bool = False) -> str:
        value = table.get(key, "" if empty else None)
        if not isinstance(value, str) or (not value and not empty):
            raise EnvironmentFileError(f"{path}: {where}{key} must be a string, and is {value!r}")
        return value

    if not _DNS_LABEL.match(name):
        raise EnvironmentFileError(f"{path}: the file's name must be a DNS label")
    namespace = text(raw, "namespace", "")
    if not _DNS_LABEL.match(namespace):
        raise EnvironmentFileError(f"{path}: namespace {namespace!r} is not a DNS label")
    hosts, image, identity, mail, backups, monitoring = (
        section(k) for k in ("hosts", "image", "identity", "mail", "backups", "monitoring")
    )
    for key in ("web", "api"):
        host = text(hosts, key, "hosts.")
        if not _HOST.match(host):
            raise EnvironmentFileError(f"{path}: hosts.{key} {host!r} is not a host name")
    issuer = text(identity, "issuer", "identity.")
    if urlsplit(issuer).scheme != "https" or not urlsplit(issuer).hostname:
        raise EnvironmentFileError(f"{path}: identity.issuer {issuer!r} must be an https:// URL")
    endpoint = text(backups, "endpoint_url", "backups.", empty=True)
    if endpoint and urlsplit(endpoint).scheme not in ("https", "http"):
        raise EnvironmentFileError(f"{path}: backups.endpoint_url {endpoint!r} must be a URL")
    policy = text(image, "pull_policy", "image.", empty=True) or "IfNotPresent"
    if policy not in _PULL_POLICIES:
        raise EnvironmentFileError(f"{path}: image.pull_policy must be one of {_PULL_POLICIES}")
    labels = monitoring.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise EnvironmentFileError(f"{path}: [monitoring.labels] must map names to strings")
    server_name = text(backups, "server_name", "backups.", empty=True)
    if server_name and not _DNS_LABEL.match(server_name):
        raise EnvironmentFileError(f"{path}: backups.server_name {server_name!r} is not a name")
    restore = _restore(raw.get("restore"), server_name, path)
    return Environment(
        name=name,
        namespace=namespace,
        web_host=hosts["web"],
        api_host=hosts["api"],
        tls_issuer=text(hosts, "tls_issuer", "hosts.", empty=True),
        image=Image(
            repository=text(image, "repository", "image."),
            tag=text(image, "tag", "image.", empty=True),
            pull_secret=text(image, "pull_secret", "image.", empty=True),
            pull_policy=policy,
        ),
        backups=Backups(
            bucket=text(backups, "bucket", "backups."),
            path=text(backups, "path", "backups."),
            endpoint_url=endpoint,
            server_name=server_name,
        ),
        oidc_issuer=issuer.rstrip("/"),
        mail_from=text(mail, "from", "mail."),
        monitoring_labels=dict(labels),
        cluster=_cluster(section("cluster"), path),
        size=_size(section("size"), path),
        restore=restore,
    )


def _cluster(raw: dict[str, Any], path: Path) -> ClusterParts:
    def name(key: str, pattern: re.Pattern[str]) -> str | None:
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not pattern.match(value)):
            raise EnvironmentFileError(f"{path}: cluster.{key} {value!r} is not a name")
        return value

    unknown = set(raw) - {f.name for f in ClusterParts.__dataclass_fields__.values()}
    if unknown:
        raise EnvironmentFileError(f"{path}: [cluster] has no {', '.join(sorted(unknown))}")
    return ClusterParts(
        cnpg_namespace=name("cnpg_namespace", _DNS_LABEL),
        monitoring_namespace=name("monitoring_namespace", _DNS_LABEL),
        ingress_namespace=name("ingress_namespace", _DNS_LABEL),
        ingress_class=name("ingress_class", _CLASS),
    )


def _restore(raw: Any, server_name: str, path: Path) -> Restore | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise EnvironmentFileError(f"{path}: [restore] must be a table")
    source = raw.get("from_server_name")
    if not isinstance(source, str) or not _DNS_LABEL.match(source):
        raise EnvironmentFileError(
            f"{path}: restore.from_server_name must name the folder the cluster archived to "
            f"(e.g. maag-pg), and is {source!r}"
        )
    # the plugin refuses to archive into a folder that holds another cluster's WAL
    if not server_name or server_name == source:
        raise EnvironmentFileError(
            f"{path}: a restored cluster archives into a new folder: set [backups] server_name "
            f"to one other than {source!r} (e.g. {source}-r1)"
        )
    when = raw.get("target_time")
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when)
        except ValueError:
            raise EnvironmentFileError(
                f"{path}: restore.target_time {when!r} is not a time (2026-12-04T09:30:00+00:00)"
            ) from None
    if when is not None and (not isinstance(when, datetime) or when.utcoffset() is None):
        raise EnvironmentFileError(
            f"{path}: restore.target_time must be a time with its offset from UTC "
            f"(2026-12-04T09:30:00+00:00), and is {when!r}"
        )
    unknown = set(raw) - {"from_server_name", "target_time"}
    if unknown:
        raise EnvironmentFileError(f"{path}: [restore] has no {', '.join(sorted(unknown))}")
    return Restore(from_server_name=source, target_time=when)


def _size(raw: dict[str, Any], path: Path) -> Size:
    def count(key: str) -> int | None:
        value = raw.get(key)
        if value is not None and (not isinstance(value, int) or value < 1):
            raise EnvironmentFileError(f"{path}: size.{key} must be a whole number of 1 or more")
        return value

    def quantity(key: str) -> str | None:
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not _QUANTITY.match(value)):
            raise EnvironmentFileError(f"{path}: size.{key} {value!r} is not a quantity")
        return value

    def resources(key: str) -> Resources | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, dict) or set(value) != {"requests", "limits"}:
            raise EnvironmentFileError(f"{path}: size.{key} needs requests and limits")
        for part in value.values():
            if not isinstance(part, dict) or not all(
                isinstance(v, str) and _QUANTITY.match(v) for v in part.values()
            ):
                raise EnvironmentFileError(f"{path}: size.{key} holds a value not a quantity")
        return Resources(requests=value["requests"], limits=value["limits"])

    postgres = resources("postgres_resources")
    if postgres is not None and not _MEMORY.match(postgres.limits.get("memory", "")):
        raise EnvironmentFileError(
            f"{path}: size.postgres_resources needs a memory limit in Mi, Gi or Ti (PostgreSQL's "
            "buffers are a share of it)"
        )
    zones = raw.get("zones", True)
    if not isinstance(zones, bool):
        raise EnvironmentFileError(f"{path}: size.zones must be true or false")
    listener = raw.get("external_listener")
    if listener is not None and listener not in _LISTENER_TYPES:
        raise EnvironmentFileError(
            f"{path}: size.external_listener must be one of {_LISTENER_TYPES}"
        )
    size = Size(
        brokers=count("brokers"),
        broker_storage=quantity("broker_storage"),
        broker_resources=resources("broker_resources"),
        external_listener=listener,
        postgres_instances=count("postgres_instances"),
        postgres_storage=quantity("postgres_storage"),
        postgres_resources=postgres,
        app_resources=resources("app_resources"),
        min_replicas=count("min_replicas"),
        max_replicas=count("max_replicas"),
        zones=zones,
    )
    if size.min_replicas and size.max_replicas and size.min_replicas > size.max_replicas:
        raise EnvironmentFileError(f"{path}: size.min_replicas is above size.max_replicas")
    return size
