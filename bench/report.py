"""What `python -m bench all` makes of the benchmarks' figures: each figure with its unit, its
goal and whether it is met, its ratio to the baseline it is compared with; the run's JSON, a
chart, an HTML page, and the README's performance section. Nothing here runs a benchmark or
touches the broker or the database, so all of it is tested without them."""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

FORMAT = "maag-bench-all/1"  # the JSON's shape; bumped when it changes incompatibly
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
LATEST = "latest.json"


@dataclass(frozen=True)
class Goal:
    """At least (`>=`) or below (`<`) `value`, in the figure's unit."""

    op: Literal[">=", "<"]
    value: float

    def met(self, x: float) -> bool:
        return x >= self.value if self.op == ">=" else x < self.value

    def attainment(self, x: float) -> float:
        """How far the goal is reached: 1 exactly at the goal, above 1 when beaten."""
        if self.op == ">=":
            return x / self.value
        return math.inf if x <= 0 else self.value / x

    def text(self, unit: str = "") -> str:
        sign = "≥" if self.op == ">=" else "<"
        return f"{sign} {number(self.value)}{f' {unit}' if unit else ''}"

    def as_json(self, unit: str = "") -> dict[str, Any]:
        return {"op": self.op, "value": self.value, "text": self.text(unit)}


@dataclass(frozen=True)
class Ratio:
    """The figure divided by the baseline `baseline` (a key of bench.baselines' figures)."""

    baseline: str
    goal: Goal | None = None


@dataclass(frozen=True)
class Figure:
    """A figure the report leads with: its label, unit, goal and comparisons. `comparison`
    says why the baseline chosen is the honest one (or why there is none)."""

    key: str
    label: str
    unit: str
    goal: Goal | None = None
    ratios: tuple[Ratio, ...] = ()
    comparison: str = ""


@dataclass(frozen=True)
class Benchmark:
    """A benchmark `python -m bench all` runs: `module`'s `function` (sync, or async run in
    an event loop of its own) called with `full` or `quick` sizes (over its defaults) in a
    process of its own, stopped after `timeout` (or `quick_timeout`) seconds."""

    name: str
    module: str
    about: str
    headline: tuple[Figure, ...] = ()
    full: Mapping[str, Any] = field(default_factory=dict)
    quick: Mapping[str, Any] = field(default_factory=dict)
    function: str = "figures"
    identity: bool = False  # needs the identity provider's tokens (`bench.support.identity`)
    timeout: float = 1800.0
    quick_timeout: float = 240.0


