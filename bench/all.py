"""Every benchmark in one run, one report.

    python -m bench all [--quick] [--out bench/results] [--only NAME ...] [--timeout SECONDS]
    python -m bench readme [--from bench/results/latest.json]

Against the one broker and database the environment names (KAFKA_BOOTSTRAP_SERVERS,
MAAG_POSTGRES_URL; MAAG_OIDC_ISSUER for the benchmarks that sign in), first the baselines
(bench.baselines), then each benchmark below, each in a process of its own. Each has a time
limit: its own waits are told to end a little before it (MAAG_BENCH_DEADLINE,
`bench.support.limit`), so they fail saying what they waited for; one that hangs anyway is
stopped at the limit with SIGTERM, which stops the service processes it started and says
where it was, and the run goes on. Sizes: each benchmark's defaults, or tiny ones with
--quick (for CI: every benchmark exercised, nothing measured). Writes <out>/all-<UTC
time>.json, .png and .html and <out>/latest.json (`bench.report`); a full run of every
benchmark at its own limits then rewrites the README's performance section from it
(`report.refusal` says when not). The exit code is 1 when any benchmark (or the baselines)
failed, or the README could not be rewritten.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bench.report import Benchmark, Figure, Goal, Outcome, Ratio

ROOT = Path(__file__).resolve().parent.parent  # the checkout: children run from here
README = ROOT / "README.md"
STOP_GRACE = 60.0  # seconds a stopped benchmark has to stop its services before SIGKILL
LOG_TAIL = 30  # lines of a failed benchmark's output kept in the report
# A benchmark's own waits end this far before its limit (a fifth of it, at most a minute),
# leaving it the time to stop what it started and say why.
MARGIN_SHARE, MARGIN_MAX = 0.2, 60.0

KAFKA = "aiokafka_produce_consume"
COMMIT_EACH = "psycopg_commit_each"
BATCHED = "psycopg_batched"

BASELINES = Benchmark(
    name="baselines",
    module="bench.baselines",
    about="Raw loops on the same broker and database, nothing of MAAG's in the way.",
    headline=(
        Figure(KAFKA, "raw aiokafka produce+consume", "events/s"),
        Figure(COMMIT_EACH, "raw psycopg, a commit each", "rows/s"),
        Figure(BATCHED, "raw psycopg, 1,000 per commit", "rows/s"),
    ),
    quick={"events": 400},
    timeout=900,
    quick_timeout=180,
)

# Why each figure is compared with the baseline it is (the report says so beside it). A
# ratio says how a figure compares with a raw loop on the same machine, broker and database;
# none of them bounds a figure either way (MAAG's consumers, for one, store a partition's
# whole batch in one transaction).
CONSUMED = (
    "the tracked consumer stores each partition's batch of records in one transaction, so "
    "raw batched inserts are the comparison, not a commit each"
)

BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        name="pipeline",
        module="bench.pipeline",
        about="Events through outbox relay -> Kafka -> tracked consumer -> store.",
        headline=(
            Figure(
                "pipeline_events_per_second",
                "relay -> Kafka -> consumer -> store",
                "events/s",
                ratios=(Ratio(KAFKA), Ratio(BATCHED)),
                comparison="each event is relayed through Kafka and applied by the tracked "
                "consumer, a partition's batch a transaction: the raw Kafka loop and raw "
                "batched inserts each do one part of that work alone (it overlaps them)",
            ),
        ),
        full={"raw": False},  # compared with this run's baselines, not its own raw loops
        quick={"events": 300, "raw": False},
    ),
    Benchmark(
        name="referral",
        module="bench.referral",
        about="Referrals accepted via HTTP and via the submissions topic (child index on).",
        headline=(
            Figure(
                "http_referrals_per_second",
                "HTTP intake",
                "referrals/s",
                Goal(">=", 150),
                (Ratio(COMMIT_EACH),),
                "16 clients at once; the referrals that arrive while others are being "
                "submitted are committed together (up to 50); the raw loop commits one at a "
                "time on one connection, so neither bounds the other",
            ),
            Figure("http_p99_ms", "HTTP intake p99 to ReferralAccepted", "ms"),
            Figure(
                "topic_referrals_per_second",
                "topic intake",
                "referrals/s",
                ratios=(Ratio(BATCHED),),
                comparison=f"submissions consumed from the topic: {CONSUMED}",
            ),
        ),
        quick={"referrals": 30, "concurrency": 4},
        identity=True,
    ),
    Benchmark(
        name="panel",
        module="bench.panel",
        about="Cases listed from ReferralAccepted; decisions to LeadProfessionalAssigned.",
        headline=(
            Figure(
                "listing_cases_per_second",
                "cases listed",
                "cases/s",
                ratios=(Ratio(BATCHED),),
                comparison=f"cases listed from records consumed: {CONSUMED}",
            ),
            Figure("decision_p99_ms", "decision p99 to LeadProfessionalAssigned", "ms"),
        ),
        quick={"cases": 48, "decisions": 4},
        identity=True,
    ),
    Benchmark(
        name="commissioning",
        module="bench.commissioning",
        about="Packages commissioned from PackageRequested; the reports over many packages.",
        headline=(
            Figure(
                "commissioned_packages_per_second",
                "packages commissioned",
                "packages/s",
                ratios=(Ratio(BATCHED),),
                comparison=f"packages commissioned from records consumed: {CONSUMED}",
            ),
            Figure("savings_ms", "savings report", "ms", Goal("<", 300)),
            Figure("spend_ms", "spend report", "ms"),
        ),
        quick={"packages": 30, "report_rows": 500},
        identity=True,
    ),
    Benchmark(
        name="notifications",
        module="bench.notifications",
        about="Emails accepted by the SMTP server from LeadProfessionalAssigned on the topic.",
        headline=(
            Figure(
                "emails_per_second",
                "emails accepted by SMTP",
                "emails/s",
                Goal(">=", 500),
                (Ratio(BATCHED),),
                f"each email is asked for from records consumed ({CONSUMED}), then sent "
                "over SMTP and its sending recorded",
            ),
            Figure("p99_ms", "p99 to the email accepted", "ms"),
        ),
        quick={"emails": 30},
    ),
    Benchmark(
        name="boards",
        module="bench.boards",
        about="The boards' report over a year of activity, rebuilt from the topics.",
        headline=(
            Figure("report_ms", "boards report (load + compute)", "ms", Goal("<", 300)),
            Figure(
                "rebuild_events_per_second",
                "rebuild from the topics",
                "events/s",
                ratios=(Ratio(BATCHED),),
                comparison="the rebuild reads the topics and writes the projection in "
                "batches, not a commit per event: raw batched inserts are its comparison",
            ),
        ),
        quick={"referrals": 200},
    ),
    Benchmark(
        name="audit_replay",
        module="bench.audit_replay",
        about="Replaying one case among all the stored events; chaining and verifying them.",
        headline=(
            Figure("replay_ms_p99", "replay of one case, p99", "ms", Goal("<", 50)),
            Figure(
                "chain_and_index_events_per_second",
                "chain and index",
                "events/s",
                ratios=(Ratio(BATCHED),),
                comparison="chaining writes a chain row and an index row per event, in "
                "batches: raw batched inserts are its comparison",
            ),
        ),
        quick={"cases": 100, "events_per_case": 8, "samples": 10},
        timeout=5400,
    ),
    Benchmark(
        name="audit_verify",
        module="bench.audit_verify",
        about="Verifying a service's chained events against signed anchors.",
        headline=(
            Figure(
                "verify_events_per_second",
                "verify",
                "events/s",
                Goal(">=", 200_000),
                comparison="no baseline: the verify only reads and hashes, the baselines write",
            ),
            Figure(
                "chain_events_per_second",
                "chain",
                "events/s",
                ratios=(Ratio(BATCHED),),
                comparison="chaining writes a chain row per event, in batches: raw batched "
                "inserts are its comparison",
            ),
        ),
        quick={"events": 4000, "anchor_every": 2000},
        timeout=3600,
    ),
    Benchmark(
        name="timeline",
        module="bench.timeline",
        about="The auditor's timeline of one case read many times: each part and the whole.",
        headline=(
            Figure("whole_ms", "whole timeline, median", "ms"),
            Figure("page_ms", "the auditor page's part, median", "ms"),
        ),
        quick={"reads": 20, "calls": 3},
        identity=True,
        quick_timeout=300,
    ),
    Benchmark(
        name="web",
        module="bench.web",
        about="The web app's pages for signed-in people reading them.",
        headline=(
            Figure(
                "all_p95_ms",
                "every page, p95",
                "ms",
                Goal("<", 300),
                comparison="no baseline; the goal is the practitioners' workspace's (issue "
                "31): every page's p95 under 300 ms for people working at a reading pace "
                "(the default --think 5 s; a --quick run asks back to back)",
            ),
            Figure("all_p50_ms", "every page, p50", "ms"),
        ),
        quick={"users": 2, "rounds": 1, "think": 0.0},  # the first two personas
        identity=True,
        quick_timeout=300,
    ),
    Benchmark(
        name="e2e",
        module="bench.e2e",
        about="The whole system end to end: referral to the lead professional's email.",
        headline=(
            Figure(
                "throughput.cases_per_second",
                "throughput",
                "cases/s",
                Goal(">=", 50),
                (Ratio(COMMIT_EACH, Goal(">=", 0.05)),),
                "a case is a referral carried through four services to its lead "
                "professional's email, with many stored commits on the way (some batched): "
                "the ratio's goal is a case in no more than the time of 20 raw commits "
                "made one at a time",
            ),
            Figure(
                "latency_at_fixed_load.p99_ms",
                "latency p99 at a fixed offered load",
                "ms",
                Goal("<", 1000),
                comparison="at latency_at_fixed_load.offered_cases_per_second (20 in a full run)",
            ),
        ),
        full={"cases": 300, "rate": 20.0, "seconds": 30.0},
        quick={"cases": 20, "rate": 5.0, "seconds": 2.0},
        identity=True,
        timeout=2400,
        quick_timeout=300,
    ),
)


def select(names: Sequence[str] | None, benchmarks: Sequence[Benchmark]) -> list[Benchmark]:
    """The benchmarks `--only` names (`referral` or `bench.referral`), in the run's order."""
    if not names:
        return list(benchmarks)
    wanted = {n.removeprefix("bench.") for n in names}
    unknown = wanted - {b.name for b in benchmarks}
    if unknown:
        known = ", ".join(b.name for b in benchmarks)
        raise ValueError(f"no benchmark named {', '.join(sorted(unknown))} (there are: {known})")
    return [b for b in benchmarks if b.name in wanted]


