"""The operator's guide walked as an operator would, once per environment: its commands run in
order against a model of the cluster (namespaces, Secrets, labels), its `kubectl apply -k`
builds the environment's overlay with kustomize, and at that moment everything the manifests
refer to by name must exist in the right namespace, made by the manifests, by an operator (by
its documented naming, maag/ops/references.py) or by the guide. And the identity provider the
guide has the operator import sends people back to the web app's public address only.

The references are read from the rendered objects (any Deployment, Job, ObjectStore...), not
from a list of today's names: a Secret the base starts to need fails the walk until the guide
creates it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from maag.ops import environments, guide
from maag.ops.preflight import redirect_matches
from maag.ops.references import Reference, Shape, problems, provided, references
from maag.runtime.web.auth import WEB_CLIENT
from tests.support.kustomize import build

ROOT = Path(__file__).resolve().parents[3]
GUIDE = ROOT / "deploy" / "README.md"
ENVIRONMENTS = environments.names()
# The sections an installation runs, in order (the others are procedures for later: their
# commands are read, so an unset variable there fails too, but not applied to the model).
INSTALL = guide.INSTALL_SECTIONS
# Namespaces every cluster has.
BUILT_IN_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}


@dataclass
class Cluster:
    """What the guide's commands leave in a cluster, and what was wrong when it applied."""

    namespaces: set[str] = field(default_factory=lambda: set(BUILT_IN_NAMESPACES))
    secrets: dict[tuple[str, str], Shape] = field(default_factory=dict)
    applied: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # `maag deploy check <env>` runs
    created: list[tuple[str, str]] = field(default_factory=list)  # Secrets, in order

    def run(self, command: guide.Command) -> None:
        if command.words[:3] == ("maag", "deploy", "check"):
            self.checked.append(command.words[3])
        for action in guide.actions(command):
            self.act(action)

    def act(self, action: guide.Action) -> None:
        where = f"`{action.command.text}`"
        if action.verb == "namespace":
            if action.name in self.namespaces:
                self.problems.append(f"{where}: namespace {action.name} already exists")
            self.namespaces.add(action.name)
        elif action.verb == "secret":
            assert action.shape is not None
            key = (action.namespace, action.name)
            if action.namespace not in self.namespaces:
                self.problems.append(f"{where}: namespace {action.namespace} does not exist")
            elif key in self.secrets:
                self.problems.append(f"{where}: secret {action.name} already exists")
            else:
                self.secrets[key] = action.shape
                self.created.append(key)
        elif action.verb == "label":
            shape = self.secrets.get((action.namespace, action.name))
            if shape is None:
                self.problems.append(f"{where}: no secret {action.name} in {action.namespace}")
            else:
                shape.labels.update(action.labels)
        elif action.verb == "apply":
            self.apply(action)

    def apply(self, action: guide.Action) -> None:
        docs = build(ROOT / action.name)
        self.applied.append((action.name, docs))
        for ns in sorted({d["metadata"].get("namespace", "default") for d in docs}):
            if ns not in self.namespaces:
                self.problems.append(f"`{action.command.text}`: namespace {ns} does not exist")
        made = provided(docs)
        for ref in references(docs):
            shape = made.get((ref.kind, ref.namespace, ref.name))
            if shape is None and ref.kind == "Secret":
                shape = self.secrets.get((ref.namespace, ref.name))
            self.problems += problems(ref, shape)


def walk(markdown: str, environment: str) -> Cluster:
    cluster = Cluster()
    for command in guide.commands(markdown, {"ENVIRONMENT": environment}):
        if command.section in INSTALL:
            cluster.run(command)
    return cluster


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def walked(request: pytest.FixtureRequest) -> tuple[str, Cluster]:
    return request.param, walk(GUIDE.read_text(), request.param)


def test_there_are_environments_to_walk() -> None:
    assert {"dev", "prod"} <= set(ENVIRONMENTS)


def test_following_the_guide_leaves_nothing_the_manifests_need_missing(
    walked: tuple[str, Cluster],
) -> None:
    name, cluster = walked
    env = environments.load(name)
    assert cluster.problems == []
    # it applied this environment's overlay, once, after checking it
    assert [path for path, _ in cluster.applied] == [f"deploy/k8s/overlays/{name}"]
    assert cluster.checked == [name]
    (_, docs) = cluster.applied[0]
    assert {d["metadata"]["namespace"] for d in docs if "namespace" in d["metadata"]} == {
        env.namespace
    }
    # every Secret the guide made is in the environment's namespace, none in `default`
    assert {ns for ns, _ in cluster.created} == {env.namespace}


