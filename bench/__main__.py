"""`python -m bench all`: every benchmark in one run, one report (bench/all.py).
`python -m bench readme`: the README's performance section from a run's JSON, nothing run.
`python -m bench one MODULE`: one benchmark's figures into a file (what `all` runs each
benchmark with, in a process of its own)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _parser() -> argparse.ArgumentParser:
    from bench.all import README

    parser = argparse.ArgumentParser(prog="python -m bench")
    commands = parser.add_subparsers(dest="command", required=True)
    every = commands.add_parser("all", help="every benchmark in one run, one report")
    every.add_argument("--quick", action="store_true", help="tiny sizes (CI); README untouched")
    every.add_argument("--out", type=Path, default=Path("bench/results"))
    every.add_argument("--only", nargs="+", metavar="NAME", help="these benchmarks only")
    every.add_argument(
        "--timeout", type=float, help="seconds each benchmark may take (default: its own)"
    )
    every.add_argument("--readme", type=Path, default=README, help=argparse.SUPPRESS)
    readme = commands.add_parser("readme", help="the README's performance section from a run")
    readme.add_argument(
        "--from", dest="source", type=Path, default=Path("bench/results/latest.json")
    )
    readme.add_argument("--readme", type=Path, default=README, help=argparse.SUPPRESS)
    one = commands.add_parser("one", help="one benchmark's figures into a file (for `all`)")
    one.add_argument("module")
    one.add_argument("--function", default="figures")
    one.add_argument("--sizes", default="{}", help="JSON: the function's keyword arguments")
    one.add_argument("--result", type=Path, required=True)
    one.add_argument("--identity", action="store_true", help="with the identity provider's tokens")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from bench.support import stop_on_signals

    args = _parser().parse_args(argv)
    stop_on_signals()
    if args.command == "one":
        return one(args.module, args.function, json.loads(args.sizes), args.result, args.identity)
    if args.command == "readme":
        return readme(args.source, args.readme)
    from bench.all import Options, command_line, preflight, run_all, summary

    options = Options(
        quick=args.quick,
        out=args.out,
        only=args.only,
        timeout=args.timeout,
        readme=args.readme,
        command=command_line(sys.argv[1:] if argv is None else argv),
    )
    try:  # before anything runs: --only names no benchmark, or the README has no markers
        preflight(options)
    except ValueError as e:
        print(f"python -m bench all: {e}", file=sys.stderr)
        return 2
    result, code = run_all(options)
    print(summary(result))
    return code


def readme(source: Path, target: Path) -> int:
    from bench import report

    try:
        result = json.loads(source.read_text())
    except (OSError, ValueError) as e:
        print(f"cannot read {source}: {e}", file=sys.stderr)
        return 2
    if (why := report.refusal(result)) is not None:
        print(f"{source} does not belong in {target}: {why}", file=sys.stderr)
        return 2
    try:
        report.update_readme(target, result, source)
    except (OSError, ValueError) as e:  # no README there, or not its markers
        print(f"{target} not rewritten: {e}", file=sys.stderr)
        return 2
    print(f"{target}: performance section rewritten from {source}")
    return 0


def defaults(function: Any) -> dict[str, Any]:
    return {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def one(module: str, function: str, sizes: dict[str, Any], result: Path, identity: bool) -> int:
    """`module.function(**sizes)` (awaited in an event loop of its own if a coroutine); its
    figures, or why it failed, written to `result` as JSON. Stopped by SIGTERM, it says so
    there too, after its `finally` blocks have stopped what it started: where it was
    (`where`, `stopped_in`) and the error it was already stopping for, if any (`after`)."""
    from bench.all import die_with_parent
    from bench.support import STOPPED
    from bench.support import identity as signed_in

    die_with_parent()
    resolved = dict(sizes)

    def write(found: dict[str, Any]) -> None:
        text = json.dumps({**found, "sizes": resolved}, default=str)
        partial = result.with_name(f"{result.name}.partial")
        partial.write_text(text)  # then renamed: the run never reads half a result
        partial.replace(result)

    try:
        figures = getattr(importlib.import_module(module), function)
        resolved = {**defaults(figures), **sizes}
        with signed_in() if identity else contextlib.nullcontext():
            found = figures(**sizes)
            if inspect.iscoroutine(found):
                found = asyncio.run(found)
        write({"status": "ok", "figures": found})
        return 0
    except BaseException as e:  # SystemExit from SIGTERM, KeyboardInterrupt too
        what = f"{type(e).__name__}: {e}"
        stop: dict[str, Any] = {}
        if STOPPED.signal and isinstance(e, SystemExit):
            what = f"stopped by {STOPPED.signal}"
            stop = {"where": STOPPED.where, "stopped_in": STOPPED.lines}
            if STOPPED.where:
                what += f" in {STOPPED.where}"
            if (before := e.__context__) is not None:  # it was already failing
                stop["after"] = f"{type(before).__name__}: {before}"
                what += f", while stopping after {stop['after']}"
        write({"status": "failed", "error": what, "traceback": traceback.format_exc(), **stop})
        if isinstance(e, SystemExit | KeyboardInterrupt):
            raise
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