def duration(seconds: float) -> str:
    minutes, s = divmod(int(seconds), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}h{m:02d}m" if hours else (f"{m}m{s:02d}s" if m else f"{s}s")


def bar(step: int, total: int, label: str, elapsed: float, width: int = 12) -> str:
    """`[3/12] bench.referral ███░░░░░░░░░ 1m12s`: the steps done of the run, the one
    running and how long it has run."""
    done = round(width * (step - 1) / total) if total else width
    return f"[{step}/{total}] {label} {'█' * done}{'░' * (width - done)} {duration(elapsed)}"


class Progress:
    """The run's progress on `stream` (stderr): one line rewritten in place on a terminal;
    elsewhere (CI logs) a line when each step starts and ends, and one a minute between."""

    def __init__(self, stream: IO[str], tty: bool | None = None) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.said = 0.0

    def _line(self, text: str, end: str = "\n") -> None:
        if self.tty:
            self.stream.write(f"\r{text}\x1b[K{end}")
        else:
            self.stream.write(f"{text}\n")
        self.stream.flush()

    def start(self, step: int, total: int, label: str) -> None:
        self.said = time.monotonic()
        self._line(bar(step, total, label, 0), end="")

    def tick(self, step: int, total: int, label: str, elapsed: float) -> None:
        if self.tty or time.monotonic() - self.said >= 60:
            self.said = time.monotonic()
            self._line(bar(step, total, label, elapsed), end="")

    def done(self, step: int, total: int, label: str, outcome: Outcome) -> None:
        verdict = "ok" if outcome.status == "ok" else f"FAILED: {outcome.error}"
        self._line(f"[{step}/{total}] {label} {verdict} ({duration(outcome.seconds)})")


