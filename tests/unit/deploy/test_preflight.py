"""`maag deploy check <environment>` against a fake `kubectl` on PATH that answers from a model
of a cluster: the cluster the guide's own commands make passes; a missing Secret, a wrong host
or an unsupported version is named, with the command that fixes it, and the exit code is 1."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from maag.ops import environments, guide, preflight
from maag.ops.cli import app
from maag.ops.references import Shape
from tests.support.kustomize import build
from tests.unit.deploy.test_guide_walk import GUIDE, ROOT, walk

FAKE_KUBECTL = """#!{python}
import json, os, sys

model = json.load(open(os.environ["FAKE_CLUSTER"]))
args = [a for a in sys.argv[1:] if a not in ("-o", "json")]
ALIASES = {{
    "namespace": "namespaces", "customresourcedefinition": "customresourcedefinitions",
    "apiservice": "apiservices", "clusterissuers.cert-manager.io": "clusterissuers",
    "prometheuses.monitoring.coreos.com": "prometheuses", "ingressclass": "ingressclasses",
}}
if args == ["version"]:
    print(json.dumps({{"serverVersion": model["server"]}}))
    sys.exit(0)
if args[:1] == ["get"]:
    resource = ALIASES.get(args[1], args[1])
    rest = args[2:]
    namespace = None
    if "--namespace" in rest:
        namespace = rest[rest.index("--namespace") + 1]
    names = [a for a in rest if not a.startswith("-") and a != namespace]
    items = [
        i for i in model.get(resource, [])
        if namespace is None or i["metadata"].get("namespace") == namespace
    ]
    if names:
        found = [i for i in items if i["metadata"]["name"] == names[0]]
        if not found:
            print(f'Error from server (NotFound): {{resource}} "{{names[0]}}" not found', file=sys.stderr)
            sys.exit(1)
        print(json.dumps(found[0]))
    else:
        print(json.dumps({{"kind": "List", "items": items}}))
    sys.exit(0)
print("fake kubectl: not modelled: " + " ".join(sys.argv[1:]), file=sys.stderr)
sys.exit(2)
"""

ZONE = "topology.kubernetes.io/zone"
OPERATOR_IMAGES = {
    "strimzi": ("strimzi-cluster-operator", "quay.io/strimzi/operator:1.0.1"),
    "cnpg": ("cnpg-controller-manager", "ghcr.io/cloudnative-pg/cloudnative-pg:1.30.1"),
    "barman": ("barman-cloud", "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.16.0"),
}
# The pods' labels their installations give them (Strimzi's install files; the entity
# operator Strimzi makes per Kafka cluster runs the cluster operator's image)
STRIMZI_CLUSTER_OPERATOR = {
    "name": "strimzi-cluster-operator",
    "strimzi.io/kind": "cluster-operator",
}
ENTITY_OPERATOR = {
    "app.kubernetes.io/name": "entity-operator",
    "strimzi.io/cluster": "maag",
    "strimzi.io/kind": "Kafka",
    "strimzi.io/name": "maag-entity-operator",
}


def _secret(namespace: str, name: str, shape: Shape) -> dict[str, Any]:
    data = {k: base64.b64encode((v or "x").encode()).decode() for k, v in shape.data.items()}
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": dict(shape.labels)},
        "type": shape.type,
        "data": data,
    }


def _deployment(
    namespace: str, name: str, image: str, pods: dict[str, str] | None = None, **env: str
) -> dict[str, Any]:
    container = {
        "name": "manager",
        "image": image,
        "env": [{"name": k, "value": v} for k, v in env.items()],
    }
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "template": {
                "metadata": {"labels": pods or {"app": name}},
                "spec": {"containers": [container]},
            }
        },
    }


def _crds(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kinds = {
        (d["apiVersion"].rpartition("/")[0], d["apiVersion"].rpartition("/")[2], d["kind"])
        for d in docs
        if d["apiVersion"].rpartition("/")[0] not in preflight.BUILT_IN_GROUPS
    }
    kinds |= {
        ("cert-manager.io", "v1", "Certificate"),
        ("cert-manager.io", "v1", "ClusterIssuer"),
        ("monitoring.coreos.com", "v1", "Prometheus"),
    }
    return [
        {
            "metadata": {"name": f"{kind.lower()}{'es' if kind.endswith('s') else 's'}.{group}"},
            "spec": {
                "group": group,
                "names": {"kind": kind},
                "versions": [{"name": version, "served": True}],
            },
        }
        for group, version, kind in sorted(kinds)
    ]


def healthy(name: str) -> dict[str, Any]:
    """A cluster as the guide leaves it before `kubectl apply`: its Secrets are the ones the
    guide's commands make."""
    env = environments.load(name)
    cluster = walk(GUIDE.read_text(), name)
    docs = build(ROOT / "deploy" / "k8s" / "overlays" / name)
    selector = {"matchLabels": dict(env.monitoring_labels)}
    return {
        "server": {"major": "1", "minor": "34", "gitVersion": "v1.34.2"},
        "namespaces": [
            {"metadata": {"name": n}}
            for n in (env.namespace, "cnpg-system", "monitoring", "ingress-nginx")
        ],
        "secrets": [_secret(ns, n, s) for (ns, n), s in cluster.secrets.items()],
        "customresourcedefinitions": _crds(docs),
        "deployments": [
            _deployment(
                "strimzi",
                *OPERATOR_IMAGES["strimzi"],
                STRIMZI_CLUSTER_OPERATOR,
                STRIMZI_NAMESPACE="*",
            ),
            _deployment("cnpg-system", *OPERATOR_IMAGES["cnpg"]),
            _deployment("cnpg-system", *OPERATOR_IMAGES["barman"]),
            # what Strimzi makes once the Kafka is applied (here: a second install), on the
            # cluster operator's image of the Kafka's own version: not the cluster operator
            _deployment(
                env.namespace,
                "maag-entity-operator",
                "quay.io/strimzi/operator:1.0.0",
                ENTITY_OPERATOR,
            ),
        ],
        "storageclasses": [
            {
                "metadata": {
                    "name": "standard",
                    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                }
            }
        ],
        "ingressclasses": [{"metadata": {"name": "nginx"}}],
        "apiservices": [
            {
                "metadata": {"name": preflight.METRICS_API},
                "status": {"conditions": [{"type": "Available", "status": "True"}]},
            }
        ],
        "clusterissuers": [{"metadata": {"name": env.tls_issuer}}],
        # three nodes, one a zone (a cloud provider's nodes carry their zone)
        "nodes": [
            {"metadata": {"name": f"node-{z}", "labels": {ZONE: f"essex-{z}"}}} for z in "abc"
        ],
        "prometheuses": [
            {
                "metadata": {"name": "kube-prometheus-stack", "namespace": "monitoring"},
                "spec": {
                    "podMonitorSelector": selector,
                    "podMonitorNamespaceSelector": {},
                    "ruleSelector": selector,
                    "ruleNamespaceSelector": {},
                    "serviceMonitorSelector": selector,
                    "serviceMonitorNamespaceSelector": {},
                },
            }
        ],
    }


