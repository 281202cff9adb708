"""One place for an environment's values (deploy/environments/<name>.toml): the overlay and
the realm are rendered from it, the checked-in ones are current, and what it says is what the
built overlay deploys."""

from __future__ import annotations

import dataclasses
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from maag.ops import deployment, environments, overlays, preflight
from maag.ops.cli import app
from maag.ops.environments import Environment, EnvironmentFileError
from maag.ops.identity.realm import (
    PRODUCTION_REALM_FILE,
    realm,
    render,
)
from maag.ops.references import POD_SPEC
from maag.runtime.web.auth import WEB_CLIENT
from tests.support.kustomize import build

ROOT = Path(__file__).resolve().parents[3]
OVERLAYS = ROOT / "deploy" / "k8s" / "overlays"


@pytest.fixture(scope="module", params=environments.names())
def built(request: pytest.FixtureRequest) -> tuple[Environment, list[dict[str, Any]]]:
    env = environments.load(request.param)
    return env, build(OVERLAYS / env.name)


def _web_client(env: Environment | None) -> dict[str, Any]:
    found = realm(production=env is not None, environment=env)
    (client,) = [c for c in found["clients"] if c["clientId"] == WEB_CLIENT]
    return dict(client)


def test_the_checked_in_overlays_and_realms_are_what_the_environments_render() -> None:
    stale = []
    for env in environments.load_all():
        overlay = OVERLAYS / env.name / "kustomization.yaml"
        if overlay.read_text() != overlays.render(env):
            stale.append(str(overlay))
        realm_path = ROOT / environments.realm_file(env.name)
        if realm_path.read_text() != render(production=True, environment=env):
            stale.append(str(realm_path))
    assert stale == [], f"run `maag deploy render`: {stale}"
    # every overlay directory is an environment's (none left from a removed one)
    assert sorted(p.name for p in OVERLAYS.iterdir()) == environments.names()


def test_each_environment_archives_to_a_path_of_its_own() -> None:
    found = environments.load_all()
    destinations = [e.backups.destination for e in found]
    assert len(set(destinations)) == len(found) >= 2


def test_two_environments_sharing_a_backup_path_are_refused(tmp_path: Path) -> None:
    text = (environments.ENVIRONMENTS / "prod.toml").read_text()
    (tmp_path / "prod.toml").write_text(text)
    (tmp_path / "staging.toml").write_text(text.replace('namespace = "maag"', 'namespace = "s"'))
    with pytest.raises(EnvironmentFileError, match="both archive to s3://maag-backups/prod/"):
        environments.load_all(tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ('web = "maag.essex.example"', 'web = "https://maag.essex.example"', "hosts.web"),
        (
            'issuer = "https://id.essex.example/realms/maag"',
            'issuer = "http://id.essex.example/realms/maag"',
            "identity.issuer",
        ),
        ('namespace = "maag"', 'namespace = "Maag"', "namespace"),
        ('endpoint_url = ""', 'endpoint_url = "s3.essex.example"', "backups.endpoint_url"),
        ('pull_secret = "maag-registry"', "pull_secret = 1", "image.pull_secret"),
    ],
)
def test_an_environment_file_that_cannot_be_deployed_is_refused_naming_the_field(
    tmp_path: Path, old: str, new: str, named: str
) -> None:
    text = (environments.ENVIRONMENTS / "prod.toml").read_text()
    assert old in text
    (tmp_path / "prod.toml").write_text(text.replace(old, new))
    with pytest.raises(EnvironmentFileError, match=named):
        environments.load("prod", tmp_path)


