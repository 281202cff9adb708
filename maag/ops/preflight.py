"""`maag deploy check <environment>`: before `kubectl apply -k`, what would stop the
environment from coming up, each with the command that fixes it.

Without a cluster it checks the environment's own files: the overlay and the realm are what
the environment renders, and the identity provider sends people back to the web app's public
address. With `kubectl` (the current context) it also checks the cluster: its Kubernetes
version, the namespace, every Secret the manifests need that neither they nor an operator make
(its keys, its type, a database role's username, the reload label), the operators' versions
(older than supported: a failure; newer than the manifests were checked against: a warning)
and the namespace they run in, the CRDs and API versions the manifests use, metrics-server, a
default StorageClass, nodes labelled with their zone for rack-aware brokers, cert-manager and
the certificates' issuer, the ingress class and its controller's namespace, and that
Prometheus runs where the policies admit it and selects the monitoring objects.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from maag.ops import deployment, environments, guide, overlays
from maag.ops.environments import Environment
from maag.ops.references import RELOAD_LABEL, Reference, Shape, problems, required

# The oldest versions the manifests are written for, and why (deploy/README.md,
# "Prerequisites" says the same).
KUBERNETES_MINIMUM = (1, 34)
KUBERNETES_WHY = (
    "CloudNativePG 1.30 supports Kubernetes 1.34, 1.35 and 1.36 (its release notes); Strimzi 1.x "
    "supports 1.30 and later"
)


@dataclass(frozen=True)
class Operator:
    name: str
    image: str  # how its Deployment's image ends before the tag
    minimum: tuple[int, ...]
    why: str
    install: str  # how to install or upgrade it
    # The newest minor release the manifests are checked against (tests/unit/deploy validates
    # them against its CRD schemas, or reads its documentation): newer is warned about.
    tested: tuple[int, int]
    checked: str  # against what
    # Its Deployment's pods, by their labels, where its image alone does not tell it apart
    # (Strimzi's entity operator runs the cluster operator's image).
    pods: Mapping[str, str] | None = None
    # The Site field naming the namespace the NetworkPolicies admit it from (None: anywhere).
    namespace: str | None = None


OPERATORS: tuple[Operator, ...] = (
    Operator(
        "Strimzi",
        "strimzi/operator",
        (1, 0, 1),
        "1.0 serves the kafka.strimzi.io/v1 API the manifests use; 1.0.0 has CVEs 1.0.1 fixes",
        "https://strimzi.io/docs/operators/latest/deploying (Strimzi 1.0.1 or later)",
        tested=(1, 0),
        checked="Strimzi 1.0.0's CRDs",
        pods=deployment.STRIMZI_OPERATOR_POD,
    ),
    Operator(
        "CloudNativePG",
        "cloudnative-pg/cloudnative-pg",
        (1, 30, 0),
        "1.27 to 1.29 are end of life, and the Barman Cloud plugin 0.16 needs 1.30",
        "https://cloudnative-pg.io/documentation/current/installation_upgrade/",
        tested=(1, 30),
        checked="CloudNativePG 1.30's documentation and its API types",
        namespace="cnpg_namespace",
    ),
    Operator(
        "the Barman Cloud plugin",
        "cloudnative-pg/plugin-barman-cloud",
        (0, 16, 0),
        "0.16's documentation is the one the manifests follow (the ObjectStore, the Cluster's "
        "plugin parameters, a recovery's serverName)",
        "https://cloudnative-pg.io/plugin-barman-cloud/docs/installation/ (in the "
        "CloudNativePG operator's namespace; it needs cert-manager)",
        tested=(0, 16),
        checked="the plugin 0.16's documentation",
        namespace="cnpg_namespace",
    ),
)
METRICS_API = "v1beta1.metrics.k8s.io"
DEFAULT_STORAGE_CLASS = "storageclass.kubernetes.io/is-default-class"
METRICS_SERVER_INSTALL = (
    "kubectl apply -f "
    "https://github.com/kubernetes-sigs/metrics-server/releases/latest/download/components.yaml"
)
CERT_MANAGER_INSTALL = "https://cert-manager.io/docs/installation/"
BUILT_IN_GROUPS = {
    "",
    "apps",
    "batch",
    "policy",
    "autoscaling",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
}


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warn" or "fail"
    what: str
    fix: tuple[str, ...] = ()


def _ok(what: str) -> Finding:
    return Finding("ok", what)


def _fail(what: str, *fix: str) -> Finding:
    return Finding("fail", what, fix)


def _warn(what: str, *fix: str) -> Finding:
    return Finding("warn", what, fix)


class KubectlError(RuntimeError):
    pass


Run = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


class Kubectl:
    """The cluster of kubectl's current context, read-only."""

    def __init__(self, binary: str, run: Run | None = None) -> None:
        self.binary = binary
        self._run = run or (lambda argv: subprocess.run(argv, capture_output=True, text=True))

    def get(self, *args: str) -> Any:
        """`kubectl get ... -o json`; None when the object is not found."""
        done = self._run([self.binary, "get", *args, "-o", "json"])
        if done.returncode != 0:
            if "NotFound" in done.stderr or "not found" in done.stderr:
                return None
            raise KubectlError(f"kubectl get {' '.join(args)}: {done.stderr.strip()}")
        return json.loads(done.stdout)

    def version(self) -> Any:
        done = self._run([self.binary, "version", "-o", "json"])
        if done.returncode != 0:
            raise KubectlError(f"kubectl version: {done.stderr.strip() or done.stdout.strip()}")
        return json.loads(done.stdout)

    def items(self, *args: str) -> list[dict[str, Any]]:
        found = self.get(*args)
        return list(found.get("items", [])) if found else []


