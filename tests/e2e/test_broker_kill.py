"""The production topology on one machine: three KRaft nodes (each broker and controller),
topics replicated three times with min.insync.replicas 2. One node is killed with SIGKILL
while cases flow: nothing is lost, nothing doubled, and the longest pause a case met
crossing between services is measured and reported (.maag/results/broker-kill.json)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from contracts.topics import REFERRAL_EVENTS
from maag.ops.demo.client import Client
from tests.support.flow import assert_each_case_once, decide, refer, wait_complete
from tests.support.private_infra import private_kafka
from tests.support.system import running_system

RESULTS = Path(".maag/results")
# Hops between services, each a Kafka delivery: (the event that is published, the one the
# next service records on receiving it).
HOPS = (
    ("Referral.Triaged", "PanelCase.Opened"),
    ("PanelCase.PackageRequested", "Package.Commissioned"),
)


async def _replication(bootstrap: str, topic: str) -> set[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        return {len(p["replicas"]) for p in described["partitions"]}
    finally:
        await admin.close()


def _hop_seconds(client: Client, case_id: str) -> list[float]:
    entries = client.replay(case_id).entries
    at = {e.event: e.at for e in entries}
    return [(at[b] - at[a]).total_seconds() for a, b in HOPS if a in at and b in at]


def test_a_broker_of_three_killed_mid_flow_loses_and_doubles_nothing(
    tmp_path: Path, postgres_url: str, pg_schema: str, topic_prefix: str
) -> None:
    with (
        private_kafka(tmp_path, brokers=3) as cluster,
        running_system(
            tmp_path, cluster.bootstrap, postgres_url, pg_schema, topic_prefix
        ) as system,
    ):
        topic = REFERRAL_EVENTS.named(topic_prefix)
        assert asyncio.run(_replication(cluster.bootstrap, topic)) == {3}
        client = system.client(timeout=180)
        client.ready()
        before = refer(client, 4)
        decide(client, before[:2])
        cluster.kill(2)  # SIGKILL one of the three, with cases in flight
        during = refer(client, 4, start=4)
        decide(client, before[2:] + during)
        cases = before + during
        wait_complete(system.mail, cases)
        assert_each_case_once(client, system.mail, cases)
        hops = {case: _hop_seconds(client, case) for case in cases}
        assert all(len(h) == len(HOPS) for h in hops.values()), hops
        every = sorted(x for h in hops.values() for x in h)
        longest, median = every[-1], every[len(every) // 2]
        RESULTS.mkdir(parents=True, exist_ok=True)
        report = {
            "brokers": 3,
            "killed": "node 2 (SIGKILL)",
            "cases": len(cases),
            "longest_hop_seconds": round(longest, 3),
            "median_hop_seconds": round(median, 3),
            "hops": {"between": [f"{a} -> {b}" for a, b in HOPS]},
        }
        (RESULTS / "broker-kill.json").write_text(json.dumps(report, indent=2))
        print(
            f"crossing services with a broker killed: longest {longest:.2f} s, median {median:.2f} s"
        )