@pytest.fixture(scope="module")
def good() -> dict[str, Any]:
    return healthy("prod")


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake kubectl first on PATH; the model it answers from is the returned file's."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubectl"
    script.write_text(FAKE_KUBECTL.format(python=sys.executable))
    script.chmod(0o755)
    model = tmp_path / "cluster.json"
    monkeypatch.setenv("FAKE_CLUSTER", str(model))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return model


def check(model_file: Path, model: dict[str, Any], environment: str = "prod") -> tuple[int, str]:
    model_file.write_text(json.dumps(model))
    result = CliRunner().invoke(app, ["deploy", "check", environment])
    return result.exit_code, result.output


def test_the_cluster_the_guide_makes_is_ready_to_apply(fake: Path, good: dict[str, Any]) -> None:
    code, out = check(fake, good)
    assert code == 0, out
    assert "FAIL" not in out and "WARN" not in out and out.rstrip().endswith("ready to apply")
    assert "ok    Strimzi 1.0.1 (strimzi/strimzi-cluster-operator)" in out
    assert "ok    CloudNativePG 1.30.1" in out and "ok    the Barman Cloud plugin 0.16.0" in out
    assert "entity-operator" not in out  # Strimzi's cluster operator is found by its pods' label


def _fixes(out: str) -> list[str]:
    return [line.split("fix: ", 1)[1] for line in out.splitlines() if "fix: " in line]