def _version(text: str) -> tuple[int, ...] | None:
    m = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(g) for g in m.groups() if g is not None) if m else None


def _dotted(version: Sequence[int]) -> str:
    return ".".join(str(v) for v in version)


def build(overlay: Path) -> list[dict[str, Any]] | None:
    """The overlay as kustomize renders it (`kustomize build`, or kubectl's own)."""
    if kustomize := shutil.which("kustomize"):
        argv = [kustomize, "build", str(overlay)]
    elif kubectl := shutil.which("kubectl"):
        argv = [kubectl, "kustomize", str(overlay)]
    else:
        return None
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise KubectlError(f"{' '.join(argv)}: {done.stderr.strip()}")
    return [d for d in yaml.safe_load_all(done.stdout) if d]


_DEPLOY = environments.ENVIRONMENTS.parent
_GUIDE = guide.GUIDE


@dataclass(frozen=True)
class Paths:
    """Where the checkout keeps what an environment is rendered to."""

    environments: Path = _DEPLOY / "environments"
    overlays: Path = _DEPLOY / "k8s" / "overlays"
    realms: Path = _DEPLOY / "keycloak"
    guide: Path = _GUIDE


def check(
    name: str,
    paths: Paths | None = None,
    kubectl: Kubectl | None = None,
    docs: list[dict[str, Any]] | None = None,
) -> list[Finding]:
    """Every finding for the environment `name` (docs: the built overlay, if already built)."""
    paths = paths or Paths()
    try:
        env = environments.load(name, paths.environments)
        environments.load_all(paths.environments)
    except environments.EnvironmentFileError as e:
        return [_fail(str(e), f"edit {paths.environments / (name + '.toml')}")]
    found = [_ok(f"environment {name}: namespace {env.namespace}, web {env.web_url}")]
    found += _rendered(env, paths)
    if docs is None:
        try:
            docs = build(paths.overlays / name)
        except KubectlError as e:
            found.append(_fail(f"the overlay does not build: {e}", "maag deploy render"))
    if docs is not None:
        found += _hosts_deployed(env, docs)
    try:
        commands = _guide_commands(env, paths.guide)
    except guide.GuideError as e:
        # the commands this check prints are the guide's: a guide it cannot read is named,
        # not taken for one that creates nothing
        found.append(
            _fail(
                f"the guide ({paths.guide}) cannot be read as the commands it runs: {e}",
                "correct the guide where it says (maag/ops/guide.py reads it)",
            )
        )
        commands = []
    if kubectl is None:
        found.append(
            _warn(
                "kubectl not found: the cluster was not checked (its version, the namespace, the "
                "Secrets, the operators)",
                f"run `maag deploy check {name}` where kubectl reaches the cluster",
            )
        )
        return found
    try:
        found += _cluster(env, kubectl, docs or [], commands)
    except KubectlError as e:
        found.append(_fail(f"the cluster could not be read: {e}", "kubectl cluster-info"))
    return found


