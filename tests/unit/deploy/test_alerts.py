"""The page an operator gets when an outbox stops: the PrometheusRule the manifests ship,
evaluated by Prometheus's own rule tester (`promtool test rules`) over what a real relay
exposes when an event of a class nobody classified blocks it (as a case note once did),
beside a relay that runs: the blocked one pages, the running one does not."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import prometheus_client
import yaml
from prometheus_client.parser import text_string_to_metric_families

from maag.ops.deployment import STORE_CHECK_INTERVAL_S
from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.outbox import OutboxRelay
from maag.runtime.settings import Settings
from maag.runtime.web.metrics import OUTBOX_BLOCKED, STORE_INTACT, STORE_WALKED
from tests.support.pipeline import CLASSES, FakeProducer, IntakeApp, run_until_blocked, translate

MONITORING = Path(__file__).parents[3] / "deploy" / "k8s" / "base" / "monitoring.yaml"
PROMTOOL_HINT = "promtool is installed by `bash tests/run.sh` (into .maag/cache/bin)"


def _rule() -> tuple[dict[str, Any], dict[str, Any]]:
    """The PrometheusRule's spec as the operator applies it, and its outbox alert."""
    (spec,) = [
        d["spec"]
        for d in yaml.safe_load_all(MONITORING.read_text())
        if d["kind"] == "PrometheusRule"
    ]
    (alert,) = [
        r for g in spec["groups"] for r in g["rules"] if r.get("alert") == "MaagOutboxBlocked"
    ]
    return spec, alert


async def _healthy(app: IntakeApp) -> None:
    """A relay that publishes what it is given and runs (asked to stop at once: its start
    sets the metric as a running service's does)."""
    relay = OutboxRelay(app, CLASSES, translate, FakeProducer(), source="alert-running")
    assert await relay.relay_once() > 0
    stop = asyncio.Event()
    stop.set()
    await asyncio.wait_for(relay.run(stop), timeout=5)
    assert relay.position() > 0 and relay.blocked is None


def _exposed(services: set[str]) -> list[tuple[str, float]]:
    """The relays' `maag_outbox_blocked` samples, as a scrape of /metrics reads them."""
    text = prometheus_client.generate_latest().decode()
    return [
        (s.labels["service"], s.value)
        for family in text_string_to_metric_families(text)
        if family.name == "maag_outbox_blocked"
        for s in family.samples
        if s.labels.get("service") in services
    ]


async def test_a_blocked_outbox_pages_and_a_running_one_does_not(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, PROMTOOL_HINT
    blocked_app = IntakeApp(Settings(data_dir=tmp_path / "blocked"))
    blocked_app.receive([(uuid.uuid4(), "CAF-2026-0004")])
    nobody_decided = EventClasses(published=(), internal=())
    blocked = OutboxRelay(
        blocked_app, nobody_decided, translate, FakeProducer(), source="alert-blocked"
    )
    await run_until_blocked(blocked)
    running_app = IntakeApp(Settings(data_dir=tmp_path / "running"))
    running_app.receive([(uuid.uuid4(), "CAF-2026-0005")])
    await _healthy(running_app)

    samples = _exposed({"alert-blocked", "alert-running"})
    assert sorted(samples) == [("alert-blocked", 1.0), ("alert-running", 0.0)]
    spec, alert = _rule()
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(spec))
    summary = alert["annotations"]["summary"].replace("{{ $labels.service }}", "alert-blocked")
    case = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {
                        "series": f'maag_outbox_blocked{{service="{service}"}}',
                        "values": f"{value:g}x10",
                    }
                    for service, value in samples
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "2m",
                        "alertname": "MaagOutboxBlocked",
                        "exp_alerts": [
                            {
                                "exp_labels": {**alert["labels"], "service": "alert-blocked"},
                                "exp_annotations": {"summary": summary},
                            }
                        ],
                    }
                ],
            }
        ],
    }
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(case))
    checked = subprocess.run(
        [promtool, "test", "rules", "test.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert alert["labels"]["severity"] == "critical" and "for" not in alert  # pages at once


def test_the_brokers_and_the_databases_volumes_page_before_they_fill() -> None:
    """The event topics are kept for good (deploy/README.md, "What to watch"): the volumes
    they and the stores grow on warn at 80% and page at 90%, by the kubelet's volume
    statistics, for the claims Strimzi and CloudNativePG make; another claim does not."""
    spec, _ = _rule()
    rules = {r["alert"]: r for g in spec["groups"] for r in g["rules"] if "alert" in r}
    used = {  # claim -> share in use
        "data-0-maag-dual-role-0": 0.85,
        "data-0-maag-dual-role-1": 0.95,
        "data-0-maag-dual-role-2": 0.50,
        "maag-pg-1": 0.50,
        "maag-pg-2-wal": 0.92,
        "data-0-someone-elses-kafka-0": 0.99,
    }
    series = []
    for claim, share in used.items():
        labels = f'namespace="maag",persistentvolumeclaim="{claim}"'
        series += [
            {"series": f"kubelet_volume_stats_capacity_bytes{{{labels}}}", "values": "100x40"},
            {
                "series": f"kubelet_volume_stats_available_bytes{{{labels}}}",
                "values": f"{100 * (1 - share):g}x40",
            },
        ]
    expected = {
        "MaagKafkaDiskFilling": ["data-0-maag-dual-role-0", "data-0-maag-dual-role-1"],
        "MaagKafkaDiskFull": ["data-0-maag-dual-role-1"],
        "MaagPostgreSQLDiskFilling": ["maag-pg-2-wal"],
        "MaagPostgreSQLDiskFull": ["maag-pg-2-wal"],
    }

    def alert(name: str, claim: str) -> dict[str, Any]:
        rule = rules[name]
        summary = rule["annotations"]["summary"].replace(
            "{{ $labels.persistentvolumeclaim }}", claim
        )
        return {
            "exp_labels": {**rule["labels"], "namespace": "maag", "persistentvolumeclaim": claim},
            "exp_annotations": {"summary": summary},
        }

    case = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {
                        "eval_time": "30m",
                        "alertname": name,
                        "exp_alerts": [alert(name, claim) for claim in claims],
                    }
                    for name, claims in expected.items()
                ],
            }
        ],
    }
    _promtool_test(spec, case)


