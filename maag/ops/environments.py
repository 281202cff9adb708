"""One place for an environment's values: `deploy/environments/<name>.toml`.

Each file names what differs between one installation and another (its namespace, its host
names, the image and the registry's pull secret, where its backups go, its identity provider
and mail, the label its Prometheus selects by, and how big it is); the overlay
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

    @property
    def destination(self) -> str:
        return f"s3://{self.bucket}/{self.path.strip('/')}/"


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
    app_resources: Resources | None = None  # every MAAG container
    min_replicas: int | None = None
    max_replicas: int | None = None

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
    size: Size = field(default_factory=Size)

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
    return _parse(name, raw, path)


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


def _parse(name: str, raw: dict[str, Any], path: Path) -> Environment:
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
        ),
        oidc_issuer=issuer.rstrip("/"),
        mail_from=text(mail, "from", "mail."),
        monitoring_labels=dict(labels),
        size=_size(section("size"), path),
    )


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
        app_resources=resources("app_resources"),
        min_replicas=count("min_replicas"),
        max_replicas=count("max_replicas"),
    )
    if size.min_replicas and size.max_replicas and size.min_replicas > size.max_replicas:
        raise EnvironmentFileError(f"{path}: size.min_replicas is above size.max_replicas")
    return size