def _rendered(env: Environment, paths: Paths) -> Iterator[Finding]:
    """The overlay and the realm are what the environment renders, and the realm's web
    client sends people back to the web app's own address."""
    from maag.ops.identity.realm import render

    overlay = paths.overlays / env.name / "kustomization.yaml"
    if not overlay.is_file() or overlay.read_text() != overlays.render(env):
        yield _fail(
            f"{overlay} is not what deploy/environments/{env.name}.toml renders",
            "maag deploy render",
        )
    else:
        yield _ok(f"{overlay} is what the environment renders")
    realm_path = paths.realms / environments.realm_file(env.name).name
    if not realm_path.is_file():
        yield _fail(f"{realm_path} is missing", "maag deploy render")
        return
    realm = json.loads(realm_path.read_text())
    yield from _realm_matches(env, realm, realm_path)
    if realm_path.read_text() != render(production=True, environment=env):
        yield _fail(f"{realm_path} is not what the environment renders", "maag deploy render")


def redirect_matches(pattern: str, uri: str) -> bool:
    """Keycloak's rule: the same URI, or a pattern ending in `*` that it starts with."""
    return uri.startswith(pattern[:-1]) if pattern.endswith("*") else uri == pattern


def _same_origin(uri: str, origin: str) -> bool:
    return uri == origin or uri.startswith(origin + "/")


def _realm_matches(env: Environment, realm: Mapping[str, Any], path: Path) -> Iterator[Finding]:
    from maag.runtime.web.auth import WEB_CLIENT

    reimport = f"re-import {path} at the identity provider (maag-web client)"
    clients = {c.get("clientId"): c for c in realm.get("clients", [])}
    web = clients.get(WEB_CLIENT)
    if web is None:
        yield _fail(f"{path} has no {WEB_CLIENT} client", "maag deploy render", reimport)
        return
    redirects = list(web.get("redirectUris", []))
    stray = [r for r in redirects if not _same_origin(r.rstrip("*"), env.web_url)]
    if not any(redirect_matches(r, env.redirect_uri) for r in redirects) or stray:
        yield _fail(
            f"the realm's {WEB_CLIENT} redirect URIs {redirects} do not match the web app's "
            f"callback {env.redirect_uri} (web host {env.web_host}): nobody could sign in",
            "maag deploy render",
            reimport,
        )
    else:
        yield _ok(f"the identity provider sends people back to {env.redirect_uri}")
    if env.web_url not in web.get("webOrigins", []):
        yield _fail(
            f"the realm's {WEB_CLIENT} web origins {web.get('webOrigins')} lack {env.web_url}",
            "maag deploy render",
            reimport,
        )
    if realm.get("realm") != env.realm:
        yield _fail(
            f"the realm is named {realm.get('realm')!r}, and the issuer {env.oidc_issuer} "
            f"names {env.realm!r}",
            "maag deploy render",
            reimport,
        )


