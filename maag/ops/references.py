"""What the rendered manifests refer to by name (Secrets, ConfigMaps, service accounts), and
which of those the manifests themselves or the operators make, by the operators' documented
naming; the rest the operator creates before applying (deploy/README.md, "First install").

Read generically from the objects, not from a list of today's names, so a Secret a new Job or
a new ObjectStore field refers to is found: the guide walk (tests/unit/deploy) fails until the
guide creates it, and `maag deploy check` names it and the guide's command for it.

The operators' naming, as documented:
- Strimzi: a Kafka `<k>` gets `<k>-cluster-ca-cert` and `<k>-clients-ca-cert` (`ca.crt`,
  `ca.p12`, `ca.password`) and their keys' `<k>-cluster-ca`, `<k>-clients-ca`; a KafkaUser
  `<u>` gets a Secret `<u>` (SCRAM-SHA-512: `password`, `sasl.jaas.config`; TLS: `ca.crt`,
  `user.crt`, `user.key`, `user.p12`, `user.password`).
- CloudNativePG: a Cluster `<c>` gets `<c>-ca`, `<c>-server`, `<c>-replication`, the
  application owner's `<c>-app` (unless `bootstrap.initdb.secret` names one) and, with
  `enableSuperuserAccess`, `<c>-superuser`. A managed role's `passwordSecret` is the
  operator's to make: `kubernetes.io/basic-auth`, its `username` the role's name, labelled
  `cnpg.io/reload: "true"` so a changed password reaches the role.
- cert-manager: an Ingress annotated `cert-manager.io/cluster-issuer` (or `issuer`) gets each
  `spec.tls[].secretName` (`kubernetes.io/tls`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

BASIC_AUTH = "kubernetes.io/basic-auth"
TLS = "kubernetes.io/tls"
DOCKER_CONFIG = "kubernetes.io/dockerconfigjson"
RELOAD_LABEL = "cnpg.io/reload"  # CloudNativePG applies a changed role password at once
ISSUER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
# Where a pod template is, by kind.
POD_SPEC: Mapping[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


@dataclass(frozen=True)
class Reference:
    """A Secret, ConfigMap or service account an object needs, in its namespace."""

    kind: str
    namespace: str
    name: str
    by: str  # who needs it and where: "Deployment/maag-web env MAAG_WEB_CLIENT_SECRET"
    key: str | None = None
    optional: bool = False
    type: str | None = None  # the Secret type it must be
    username: str | None = None  # the `username` it must hold (a database role's)
    reload: bool = False  # labelled cnpg.io/reload=true


@dataclass
class Shape:
    """What is known of a Secret or ConfigMap: its type, keys (with their value where it is
    known), labels."""

    type: str = "Opaque"
    data: dict[str, str | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    by: str = ""  # who makes it


def namespace_of(doc: Mapping[str, Any]) -> str:
    return str(doc.get("metadata", {}).get("namespace") or "default")


def _id(doc: Mapping[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def _dig(doc: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def references(docs: list[dict[str, Any]]) -> list[Reference]:
    out: list[Reference] = []
    for doc in docs:
        kind = doc.get("kind", "")
        ns = namespace_of(doc)
        if kind in POD_SPEC:
            pod = _dig(doc, *POD_SPEC[kind]) or {}
            out += _pod(pod, ns, _id(doc))
        group = str(doc.get("apiVersion", "")).rpartition("/")[0]
        if group == "postgresql.cnpg.io" and kind == "Cluster":
            out += _cnpg_cluster(doc, ns)
        if group == "barmancloud.cnpg.io" and kind == "ObjectStore":
            out += _credentials(_dig(doc, "spec", "configuration") or {}, ns, _id(doc))
        if group == "networking.k8s.io" and kind == "Ingress":
            for tls in _dig(doc, "spec", "tls") or ():
                if tls.get("secretName"):
                    out.append(
                        Reference("Secret", ns, tls["secretName"], f"{_id(doc)} tls", type=TLS)
                    )
        if group == "kafka.strimzi.io" and kind == "Kafka":
            for listener in _dig(doc, "spec", "kafka", "listeners") or ():
                chain = _dig(listener, "configuration", "brokerCertChainAndKey")
                if chain:
                    by = f"{_id(doc)} listener {listener.get('name')}"
                    for key in (chain.get("certificate"), chain.get("key")):
                        out.append(Reference("Secret", ns, chain["secretName"], by, key=key))
    return out


def _pod(pod: Mapping[str, Any], ns: str, who: str) -> Iterator[Reference]:
    for secret in pod.get("imagePullSecrets") or ():
        yield Reference("Secret", ns, secret["name"], f"{who} imagePullSecrets", type=DOCKER_CONFIG)
    account = pod.get("serviceAccountName") or pod.get("serviceAccount")
    if account:
        yield Reference("ServiceAccount", ns, account, f"{who} serviceAccountName")
    for field_ in ("initContainers", "containers", "ephemeralContainers"):
        for c in pod.get(field_) or ():
            where = f"{who} container {c.get('name')}"
            for e in c.get("env") or ():
                source = e.get("valueFrom") or {}
                for ref_kind, key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                    ref = source.get(key)
                    if ref:
                        yield Reference(
                            ref_kind,
                            ns,
                            ref["name"],
                            f"{where} env {e['name']}",
                            key=ref.get("key"),
                            optional=bool(ref.get("optional")),
                        )
            for e in c.get("envFrom") or ():
                for ref_kind, key in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                    ref = e.get(key)
                    if ref:
                        yield Reference(
                            ref_kind,
                            ns,
                            ref["name"],
                            f"{where} envFrom",
                            optional=bool(ref.get("optional")),
                        )
    for v in pod.get("volumes") or ():
        where = f"{who} volume {v.get('name')}"
        sources = [v, *(_dig(v, "projected", "sources") or ())]
        for s in sources:
            secret = s.get("secret")
            if secret:
                name = secret.get("secretName") or secret.get("name")
                for key in [i["key"] for i in secret.get("items") or ()] or [None]:
                    yield Reference(
                        "Secret", ns, name, where, key=key, optional=bool(secret.get("optional"))
                    )
            config = s.get("configMap")
            if config:
                for key in [i["key"] for i in config.get("items") or ()] or [None]:
                    yield Reference(
                        "ConfigMap",
                        ns,
                        config["name"],
                        where,
                        key=key,
                        optional=bool(config.get("optional")),
                    )


def _cnpg_cluster(doc: Mapping[str, Any], ns: str) -> Iterator[Reference]:
    who = _id(doc)
    spec = doc.get("spec") or {}
    for role in _dig(spec, "managed", "roles") or ():
        secret = _dig(role, "passwordSecret", "name")
        if secret and role.get("ensure", "present") == "present":
            yield Reference(
                "Secret",
                ns,
                secret,
                f"{who} managed role {role['name']}",
                key="password",
                type=BASIC_AUTH,
                username=role["name"],
                reload=True,
            )
    for path in (("superuserSecret",), ("bootstrap", "initdb", "secret")):
        name = _dig(spec, *path, "name")
        if name:
            yield Reference("Secret", ns, name, f"{who} {'.'.join(path)}", type=BASIC_AUTH)
    for secret in spec.get("imagePullSecrets") or ():
        yield Reference("Secret", ns, secret["name"], f"{who} imagePullSecrets")


def _credentials(config: Mapping[str, Any], ns: str, who: str) -> Iterator[Reference]:
    """An object store's credentials: each `{name, key}` under its provider's credentials, and
    the endpoint's CA."""
    for provider in ("s3Credentials", "azureCredentials", "googleCredentials"):
        for what, ref in (config.get(provider) or {}).items():
            if isinstance(ref, dict) and "name" in ref:
                yield Reference(
                    "Secret", ns, ref["name"], f"{who} {provider}.{what}", ref.get("key")
                )
    ca = config.get("endpointCA")
    if isinstance(ca, dict) and "name" in ca:
        yield Reference("Secret", ns, ca["name"], f"{who} endpointCA", key=ca.get("key"))