def die_with_parent() -> None:
    """Called first in a benchmark's process: SIGTERM to it when the run's process dies, even
    by SIGKILL (Linux; elsewhere nothing), so a killed run does not leave a benchmark and its
    services behind (they are in a session of their own, out of the terminal's reach)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def _tail(log: Path) -> list[str]:
    try:
        return log.read_text(errors="replace").splitlines()[-LOG_TAIL:]
    except OSError:
        return []


def _stop_tree(process: subprocess.Popen[bytes], grace: float) -> str:
    """SIGTERM to the benchmark (its handler stops its services on the way out), SIGKILL to
    its whole process group after `grace` seconds. Says what it took; never raises."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
        return "stopped with SIGTERM"
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        return f"sent SIGKILL (with its process group) {grace:g} s after SIGTERM, yet still running"
    return f"killed (with its process group) {grace:g} s after SIGTERM"


def _leftovers(pgid: int) -> str | None:
    """After the benchmark's process ended: any process of its group still running (a
    service it did not stop) is sent SIGTERM, and said."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return None
    return "processes it started were still running after it ended: sent them SIGTERM"


def _read_result(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The benchmark's result file, or None and why it could not be read (None: none)."""
    if not path.exists():
        return None, None
    try:
        found = json.loads(path.read_text())
        if not isinstance(found, dict) or found.get("status") not in ("ok", "failed"):
            raise ValueError("not a result")
        return found, None
    except (OSError, ValueError) as e:
        return None, f"its result could not be read ({type(e).__name__}: {e})"