def _promtool_test(spec: dict[str, Any], case: dict[str, Any]) -> None:
    promtool = shutil.which("promtool")
    assert promtool, PROMTOOL_HINT
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "rules.yaml").write_text(yaml.safe_dump(spec))
        Path(folder, "test.yaml").write_text(yaml.safe_dump(case))
        checked = subprocess.run(
            [promtool, "test", "rules", "test.yaml"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert checked.returncode == 0, checked.stdout + checked.stderr


# What the alerts on the store check read: the walk's verdict and time, and the outbox's
# metric, which every running service sets at start.
STORE_METRICS = {
    "intact": "maag_store_intact",
    "walked": "maag_store_walked_timestamp_seconds",
    "running": "maag_outbox_blocked",
}


def test_the_store_alerts_read_what_a_service_exposes() -> None:
    STORE_INTACT.labels("alert-names").set(1)
    STORE_WALKED.labels("alert-names").set(1.0)
    OUTBOX_BLOCKED.labels("alert-names").set(0)
    text = prometheus_client.generate_latest().decode()
    exposed = {
        s.name
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.labels.get("service") == "alert-names"
    }
    assert exposed == set(STORE_METRICS.values())
    spec, _ = _rule()
    exprs = {r["alert"]: r["expr"] for g in spec["groups"] for r in g["rules"] if "alert" in r}
    assert STORE_METRICS["intact"] in exprs["MaagStoreNotIntact"]
    assert STORE_METRICS["walked"] in exprs["MaagStoreNotWalked"]
    # the interval the alert counts is the one the services are given
    configs = [
        d["data"]
        for d in yaml.safe_load_all((MONITORING.parent / "referral.yaml").read_text())
        if d["kind"] == "ConfigMap"
    ]
    assert [c["MAAG_STORE_CHECK_INTERVAL"] for c in configs] == [str(STORE_CHECK_INTERVAL_S)]


def test_a_broken_or_unwalked_store_is_reported_and_an_intact_walked_one_is_not() -> None:
    """A replica's walk that finds a break pages at once (whatever the other replica says);
    a service no replica has walked for three intervals warns, as does one whose replicas
    run without ever walking; a service walked every interval and intact is quiet."""
    spec, _ = _rule()
    rules = {r["alert"]: r for g in spec["groups"] for r in g["rules"] if "alert" in r}
    interval = STORE_CHECK_INTERVAL_S
    minute = 60

    def series(metric: str, service: str, pod: str, values: str) -> dict[str, str]:
        labels = f'namespace="maag",service="{service}",pod="{pod}"'
        return {"series": f"{STORE_METRICS[metric]}{{{labels}}}", "values": values}

    walked_each_interval = f"0+{minute}x40"  # the time of the walk: now, every minute
    input_series = [
        # referral: intact, walked
        series("intact", "referral", "r-1", "1x40"),
        series("walked", "referral", "r-1", walked_each_interval),
        series("running", "referral", "r-1", "0x40"),
        # panel: one replica finds a break, the other does not
        series("intact", "panel", "p-1", "1x40"),
        series("intact", "panel", "p-2", "0x40"),
        series("walked", "panel", "p-1", walked_each_interval),
        series("walked", "panel", "p-2", walked_each_interval),
        series("running", "panel", "p-1", "0x40"),
        # commissioning: walked once at the start, intact, then never again
        series("intact", "commissioning", "c-1", "1x40"),
        series("walked", "commissioning", "c-1", "0x40"),
        series("running", "commissioning", "c-1", "0x40"),
        # notifications: running, never walked
        series("running", "notifications", "n-1", "0x40"),
    ]

    def alert(name: str, service: str) -> dict[str, Any]:
        rule = rules[name]
        summary = rule["annotations"]["summary"].replace("{{ $labels.service }}", service)
        return {
            "exp_labels": {**rule["labels"], "namespace": "maag", "service": service},
            "exp_annotations": {"summary": summary},
        }

    overdue = 3 * interval // minute  # minutes
    checks = [
        # a break pages at the first evaluation
        ("1m", "MaagStoreNotIntact", ["panel"]),
        # not yet three intervals since commissioning's walk, nor long running without one
        (f"{overdue - 1}m", "MaagStoreNotWalked", []),
        (f"{overdue - 1}m", "MaagStoreNeverWalked", []),
        (f"{overdue + 1}m", "MaagStoreNotWalked", ["commissioning"]),
        (f"{overdue + 1}m", "MaagStoreNeverWalked", ["notifications"]),
        (f"{overdue + 1}m", "MaagStoreNotIntact", ["panel"]),
    ]
    case = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": input_series,
                "alert_rule_test": [
                    {
                        "eval_time": when,
                        "alertname": name,
                        "exp_alerts": [alert(name, s) for s in services],
                    }
                    for when, name, services in checks
                ],
            }
        ],
    }
    _promtool_test(spec, case)
    assert rules["MaagStoreNotIntact"]["labels"]["severity"] == "critical"
    assert "for" not in rules["MaagStoreNotIntact"]  # pages at once


