"""A broker secured as the production one is: a SASL_SSL listener (SCRAM-SHA-512, a
certificate signed by a CA of the test's own) with Kafka's StandardAuthorizer and the ACLs of
the manifests' KafkaUsers; beside it a plaintext listener on loopback for the superuser that
sets it up. The project's cached Kafka jars, Java and openssl; nothing else."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from maag.ops.infra import kafka
from maag.ops.infra.layout import InfraError, Layout
from maag.ops.infra.processes import port_open, wait_until
from tests.support.net import free_port

HERE = Path(__file__).parent


@dataclass(frozen=True)
class SecuredKafka:
    secure: str  # SASL_SSL
    internal: str  # PLAINTEXT, the superuser's
    ca_file: Path
    passwords: dict[str, str]
    layout: Layout


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _certificates(where: Path) -> tuple[Path, Path]:
    """A CA, and the broker's key and certificate (for 127.0.0.1) signed by it, as PEM."""
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=maag-test-ca", "-keyout", "ca.key", "-out", "ca.crt",
        cwd=where,
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "broker.key", "-out", "broker.csr",
        cwd=where,
    )  # fmt: skip
    (where / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl(
        "x509", "-req", "-in", "broker.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "broker.crt",
        cwd=where,
    )  # fmt: skip
    # Kafka's PEM key store wants the key as PKCS#8 followed by the certificate chain.
    _openssl("pkcs8", "-topk8", "-nocrypt", "-in", "broker.key", "-out", "broker.p8", cwd=where)
    store = where / "broker.pem"
    store.write_text(
        (where / "broker.p8").read_text()
        + (where / "broker.crt").read_text()
        + (where / "ca.crt").read_text()
    )
    return where / "ca.crt", store


def _properties(layout: Layout, data: Path, store: Path, internal: int) -> str:
    p, c = layout.kafka_port, layout.kafka_controller_port
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{c}",
            f"listeners=SECURE://127.0.0.1:{p},INTERNAL://127.0.0.1:{internal},"
            f"CONTROLLER://127.0.0.1:{c}",
            f"advertised.listeners=SECURE://127.0.0.1:{p},INTERNAL://127.0.0.1:{internal}",
            "listener.security.protocol.map=SECURE:SASL_SSL,INTERNAL:PLAINTEXT,"
            "CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=INTERNAL",
            "controller.listener.names=CONTROLLER",
            "sasl.enabled.mechanisms=SCRAM-SHA-512",
            "listener.name.secure.scram-sha-512.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={store}",
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users=User:ANONYMOUS",  # the loopback PLAINTEXT listener's
            "allow.everyone.if.no.acl.found=false",
            f"log.dirs={data}",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=3",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "",
        ]
    )


def create_acls(broker: SecuredKafka, acls: list[str]) -> None:
    java = kafka._java_cmd(
        broker.layout, str(HERE / "kafka" / "CreateAcls.java"), broker.internal, *acls
    )
    done = subprocess.run(java, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


PATTERNS = {"literal": "LITERAL", "prefix": "PREFIXED"}  # Strimzi's names -> Kafka's


def acl_args(user: dict[str, Any]) -> list[str]:
    """A KafkaUser's ACLs (maag.ops.deployment) as CreateAcls arguments."""
    principal = f"User:{user['metadata']['name']}"
    out = []
    for acl in user["spec"]["authorization"]["acls"]:
        r = acl["resource"]
        for operation in acl["operations"]:
            out.append(
                f"{principal}|{r['type'].upper()}|{r['name']}|{PATTERNS[r['patternType']]}|"
                f"{operation.upper()}"
            )
    return out


@contextmanager
def secured_kafka(tmp: Path, users: dict[str, str]) -> Iterator[SecuredKafka]:
    """`users`: name -> password, each a SCRAM-SHA-512 user from the start."""
    shared = Layout.from_env()
    home = tmp / "secured-kafka"
    home.mkdir(parents=True)
    shared.cache.mkdir(parents=True, exist_ok=True)
    (home / "cache").symlink_to(shared.cache)
    layout = replace(shared, home=home, kafka_port=free_port(), kafka_controller_port=free_port())
    layout.ensure_dirs()
    kafka.fetch(layout)
    ca, store = _certificates(home)
    internal = free_port()
    data = layout.data / "secured"
    props = layout.run / "secured.properties"
    props.write_text(_properties(layout, data, store, internal))
    scram = [f"--add-scram=SCRAM-SHA-512=[name={n},password={p}]" for n, p in users.items()]
    fmt = subprocess.run(
        kafka._java_cmd(
            layout,
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id=bWFhZy1zZWN1cmVkLXRlc3Q",
            f"--config={props}",
            *scram,
        ),
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    log = layout.logs / "secured-kafka.log"
    with log.open("a") as out:
        proc = subprocess.Popen(
            kafka._java_cmd(layout, kafka.MARKER, str(props)),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        try:
            wait_until(
                lambda: port_open(layout.kafka_port) and port_open(internal),
                90,
                "the secured broker",
                log,
            )
        except InfraError:
            pytest.fail(f"the secured broker did not start: {log.read_text()[-3000:]}")
        yield SecuredKafka(
            f"127.0.0.1:{layout.kafka_port}", f"127.0.0.1:{internal}", ca, dict(users), layout
        )
    finally:
        proc.kill()
        proc.wait(timeout=30)