def _hosts_deployed(env: Environment, docs: list[dict[str, Any]]) -> Iterator[Finding]:
    """What the built overlay deploys says the environment's address and issuer."""
    wrong: list[str] = []
    for doc in docs:
        data = doc.get("data") or {}
        if doc["kind"] == "ConfigMap":
            base = data.get("MAAG_WEB_BASE_URL")
            if base is not None and base != env.web_url:
                wrong.append(f"ConfigMap {doc['metadata']['name']} MAAG_WEB_BASE_URL={base}")
            issuer = data.get("MAAG_OIDC_ISSUER")
            if issuer is not None and issuer != env.oidc_issuer:
                wrong.append(f"ConfigMap {doc['metadata']['name']} MAAG_OIDC_ISSUER={issuer}")
        if doc["kind"] == "Ingress":
            hosts = {r.get("host") for r in doc["spec"].get("rules", [])}
            if not hosts <= {env.web_host, env.api_host}:
                wrong.append(f"Ingress {doc['metadata']['name']} hosts {sorted(hosts)}")
    if wrong:
        yield _fail(
            f"the overlay deploys another address than {env.web_url}: {'; '.join(wrong)}",
            "maag deploy render",
        )
    else:
        yield _ok(f"the overlay serves {env.web_host} and {env.api_host}")


def _guide_commands(env: Environment, path: Path) -> list[guide.Command]:
    """The guide's commands for this environment (its values from `maag deploy env`); a
    GuideError where the guide cannot be read as commands."""
    if not path.is_file():
        return []
    try:
        return guide.commands(path.read_text(), {"ENVIRONMENT": env.name})
    except environments.EnvironmentFileError:
        return []


def guide_commands_for(secret: str, commands: Sequence[guide.Command]) -> list[str]:
    """The guide's commands that create `secret` and label it, as the operator runs them (and
    before them, those that read or make the values they use)."""
    out: list[str] = []
    for c in commands:
        if c.section not in guide.INSTALL_SECTIONS:  # a rotation's re-creation, not the install
            continue
        w = c.words
        creates = w[:3] == ("kubectl", "create", "secret") and len(w) > 4 and w[4] == secret
        labels = w[:3] == ("kubectl", "label", "secret") and secret in w[3:]
        if creates or (labels and out):
            out += [line for setup in c.setup for line in setup.splitlines() if line not in out]
            out.append(c.text)
    return out


def _cluster(
    env: Environment,
    kubectl: Kubectl,
    docs: list[dict[str, Any]],
    commands: Sequence[guide.Command],
) -> list[Finding]:
    found = [_kubernetes(kubectl)]
    if kubectl.get("namespace", env.namespace) is None:
        found.append(
            _fail(
                f"namespace {env.namespace} does not exist",
                f"kubectl create namespace {env.namespace}",
            )
        )
    else:
        found.append(_ok(f"namespace {env.namespace} exists"))
    found += _secrets(env, kubectl, docs, commands)
    found += _apis(kubectl, docs)
    deployments = kubectl.items("deployments", "--all-namespaces")
    found += _operators(env, deployments)
    found += _metrics_server(kubectl)
    found += _storage_class(kubectl)
    found += _zones(env, kubectl, docs)
    found += _issuer(env, kubectl)
    found += _ingress(env, kubectl)
    found += _prometheus(env, kubectl, docs)
    return found


def _kubernetes(kubectl: Kubectl) -> Finding:
    server = kubectl.version().get("serverVersion") or {}
    found = tuple(int(re.sub(r"\D", "", server.get(p, "0")) or 0) for p in ("major", "minor"))
    text = server.get("gitVersion") or _dotted(found)
    if found < KUBERNETES_MINIMUM:
        return _fail(
            f"Kubernetes {text} is older than {_dotted(KUBERNETES_MINIMUM)} ({KUBERNETES_WHY})",
            f"upgrade the cluster to Kubernetes {_dotted(KUBERNETES_MINIMUM)} or later",
        )
    return _ok(f"Kubernetes {text}")


def _live_shape(secret: Mapping[str, Any]) -> Shape:
    data: dict[str, str | None] = {}
    for key, value in (secret.get("data") or {}).items():
        # only a role's username is read: the rest stays unread
        data[key] = base64.b64decode(value).decode(errors="replace") if key == "username" else None
    labels = dict(secret.get("metadata", {}).get("labels") or {})
    return Shape(secret.get("type", "Opaque"), data, labels, "the cluster")