def test_the_guide_checks_before_it_applies() -> None:
    order = [
        c.words[:3]
        for c in guide.commands(GUIDE.read_text(), {"ENVIRONMENT": "prod"})
        if c.section in INSTALL
        and c.words[:3] in (("maag", "deploy", "check"), ("kubectl", "apply", "-k"))
    ]
    assert order == [("maag", "deploy", "check"), ("kubectl", "apply", "-k")]


def test_the_guide_makes_no_secret_nothing_uses(walked: tuple[str, Cluster]) -> None:
    """A Secret the manifests stopped using is a stale step (and a credential lying about)."""
    _, cluster = walked
    (_, docs) = cluster.applied[0]
    used = {(r.namespace, r.name) for r in references(docs) if r.kind == "Secret"}
    assert [s for s in cluster.created if s not in used] == []


def test_the_database_roles_secrets_hold_their_roles_names(walked: tuple[str, Cluster]) -> None:
    """Each managed role's Secret says the role's own name (an owner's Secret saying the
    service's name stops CloudNativePG creating any role) and is labelled for reloads."""
    name, cluster = walked
    (_, docs) = cluster.applied[0]
    (pg,) = [d for d in docs if d["kind"] == "Cluster"]
    ns = environments.load(name).namespace
    for role in pg["spec"]["managed"]["roles"]:
        shape = cluster.secrets[(ns, role["passwordSecret"]["name"])]
        assert shape.data["username"] == role["name"]
        assert shape.type == "kubernetes.io/basic-auth"
        assert shape.labels == {"cnpg.io/reload": "true"}


# The defects the guide had (issue 32), each put back into today's guide: the walk names it.
def _drop(pattern: str) -> Any:
    return lambda text: re.sub(pattern, "", text, flags=re.S)


DEFECTS = {
    # the secrets created without -n land in `default`
    "no -n": (lambda text: text.replace(' -n "$NAMESPACE"', ""), "does not exist"),
    # nothing creates the namespace
    "no namespace": (
        lambda text: text.replace('kubectl create namespace "$NAMESPACE"\n', ""),
        "namespace maag",
    ),
    # the owner secrets are not created
    "no owner secrets": (
        _drop(
            r'  kubectl create secret generic "maag-\$service-owner-db-credentials".*?'
            r"cnpg\.io/reload=true\n"
        ),
        "owner-db-credentials",
    ),
    # the owner secret copied from the service's pattern: username=<service>
    "owner says the service": (
        lambda text: text.replace('username="${service}_owner"', 'username="$service"'),
        "CloudNativePG needs the role's name",
    ),
    # the reload label left out
    "no reload label": (
        _drop(r'  kubectl label secret "maag-\$service-db-credentials"[^\n]*\n'),
        "not labelled cnpg.io/reload=true",
    ),
    # the pull secret left out: no pod could pull the image
    "no pull secret": (
        _drop(r'kubectl create secret docker-registry "\$PULL_SECRET".*?REGISTRY_TOKEN"\n'),
        "imagePullSecrets",
    ),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_the_walk_finds_each_defect_the_guide_had(defect: str) -> None:
    change, named = DEFECTS[defect]
    text = GUIDE.read_text()
    changed = change(text)
    assert changed != text, f"{defect}: the guide no longer has what the mutation changes"
    cluster = walk(changed, "prod")
    assert any(named in p for p in cluster.problems), cluster.problems


def test_the_walk_finds_a_secret_the_base_starts_to_need() -> None:
    """Generic: a reference no one makes, from any kind with a pod template, is named."""
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "new", "namespace": "maag"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "env": [
                                {
                                    "name": "X",
                                    "valueFrom": {"secretKeyRef": {"name": "new-one", "key": "k"}},
                                }
                            ],
                        }
                    ]
                }
            }
        },
    }
    (ref,) = references([job])
    assert (ref.kind, ref.namespace, ref.name, ref.key) == ("Secret", "maag", "new-one", "k")
    assert problems(ref, None) and "does not exist" in problems(ref, None)[0]