@dataclass
class Outcome:
    """What became of one benchmark's process: its figures (as its function returned them,
    possibly nested), or why it failed."""

    status: Literal["ok", "failed"]
    seconds: float
    sizes: dict[str, Any]
    figures: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    log_tail: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def number(v: float) -> str:
    """A figure as people read it: thousands separated, three significant digits or so."""
    if isinstance(v, int) or (math.isfinite(v) and v == int(v) and abs(v) >= 1):
        return f"{int(v):,}"
    if not math.isfinite(v):
        return str(v)
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def flatten(found: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """The numbers of a figures dict, nested ones named by their path (`throughput.cases`);
    anything else (text, flags) is not a figure."""
    flat: dict[str, float] = {}
    for key, value in found.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat |= flatten(value, f"{name}.")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[name] = value
    return flat


def _unit_of_part(part: str) -> str | None:
    """The unit one part of a key names (`p99_ms`, `cpu_ms_per_case`), if it names one."""
    if part.endswith("_per_second"):
        return "/s"
    if part.endswith("_seconds_per_million"):
        return "s per million events"
    if part.startswith("ratio"):
        return "x"
    head, per, each = part.partition("_per_")
    words = head.split("_")
    unit = next(
        (u for w, u in (("ms", "ms"), ("seconds", "s"), ("kib", "KiB")) if w in words), None
    )
    if unit and per:
        return f"{unit} per {each.replace('_', ' ')}"
    return unit


def unit_of(key: str) -> str:
    """A figure's unit from its key's parts as the benchmarks name them, the innermost that
    names one (`throughput.cpu_ms_per_case.kafka`: ms per case); else a count."""
    for part in reversed(key.split(".")):
        if unit := _unit_of_part(part):
            return unit
    return "count"


def _ratios(
    figure: Figure, value: float | None, baselines: Mapping[str, float] | None
) -> list[dict[str, Any]]:
    found = []
    for ratio in figure.ratios:
        base = (baselines or {}).get(ratio.baseline)
        r = value / base if value is not None and base else None
        found.append(
            {
                "baseline": ratio.baseline,
                "baseline_per_second": base,
                "value": None if r is None else round(r, 4),
                "goal": ratio.goal.as_json() if ratio.goal else None,
                "met": None if r is None or ratio.goal is None else ratio.goal.met(r),
            }
        )
    return found


def evaluate(
    bench: Benchmark, outcome: Outcome, baselines: Mapping[str, float] | None
) -> dict[str, Any]:
    """The benchmark's entry in the run's JSON: every figure with its unit, the headline
    ones with their goals, whether met, and ratios to `baselines` (None: they failed). A
    headline figure the benchmark did not return fails it: the spec and the module drifted."""
    flat = flatten(outcome.figures) if outcome.status == "ok" else {}
    status, error = outcome.status, outcome.error
    missing = [f.key for f in bench.headline if f.key not in flat]
    if status == "ok" and missing:
        status = "failed"
        error = f"{bench.module}.{bench.function} returned no {', '.join(missing)}"
    figures = []
    for f in bench.headline:
        value = flat.get(f.key) if status == "ok" else None
        figures.append(
            {
                "key": f.key,
                "label": f.label,
                "unit": f.unit,
                "value": value,
                "headline": True,
                "goal": f.goal.as_json(f.unit) if f.goal else None,
                "met": None if value is None or f.goal is None else f.goal.met(value),
                "ratios": _ratios(f, value, baselines),
                "comparison": f.comparison or None,
            }
        )
    headline = {f.key for f in bench.headline}
    for key, value in flat.items():
        if key not in headline:
            figures.append(
                {
                    "key": key,
                    "label": key,
                    "unit": unit_of(key),
                    "value": value,
                    "headline": False,
                    "goal": None,
                    "met": None,
                    "ratios": [],
                    "comparison": None,
                }
            )
    return {
        "name": bench.name,
        "module": bench.module,
        "about": bench.about,
        "status": status,
        "error": error,
        "log_tail": outcome.log_tail if status == "failed" else [],
        "notes": outcome.notes,
        "seconds": round(outcome.seconds, 1),
        "sizes": outcome.sizes,
        "figures": figures,
    }


def build(
    *,
    baselines: Benchmark,
    baseline_outcome: Outcome,
    outcomes: Sequence[tuple[Benchmark, Outcome]],
    quick: bool,
    complete: bool,
    started: datetime,
    finished: datetime,
    machine: Mapping[str, Any],
    command: str,
    only: Sequence[str] | None = None,
    timeout: float | None = None,
    interrupted: str | None = None,
) -> dict[str, Any]:
    """The run's JSON, from each benchmark's outcome. `only`: the benchmarks `--only` chose;
    `timeout`: the limit `--timeout` gave every one; `interrupted`: how the run itself was
    stopped (SIGTERM, Ctrl-C)."""
    base_entry = evaluate(baselines, baseline_outcome, None)
    per_second = (
        {f["key"]: f["value"] for f in base_entry["figures"] if f["headline"]}
        if base_entry["status"] == "ok"
        else None
    )
    entries = [evaluate(b, o, per_second) for b, o in outcomes]
    met = missed = unmeasured = 0
    for entry in entries:
        for f in entry["figures"]:
            verdicts = [f["met"]] if f["goal"] else []
            verdicts += [r["met"] for r in f["ratios"] if r["goal"]]
            for verdict in verdicts:
                if verdict is None:  # its benchmark or the baselines failed
                    unmeasured += 1
                elif verdict:
                    met += 1
                else:
                    missed += 1
    return {
        "format": FORMAT,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "seconds": round((finished - started).total_seconds(), 1),
        "quick": quick,
        "complete": complete,
        "only": list(only) if only is not None else None,
        "timeout": timeout,
        "interrupted": interrupted,
        "command": command,
        "machine": dict(machine),
        "baselines": {**base_entry, "per_second": per_second},
        "benchmarks": entries,
        "failed": [e["name"] for e in [base_entry, *entries] if e["status"] == "failed"],
        "goals": {"met": met, "missed": missed, "not_measured": unmeasured},
    }


def exit_code(result: Mapping[str, Any]) -> int:
    return 1 if result["failed"] else 0


def _goals_of(result: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (entry["name"], f)
        for entry in result["benchmarks"]
        for f in entry["figures"]
        if f["headline"]
    ]


def chart(result: Mapping[str, Any], path: Path) -> None:
    """Two panels: each compared figure's ratio to its baseline (log scale, with the ratio's
    goal where it has one), and each goal's attainment (the figure over its goal; for a
    `<` goal, the goal over the figure: past 1 is met)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratios: list[tuple[str, dict[str, Any]]] = []
    goals: list[tuple[str, float | None, bool | None]] = []
    for name, f in _goals_of(result):
        for r in f["ratios"]:
            ratios.append((f"{name}: {f['label']}\n÷ {r['baseline']}", r))
        if f["goal"]:
            goal = Goal(f["goal"]["op"], f["goal"]["value"])
            reached = None if f["value"] is None else goal.attainment(f["value"])
            goals.append((f"{name}: {f['label']} {goal.text(f['unit'])}", reached, f["met"]))
    rows = max(len(ratios), len(goals), 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 1.2 + 0.45 * rows))
    _ratio_panel(left, ratios)
    _goal_panel(right, goals)
    when = _when(result["started_at"])
    kind = "quick sizes (CI), not comparable with the goals" if result["quick"] else "full sizes"
    fig.suptitle(f"MAAG benchmarks, {when}, {result['machine'].get('cores')} cores, {kind}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _log_bars(
    ax: Any, labels: list[str], values: list[float | None], colours: list[str], texts: list[str]
) -> None:
    """Horizontal bars on a log scale (ratios span orders of magnitude); one not measured
    is a stub at the axis' left end, labelled as such."""
    positive = [v for v in values if v is not None and v > 0 and math.isfinite(v)]
    low = min([*positive, 1.0]) / 3
    high = max([*positive, 1.0]) * 5
    widths = [low if v is None or v <= 0 or not math.isfinite(v) else v for v in values]
    y = list(range(len(values)))
    bars = ax.barh(y, widths, color=colours)
    ax.bar_label(bars, labels=texts, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()


def ratio_colour(ratio: Mapping[str, Any]) -> str:
    """Grey: not measured; blue: no goal; green or red: the ratio's goal met or not (as
    `met` says, whichever way the goal points)."""
    if ratio["value"] is None:
        return "#999999"
    if ratio["goal"] is None:
        return "#1f618d"
    return "#1e8449" if ratio["met"] else "#b03a2e"


def _ratio_panel(ax: Any, ratios: list[tuple[str, dict[str, Any]]]) -> None:
    ax.set_title("Ratio to the baseline it is compared with (same run)")
    if not ratios:
        ax.text(0.5, 0.5, "nothing compared", ha="center", va="center", transform=ax.transAxes)
        return
    values = [r["value"] for _, r in ratios]
    _log_bars(
        ax,
        [label for label, _ in ratios],
        values,
        [ratio_colour(r) for _, r in ratios],
        ["not measured" if v is None else f"{v:.3g}" for v in values],
    )
    for i, (_, r) in enumerate(ratios):
        if r["goal"] is not None:
            ax.plot([r["goal"]["value"]] * 2, [i - 0.4, i + 0.4], color="black", linewidth=2)
    ax.set_xlabel("figure ÷ baseline (log; black tick: the ratio's goal)")


def _goal_panel(ax: Any, goals: list[tuple[str, float | None, bool | None]]) -> None:
    ax.set_title("Goal attainment (1 = exactly the goal; beyond 1 = met)")
    if not goals:
        ax.text(0.5, 0.5, "no goals", ha="center", va="center", transform=ax.transAxes)
        return
    colours = [
        "#999999" if met is None else ("#1e8449" if met else "#b03a2e") for _, _, met in goals
    ]
    _log_bars(
        ax,
        [label for label, _, _ in goals],
        [v for _, v, _ in goals],
        colours,
        ["not measured" if v is None else f"{v:.2g}x" for _, v, _ in goals],
    )
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xlabel("figure ÷ goal (for a '<' goal, goal ÷ figure; log)")


def _ratio_text(f: Mapping[str, Any]) -> str:
    parts = []
    for r in f["ratios"]:
        if r["value"] is None:  # the benchmark failed, or the baselines did
            parts.append("-" if f["value"] is None else f"- (no {r['baseline']}: it failed)")
            continue
        text = f"{number(r['value'])} x {r['baseline']}"
        if r["goal"]:
            text += f" (goal {r['goal']['text']}: {'met' if r['met'] else 'not met'})"
        parts.append(text)
    return "; ".join(parts)


def _met_text(f: Mapping[str, Any]) -> str:
    if not f["goal"]:
        return ""
    return "-" if f["met"] is None else ("yes" if f["met"] else "**no**")


def _value_text(f: Mapping[str, Any], status: str) -> str:
    if f["value"] is None:
        return "failed" if status == "failed" else "-"
    return f"{number(f['value'])} {f['unit']}"


def page(result: Mapping[str, Any], png: bytes) -> str:
    """A self-contained HTML page: the run, the baselines, the headline figures with their
    goals and ratios, every figure of every benchmark, and the chart."""
    e = html.escape
    out = io.StringIO()
    w = out.write
    title = f"MAAG benchmarks, {_when(result['started_at'])}"
    w(f"<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>\n")
    w(
        "<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:.25em .6em;text-align:left}td.n{text-align:right}"
        ".failed{color:#b03a2e}.met{color:#1e8449}.missed{color:#b03a2e;font-weight:bold}"
        "img{max-width:100%}</style></head><body>\n"
    )
    w(f"<h1>{e(title)}</h1>\n")
    if result["quick"]:
        w(
            "<p><strong>Quick sizes (CI): the figures are not comparable with the goals.</strong></p>\n"
        )
    w(f"<p><code>{e(result['command'])}</code>, {e(str(result['seconds']))} s.</p>\n")
    if result.get("interrupted"):
        w(f"<p class='failed'>The run was stopped ({e(result['interrupted'])}).</p>\n")
    w("<table><tr><th colspan=2>machine</th></tr>\n")
    for key, value in result["machine"].items():
        w(f"<tr><td>{e(key)}</td><td>{e(str(value))}</td></tr>\n")
    w("</table>\n")
    if result["failed"]:
        w(f"<p class='failed'>Failed: {e(', '.join(result['failed']))}</p>\n")
    base = result["baselines"]
    w("<h2>Baselines (same run, same broker and database)</h2>\n")
    _entry_table(w, base)
    w("<h2>Figures, goals and ratios</h2>\n<table><tr><th>benchmark</th><th>figure</th>")
    w("<th>value</th><th>goal</th><th>met</th><th>ratio to baseline</th><th>why</th></tr>\n")
    for entry in result["benchmarks"]:
        for f in entry["figures"]:
            if not f["headline"]:
                continue
            met = f["met"]
            cls = "" if met is None else ("met" if met else "missed")
            w(
                f"<tr><td>{e(entry['name'])}</td><td>{e(f['label'])} (<code>{e(f['key'])}</code>)"
                f"</td><td class='n'>{e(_value_text(f, entry['status']))}</td>"
                f"<td>{e(f['goal']['text'] if f['goal'] else '')}</td>"
                f"<td class='{cls}'>{e(_met_text(f).strip('*'))}</td>"
                f"<td>{e(_ratio_text(f))}</td><td>{e(f['comparison'] or '')}</td></tr>\n"
            )
    w("</table>\n")
    encoded = base64.b64encode(png).decode()
    w(
        f"<img alt='ratios to baselines and goal attainment' src='data:image/png;base64,{encoded}'>\n"
    )
    w("<h2>Every figure</h2>\n")
    for entry in result["benchmarks"]:
        w(f"<h3>{e(entry['name'])} <small>({e(entry['module'])})</small></h3>\n")
        _entry_table(w, entry)
    w("</body></html>\n")
    return out.getvalue()


def _entry_table(w: Any, entry: Mapping[str, Any]) -> None:
    e = html.escape
    sizes = ", ".join(f"{k}={v}" for k, v in entry["sizes"].items())
    w(f"<p>{e(entry['about'])} Sizes: <code>{e(sizes)}</code>; {entry['seconds']} s.</p>\n")
    if entry["status"] == "failed":
        w(f"<p class='failed'>Failed: {e(entry['error'] or '')}</p>\n")
        if entry["log_tail"]:
            w(f"<pre>{e(chr(10).join(entry['log_tail']))}</pre>\n")
    for note in entry.get("notes", []):
        w(f"<p>{e(note)}</p>\n")
    w("<table><tr><th>figure</th><th>key</th><th>value</th><th>unit</th><th>goal</th></tr>\n")
    for f in entry["figures"]:
        value = "-" if f["value"] is None else number(f["value"])
        goal = f"{f['goal']['text']}: {_met_text(f).strip('*')}" if f["goal"] else ""
        w(
            f"<tr><td>{e(f['label'] if f['headline'] else '')}</td><td><code>{e(f['key'])}</code>"
            f"</td><td class='n'>{e(value)}</td><td>{e(f['unit'])}</td><td>{e(goal)}</td></tr>\n"
        )
    w("</table>\n")


@dataclass(frozen=True)
class Written:
    json: Path
    png: Path
    html: Path
    latest: Path


def write(result: dict[str, Any], out: Path) -> Written:
    """all-<UTC time>.json, .png and .html in `out`, and `out`/latest.json (a copy of the
    JSON: a link would not survive a copy of the folder or a commit on every system)."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(result["started_at"]).strftime("%Y%m%dT%H%M%SZ")
    stem = out / f"all-{stamp}"
    written = Written(
        stem.with_suffix(".json"), stem.with_suffix(".png"), stem.with_suffix(".html"), out / LATEST
    )
    result["files"] = {
        "json": written.json.name,
        "png": written.png.name,
        "html": written.html.name,
    }
    written.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    chart(result, written.png)
    written.html.write_text(page(result, written.png.read_bytes()), encoding="utf-8")
    shutil.copyfile(written.json, written.latest)
    return written


def readme_block(result: Mapping[str, Any], source: Path, readme_dir: Path) -> str:
    """The README's performance section (between the markers) from a run's JSON."""
    m = result["machine"]
    lines = [
        f"<!-- made by `python -m bench all` (or `readme`) from {_rel(source, readme_dir)}: "
        "edits here are overwritten -->",
        "",
        f"Last full run: {_when(result['started_at'])}, "
        f"`{result['command']}` ({_duration(result['seconds'])}), on "
        + ", ".join(
            part
            for part in (
                f"{m.get('cores')} cores",
                f"{m['ram_gib']} GiB RAM" if m.get("ram_gib") else "",
                f"Python {m.get('python')}",
                f"Kafka {m['kafka']}" if m.get("kafka") else "",
                f"PostgreSQL {m['postgresql']}" if m.get("postgresql") else "",
                f"at `{str(m['git_revision'])[:10]}`{' (with changes)' if m.get('git_dirty') else ''}"
                if m.get("git_revision")
                else "",
            )
            if part
        )
        + ".",
        "",
    ]
    base = result["baselines"]
    if base["per_second"]:
        lines.append(
            "Baselines, same run, same broker and database: "
            + "; ".join(
                f"{f['label']} {number(f['value'])} {f['unit']}"
                for f in base["figures"]
                if f["headline"]
            )
            + "."
        )
    else:
        lines.append(f"Baselines: failed ({base['error']}): no ratios in this run.")
    lines += [
        "",
        "| benchmark | figure | value | goal | met | ratio to baseline |",
        "|---|---|---:|---|---|---|",
    ]
    for entry in result["benchmarks"]:
        for f in entry["figures"]:
            if f["headline"]:
                lines.append(
                    f"| {entry['name']} | {f['label']} | {_value_text(f, entry['status'])} | "
                    f"{f['goal']['text'] if f['goal'] else ''} | {_met_text(f)} | "
                    f"{_ratio_text(f)} |"
                )
    failed = [e for e in [base, *result["benchmarks"]] if e["status"] == "failed"]
    if failed:
        lines.append("")
        lines += [f"- **{e['name']} failed**: {e['error']}" for e in failed]
    why = [
        f"{entry['name']} {f['label']}: {f['comparison']}"
        for entry in result["benchmarks"]
        for f in entry["figures"]
        if f["headline"] and f["comparison"]
    ]
    if why:
        lines += ["", "Why each comparison:", ""] + [f"- {w}" for w in why]
    files = result.get("files", {})
    if files.get("png"):
        png = source.parent / files["png"]
        lines += ["", f"![ratios to baselines and goal attainment]({_rel(png, readme_dir)})"]
    return "\n".join(lines)


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")


def _rel(path: Path, start: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
    except ValueError:  # another drive
        return path.as_posix()


def _duration(seconds: float) -> str:
    minutes, s = divmod(round(seconds), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}h{m:02d}m" if hours else (f"{m}m{s:02d}s" if m else f"{s}s")


def replace_block(text: str, block: str) -> str:
    """`text` with what lies between the markers replaced by `block`, and nothing else
    changed; an error when the markers are not there exactly once each, in order."""
    starts, ends = text.count(START), text.count(END)
    if starts != 1 or ends != 1 or text.index(START) > text.index(END):
        raise ValueError(
            f"the README must hold {START} and then {END} once each (found {starts} and {ends})"
        )
    head, rest = text.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{block.strip()}\n{END}{tail}"


def refusal(result: Mapping[str, Any]) -> str | None:
    """Why a run's figures do not belong in the README, or None when they do: a full run of
    every benchmark, at full sizes and their own limits, with baselines to compare with and
    something measured."""
    if result.get("format") != FORMAT:
        return f"it is not a `python -m bench all` result ({FORMAT})"
    if result["quick"]:
        return "it is a --quick run (tiny sizes, for CI)"
    if result.get("interrupted"):
        return f"the run was stopped ({result['interrupted']}) before it finished"
    if not result["complete"]:
        names = ", ".join(e["name"] for e in result["benchmarks"]) or "none"
        if result.get("only"):
            return f"it ran only some benchmarks (--only: {names})"
        return f"it did not run every benchmark (ran: {names})"
    if result.get("timeout") is not None:
        return f"it ran with --timeout {result['timeout']:g} instead of each benchmark's own limit"
    if result["baselines"]["status"] != "ok":
        return f"the baselines failed ({result['baselines']['error']}): nothing to compare with"
    if all(e["status"] != "ok" for e in result["benchmarks"]):
        return "every benchmark failed: nothing was measured"
    return None


def update_readme(readme: Path, result: Mapping[str, Any], source: Path) -> None:
    """The README's performance section rewritten from `result` (UTF-8; nothing outside
    the markers changed): written aside and renamed over it, so a failure half way leaves it
    as it was."""
    with readme.open(encoding="utf-8", newline="") as f:
        text = f.read()
    rewritten = replace_block(text, readme_block(result, source, readme.parent))
    aside = readme.with_name(f".{readme.name}.{os.getpid()}.tmp")
    try:
        aside.write_text(rewritten, encoding="utf-8", newline="")
        shutil.copymode(readme, aside)
        os.replace(aside, readme)
    finally:
        aside.unlink(missing_ok=True)