def margin(timeout: float) -> float:
    """How long before its limit a benchmark's own waits end (MAAG_BENCH_DEADLINE)."""
    return min(MARGIN_MAX, timeout * MARGIN_SHARE)


def run_one(
    bench: Benchmark,
    sizes: Mapping[str, Any],
    timeout: float,
    on_tick: Callable[[float], None] = lambda elapsed: None,
) -> Outcome:
    """The benchmark in a process of its own (`python -m bench one`), in a session of its
    own so its services can be stopped with it; its waits told to end `margin(timeout)`
    before its limit, and it stopped after `timeout` seconds. Stopped, its result file says
    where it was. When the run itself is stopped (SIGTERM, Ctrl-C) the benchmark is stopped
    too and the run's exception goes on, with a note of any process left over."""
    from bench.support import DEADLINE

    started = time.monotonic()
    deadline = time.time() + timeout - margin(timeout)
    with tempfile.TemporaryDirectory(prefix=f"bench-{bench.name}-") as tmp:
        result, log = Path(tmp) / "result.json", Path(tmp) / "output.log"
        command = [
            sys.executable,
            "-m",
            "bench",
            "one",
            bench.module,
            "--function",
            bench.function,
            "--sizes",
            json.dumps(dict(sizes)),
            "--result",
            str(result),
            *(["--identity"] if bench.identity else []),
        ]
        with log.open("wb") as output:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, DEADLINE: f"{deadline:.3f}"},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # `bench one` asks to die with the run (die_with_parent)
            )
        stopped = None
        try:
            while True:
                try:
                    process.wait(timeout=1.0)
                    break
                except subprocess.TimeoutExpired:
                    elapsed = time.monotonic() - started
                    on_tick(elapsed)
                    if elapsed > timeout:
                        stopped = _stop_tree(process, STOP_GRACE)
                        break
        except BaseException as e:  # the run itself was stopped (SIGTERM, Ctrl-C)
            if process.poll() is None:
                _stop_tree(process, STOP_GRACE)
            if note := _leftovers(process.pid):
                e.add_note(note)
            raise
        seconds = time.monotonic() - started
        notes = [note] if (note := _leftovers(process.pid)) else []
        found, unreadable = _read_result(result)
        if unreadable:
            notes.append(unreadable)
        if found is None or (stopped and found["status"] != "ok"):
            if stopped:
                error = f"did not finish within {timeout:g} s: {stopped}"
                if found and found.get("where"):
                    error += f"; it was in {found['where']}"
                if found and found.get("after"):
                    error += f"; it had already failed: {found['after']}"
            else:
                error = f"its process ended (exit code {process.returncode}) without a result"
            extra: list[str] = []
            if found:  # where it was; the traceback too when it says more than that
                extra = list(found.get("stopped_in") or [])
                if found.get("after") or not extra:
                    extra += found.get("traceback", "").splitlines()[-LOG_TAIL:]
            return Outcome(
                "failed",
                seconds,
                (found or {}).get("sizes", dict(sizes)),
                error=error,
                log_tail=[*_tail(log), *extra],
                notes=notes,
            )
        if found["status"] != "ok":
            return Outcome(
                "failed",
                seconds,
                found.get("sizes", dict(sizes)),
                error=found.get("error") or "failed, without saying why",
                log_tail=[*_tail(log), *found.get("traceback", "").splitlines()[-LOG_TAIL:]],
                notes=notes,
            )
        return Outcome(
            "ok", seconds, found.get("sizes", dict(sizes)), found.get("figures") or {}, notes=notes
        )