def test_every_kind_of_reference_is_read() -> None:
    """Each way a pod names a Secret, ConfigMap or service account; a CloudNativePG role's
    Secret; an object store's credentials; an Ingress's certificate."""
    pod = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "n"},
        "spec": {
            "template": {
                "spec": {
                    "serviceAccountName": "sa",
                    "imagePullSecrets": [{"name": "pull"}],
                    "initContainers": [{"name": "i", "envFrom": [{"secretRef": {"name": "ef"}}]}],
                    "containers": [
                        {
                            "name": "c",
                            "env": [
                                {
                                    "name": "A",
                                    "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}},
                                },
                                {
                                    "name": "B",
                                    "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}},
                                },
                            ],
                            "envFrom": [{"configMapRef": {"name": "cmf"}}],
                        }
                    ],
                    "volumes": [
                        {"name": "v1", "secret": {"secretName": "vs"}},
                        {"name": "v2", "configMap": {"name": "vc"}},
                        {
                            "name": "v3",
                            "projected": {"sources": [{"secret": {"name": "ps"}}]},
                        },
                    ],
                }
            }
        },
    }
    cnpg = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": "pg", "namespace": "n"},
        "spec": {"managed": {"roles": [{"name": "r", "passwordSecret": {"name": "rs"}}]}},
    }
    store = {
        "apiVersion": "barmancloud.cnpg.io/v1",
        "kind": "ObjectStore",
        "metadata": {"name": "o", "namespace": "n"},
        "spec": {"configuration": {"s3Credentials": {"accessKeyId": {"name": "s3", "key": "id"}}}},
    }
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i", "namespace": "n"},
        "spec": {"tls": [{"secretName": "cert"}]},
    }
    found = {(r.kind, r.name) for r in references([pod, cnpg, store, ingress])}
    assert found == {
        ("ServiceAccount", "sa"),
        ("Secret", "pull"),
        ("Secret", "ef"),
        ("Secret", "s"),
        ("ConfigMap", "cm"),
        ("ConfigMap", "cmf"),
        ("Secret", "vs"),
        ("ConfigMap", "vc"),
        ("Secret", "ps"),
        ("Secret", "rs"),
        ("Secret", "s3"),
        ("Secret", "cert"),
    }
    (role,) = [r for r in references([cnpg])]
    assert role.username == "r" and role.reload and role.type == "kubernetes.io/basic-auth"


def test_operators_make_what_their_documentation_names() -> None:
    docs = [
        {"apiVersion": "kafka.strimzi.io/v1", "kind": "Kafka", "metadata": {"name": "k"}},
        {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaUser",
            "metadata": {"name": "u"},
            "spec": {"authentication": {"type": "scram-sha-512"}},
        },
        {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "c"}},
    ]
    made = {name for (kind, _, name) in provided(docs) if kind == "Secret"}
    assert {"k-cluster-ca-cert", "u", "c-app", "c-ca"} <= made
    assert "password" in provided(docs)[("Secret", "default", "u")].data
    # a Secret in another namespace than the one referring to it does not count
    ref = Reference("Secret", "maag", "u", "x", key="password")
    assert problems(ref, provided(docs).get(("Secret", "maag", "u")))


def _web(docs: list[dict[str, Any]]) -> tuple[str, set[str], set[str]]:
    """The web app's public address (its ConfigMap), the hosts its Ingress serves, and every
    issuer the processes are given."""
    configs = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    base_url = configs["maag-web"]["MAAG_WEB_BASE_URL"]
    (route,) = [
        d
        for d in docs
        if d["kind"] == "Ingress"
        and any(
            p["backend"]["service"]["name"] == "maag-web"
            for r in d["spec"]["rules"]
            for p in r["http"]["paths"]
        )
    ]
    hosts = {r["host"] for r in route["spec"]["rules"]} | {
        h for t in route["spec"].get("tls", []) for h in t["hosts"]
    }
    issuers = {c["MAAG_OIDC_ISSUER"] for c in configs.values() if "MAAG_OIDC_ISSUER" in c}
    return base_url, hosts, issuers


