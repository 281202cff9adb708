"""The lock files the image and the tests install from: every package pinned, with its hashes.

`requirements.lock` is what the image runs: pyproject.toml's dependencies and everything they
pull in. `requirements-dev.lock` adds the dev extra, resolved with the runtime lock as its
constraints, so each package the two share has the same version: the tests run what the image
runs. Both are resolved for every platform and every Python that `requires-python` allows, so
one lock serves the image, CI and a developer's machine.

After a change to pyproject.toml's dependencies, `python -m maag.ops.lock` refreshes both (it
keeps every pin it can; `--upgrade-package NAME` or `--upgrade` moves pins on), and
`python -m maag.ops.lock --check` says what disagrees. Each lock records a digest of the inputs
it was resolved from, so a lock older than pyproject.toml is told apart from a current one.

Standard library only: the bootstrap runs `--check` before anything is installed."""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUNTIME_LOCK = "requirements.lock"
DEV_LOCK = "requirements-dev.lock"
DEV_EXTRA = "dev"
REFRESH_COMMAND = "python -m maag.ops.lock"
# Written by the refresh under uv's header; compared by the check.
_DIGEST_LINE = "# pyproject-inputs-sha256: "


@dataclass(frozen=True)
class Lock:
    """One lock file: the pyproject extras it adds to the dependencies, and the lock whose pins
    constrain it (so the packages both hold are the same versions)."""

    file: str
    extras: tuple[str, ...] = ()
    constrained_by: str | None = None


LOCKS = (Lock(RUNTIME_LOCK), Lock(DEV_LOCK, (DEV_EXTRA,), constrained_by=RUNTIME_LOCK))


@dataclass(frozen=True)
class Pin:
    name: str  # normalised (PEP 503): lower case, runs of -_. as one -
    version: str
    hashes: tuple[str, ...]


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project(pyproject: Path) -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads(pyproject.read_text())["project"]
    return project


def requirements(pyproject: Path, extras: Sequence[str] = ()) -> list[str]:
    """The requirement strings a lock is resolved from: the dependencies, then each extra's."""
    project = _project(pyproject)
    found: list[str] = list(project["dependencies"])
    for extra in extras:
        found += project["optional-dependencies"][extra]
    return found


def inputs_digest(pyproject: Path, extras: Sequence[str] = ()) -> str:
    """What a lock depends on in pyproject.toml, as one digest: requires-python and the
    requirements (order and spaces aside; comments are not part of the values)."""
    inputs = {
        "requires-python": _project(pyproject)["requires-python"],
        "requirements": sorted("".join(r.split()) for r in requirements(pyproject, extras)),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def recorded_digest(lock: Path) -> str | None:
    for line in lock.read_text().splitlines():
        if line.startswith(_DIGEST_LINE):
            return line.removeprefix(_DIGEST_LINE).strip()
    return None


_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")
_HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


def pins(lock: Path) -> list[Pin]:
    """The `name==version [; marker]` entries of a lock, each with its `--hash` lines (a
    universal lock may pin one package twice, under different markers)."""
    found: list[Pin] = []
    entry: list[str] = []

    def close() -> None:
        if entry:
            head = _PIN.match(entry[0])
            if head is None:
                raise ValueError(f"{lock.name}: not a pinned requirement: {entry[0]!r}")
            found.append(
                Pin(normalise(head["name"]), head["version"], tuple(_HASH.findall(" ".join(entry))))
            )
            entry.clear()

    for line in lock.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            close()
        entry.append(line)
    close()
    return found


def _name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise ValueError(f"pyproject.toml: not a requirement: {requirement!r}")
    return normalise(match[1])


def problems(root: Path) -> list[str]:
    """Where pyproject.toml and the lock files disagree, each saying how to fix it; empty when
    they agree."""
    pyproject = root / "pyproject.toml"
    fix = f"refresh the locks with `{REFRESH_COMMAND}`"
    found: list[str] = []
    for lock in LOCKS:
        path = root / lock.file
        if not path.exists():
            found.append(f"{lock.file} is missing: {fix}")
            continue
        locked = pins(path)
        names = {p.name for p in locked}
        for requirement in requirements(pyproject, lock.extras):
            if _name(requirement) not in names:
                found.append(
                    f"pyproject.toml asks for {requirement!r}, which {lock.file} does not pin: {fix}"
                )
        if recorded_digest(path) != inputs_digest(pyproject, lock.extras):
            found.append(
                f"{lock.file} is older than pyproject.toml (its requires-python or requirements "
                f"changed since the lock was made): {fix}"
            )
        found += [
            f"{lock.file} pins {p.name}=={p.version} without a hash: {fix}"
            for p in locked
            if not p.hashes
        ]
        if lock.constrained_by and (root / lock.constrained_by).exists():
            # the same version; the markers may differ (a dev package may need it elsewhere too)
            mine = {(p.name, p.version) for p in locked}
            for theirs in pins(root / lock.constrained_by):
                if (theirs.name, theirs.version) not in mine:
                    found.append(
                        f"{lock.file} does not pin {theirs.name}=={theirs.version} as "
                        f"{lock.constrained_by} does (the tests would not run what the image runs): {fix}"
                    )
    return found


def _record_digest(lock: Path, digest: str) -> None:
    lines = [line for line in lock.read_text().splitlines() if not line.startswith(_DIGEST_LINE)]
    header = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    lines.insert(header, f"{_DIGEST_LINE}{digest}")
    lock.write_text("\n".join(lines) + "\n")


def _lowest_python(requires_python: str) -> str:
    match = re.search(r">=\s*([0-9]+\.[0-9]+)", requires_python)
    if match is None:
        raise ValueError(f"requires-python {requires_python!r} has no lower bound (>=) to lock for")
    return match[1]


def refresh(root: Path, upgrade: Sequence[str] = ()) -> None:
    """Resolve both locks with uv (from the dev extra), the runtime lock first, keeping the
    pins already there unless `upgrade` says otherwise (`--upgrade`, `--upgrade-package N`)."""
    pyproject = root / "pyproject.toml"
    python = _lowest_python(str(_project(pyproject)["requires-python"]))
    for lock in LOCKS:
        command = [sys.executable, "-m", "uv", "pip", "compile", "pyproject.toml", "--quiet"]
        command += ["--universal", "--python-version", python, "--generate-hashes"]
        command += ["--custom-compile-command", REFRESH_COMMAND, "--output-file", lock.file]
        command += [f"--extra={extra}" for extra in lock.extras]
        if lock.constrained_by:
            command += ["--constraint", lock.constrained_by]
        subprocess.run([*command, *upgrade], cwd=root, check=True)
        _record_digest(root / lock.file, inputs_digest(pyproject, lock.extras))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REFRESH_COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="say what disagrees; change nothing")
    parser.add_argument("--upgrade", action="store_true", help="move every pin to its newest")
    parser.add_argument("--upgrade-package", action="append", default=[], metavar="NAME")
    args = parser.parse_args(argv)
    root = Path.cwd()
    if not (root / "pyproject.toml").exists():
        print("error: run it from the checkout's root (where pyproject.toml is)", file=sys.stderr)
        return 1
    if not args.check:
        if importlib.util.find_spec("uv") is None:
            print(
                "error: uv comes with the dev extra: `bash deploy/local/bootstrap.sh`",
                file=sys.stderr,
            )
            return 1
        upgrade = ["--upgrade"] if args.upgrade else []
        upgrade += [f"--upgrade-package={name}" for name in args.upgrade_package]
        refresh(root, upgrade)
    found = problems(root)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