def provided(docs: list[dict[str, Any]]) -> dict[tuple[str, str, str], Shape]:
    """(kind, namespace, name) -> what the manifests themselves (ConfigMaps, Secrets, service
    accounts) or the operators make once they are applied."""
    made: dict[tuple[str, str, str], Shape] = {}

    def secret(ns: str, name: str, by: str, keys: tuple[str, ...], type_: str = "Opaque") -> None:
        made[("Secret", ns, name)] = Shape(type_, dict.fromkeys(keys), {}, by)

    for doc in docs:
        kind = doc.get("kind", "")
        ns = namespace_of(doc)
        name = doc.get("metadata", {}).get("name", "")
        group = str(doc.get("apiVersion", "")).rpartition("/")[0]
        if group == "" and kind in ("ConfigMap", "Secret"):
            data = {**(doc.get("data") or {}), **(doc.get("stringData") or {})}
            made[(kind, ns, name)] = Shape(
                doc.get("type", "Opaque"), dict(data), doc["metadata"].get("labels", {}), "manifest"
            )
        elif group == "" and kind == "ServiceAccount":
            made[(kind, ns, name)] = Shape(by="manifest")
        elif group == "kafka.strimzi.io" and kind == "Kafka":
            ca = ("ca.crt", "ca.p12", "ca.password")
            for prefix in ("cluster", "clients"):
                secret(ns, f"{name}-{prefix}-ca-cert", "Strimzi", ca)
                secret(ns, f"{name}-{prefix}-ca", "Strimzi", ("ca.key",))
        elif group == "kafka.strimzi.io" and kind == "KafkaUser":
            auth = _dig(doc, "spec", "authentication", "type")
            if auth == "scram-sha-512":
                secret(ns, name, "Strimzi", ("password", "sasl.jaas.config"))
            elif auth in ("tls", "tls-external"):
                keys = ("ca.crt", "user.crt", "user.key", "user.p12", "user.password")
                secret(ns, name, "Strimzi", keys)
        elif group == "postgresql.cnpg.io" and kind == "Cluster":
            spec = doc.get("spec") or {}
            secret(ns, f"{name}-ca", "CloudNativePG", ("ca.crt", "ca.key"))
            for tls in ("server", "replication"):
                secret(ns, f"{name}-{tls}", "CloudNativePG", ("tls.crt", "tls.key"), TLS)
            app = ("username", "password", "dbname", "host", "port", "uri", "pgpass")
            if not _dig(spec, "bootstrap", "initdb", "secret"):
                secret(ns, f"{name}-app", "CloudNativePG", app, BASIC_AUTH)
            if spec.get("enableSuperuserAccess") and not spec.get("superuserSecret"):
                secret(ns, f"{name}-superuser", "CloudNativePG", app, BASIC_AUTH)
        elif group == "networking.k8s.io" and kind == "Ingress":
            annotations = doc.get("metadata", {}).get("annotations") or {}
            if any(a in annotations for a in ISSUER_ANNOTATIONS):
                for tls in _dig(doc, "spec", "tls") or ():
                    if tls.get("secretName"):
                        issued = ("tls.crt", "tls.key", "ca.crt")
                        secret(ns, tls["secretName"], "cert-manager", issued, TLS)
    for ns in {namespace_of(d) for d in docs}:  # Kubernetes makes one in every namespace
        made.setdefault(("ServiceAccount", ns, "default"), Shape(by="Kubernetes"))
    return made


