"""A KRaft Apache Kafka cluster on loopback from its Maven Central artifacts (no Docker, no
tarball): one combined broker-controller node, or three (`maag infra up --brokers 3`: the
production topology, replication 3 and min.insync.replicas 2)."""

from __future__ import annotations

import base64
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from maag.ops.infra.layout import InfraError, Layout
from maag.ops.infra.processes import (
    alive,
    port_open,
    read_pid,
    require_tool,
    started,
    stop_recorded,
)

# Pinned: Maven 3.8 would otherwise resolve a 2013 release of the plugin.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
MARKER = "kafka.Kafka"
READY_LINE = "Kafka Server started"

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>maag.local</groupId>
  <artifactId>kafka-broker-deps</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
</project>
"""

LOG4J2 = """status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def _server_properties(layout: Layout, log_dir: Path, node: int = 1) -> str:
    p, c = layout.broker_port(node), layout.controller_port(node)
    n = layout.kafka_brokers
    voters = ",".join(f"{i}@127.0.0.1:{layout.controller_port(i)}" for i in layout.kafka_nodes)
    replicas, isr = min(3, n), min(2, n)
    return "\n".join(
        [
            "process.roles=broker,controller",
            f"node.id={node}",
            f"controller.quorum.voters={voters}",
            f"listeners=PLAINTEXT://127.0.0.1:{p},CONTROLLER://127.0.0.1:{c}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{p}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            f"log.dirs={log_dir}",
            # Topics are declared by the project's topic registry, never created by accident.
            "auto.create.topics.enable=false",
            "num.partitions=3",
            f"default.replication.factor={replicas}",
            f"min.insync.replicas={isr}",
            f"offsets.topic.replication.factor={replicas}",
            "offsets.topic.num.partitions=10",
            f"transaction.state.log.replication.factor={replicas}",
            f"transaction.state.log.min.isr={isr}",
            "transaction.state.log.num.partitions=5",
            f"share.coordinator.state.topic.replication.factor={replicas}",
            f"share.coordinator.state.topic.min.isr={isr}",
            "group.initial.rebalance.delay.ms=0",
            "delete.topic.enable=true",
            "",
        ]
    )


def fetch(layout: Layout) -> Path:
    """Copy the broker and its runtime dependencies into the cache (once)."""
    libs = layout.kafka_libs
    done = libs / ".complete"
    if done.exists():
        return libs
    mvn = require_tool(
        "mvn", "Install Maven (Debian: `apt-get install -y maven`); it fetches Kafka's jars."
    )
    libs.mkdir(parents=True, exist_ok=True)
    work = libs.parent
    (work / "pom.xml").write_text(POM.format(version=layout.kafka_version))
    repo = f"-Dmaven.repo.local={layout.cache / 'm2'}"
    log = layout.logs / "kafka-fetch.log"
    with log.open("w") as out:
        _mvn(
            [
                mvn,
                "-B",
                "-q",
                repo,
                "-f",
                str(work / "pom.xml"),
                f"{DEPENDENCY_PLUGIN}:copy-dependencies",
                f"-DoutputDirectory={libs}",
                "-DincludeScope=runtime",
            ],
            out,
            log,
        )
        # The SLF4J 1.7 binding ships only in Kafka's tarball: add it at log4j-core's version.
        cores = sorted(libs.glob("log4j-core-*.jar"))
        if not cores:
            raise InfraError(f"log4j-core was not among Kafka's dependencies in {libs}.")
        log4j_version = cores[-1].name.removeprefix("log4j-core-").removesuffix(".jar")
        _mvn(
            [
                mvn,
                "-B",
                "-q",
                repo,
                "-f",
                str(work / "pom.xml"),
                f"{DEPENDENCY_PLUGIN}:copy",
                f"-Dartifact=org.apache.logging.log4j:log4j-slf4j-impl:{log4j_version}",
                f"-DoutputDirectory={libs}",
            ],
            out,
            log,
        )
    done.write_text(layout.kafka_version)
    return libs


def _mvn(cmd: list[str], out: IO[str], log: Path) -> None:
    result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise InfraError(
            f"Maven could not fetch Kafka's jars (exit {result.returncode}). "
            f"See {log}; Maven Central must be reachable."
        )


def _java_cmd(layout: Layout, main: str, *args: str) -> list[str]:
    java = require_tool(
        "java", "Install Java 17+ (Debian: `apt-get install -y openjdk-17-jre-headless`)."
    )
    config = layout.run / "kafka-log4j2.properties"
    config.write_text(LOG4J2)
    return [
        java,
        "-Xms256m",
        "-Xmx768m",
        "-XX:+UseG1GC",
        f"-Dlog4j2.configurationFile={config}",
        "-cp",
        f"{layout.kafka_libs}/*",
        main,
        *args,
    ]