def test_the_overlay_deploys_what_the_environment_says(
    built: tuple[Environment, list[dict[str, Any]]],
) -> None:
    env, docs = built
    assert {d["metadata"].get("namespace") for d in docs} == {env.namespace}
    image = overlays.image(env)
    pods = [d for d in docs if d["kind"] in POD_SPEC]
    assert {d["kind"] for d in pods} >= {"Deployment"}
    for d in pods:
        pod: Any = d
        for part in POD_SPEC[d["kind"]]:
            pod = pod[part]
        # every pod pulls with the environment's secret, the environment's image
        assert pod["imagePullSecrets"] == [{"name": env.image.pull_secret}], d["metadata"]
        for c in [*pod.get("initContainers", []), *pod["containers"]]:
            assert c["image"] == image, d["metadata"]["name"]
            assert c["imagePullPolicy"] == env.image.pull_policy
    configs = [
        d["data"]
        for d in docs
        if d["kind"] == "ConfigMap" and "MAAG_OIDC_ISSUER" in d.get("data", {})
    ]
    assert configs and all(c["MAAG_OIDC_ISSUER"] == env.oidc_issuer for c in configs)
    assert all(c["MAAG_WEB_BASE_URL"] == env.web_url for c in configs)
    assert {c["MAAG_MAIL_FROM"] for c in configs if "MAAG_MAIL_FROM" in c} == {env.mail_from}
    ingresses = [d for d in docs if d["kind"] == "Ingress"]
    assert {r["host"] for i in ingresses for r in i["spec"]["rules"]} == {
        env.web_host,
        env.api_host,
    }
    assert {h for i in ingresses for t in i["spec"]["tls"] for h in t["hosts"]} == {
        env.web_host,
        env.api_host,
    }
    for i in ingresses:
        assert i["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == env.tls_issuer
    (store,) = [d for d in docs if d["kind"] == "ObjectStore"]
    assert store["spec"]["configuration"]["destinationPath"] == env.backups.destination
    monitors = [d for d in docs if d["apiVersion"].startswith("monitoring.coreos.com/")]
    assert monitors
    for m in monitors:
        assert env.monitoring_labels.items() <= m["metadata"]["labels"].items(), m["metadata"]


def test_the_release_is_the_tag_unless_the_environment_names_one() -> None:
    prod, dev = environments.load("prod"), environments.load("dev")
    assert prod.image.tag == ""
    assert overlays.image(prod) == f"{prod.image.repository}:{deployment.IMAGE.rpartition(':')[2]}"
    assert overlays.image(dev).endswith(":dev")


def _render_into(tmp_path: Path, env: Environment) -> list[dict[str, Any]]:
    """The environment's overlay over the base as the code renders it, built."""
    base = tmp_path / "k8s" / "base"
    base.mkdir(parents=True)
    for name, text in deployment.rendered().items():
        (base / name).write_text(text)
    overlays.write(tmp_path / "k8s" / "overlays", [env])
    return build(tmp_path / "k8s" / "overlays" / env.name)


def _policy(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == name]
    return found


def _egress_to(policy: dict[str, Any], port: int) -> list[dict[str, Any]]:
    """The peers of the rules of `policy` that name peers and open `port`."""
    return [
        peer
        for rule in policy["spec"]["egress"]
        if "to" in rule and any(p["port"] == port for p in rule.get("ports", []))
        for peer in rule["to"]
    ]


def _namespace_peer(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def test_an_on_premises_object_store_gets_its_endpoint(tmp_path: Path) -> None:
    env = environments.load("prod")
    on_premises = dataclasses.replace(
        env,
        backups=dataclasses.replace(env.backups, endpoint_url="https://s3.essex.example:9000"),
    )
    docs = _render_into(tmp_path, on_premises)
    (store,) = [d for d in docs if d["kind"] == "ObjectStore"]
    assert store["spec"]["configuration"]["endpointURL"] == "https://s3.essex.example:9000"
    # and PostgreSQL may reach it there: its port, not HTTPS's
    assert _egress_to(_policy(docs, "maag-pg"), 9000) == [{"ipBlock": {"cidr": "0.0.0.0/0"}}]


def test_an_object_store_and_identity_provider_in_the_cluster_are_admitted_by_namespace(
    tmp_path: Path,
) -> None:
    """On Cilium no CIDR rule reaches a pod: a Service of this cluster (`<name>.<namespace>.svc`)
    is reached through its namespace, on its URL's port."""
    env = environments.load("prod")
    inside = dataclasses.replace(
        env,
        backups=dataclasses.replace(env.backups, endpoint_url="http://minio.storage.svc:9000"),
        oidc_issuer="https://keycloak.identity.svc.cluster.local:8443/realms/maag",
    )
    docs = _render_into(tmp_path, inside)
    store = _egress_to(_policy(docs, "maag-pg"), 9000)
    assert _namespace_peer("storage") in store and {"ipBlock": {"cidr": "0.0.0.0/0"}} in store
    for process in (*deployment.SERVICES, "web"):
        peers = _egress_to(_policy(docs, f"maag-{process}"), 8443)
        assert _namespace_peer("identity") in peers, process
        assert not _egress_to(_policy(docs, f"maag-{process}"), 443), process
    # nothing else moved: the prod overlay's other policies are the base's
    built = build(OVERLAYS / "prod")
    assert _policy(docs, "maag-kafka") == _policy(built, "maag-kafka")


def test_where_the_clusters_parts_run_is_the_environments_to_say(tmp_path: Path) -> None:
    """Another cluster's CloudNativePG, Prometheus and ingress controller, and its ingress
    class (any controller): the policies admit them where the environment says."""
    env = environments.load("prod")
    text = (environments.ENVIRONMENTS / "prod.toml").read_text() + (
        '\n[cluster]\ncnpg_namespace = "databases"\nmonitoring_namespace = "observability"\n'
        'ingress_namespace = "traefik"\ningress_class = "traefik"\n'
    )
    (tmp_path / "prod.toml").write_text(text)
    elsewhere = environments.load("prod", tmp_path)
    assert elsewhere.cluster == environments.ClusterParts(
        "databases", "observability", "traefik", "traefik"
    )
    docs = _render_into(tmp_path / "built", elsewhere)
    assert {i["spec"]["ingressClassName"] for i in docs if i["kind"] == "Ingress"} == {"traefik"}
    text_of = {d["metadata"]["name"]: str(d["spec"]) for d in docs if d["kind"] == "NetworkPolicy"}
    for name, old, new in [
        ("maag-pg", "cnpg-system", "databases"),
        ("maag-pg", "'monitoring'", "'observability'"),
        ("maag-web", "ingress-nginx", "traefik"),
        ("maag-referral", "ingress-nginx", "traefik"),
        ("maag-acme-solver", "ingress-nginx", "traefik"),
    ]:
        assert old not in text_of[name] and new in text_of[name], name
    assert env.cluster == environments.ClusterParts()  # prod's file says nothing: the base's
    (tmp_path / "prod.toml").write_text(text + 'ingress_contoller = "x"\n')
    with pytest.raises(EnvironmentFileError, match="cluster] has no ingress_contoller"):
        environments.load("prod", tmp_path)


def test_the_sites_own_component_is_made_once_and_kept(tmp_path: Path) -> None:
    """What the guide has the operator add by hand (a witness volume, a grown volume, the API
    server narrowed) lives in `<env>/local/`, which the render never overwrites and the
    overlay includes."""
    env = environments.load("prod")
    written = overlays.write(tmp_path / "overlays", [env])
    local = tmp_path / "overlays" / "prod" / "local" / "kustomization.yaml"
    assert local in written and local.read_text() == overlays.local_component(env)
    mine = local.read_text().replace(
        "patches: []",
        "patches:\n- target: {kind: NetworkPolicy, name: maag-kafka}\n  patch: |-\n"
        "    - {op: add, path: /metadata/labels, value: {narrowed: by-the-site}}\n",
    )
    local.write_text(mine)
    assert local not in overlays.write(tmp_path / "overlays", [env])
    assert local.read_text() == mine
    base = tmp_path / "base"
    base.mkdir()
    for name, text in deployment.rendered().items():
        (base / name).write_text(text)
    (policy,) = [
        d
        for d in build(tmp_path / "overlays" / "prod")
        if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "maag-kafka"
    ]
    assert policy["metadata"]["labels"]["narrowed"] == "by-the-site"
    # `maag deploy check` holds the overlay to its environment, and leaves the site's own alone
    (overlay,) = [
        f
        for f in preflight._rendered(env, preflight.Paths(overlays=tmp_path / "overlays"))
        if "kustomization.yaml" in f.what
    ]
    assert overlay.level == "ok", overlay
    # the checked-in overlays include theirs
    for name in environments.names():
        assert (OVERLAYS / name / "local" / "kustomization.yaml").is_file()


def test_a_new_pod_template_in_the_base_is_patched_too(tmp_path: Path) -> None:
    """Patches are written for what the base holds: a CronJob added to it pulls with the
    environment's secret without a list of kinds to update."""
    env = environments.load("dev")
    files = deployment.base()
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "maag-nightly"},
        "spec": {
            "schedule": "0 3 * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "c", "image": deployment.IMAGE}],
                        }
                    }
                }
            },
        },
    }
    files["web.yaml"] = [*files["web.yaml"], cron]
    text = overlays.render(env, files)
    assert "kind: CronJob" in text
    assert "/spec/jobTemplate/spec/template/spec/imagePullSecrets" in text