def test_a_missing_secret_is_named_with_the_guides_command_which_fixes_it(
    fake: Path, good: dict[str, Any]
) -> None:
    model = copy.deepcopy(good)
    missing = "maag-referral-owner-db-credentials"
    model["secrets"] = [s for s in model["secrets"] if s["metadata"]["name"] != missing]
    code, out = check(fake, model)
    assert code == 1
    assert f"FAIL  secret {missing} is missing in namespace maag" in out
    fixes = _fixes(out)
    assert fixes == [
        f'kubectl create secret generic "{missing}" -n "maag" --type=kubernetes.io/basic-auth '
        '--from-literal=username="referral_owner" --from-literal=password="$(openssl rand '
        '-base64 32)"',
        f'kubectl label secret "{missing}" -n "maag" cnpg.io/reload=true',
    ]
    # the printed commands, run, fix it
    for command in guide.commands("## Fix\n```sh\n" + "\n".join(fixes) + "\n```\n"):
        for action in guide.actions(command):
            if action.verb == "secret":
                assert action.shape is not None
                model["secrets"].append(_secret(action.namespace, action.name, action.shape))
            if action.verb == "label":
                (secret,) = [s for s in model["secrets"] if s["metadata"]["name"] == action.name]
                secret["metadata"]["labels"].update(action.labels)
    assert check(fake, model)[0] == 0


def test_a_secret_typed_in_is_shown_with_the_prompt_that_reads_it(
    fake: Path, good: dict[str, Any]
) -> None:
    model = copy.deepcopy(good)
    model["secrets"] = [s for s in model["secrets"] if s["metadata"]["name"] != "maag-web"]
    code, out = check(fake, model)
    assert code == 1
    fixes = _fixes(out)
    assert fixes[0] == "read -rsp 'maag-web client secret: ' WEB_CLIENT_SECRET"
    assert fixes[1].startswith('kubectl create secret generic maag-web -n "maag"')


def test_an_owner_secret_naming_the_service_is_refused(fake: Path, good: dict[str, Any]) -> None:
    model = copy.deepcopy(good)
    (owner,) = [
        s for s in model["secrets"] if s["metadata"]["name"] == "maag-panel-owner-db-credentials"
    ]
    owner["data"]["username"] = base64.b64encode(b"panel").decode()
    code, out = check(fake, model)
    assert code == 1
    assert "holds username=panel: CloudNativePG needs the role's name, panel_owner" in out
    assert "kubectl delete secret maag-panel-owner-db-credentials -n maag" in _fixes(out)


def test_a_secret_without_the_reload_label_is_labelled(fake: Path, good: dict[str, Any]) -> None:
    model = copy.deepcopy(good)
    (web,) = [s for s in model["secrets"] if s["metadata"]["name"] == "maag-web-db-credentials"]
    web["metadata"]["labels"] = {}
    code, out = check(fake, model)
    assert code == 1
    assert _fixes(out) == [
        "kubectl label secret maag-web-db-credentials -n maag cnpg.io/reload=true"
    ]