def pid_file(layout: Layout, node: int = 1) -> Path:
    return layout.run / ("kafka.pid" if node == 1 else f"kafka-{node}.pid")


def log_file(layout: Layout, node: int = 1) -> Path:
    return layout.logs / ("kafka.log" if node == 1 else f"kafka-{node}.log")


def running(layout: Layout, node: int = 1) -> int | None:
    pid = read_pid(pid_file(layout, node))
    return pid if pid is not None and alive(pid, MARKER) else None


def check_can_start(layout: Layout) -> None:
    require_tool("java", "Install Java 17+ (Debian: `apt-get install -y openjdk-17-jre-headless`).")
    if not (layout.kafka_libs / ".complete").exists():
        require_tool("mvn", "Install Maven (Debian: `apt-get install -y maven`).")
    for port, var in (
        *((layout.broker_port(n), "MAAG_KAFKA_PORT") for n in layout.kafka_nodes),
        *((layout.controller_port(n), "MAAG_KAFKA_CONTROLLER_PORT") for n in layout.kafka_nodes),
    ):
        if port_open(port):
            raise InfraError(
                f"Port {port} on 127.0.0.1 is already taken by another process; "
                f"stop it or choose another port with {var}=<port>."
            )


def _cluster_id(layout: Layout) -> str:
    """One id for every node of the cluster, kept beside their data."""
    kept = layout.data / f"kafka-{layout.kafka_port}.cluster-id"
    if kept.exists():
        return kept.read_text().strip()
    meta = layout.data / f"kafka-{layout.kafka_port}" / "meta.properties"
    if meta.exists():  # a single node formatted before the id was kept
        for line in meta.read_text().splitlines():
            if line.startswith("cluster.id="):
                kept.write_text(line.split("=", 1)[1])
                return kept.read_text()
    kept.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode())
    return kept.read_text()


def start(layout: Layout, timeout: float = 120.0) -> int:
    """Start every node, then wait for each (a quorum of three forms only once they all
    run); the first node's pid."""
    fetch(layout)
    cluster_id = _cluster_id(layout)
    launched = [launch(layout, node, cluster_id) for node in layout.kafka_nodes]
    pids = [wait_ready(layout, one, timeout) for one in launched]
    return pids[0]


@dataclass(frozen=True)
class Launched:
    node: int
    proc: subprocess.Popen[bytes]
    log: Path
    offset: int  # where its log stood at launch: the ready line is looked for after it


def launch(layout: Layout, node: int, cluster_id: str | None = None) -> Launched:
    """Start node `node` (formatting its storage the first time), without waiting for it."""
    port = layout.broker_port(node)
    data = layout.data / f"kafka-{port}"
    data.mkdir(parents=True, exist_ok=True)
    props = layout.run / f"kafka-{port}.properties"
    props.write_text(_server_properties(layout, data, node))
    if not (data / "meta.properties").exists():
        fmt = subprocess.run(
            _java_cmd(
                layout,
                "kafka.tools.StorageTool",
                "format",
                # `=` form: a cluster id may start with "-" (base64url), which argparse would
                # otherwise take for an option.
                f"--cluster-id={cluster_id or _cluster_id(layout)}",
                f"--config={props}",
                "--ignore-formatted",
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if fmt.returncode != 0:
            raise InfraError(f"Formatting KRaft storage failed:\n{fmt.stdout}{fmt.stderr}")
    log = log_file(layout, node)
    offset = log.stat().st_size if log.exists() else 0
    with log.open("a") as out:
        proc = subprocess.Popen(
            _java_cmd(layout, MARKER, str(props)),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives the shell that started it
        )
    pid_file(layout, node).write_text(f"{proc.pid}\n")
    return Launched(node, proc, log, offset)


def wait_ready(layout: Layout, launched: Launched, timeout: float = 120.0) -> int:
    def ready() -> bool:
        with launched.log.open() as f:
            f.seek(launched.offset)
            return READY_LINE in f.read() and port_open(layout.broker_port(launched.node))

    return started(launched.proc, "Kafka", launched.log, ready, timeout, lambda: stop(layout))


def stop(layout: Layout) -> bool:
    """Every node this layout started (whatever their number now)."""
    files = {pid_file(layout), *layout.run.glob("kafka-*.pid")}
    return any([stop_recorded(f, MARKER) for f in sorted(files)])