def _secrets(
    env: Environment,
    kubectl: Kubectl,
    docs: list[dict[str, Any]],
    commands: Sequence[guide.Command],
) -> Iterator[Finding]:
    live = {
        s["metadata"]["name"]: _live_shape(s)
        for s in kubectl.items("secrets", "--namespace", env.namespace)
    }
    needed = {name: refs for (ns, name), refs in required(docs).items() if ns == env.namespace}
    missing_total = 0
    for name, refs in sorted(needed.items()):
        shape = live.get(name)
        wrong = sorted({p for ref in refs for p in problems(ref, shape)})
        create = guide_commands_for(name, commands) or [_generic_create(env, name, refs)]
        if shape is None and all(r.optional for r in refs):
            yield _warn(f"secret {name} is not there (optional: {refs[0].by})", *create)
        elif shape is None:
            missing_total += 1
            yield _fail(f"secret {name} is missing in namespace {env.namespace}", *create)
        elif wrong and all("not labelled" in w for w in wrong):
            label = f"kubectl label secret {name} -n {env.namespace} {RELOAD_LABEL}=true"
            yield _fail("; ".join(wrong), label)
        elif wrong:
            delete = f"kubectl delete secret {name} -n {env.namespace}"
            yield _fail("; ".join(wrong), delete, *create)
    if not missing_total:
        yield _ok(f"every Secret the manifests need is in {env.namespace}")


def _generic_create(env: Environment, name: str, refs: Sequence[Reference]) -> str:
    """A command for a Secret the guide does not create (the guide walk test fails then)."""
    keys = sorted({r.key for r in refs if r.key})
    literals = " ".join(f"--from-literal={k}=<value>" for k in keys)
    return f"kubectl create secret generic {name} -n {env.namespace} {literals}".rstrip()


def _apis(kubectl: Kubectl, docs: list[dict[str, Any]]) -> Iterator[Finding]:
    """Every API version the manifests use is served (each operator's CRDs installed)."""
    served: dict[tuple[str, str], set[str]] = {}
    for crd in kubectl.items("customresourcedefinitions"):
        spec = crd.get("spec", {})
        versions = {v["name"] for v in spec.get("versions", []) if v.get("served")}
        served[(spec.get("group", ""), spec.get("names", {}).get("kind", ""))] = versions
    used = sorted({(d["apiVersion"], d["kind"]) for d in docs})
    lacking = []
    for api, kind in used:
        group, _, version = api.rpartition("/")
        if group in BUILT_IN_GROUPS:
            continue
        if version not in served.get((group, kind), set()):
            have = ", ".join(sorted(served.get((group, kind), set()))) or "not installed"
            lacking.append(f"{kind} {api} ({have})")
    if lacking:
        yield _fail(
            "the cluster does not serve what the manifests use: " + "; ".join(lacking),
            *(f"{o.name}: {o.install}" for o in OPERATORS),
            "kube-prometheus-stack (PodMonitor, PrometheusRule): install it in monitoring",
        )
    else:
        yield _ok("every API the manifests use is served")


def _repository(image: str) -> tuple[str, str]:
    """An image's repository and tag ("" when it has none, or is pinned by digest only)."""
    name = image.split("@")[0]
    last = name.rpartition("/")[2]
    if ":" in last:
        repository, _, tag = name.rpartition(":")
        return repository, tag
    return name, ""


def _pod_labels(d: Mapping[str, Any]) -> Mapping[str, str]:
    labels: Mapping[str, str] = (
        d.get("spec", {}).get("template", {}).get("metadata", {}).get("labels") or {}
    )
    return labels