def test_a_missing_namespace_is_named_with_its_command(fake: Path, good: dict[str, Any]) -> None:
    model = copy.deepcopy(good)
    model["namespaces"] = [n for n in model["namespaces"] if n["metadata"]["name"] != "maag"]
    model["secrets"] = []
    code, out = check(fake, model)
    assert code == 1
    assert "FAIL  namespace maag does not exist" in out
    assert "kubectl create namespace maag" in _fixes(out)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda m: m["deployments"][0]["spec"]["template"]["spec"]["containers"][0].update(
                image="quay.io/strimzi/operator:1.0.0"
            ),
            "Strimzi 1.0.0 (strimzi/strimzi-cluster-operator) is older than 1.0.1",
        ),
        (
            lambda m: m["deployments"][1]["spec"]["template"]["spec"]["containers"][0].update(
                image="ghcr.io/cloudnative-pg/cloudnative-pg:1.29.3"
            ),
            "CloudNativePG 1.29.3 (cnpg-system/cnpg-controller-manager) is older than 1.30.0",
        ),
        (
            lambda m: m["server"].update(minor="33", gitVersion="v1.33.9"),
            "Kubernetes v1.33.9 is older than 1.34",
        ),
        (lambda m: m.update(storageclasses=[]), "no default StorageClass"),
        (lambda m: m.update(ingressclasses=[]), "no IngressClass nginx"),
        (
            # the operator lives elsewhere than the policies admit it from
            lambda m: m["deployments"][1]["metadata"].update(namespace="databases"),
            "CloudNativePG (databases/cnpg-controller-manager) runs in databases, and the "
            "NetworkPolicies admit it from cnpg-system only",
        ),
        (
            lambda m: m["prometheuses"][0]["metadata"].update(namespace="observability"),
            "the Prometheus that selects the monitors runs in observability",
        ),
        (
            # a namespace selector that leaves this namespace out, by an expression
            lambda m: m["prometheuses"][0]["spec"].update(
                podMonitorNamespaceSelector={
                    "matchExpressions": [
                        {
                            "key": "kubernetes.io/metadata.name",
                            "operator": "NotIn",
                            "values": ["maag"],
                        }
                    ]
                }
            ),
            "no Prometheus selects PodMonitor maag",
        ),
        (
            # a selector by expression its labels do not meet
            lambda m: m["prometheuses"][0]["spec"].update(
                ruleSelector={
                    "matchExpressions": [
                        {"key": "release", "operator": "In", "values": ["prometheus"]}
                    ]
                }
            ),
            "no Prometheus selects PrometheusRule maag",
        ),
        (
            # Strimzi's entity operator runs its image; the cluster operator is not there
            lambda m: m["deployments"].pop(0),
            "Strimzi is not installed",
        ),
        (lambda m: m["deployments"].pop(2), "the Barman Cloud plugin is not installed"),
        (lambda m: m.update(apiservices=[]), "no metrics API (v1beta1.metrics.k8s.io)"),
        (lambda m: m.update(clusterissuers=[]), "cert-manager has no ClusterIssuer maag-tls"),
        (
            lambda m: m["deployments"][0]["spec"]["template"]["spec"]["containers"][0].update(
                env=[{"name": "STRIMZI_NAMESPACE", "value": "kafka"}]
            ),
            "watches ['kafka'], not maag",
        ),
        (
            lambda m: m["prometheuses"][0]["spec"].update(
                podMonitorSelector={"matchLabels": {"release": "prometheus"}}
            ),
            "no Prometheus selects PodMonitor maag",
        ),
        (
            # Strimzi would place the rack-aware brokers on none of these
            lambda m: [n["metadata"].update(labels={}) for n in m["nodes"]],
            f"0 nodes carry {ZONE}, and the 3 rack-aware brokers",
        ),
        (
            lambda m: m.update(
                customresourcedefinitions=[
                    c
                    for c in m["customresourcedefinitions"]
                    if c["spec"]["group"] != "kafka.strimzi.io"
                ]
            ),
            "KafkaTopic kafka.strimzi.io/v1 (not installed)",
        ),
    ],
)
def test_an_unsupported_cluster_is_named_with_its_fix(
    fake: Path, good: dict[str, Any], change: Any, named: str
) -> None:
    model = copy.deepcopy(good)
    change(model)
    code, out = check(fake, model)
    assert code == 1
    (line,) = [line for line in out.splitlines() if named in line]
    assert line.startswith("FAIL")
    following = out.splitlines()[out.splitlines().index(line) + 1]
    assert following.strip().startswith("fix: "), out


def test_an_operator_newer_than_the_manifests_are_checked_against_is_a_warning(
    fake: Path, good: dict[str, Any]
) -> None:
    """Strimzi 1.2 serves the same API, but the manifests are validated against 1.0's CRDs
    only: named, not refused."""
    model = copy.deepcopy(good)
    model["deployments"][0]["spec"]["template"]["spec"]["containers"][0].update(
        image="quay.io/strimzi/operator:1.2.0"
    )
    code, out = check(fake, model)
    assert code == 0, out
    (line,) = [line for line in out.splitlines() if "Strimzi 1.2.0" in line]
    assert line.startswith("WARN") and "newer than the manifests are checked against" in line
    assert "Strimzi 1.0.0's CRDs" in line


def test_cert_manager_is_required_whatever_the_issuer(fake: Path, good: dict[str, Any]) -> None:
    """The Barman Cloud plugin needs it, with or without an issuer for the Ingresses."""
    model = copy.deepcopy(good)
    model["customresourcedefinitions"] = [
        c for c in model["customresourcedefinitions"] if c["spec"]["group"] != "cert-manager.io"
    ]
    fake.write_text(json.dumps(model))
    kubectl = preflight.Kubectl(str(shutil.which("kubectl")))
    no_issuer = dataclasses.replace(environments.load("prod"), tls_issuer="")
    (finding,) = preflight._issuer(no_issuer, kubectl)
    assert finding.level == "fail" and "cert-manager is not installed" in finding.what
    fake.write_text(json.dumps(good))
    (finding,) = preflight._issuer(no_issuer, kubectl)
    assert finding.level == "ok"