def test_the_realm_the_guide_imports_sends_people_back_to_the_web_app_only(
    walked: tuple[str, Cluster],
) -> None:
    name, cluster = walked
    (_, docs) = cluster.applied[0]
    base_url, hosts, issuers = _web(docs)
    values = guide.deploy_env(["maag", "deploy", "env", name])
    assert "$REALM_FILE" in GUIDE.read_text()  # the guide has it imported
    realm = json.loads((ROOT / values["REALM_FILE"]).read_text())
    (web,) = [c for c in realm["clients"] if c["clientId"] == WEB_CLIENT]
    callback = f"{base_url}/auth/callback"  # where services/web sends the provider back to
    assert any(redirect_matches(r, callback) for r in web["redirectUris"])
    # and nowhere else: no other host, no local address
    assert all(r.startswith(base_url + "/") for r in web["redirectUris"]), web["redirectUris"]
    assert web["webOrigins"] == [base_url]
    assert hosts == {base_url.removeprefix("https://")}
    # the realm is the one the processes' issuer names
    assert {i.rsplit("/realms/", 1)[1] for i in issuers} == {realm["realm"]}


def test_the_redirect_check_refuses_what_nobody_could_sign_in_through() -> None:
    callback = "https://maag.essex.example/auth/callback"
    assert redirect_matches("https://maag.essex.example/*", callback)
    assert redirect_matches(callback, callback)
    assert not redirect_matches("http://127.0.0.1:8010/*", callback)  # the old realm's
    assert not redirect_matches("https://maag.dev.essex.example/auth/callback", callback)


def _guide_with(section: str, block: str, language: str = "sh") -> str:
    """Today's guide with a block added at the end of a section."""
    text = GUIDE.read_text()
    start = text.index(f"\n## {section}\n")
    end = text.index("\n## ", start + 1)
    return text[:end] + f"\n```{language}\n{block}\n```\n" + text[end:]


@pytest.mark.parametrize(
    ("block", "language", "named"),
    [
        # a command the operator runs that the walk would not see
        ('kubectl create secret generic extra -n "$NAMESPACE"', "text", "write it as ```sh"),
        ('kubectl -n "$NAMESPACE" delete secret maag-web', "", "write it as ```sh"),
        # which one runs is known only when run
        ('kubectl get ns "$NAMESPACE" || kubectl create namespace "$NAMESPACE"', "sh", "||"),
        ('test -n "$REGISTRY" && kubectl create namespace "$NAMESPACE"', "sh", "runs only when"),
        ('if true; then kubectl create namespace "$NAMESPACE"; fi', "sh", "if is not read"),
    ],
)
def test_what_the_walk_cannot_follow_is_refused(block: str, language: str, named: str) -> None:
    with pytest.raises(guide.GuideError, match=re.escape(named)):
        guide.commands(_guide_with("Backup and restore", block, language), {"ENVIRONMENT": "prod"})


@pytest.mark.parametrize(
    "block",
    [
        'kubectl delete secret maag-web -n "$NAMESPACE"',
        'kubectl patch secret maag-web -n "$NAMESPACE" -p "{}"',
        'kubectl apply -f extra.yaml -n "$NAMESPACE"',
        'kubectl get secret maag-web -n "$NAMESPACE" -o yaml | kubectl apply -f -',
    ],
)
def test_an_install_command_the_model_does_not_know_fails_the_walk(block: str) -> None:
    """A change to the cluster the model cannot apply would make the walk not what the
    operator does: it is refused, not skipped."""
    with pytest.raises(guide.GuideError, match="the walk does not model it"):
        walk(_guide_with("First install", block), "prod")


def test_a_block_closed_at_another_indentation_is_refused_not_skipped() -> None:
    """Markdown would not close it there: the walk would skip a block the operator runs (or
    read the prose after it as commands)."""
    text = _guide_with("First install", "kubectl create namespace extra")
    skewed = text.replace(
        "\nkubectl create namespace extra\n```\n", "\nkubectl create namespace extra\n  ```\n"
    )
    with pytest.raises(guide.GuideError, match="opens indented 0 and closes indented 2"):
        guide.commands(skewed, {"ENVIRONMENT": "prod"})
    with pytest.raises(guide.GuideError, match="never closed"):
        guide.commands("## S\n```sh\nkubectl get ns\n", {})