def _operators(env: Environment, deployments: list[dict[str, Any]]) -> Iterator[Finding]:
    site = overlays.site(env)
    for op in OPERATORS:
        running = [
            (d, c)
            for d in deployments
            if op.pods is None or _selects({"matchLabels": dict(op.pods)}, _pod_labels(d))
            for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
            if _repository(c.get("image", ""))[0].endswith(op.image)
        ]
        if not running:
            yield _fail(f"{op.name} is not installed ({op.why})", f"install it: {op.install}")
            continue
        for found, container in running:
            namespace = found["metadata"].get("namespace", "")
            where = f"{namespace}/{found['metadata']['name']}"
            version = _version(_repository(container["image"])[1]) or _version(
                found["metadata"].get("labels", {}).get("app.kubernetes.io/version", "")
            )
            if version is None:
                yield _warn(
                    f"{op.name} ({where}) runs {container['image']}: its version cannot be read "
                    f"(it must be {_dotted(op.minimum)} or later)",
                    f"kubectl get deployment -n {namespace} "
                    f"{found['metadata']['name']} -o jsonpath='{{.metadata.labels}}'",
                )
            elif version < op.minimum:
                yield _fail(
                    f"{op.name} {_dotted(version)} ({where}) is older than "
                    f"{_dotted(op.minimum)}: {op.why}",
                    f"upgrade it: {op.install}",
                )
            elif version[:2] > op.tested:
                yield _warn(
                    f"{op.name} {_dotted(version)} ({where}) is newer than the manifests are "
                    f"checked against ({op.checked}): its CRDs may refuse or ignore a field",
                    f"validate the rendered overlay against {op.name} {_dotted(version[:2])}'s "
                    f"CRDs, or run {_dotted(op.tested)}",
                )
            else:
                yield _ok(f"{op.name} {_dotted(version)} ({where})")
            if op.namespace is not None:
                yield from _admitted(env, op, namespace, getattr(site, op.namespace), where)
            if op.name == "Strimzi":
                yield from _strimzi_watches(env, found, container, where)


def _admitted(
    env: Environment, op: Operator, namespace: str, admitted: str, where: str
) -> Iterator[Finding]:
    """The NetworkPolicies admit an operator from the namespace the environment names (and
    from its own namespace, installed beside MAAG)."""
    if namespace in (admitted, env.namespace):
        return
    yield _fail(
        f"{op.name} ({where}) runs in {namespace}, and the NetworkPolicies admit it from "
        f"{admitted} only: the database would refuse it",
        f"set {op.namespace} = {namespace!r} in [cluster] of "
        f"deploy/environments/{env.name}.toml, then maag deploy render",
    )


def _strimzi_watches(
    env: Environment, deployment: Mapping[str, Any], container: Mapping[str, Any], where: str
) -> Iterator[Finding]:
    """Strimzi's cluster operator acts only in the namespaces STRIMZI_NAMESPACE names."""
    variable = next((e for e in container.get("env", []) if e["name"] == "STRIMZI_NAMESPACE"), None)
    if variable is None:
        return
    if "value" in variable:
        watched = {n.strip() for n in variable["value"].split(",")}
    else:  # from the pod's own namespace (the installation's default)
        watched = {deployment["metadata"].get("namespace", "")}
    if "*" in watched or env.namespace in watched:
        yield _ok(f"Strimzi ({where}) watches {env.namespace}")
    else:
        yield _fail(
            f"Strimzi ({where}) watches {sorted(watched)}, not {env.namespace}: nothing would "
            "make the brokers, topics or users",
            f"set STRIMZI_NAMESPACE to include {env.namespace} (Helm: --set "
            f"watchNamespaces={{{env.namespace}}}), and the operator's RoleBindings there",
        )


def _metrics_server(kubectl: Kubectl) -> Iterator[Finding]:
    service = kubectl.get("apiservice", METRICS_API)
    conditions = (service or {}).get("status", {}).get("conditions", [])
    if any(c.get("type") == "Available" and c.get("status") == "True" for c in conditions):
        yield _ok("metrics-server answers (the autoscalers scale by CPU)")
    else:
        yield _fail(
            f"no metrics API ({METRICS_API}): the autoscalers cannot read CPU and never scale",
            METRICS_SERVER_INSTALL,
        )


