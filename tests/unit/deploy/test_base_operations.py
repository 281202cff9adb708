"""The base as it runs for years: migrations once per release, the keys every store needs,
PostgreSQL sized for the replica plan, brokers spread by zone, Kafka's and PostgreSQL's
metrics through their operators' exporters, and backups each cluster archives apart."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import yaml

from maag.ops import environments, overlays
from maag.ops.deployment import (
    BACKUP_SERVER_NAME,
    BACKUP_STORE,
    CONNECTIONS_HEADROOM,
    CONNECTIONS_PER_PROCESS,
    MIGRATION_TIMEOUT_S,
    MONITORING_LABELS,
    PG_CLUSTER,
    SECRETS,
    SERVICES,
    base,
    db_credentials,
    db_owner,
    rendered,
    template_hash,
)
from maag.ops.environments import Environment, Resources
from maag.runtime.store.migrations import retry_budget_s

ROOT = Path(__file__).resolve().parents[3]
ZONE = "topology.kubernetes.io/zone"


def _docs() -> list[dict[str, Any]]:
    return [d for docs in base().values() for d in docs if d.get("kind") != "Kustomization"]


def _of(kind: str) -> list[dict[str, Any]]:
    return [d for d in _docs() if d["kind"] == kind]


def _deployment(process: str) -> dict[str, Any]:
    (found,) = [d for d in _of("Deployment") if d["metadata"]["name"] == f"maag-{process}"]
    return found


def _release() -> str:
    """The version and the build of the migration (the hash of its module), as a name takes
    them: a build whose migration changed is a new release though the version stays."""
    version: str = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    source = (ROOT / "maag/runtime/store/migrations.py").read_bytes()
    return f"{version}-{hashlib.sha256(source).hexdigest()[:12]}"


def test_each_store_is_migrated_by_a_job_of_this_release_and_pods_only_wait_for_it() -> None:
    """Not an init container on every pod start (DDL and its locks, racing on scale-out): a
    Job per service, named for the release so that a new release runs again (and for its pod
    template, which cannot change once it exists), kept a while then collected, retried a few
    times, waiting for the database the operator is still making; the pods' init container
    only waits, as the service's own role, until the store is at the release's head."""
    jobs = {j["spec"]["template"]["spec"]["containers"][0]["args"][2]: j for j in _of("Job")}
    assert set(jobs) == set(SERVICES)
    release = _release().replace(".", "-")
    for service, job in jobs.items():
        spec = job["spec"]
        assert job["metadata"]["name"] == (
            f"maag-migrate-{service}-{release}-{template_hash(spec['template'])}"
        )
        assert len(job["metadata"]["name"]) <= 63  # the job-name label its pods carry
        assert job["metadata"]["labels"]["app.kubernetes.io/version"] == release
        assert spec["ttlSecondsAfterFinished"] > 0 and 0 < spec["backoffLimit"] <= 10
        # a Job that never finishes fails once the migration's own budget is spent
        budget = MIGRATION_TIMEOUT_S + retry_budget_s()
        assert budget <= spec["activeDeadlineSeconds"] <= budget + 120
        pod = spec["template"]["spec"]
        assert pod["restartPolicy"] == "Never"
        (migrate,) = pod["containers"]
        assert migrate["args"] == [
            "db",
            "migrate",
            service,
            "--writer",
            service,
            "--timeout",
            str(MIGRATION_TIMEOUT_S),
        ]
        assert migrate["image"] == f"ghcr.io/maag/maag:{_release()}"  # built with its identity
        env = {e["name"]: e for e in migrate["env"]}
        assert env["MAAG_POSTGRES_URL"]["value"].startswith(f"postgresql://{db_owner(service)}@")
        # the lock timeout is the migration's own (set on every connection it opens), not
        # a second declaration here
        assert "PGOPTIONS" not in env

        deployment = _deployment(service)["spec"]["template"]["spec"]
        (wait,) = deployment["initContainers"]
        assert wait["args"][:3] == ["db", "wait", service]
        waits_as = {e["name"]: e["valueFrom"] for e in wait["env"]}
        secret = waits_as["MAAG_POSTGRES_PASSWORD"]["secretKeyRef"]
        assert secret["name"] == db_credentials(service)  # its own role, not the owner
        assert "PGOPTIONS" not in waits_as
    # no container of any Deployment migrates
    for d in _of("Deployment"):
        pod = d["spec"]["template"]["spec"]
        for c in (*pod["containers"], *pod.get("initContainers", ())):
            assert c["args"][:2] != ["db", "migrate"], d["metadata"]["name"]


def test_every_store_requires_its_cipher_and_chain_keys() -> None:
    """A key created late must not let a service start without it: it could not read (or
    would write unsealed) its store."""
    for service in SERVICES:
        env = {
            e["name"]: e["valueFrom"]
            for e in _deployment(service)["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        for variable, secret in (("MAAG_CIPHER_KEY", "cipher"), ("MAAG_CHAIN_KEY", "chain")):
            ref = env[variable]["secretKeyRef"]
            assert ref["name"] == f"maag-{secret}-{service}"
            assert ref.get("optional", False) is False, (service, variable)
    assert not [
        s.secret
        for s in SECRETS
        if s.optional and s.secret.startswith(("maag-cipher", "maag-chain"))
    ]


def test_postgres_accepts_every_process_at_its_autoscalers_maximum() -> None:
    """max_connections from the rendered replica plan: each autoscaler's maximum, a
    process a pod, each process's connections, and the database's own headroom."""
    (cluster,) = _of("Cluster")
    spec = cluster["spec"]
    plan = sum(h["spec"]["maxReplicas"] for h in _of("HorizontalPodAutoscaler"))
    assert len(_of("HorizontalPodAutoscaler")) == len(SERVICES) + 1  # and the web app
    assert int(spec["postgresql"]["parameters"]["max_connections"]) == (
        plan * CONNECTIONS_PER_PROCESS + CONNECTIONS_HEADROOM
    )
    # sized, and in the Guaranteed class (never the first evicted)
    resources = spec["resources"]
    assert resources["requests"] == resources["limits"]
    assert {"cpu", "memory"} <= set(resources["limits"])
    # a current PostgreSQL, on an immutable build of CloudNativePG's image
    image = spec["imageName"]
    found = re.fullmatch(
        r"ghcr\.io/cloudnative-pg/postgresql:(\d+)\.\d+-\d{12}-\w+-\w+(@sha256:[0-9a-f]{64})?",
        image,
    )
    assert found and int(found.group(1)) >= 17, image
    assert "monitoring" not in spec  # its PodMonitor is ours (enablePodMonitor is deprecated)
    assert not _of("Pooler")  # deploy/README.md, "Scaling", says why


def test_brokers_are_spread_by_zone_with_rack_awareness() -> None:
    (kafka,) = _of("Kafka")
    assert kafka["spec"]["kafka"]["rack"] == {"topologyKey": ZONE}
    (pool,) = _of("KafkaNodePool")
    constraints = pool["spec"]["template"]["pod"]["topologySpreadConstraints"]
    by_key = {c["topologyKey"]: c for c in constraints}
    zone = by_key[ZONE]
    assert zone["maxSkew"] == 1 and zone["whenUnsatisfiable"] == "DoNotSchedule"
    # it selects the pool's own pods, as Strimzi labels them
    pod_labels = {
        "strimzi.io/cluster": kafka["metadata"]["name"],
        "strimzi.io/pool-name": pool["metadata"]["name"],
        "strimzi.io/kind": "Kafka",
    }
    for c in constraints:
        assert c["labelSelector"]["matchLabels"].items() <= pod_labels.items()
    assert by_key["kubernetes.io/hostname"]["whenUnsatisfiable"] == "DoNotSchedule"


def test_kafka_and_postgres_are_scraped_through_their_operators_exporters() -> None:
    (kafka,) = _of("Kafka")
    metrics = kafka["spec"]["kafka"]["metricsConfig"]
    assert metrics["type"] in {"strimziMetricsReporter", "jmxPrometheusExporter"}
    monitors = {m["metadata"]["name"]: m["spec"] for m in _of("PodMonitor")}
    endpoints = {
        name: {e["port"] for e in spec["podMetricsEndpoints"]} for name, spec in monitors.items()
    }
    scraped = {
        port: spec["selector"]["matchLabels"]
        for name, spec in monitors.items()
        for port in endpoints[name]
    }
    # Strimzi's metrics port on its Kafka nodes; CloudNativePG's exporter on its instances
    assert (
        scraped["tcp-prometheus"].items()
        <= {
            "strimzi.io/cluster": kafka["metadata"]["name"],
            "strimzi.io/kind": "Kafka",
        }.items()
    )
    assert scraped["metrics"] == {"cnpg.io/cluster": PG_CLUSTER}
    assert scraped["http"] == {"app.kubernetes.io/name": "maag"}


def test_every_monitoring_object_carries_the_label_prometheus_selects() -> None:
    monitoring = [d for d in _docs() if d["apiVersion"].startswith("monitoring.coreos.com/")]
    assert {d["kind"] for d in monitoring} == {"PodMonitor", "PrometheusRule"}
    for d in monitoring:
        assert d["metadata"]["labels"].items() >= MONITORING_LABELS.items(), d["metadata"]


def test_the_cluster_archives_to_a_named_folder_of_a_store_with_a_patchable_endpoint() -> None:
    """The archive's server name is explicit (a restored cluster archives to a new one, the
    plugin refusing a folder that holds another cluster's WAL), and the object store's
    endpoint is there for an on-premises store to set."""
    (cluster,) = _of("Cluster")
    (plugin,) = cluster["spec"]["plugins"]
    assert plugin["parameters"] == {
        "barmanObjectName": BACKUP_STORE,
        "serverName": BACKUP_SERVER_NAME,
    }
    (store,) = _of("ObjectStore")
    assert "endpointURL" in store["spec"]["configuration"]
    assert "serverName" not in store["spec"]["configuration"]  # the plugin's, not the store's


def _built_jobs(tmp: Path, env: Environment) -> dict[str, dict[str, Any]]:
    """The environment's migration Jobs as kustomize builds its overlay over today's base."""
    kustomize = shutil.which("kustomize")
    assert kustomize, "`bash tests/run.sh` builds kustomize into .maag/cache/bin"
    folder = tmp / env.name / "base"
    folder.mkdir(parents=True)
    for name, text in rendered().items():
        (folder / name).write_text(text)
    overlays.write(tmp / env.name / "overlays", [env])
    out = subprocess.run(
        [kustomize, "build", str(tmp / env.name / "overlays" / env.name)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        d["spec"]["template"]["spec"]["containers"][0]["args"][2]: d
        for d in yaml.safe_load_all(out)
        if d and d["kind"] == "Job"
    }


def test_a_job_is_named_for_the_pod_template_its_overlay_applies(tmp_path: Path) -> None:
    """A Job's template cannot change once it exists (`spec.template: field is immutable`):
    an environment's new image, pull secret or resources is a new Job, under a new name, and
    the same environment applied again keeps the name."""
    prod = environments.load("prod")
    changed = {
        "image": dataclasses.replace(prod, image=dataclasses.replace(prod.image, tag="0.1.1")),
        "resources": dataclasses.replace(
            prod,
            size=dataclasses.replace(
                prod.size,
                app_resources=Resources({"cpu": "10m"}, {"cpu": "20m", "memory": "64Mi"}),
            ),
        ),
    }
    jobs = _built_jobs(tmp_path, prod)
    for service, job in jobs.items():
        # the name's hash is the template's as built, pull secret and image included
        assert job["metadata"]["name"].endswith("-" + template_hash(job["spec"]["template"]))
        pod = job["spec"]["template"]["spec"]
        assert pod["imagePullSecrets"] == [{"name": prod.image.pull_secret}], service
    assert _built_jobs(tmp_path / "again", prod) == jobs
    for what, env in changed.items():
        renamed = _built_jobs(tmp_path / what, env)
        assert set(renamed) == set(jobs)
        for service, job in renamed.items():
            assert job["metadata"]["name"] != jobs[service]["metadata"]["name"], (what, service)
            assert job["metadata"]["name"].endswith("-" + template_hash(job["spec"]["template"])), (
                what
            )