@pytest.mark.parametrize(
    "block",
    [
        'kubectl -n "$NAMESPACE" rollout status deployment/maag-web',
        'kubectl auth can-i create secrets -n "$NAMESPACE"',
        "kubectl config current-context",
        'kubectl --context prod-admin -n "$NAMESPACE" get pods',
        'kubectl --context=prod-admin get pods -n "$NAMESPACE"',
    ],
)
def test_a_command_that_changes_nothing_in_the_cluster_is_walked(block: str) -> None:
    assert walk(_guide_with("First install", block), "prod").problems == []


def test_kubectl_is_a_command_not_a_word_in_a_name() -> None:
    """A block of another language naming `kubectl-cnpg` (a plugin's binary) or a path holds
    no kubectl command; one running kubectl does."""
    assert guide.commands(
        _guide_with("Backup and restore", "kubectl-cnpg", "text"), {"ENVIRONMENT": "prod"}
    )
    with pytest.raises(guide.GuideError, match="holds a kubectl command"):
        guide.commands(
            _guide_with("Backup and restore", "kubectl\tget ns", "text"), {"ENVIRONMENT": "prod"}
        )


def test_a_pipe_is_two_commands_the_second_reading_the_first() -> None:
    (first, second) = guide.commands(
        "## S\n```sh\nkubectl get secret a -n x -o yaml | kubectl apply -f -\n```\n"
    )
    assert first.words[:2] == ("kubectl", "get") and not first.piped
    assert second.words == ("kubectl", "apply", "-f", "-") and second.piped


# kinds no namespace holds, and the one Service the guide reads in `default` (the API server's)
CLUSTER_SCOPED = ("node", "storageclass", "ingressclass")
API_SERVER_ENDPOINTS = "-n default -l kubernetes.io/service-name=kubernetes"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_kubectl_command_of_the_guide_acts_in_the_environments_namespace(
    environment: str,
) -> None:
    """Not only the install's: a restore's, a rotation's, a restart's, each in every section,
    names the namespace `maag deploy env` sets (dev's is not prod's), in its blocks and in its
    prose."""
    namespace = environments.load(environment).namespace
    text = GUIDE.read_text()
    wrong = []
    for c in guide.commands(text, {"ENVIRONMENT": environment}):
        if c.words[:1] != ("kubectl",):
            continue
        words = list(c.words)
        named = [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-n", "--namespace")]
        if words[1:3] == ["create", "namespace"] or words[1:3] == ["apply", "-k"]:
            named = named or [namespace]  # the overlay's namespace, or the namespace itself
        if named != [namespace]:
            wrong.append(f"{c.section}: {c.text}")
    assert wrong == []
    prose = re.sub(r"^( *)```.*?^\1```", "", text, flags=re.M | re.S)
    for span in re.findall(r"`(kubectl [^`]+)`", prose):
        span = " ".join(span.split())
        scoped = any(f" {kind} " in f"{span} " for kind in CLUSTER_SCOPED)
        assert scoped or API_SERVER_ENDPOINTS in span or '-n "$NAMESPACE"' in span, span


def test_the_image_is_pushed_by_an_account_signed_in_to_the_registry() -> None:
    commands = [c.words[:2] for c in guide.commands(GUIDE.read_text(), {"ENVIRONMENT": "prod"})]
    assert commands.index(("docker", "login")) < commands.index(("docker", "push"))
    (login,) = [
        c
        for c in guide.commands(GUIDE.read_text(), {"ENVIRONMENT": "prod"})
        if c.words[:2] == ("docker", "login")
    ]
    assert login.words[2] == environments.load("prod").image.registry


def test_the_install_waits_for_this_releases_migrations_only() -> None:
    """Older releases' Jobs are kept until their TTL (failed ones too): the wait selects
    this release's, as `maag deploy env` prints them."""
    from maag.ops.deployment import migration_labels, migrations_selector

    (wait,) = [
        c
        for c in guide.commands(GUIDE.read_text(), {"ENVIRONMENT": "prod"})
        if c.section in INSTALL and c.words[:3] == ("kubectl", "wait", "job")
    ]
    selector = wait.words[wait.words.index("-l") + 1]
    assert selector == migrations_selector()
    labels = migration_labels("panel")
    assert all(labels[k] == v for k, v in (t.split("=") for t in selector.split(",")))