def machine() -> dict[str, Any]:
    """The machine and what it runs, each part only if cheap to find (else left out)."""
    found: dict[str, Any] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    with contextlib.suppress(OSError, ValueError):
        pages = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        found["ram_gib"] = round(pages / 2**30, 1)
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                found["cpu"] = line.split(":", 1)[1].strip()
                break
    if url := os.environ.get("MAAG_POSTGRES_URL"):
        with contextlib.suppress(Exception):  # a report without the version, not no report
            import psycopg

            with psycopg.connect(url, connect_timeout=5) as conn:
                row = conn.execute("SHOW server_version").fetchone()
                found["postgresql"] = row[0] if row else None
    if bootstrap := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        with contextlib.suppress(Exception):
            from maag.ops.infra.layout import Layout

            layout = Layout.from_env()
            # The broker does not say its version; the local infrastructure's is known.
            if bootstrap == layout.kafka_bootstrap:
                found["kafka"] = layout.kafka_version
    git = ["git", "-C", str(ROOT), "--no-optional-locks"]  # reads only: no index refresh
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        found["git_revision"] = subprocess.run(
            [*git, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        found["git_dirty"] = bool(status.stdout.strip())
    return found


@dataclass(frozen=True)
class Options:
    quick: bool = False
    out: Path = Path("bench/results")
    only: Sequence[str] | None = None
    timeout: float | None = None  # each benchmark's own limit unless given
    readme: Path = README
    command: str = "python -m bench all"


def rewrites_readme(options: Options, benchmarks: Sequence[Benchmark] = BENCHMARKS) -> bool:
    """Whether a run with these options would rewrite the README if all went well: every
    benchmark at full sizes and its own limits (`report.refusal` has the rest)."""
    chosen = select(options.only, benchmarks)
    return not options.quick and options.timeout is None and len(chosen) == len(benchmarks)


def preflight(options: Options, benchmarks: Sequence[Benchmark] = BENCHMARKS) -> None:
    """A ValueError, before anything runs, for what would otherwise be found out at its end:
    `--only` naming no benchmark, or a README the run would rewrite without its markers."""
    if not rewrites_readme(options, benchmarks):  # select() has checked the names
        return
    from bench import report

    try:
        text = options.readme.read_text(encoding="utf-8")
    except OSError as e:
        raise ValueError(f"cannot read {options.readme}: {e}") from e
    try:
        report.replace_block(text, "")
    except ValueError as e:
        raise ValueError(f"{options.readme}: {e}") from e


def _how(e: BaseException) -> str:
    """How the run was stopped, from the exception that stopped it."""
    if isinstance(e, KeyboardInterrupt):
        return "Ctrl-C"
    code = getattr(e, "code", None)
    if isinstance(code, int) and code > 128:
        with contextlib.suppress(ValueError):
            return signal.Signals(code - 128).name
    return f"{type(e).__name__} {code}" if code is not None else type(e).__name__


def run_all(
    options: Options,
    benchmarks: Sequence[Benchmark] = BENCHMARKS,
    baselines: Benchmark = BASELINES,
    about_machine: Callable[[], Mapping[str, Any]] = machine,
    stream: IO[str] = sys.stderr,
) -> tuple[dict[str, Any], int]:
    """The baselines, then each benchmark; the report written; the README rewritten after a
    full run of every one (a README that cannot be is said, and the exit code is 1). Stopped
    itself (SIGTERM, Ctrl-C), it stops the benchmark running, writes the report of what it
    has and raises again. The result and the exit code."""
    from bench import report

    chosen = select(options.only, benchmarks)
    progress = Progress(stream)
    started = datetime.now(UTC).replace(microsecond=0)
    found_machine = about_machine()  # before the run: the revision it ran
    steps = [baselines, *chosen]
    outcomes: list[Outcome] = []
    interrupted: BaseException | None = None
    for step, bench in enumerate(steps, start=1):
        sizes = dict(bench.quick if options.quick else bench.full)
        limit = options.timeout or (bench.quick_timeout if options.quick else bench.timeout)
        label = bench.module
        progress.start(step, len(steps), label)
        began = time.monotonic()
        try:
            outcome = run_one(
                bench,
                sizes,
                limit,
                functools.partial(progress.tick, step, len(steps), label),
            )
        except (KeyboardInterrupt, SystemExit) as e:  # the run stopped: report what it has
            outcome = Outcome(
                "failed",
                time.monotonic() - began,
                sizes,
                error=f"the run was stopped ({_how(e)})",
                notes=list(getattr(e, "__notes__", [])),  # what run_one had to stop
            )
            interrupted = e
        outcomes.append(outcome)
        progress.done(step, len(steps), label, outcome)
        if interrupted:
            break
    ran = list(zip(chosen, outcomes[1:], strict=False))
    result = report.build(
        baselines=baselines,
        baseline_outcome=outcomes[0],
        outcomes=ran,
        quick=options.quick,
        complete=len(ran) == len(benchmarks) and not interrupted,
        started=started,
        finished=datetime.now(UTC).replace(microsecond=0),
        machine=found_machine,
        command=options.command,
        only=[b.name for b in chosen] if options.only else None,
        timeout=options.timeout,
        interrupted=_how(interrupted) if interrupted else None,
    )
    written = report.write(result, options.out)
    print(f"written: {written.json}, {written.png}, {written.html}, {written.latest}")
    code = report.exit_code(result)
    if (why := report.refusal(result)) is None:
        try:
            report.update_readme(options.readme, result, written.json)
            print(f"{options.readme}: performance section rewritten")
        except (OSError, ValueError) as e:
            print(f"{options.readme} NOT rewritten: {e}", file=sys.stderr)
            code = 1
    else:
        print(f"{options.readme} left alone: {why}")
    if interrupted:
        raise interrupted
    return result, code


def summary(result: Mapping[str, Any]) -> str:
    """The headline figures, a line each, for the terminal."""
    from bench.report import number

    lines = []
    for entry in [result["baselines"], *result["benchmarks"]]:
        if entry["status"] == "failed":
            lines.append(f"{entry['name']:14} FAILED: {entry['error']}")
            continue
        for f in entry["figures"]:
            if not f["headline"]:
                continue
            goal = (
                f"  goal {f['goal']['text']}: {'met' if f['met'] else 'NOT met'}"
                if f["goal"]
                else ""
            )
            ratios = "".join(
                f"  {number(r['value'])}x {r['baseline']}" for r in f["ratios"] if r["value"]
            )
            lines.append(
                f"{entry['name']:14} {f['label']:42} {number(f['value']):>10} {f['unit']}"
                f"{goal}{ratios}"
            )
    return "\n".join(lines)


def command_line(argv: Sequence[str]) -> str:
    return "python -m bench " + shlex.join(argv)