def test_a_migration_pages_when_its_job_has_failed_and_not_while_it_retries() -> None:
    """kube-state-metrics' kube_job_failed{condition="true"} is the Job's Failed condition:
    every retry used up. A Job whose first pod failed and whose retry is running (or
    succeeded) counts failed pods (kube_job_status_failed) and does not page."""
    spec, _ = _rule()
    (rule,) = [
        r for g in spec["groups"] for r in g["rules"] if r.get("alert") == "MaagMigrationFailed"
    ]

    def job(name: str, failed_pods: int, condition: str | None) -> list[dict[str, str]]:
        labels = f'namespace="maag",job_name="{name}"'
        out = [
            {
                "series": f'kube_job_status_failed{{{labels},reason="BackoffLimitExceeded"}}',
                "values": f"{failed_pods}x20",
            }
        ]
        for status in ("true", "false", "unknown"):
            value = 1 if condition == status else 0
            if condition is not None:
                out.append(
                    {
                        "series": f'kube_job_failed{{{labels},condition="{status}"}}',
                        "values": f"{value}x20",
                    }
                )
        return out

    failed = "maag-migrate-panel-0-1-0-1a2b3c4d"
    series = [
        *job(failed, 7, "true"),  # every attempt failed: its Failed condition holds
        *job("maag-migrate-referral-0-1-0-5e6f7a8b", 2, None),  # retrying: no condition yet
        *job("maag-migrate-commissioning-0-1-0-9c0d1e2f", 1, "false"),  # a retry succeeded
        *job("someone-elses-job", 7, "true"),  # not a migration
    ]
    summary = (
        rule["annotations"]["summary"]
        .replace("{{ $labels.job_name }}", failed)
        .replace("{{ $labels.namespace }}", "maag")
    )
    case = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {
                        "eval_time": "5m",
                        "alertname": "MaagMigrationFailed",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    **rule["labels"],
                                    "namespace": "maag",
                                    "job_name": failed,
                                },
                                "exp_annotations": {"summary": summary},
                            }
                        ],
                    }
                ],
            }
        ],
    }
    _promtool_test(spec, case)
    assert rule["labels"]["severity"] == "critical"