def _storage_class(kubectl: Kubectl) -> Iterator[Finding]:
    """The brokers' and PostgreSQL's volumes name no class: the cluster's default makes them."""
    defaults = [
        c["metadata"]["name"]
        for c in kubectl.items("storageclasses")
        if (c["metadata"].get("annotations") or {}).get(DEFAULT_STORAGE_CLASS) == "true"
    ]
    if defaults:
        yield _ok(f"the default StorageClass {defaults[0]} makes the volumes")
    else:
        yield _fail(
            "no default StorageClass: the brokers' and PostgreSQL's volume claims name none, "
            "and would never be bound",
            f"kubectl annotate storageclass <class> {DEFAULT_STORAGE_CLASS}=true",
        )


def _ingress(env: Environment, kubectl: Kubectl) -> Iterator[Finding]:
    """The Ingresses ask for the environment's class, and the policies admit its controller
    (and, through it, cert-manager's HTTP-01 challenges) from the namespace it names."""
    site = overlays.site(env)
    if kubectl.get("ingressclass", site.ingress_class) is None:
        yield _fail(
            f"no IngressClass {site.ingress_class}: nothing would serve the Ingresses",
            "install an ingress controller, or set ingress_class in [cluster] of "
            f"deploy/environments/{env.name}.toml to yours (kubectl get ingressclass), then "
            "maag deploy render",
        )
    else:
        yield _ok(f"the IngressClass {site.ingress_class} serves the Ingresses")
    if kubectl.get("namespace", site.ingress_namespace) is None:
        yield _fail(
            f"no namespace {site.ingress_namespace}: the NetworkPolicies admit the ingress "
            "controller from there only",
            f"set ingress_namespace in [cluster] of deploy/environments/{env.name}.toml to "
            "the namespace your ingress controller runs in, then maag deploy render",
        )


def _zones(env: Environment, kubectl: Kubectl, docs: list[dict[str, Any]]) -> Iterator[Finding]:
    """With rack awareness Strimzi places brokers only on nodes carrying the rack's label:
    enough nodes must carry it for every broker, each its own node."""
    racks = [
        d["spec"]["kafka"]["rack"]["topologyKey"]
        for d in docs
        if d["kind"] == "Kafka" and "rack" in d.get("spec", {}).get("kafka", {})
    ]
    if not racks:
        return
    (key,) = racks
    brokers = sum(
        d["spec"].get("replicas", 0)
        for d in docs
        if d["kind"] == "KafkaNodePool" and "broker" in d["spec"].get("roles", ())
    )
    labelled = [n for n in kubectl.items("nodes") if key in n["metadata"].get("labels", {})]
    if len(labelled) >= brokers:
        zones = {n["metadata"]["labels"][key] for n in labelled}
        yield _ok(f"{len(labelled)} nodes carry {key} ({len(zones)} zones) for {brokers} brokers")
    else:
        yield _fail(
            f"{len(labelled)} nodes carry {key}, and the {brokers} rack-aware brokers are placed "
            "only on such nodes, one a node",
            f"kubectl label node <node> {key}=<its zone>",
            f"or, for a cluster without zones: zones = false in [size] of "
            f"deploy/environments/{env.name}.toml, then maag deploy render",
        )


def _issuer(env: Environment, kubectl: Kubectl) -> Iterator[Finding]:
    """cert-manager always (the Barman Cloud plugin's TLS with CloudNativePG), and the
    environment's ClusterIssuer when it names one."""
    if kubectl.get("customresourcedefinition", "certificates.cert-manager.io") is None:
        yield _fail(
            "cert-manager is not installed: the Barman Cloud plugin cannot talk to "
            "CloudNativePG (no backups), nor are the Ingresses' certificates issued",
            f"install it: {CERT_MANAGER_INSTALL}",
        )
        return
    if not env.tls_issuer:
        yield _ok("cert-manager is installed (the Ingresses' certificates are yours to make)")
    elif kubectl.get("clusterissuers.cert-manager.io", env.tls_issuer) is None:
        yield _fail(
            f"cert-manager has no ClusterIssuer {env.tls_issuer} (hosts.tls_issuer): the "
            "Ingresses' certificates would never be issued",
            f"create the ClusterIssuer {env.tls_issuer} ({CERT_MANAGER_INSTALL}), or set "
            f"hosts.tls_issuer in deploy/environments/{env.name}.toml to yours",
        )
    else:
        yield _ok(f"cert-manager's ClusterIssuer {env.tls_issuer} issues the certificates")