def test_an_environment_whose_parts_run_elsewhere_is_checked_where_it_says(
    fake: Path, good: dict[str, Any]
) -> None:
    """An environment that says where its cluster's parts run ([cluster]) is held to that:
    CloudNativePG and Prometheus found there pass, the ingress class it names is looked for."""
    model = copy.deepcopy(good)
    model["deployments"][1]["metadata"]["namespace"] = "databases"
    model["deployments"][2]["metadata"]["namespace"] = "databases"
    model["prometheuses"][0]["metadata"]["namespace"] = "observability"
    model["namespaces"].append({"metadata": {"name": "traefik"}})
    model["ingressclasses"] = [{"metadata": {"name": "traefik"}}]
    fake.write_text(json.dumps(model))
    env = environments.load("prod")
    elsewhere = dataclasses.replace(
        env,
        cluster=environments.ClusterParts(
            cnpg_namespace="databases",
            monitoring_namespace="observability",
            ingress_namespace="traefik",
            ingress_class="traefik",
        ),
    )
    kubectl = preflight.Kubectl(str(shutil.which("kubectl")))
    docs = build(ROOT / "deploy" / "k8s" / "overlays" / "prod")
    found = [
        *preflight._operators(elsewhere, model["deployments"]),
        *preflight._ingress(elsewhere, kubectl),
        *preflight._prometheus(elsewhere, kubectl, docs),
    ]
    assert [f for f in found if f.level != "ok"] == []
    # and the same cluster, for the environment that says nothing, is wrong four ways:
    # CloudNativePG and its plugin elsewhere, no class nginx, Prometheus elsewhere
    wrong = [
        *preflight._operators(env, model["deployments"]),
        *preflight._ingress(env, kubectl),
        *preflight._prometheus(env, kubectl, docs),
    ]
    failed = [f.what for f in wrong if f.level == "fail"]
    assert len(failed) == 4, failed
    assert sum("runs in databases" in f for f in failed) == 2


def test_a_cluster_without_zones_suits_an_environment_without_them(fake: Path) -> None:
    """dev's nodes carry no zone label and its overlay asks for none (`zones = false`)."""
    model = healthy("dev")
    for node in model["nodes"]:
        node["metadata"]["labels"] = {}
    code, out = check(fake, model, "dev")
    assert code == 0, out
    assert ZONE not in out


def test_a_realm_sending_people_elsewhere_than_the_web_host_is_refused(
    tmp_path: Path, fake: Path, good: dict[str, Any]
) -> None:
    realms = tmp_path / "keycloak"
    realms.mkdir()
    path = realms / "maag-realm.prod.json"
    text = (ROOT / "deploy" / "keycloak" / "maag-realm.prod.json").read_text()
    path.write_text(text.replace("https://maag.essex.example", "http://127.0.0.1:8010"))
    fake.write_text(json.dumps(good))
    kubectl = preflight.Kubectl(str(shutil.which("kubectl")))
    found = preflight.check("prod", preflight.Paths(realms=realms), kubectl)
    wrong = [f for f in found if f.level == "fail"]
    assert any(
        "do not match the web app's callback https://maag.essex.example/auth/callback" in f.what
        and "http://127.0.0.1:8010/auth/callback" in f.what
        for f in wrong
    ), wrong
    assert all("maag deploy render" in f.fix for f in wrong)
    lines: list[str] = []
    assert preflight.report(found, lines.append) == 1


def test_a_guide_the_check_cannot_read_is_a_failed_check_naming_why(
    tmp_path: Path, fake: Path, good: dict[str, Any]
) -> None:
    """The fixes it prints are the guide's commands: a guide it cannot read would otherwise
    pass as one that creates nothing."""
    broken = tmp_path / "README.md"
    broken.write_text((ROOT / "deploy" / "README.md").read_text() + "\n## Later\n```sh\nls\n")
    fake.write_text(json.dumps(good))
    kubectl = preflight.Kubectl(str(shutil.which("kubectl")))
    found = preflight.check("prod", preflight.Paths(guide=broken), kubectl)
    assert any(
        f.level == "fail"
        and "cannot be read as the commands it runs" in f.what
        and "never closed" in f.what
        for f in found
    ), [f.what for f in found if f.level != "ok"]


def test_without_kubectl_the_files_are_checked_and_the_cluster_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    only = tmp_path / "bin"
    only.mkdir()
    kustomize = shutil.which("kustomize")
    assert kustomize
    (only / "kustomize").symlink_to(kustomize)
    monkeypatch.setenv("PATH", str(only))
    result = CliRunner().invoke(app, ["deploy", "check", "dev"])
    assert result.exit_code == 0, result.output
    assert "WARN  kubectl not found" in result.output
    assert "ok    the identity provider sends people back to https://maag.dev.essex.example" in (
        result.output
    )


def test_an_unknown_environment_is_refused() -> None:
    result = CliRunner().invoke(app, ["deploy", "check", "staging"])
    assert result.exit_code == 1
    assert "no environment 'staging'" in result.output