def test_the_realm_sends_people_back_to_the_environments_web_host_only() -> None:
    for env in environments.load_all():
        client = _web_client(env)
        assert client["redirectUris"] == [f"https://{env.web_host}/auth/callback"]
        assert client["webOrigins"] == [f"https://{env.web_host}"]
        assert client["attributes"]["post.logout.redirect.uris"] == f"https://{env.web_host}/"
        assert realm(production=True, environment=env)["realm"] == env.realm
    assert environments.load("dev").realm == "maag-dev"
    # the production realm `maag identity realm` writes is the production environment's
    assert environments.realm_file(environments.PRODUCTION) == PRODUCTION_REALM_FILE
    assert render(production=True) == render(
        production=True, environment=environments.load(environments.PRODUCTION)
    )


def test_the_local_realm_stays_as_the_local_web_app_needs() -> None:
    client = _web_client(None)
    assert client["redirectUris"] == ["http://127.0.0.1:8010/*"]
    assert client["webOrigins"] == ["http://127.0.0.1:8010"]
    assert realm()["realm"] == "maag"


def test_deploy_env_prints_values_the_shell_reads_back() -> None:
    result = CliRunner().invoke(app, ["deploy", "env", "dev"])
    assert result.exit_code == 0, result.output
    values = dict(line.split("=", 1) for line in result.output.splitlines())
    values = {k: shlex.split(v)[0] if v else "" for k, v in values.items()}
    env = environments.load("dev")
    assert values["NAMESPACE"] == env.namespace
    assert values["IMAGE"] == overlays.image(env)
    assert values["PULL_SECRET"] == env.image.pull_secret
    assert values["REALM_FILE"] == "deploy/keycloak/maag-realm.dev.json"
    missing = CliRunner().invoke(app, ["deploy", "env", "staging"])
    assert missing.exit_code == 1 and "no environment 'staging'" in missing.output