def _selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against `labels`."""
    if selector is None:
        return False  # prometheus-operator: no selector selects nothing
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for term in selector.get("matchExpressions") or ():
        key, operator, values = term["key"], term["operator"], term.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _prometheus(
    env: Environment, kubectl: Kubectl, docs: list[dict[str, Any]]
) -> Iterator[Finding]:
    monitors = [d for d in docs if d["kind"] in ("PodMonitor", "PrometheusRule", "ServiceMonitor")]
    if not monitors:
        return
    if kubectl.get("customresourcedefinition", "prometheuses.monitoring.coreos.com") is None:
        return  # the API check names the missing monitoring CRDs
    instances = kubectl.items("prometheuses.monitoring.coreos.com", "--all-namespaces")
    # the namespace's own labels, as a namespace selector reads them (Kubernetes gives each
    # its name's)
    live = kubectl.get("namespace", env.namespace) or {}
    namespace_labels = {
        **(live.get("metadata", {}).get("labels") or {}),
        "kubernetes.io/metadata.name": env.namespace,
    }
    selector_of = {
        "PodMonitor": ("podMonitorSelector", "podMonitorNamespaceSelector"),
        "ServiceMonitor": ("serviceMonitorSelector", "serviceMonitorNamespaceSelector"),
        "PrometheusRule": ("ruleSelector", "ruleNamespaceSelector"),
    }

    def sees(p: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
        selector, namespaces = selector_of[doc["kind"]]
        spec = p.get("spec", {})
        if not _selects(spec.get(selector), doc["metadata"].get("labels") or {}):
            return False
        if spec.get(namespaces) is None:  # its own namespace only
            return bool(p["metadata"].get("namespace") == env.namespace)
        return _selects(spec[namespaces], namespace_labels)

    unseen = [
        f"{d['kind']} {d['metadata']['name']}"
        for d in monitors
        if not any(sees(p, d) for p in instances)
    ]
    if not instances:
        yield _warn(
            "no Prometheus (prometheus-operator) in the cluster: nothing scrapes the metrics or "
            "evaluates the alerts",
            "install kube-prometheus-stack in the namespace "
            + overlays.site(env).monitoring_namespace,
        )
        return
    if unseen:
        wanted = {
            f"{p['metadata'].get('namespace')}/{p['metadata']['name']}": p["spec"].get(
                "podMonitorSelector"
            )
            for p in instances
        }
        yield _fail(
            f"no Prometheus selects {', '.join(unseen)} (their labels "
            f"{dict(env.monitoring_labels)}, namespace {env.namespace}; the Prometheus "
            f"selectors {wanted})",
            f"set [monitoring.labels] in deploy/environments/{env.name}.toml to what your "
            "Prometheus selects (and its namespace selectors to include "
            f"{env.namespace}), then `maag deploy render`",
        )
    else:
        yield _ok("Prometheus selects the PodMonitors and PrometheusRules")
    admitted = overlays.site(env).monitoring_namespace
    seeing = {
        p["metadata"].get("namespace", "") for p in instances if any(sees(p, d) for d in monitors)
    }
    if seeing and admitted not in seeing:
        yield _fail(
            f"the Prometheus that selects the monitors runs in {', '.join(sorted(seeing))}, and "
            f"the NetworkPolicies admit its scrapes from {admitted} only",
            f"set monitoring_namespace in [cluster] of deploy/environments/{env.name}.toml "
            "to its namespace, then maag deploy render",
        )


def report(findings: Sequence[Finding], say: Callable[[str], None]) -> int:
    """Print the findings; the exit code: 1 when any failed."""
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    for f in findings:
        say(f"{marks[f.level]}  {f.what}")
        for fix in f.fix:
            say(f"      fix: {fix}")
    failed = sum(f.level == "fail" for f in findings)
    say(f"{failed} problem{'s' * (failed != 1)} to fix" if failed else "ready to apply")
    return 1 if failed else 0