def problems(ref: Reference, shape: Shape | None) -> list[str]:
    """What is wrong with what `ref` finds (None: nothing by that name in its namespace)."""
    what = f"{ref.kind} {ref.name} (namespace {ref.namespace}, for {ref.by})"
    if shape is None:
        return [] if ref.optional else [f"{what} does not exist"]
    found: list[str] = []
    if ref.key and shape.data and ref.key not in shape.data:
        found.append(f"{what} has no key {ref.key!r} (it has {', '.join(sorted(shape.data))})")
    if ref.type and shape.type != ref.type:
        found.append(f"{what} is of type {shape.type}, not {ref.type}")
    if ref.username is not None:
        held = shape.data.get("username")
        if held is None:
            found.append(f"{what} must hold username={ref.username}, and its username is unknown")
        elif held != ref.username:
            found.append(
                f"{what} holds username={held}: CloudNativePG needs the role's name, {ref.username}"
            )
    if ref.reload and shape.labels.get(RELOAD_LABEL) != "true":
        found.append(f"{what} is not labelled {RELOAD_LABEL}=true (a changed password would wait)")
    return found


def required(docs: list[dict[str, Any]]) -> dict[tuple[str, str], list[Reference]]:
    """(namespace, name) -> the references to each Secret neither the manifests nor an
    operator make: the operator creates these before applying."""
    made = provided(docs)
    out: dict[tuple[str, str], list[Reference]] = {}
    for ref in references(docs):
        if ref.kind == "Secret" and (ref.kind, ref.namespace, ref.name) not in made:
            out.setdefault((ref.namespace, ref.name), []).append(ref)
    return out