ZONE = "topology.kubernetes.io/zone"


def _one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [d for d in docs if d["kind"] == kind]
    return found


def test_an_environment_without_zones_has_no_rack_and_no_zone_spread() -> None:
    """Strimzi places rack-aware brokers only on nodes labelled with a zone: dev's cluster
    has none, so its overlay drops the rack and the zone spread (keeping the spread over
    nodes); prod keeps both."""
    dev, prod = environments.load("dev"), environments.load("prod")
    assert dev.size.zones is False and prod.size.zones is True
    for env, zoned in ((dev, False), (prod, True)):
        docs = build(OVERLAYS / env.name)
        kafka, pool = _one(docs, "Kafka"), _one(docs, "KafkaNodePool")
        keys = [
            c["topologyKey"] for c in pool["spec"]["template"]["pod"]["topologySpreadConstraints"]
        ]
        if zoned:
            assert kafka["spec"]["kafka"]["rack"] == {"topologyKey": ZONE}
            assert ZONE in keys
        else:
            assert "rack" not in kafka["spec"]["kafka"]
            assert ZONE not in keys
        assert "kubernetes.io/hostname" in keys, env.name


def _quarter(memory: str) -> str:
    """A quarter of a memory limit, as PostgreSQL writes it (2Gi: 512MB; 8Gi: 2GB)."""
    mib = int(memory.removesuffix("Gi")) * 1024 // 4
    return f"{mib // 1024}GB" if mib % 1024 == 0 else f"{mib}MB"


def test_postgres_is_sized_by_the_environment_its_settings_derived_as_the_bases() -> None:
    """Its resources are the environment's; max_connections is the base's rule applied to
    the autoscalers the overlay deploys, and the buffers a quarter of the memory limit (a
    2 GiB development instance cannot start with production's 2 GB of buffers)."""
    for env in environments.load_all():
        docs = build(OVERLAYS / env.name)
        cluster = _one(docs, "Cluster")
        wanted = env.size.postgres_resources
        resources = wanted.as_dict() if wanted else deployment.PG_RESOURCES
        assert cluster["spec"]["resources"] == resources, env.name
        parameters = cluster["spec"]["postgresql"]["parameters"]
        autoscalers = [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
        plan = sum(h["spec"]["maxReplicas"] for h in autoscalers)
        assert int(parameters["max_connections"]) == (
            plan * deployment.CONNECTIONS_PER_PROCESS + deployment.CONNECTIONS_HEADROOM
        ), env.name
        assert parameters["max_connections"] == str(
            deployment.max_connections(max(h["spec"]["maxReplicas"] for h in autoscalers))
        )
        assert parameters["shared_buffers"] == _quarter(resources["limits"]["memory"])
        assert "bootstrap" not in cluster["spec"]  # no restore under way
    dev = _one(build(OVERLAYS / "dev"), "Cluster")["spec"]
    assert dev["postgresql"]["parameters"]["max_connections"] == "200"
    assert dev["resources"]["limits"]["memory"] == "2Gi"


RESTORE = '[restore]\nfrom_server_name = "maag-pg"\n'


@pytest.mark.parametrize(
    ("server_name", "added", "named"),
    [
        # a restored cluster must archive into a new folder, named
        ("", RESTORE, "set [backups] server_name to one other than 'maag-pg'"),
        ("maag-pg", RESTORE, "set [backups] server_name to one other than 'maag-pg'"),
        # a moment without its offset from UTC is ambiguous
        ("maag-pg-r1", RESTORE + 'target_time = "2026-12-04 09:30:00"\n', "offset from UTC"),
        # a mistyped key would recover to the archive's end instead
        ("maag-pg-r1", RESTORE + 'target = "2026-12-04T09:30Z"\n', "[restore] has no target"),
        (
            "",
            "[size]\npostgres_resources = { requests = { cpu = '1' }, limits = { cpu = '1' } }\n",
            "needs a memory limit",
        ),
        ("", "[size]\nzones = 'no'\n", "size.zones must be true or false"),
    ],
)
def test_a_restore_or_size_that_cannot_be_deployed_is_refused(
    tmp_path: Path, server_name: str, added: str, named: str
) -> None:
    text = (environments.ENVIRONMENTS / "prod.toml").read_text()
    assert not re.search(r"^\[(restore|size)\]", text, re.M)
    if server_name:
        text = text.replace(
            'endpoint_url = ""', f'endpoint_url = ""\nserver_name = "{server_name}"'
        )
    (tmp_path / "prod.toml").write_text(text + "\n" + added)
    with pytest.raises(EnvironmentFileError, match=re.escape(named)):
        environments.load("prod", tmp_path)
    # the same file, put right, loads
    right = "[restore]" in added and server_name == "maag-pg-r1"
    if right:
        fixed = text + "\n" + RESTORE + 'target_time = "2026-12-04T09:30:00+00:00"\n'
        (tmp_path / "prod.toml").write_text(fixed)
        restore = environments.load("prod", tmp_path).restore
        assert restore is not None and restore.from_server_name == "maag-pg"


def test_identity_realm_writes_the_local_realm_and_every_environments(tmp_path: Path) -> None:
    """One command refreshes every realm (`maag deploy render` writes the environments' too)."""
    result = CliRunner().invoke(app, ["identity", "realm", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = {p.name: p.read_text() for p in (tmp_path / "deploy" / "keycloak").iterdir()}
    expected = {"maag-realm.json": render()} | {
        environments.realm_file(env.name).name: render(production=True, environment=env)
        for env in environments.load_all()
    }
    assert written == expected
    assert {"maag-realm.dev.json", "maag-realm.prod.json"} <= set(written)
