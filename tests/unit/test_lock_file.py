"""The lock files agree with pyproject.toml, and the image and the tests install from them:
a dependency added to pyproject.toml but not locked, or a lock older than pyproject.toml, is
named with the command that refreshes the locks."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from maag.ops.lock import DEV_LOCK, LOCKS, REFRESH_COMMAND, RUNTIME_LOCK, pins, problems

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """pyproject.toml and the locks as they are in the checkout, to change one of them."""
    for name in ("pyproject.toml", RUNTIME_LOCK, DEV_LOCK):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def test_the_lock_files_agree_with_pyproject() -> None:
    assert problems(ROOT) == []


def test_a_dependency_added_to_pyproject_but_not_locked_is_named_with_the_refresh_command(
    checkout: Path,
) -> None:
    _edit(checkout / "pyproject.toml", '"pyyaml>=6",', '"pyyaml>=6",\n    "left-pad>=1",')
    found = problems(checkout)
    for lock in (RUNTIME_LOCK, DEV_LOCK):  # the dev lock holds the runtime dependencies too
        unpinned = [p for p in found if "'left-pad>=1'" in p and f"which {lock} does" in p]
        assert unpinned and all(REFRESH_COMMAND in p for p in unpinned), found


def test_a_lock_older_than_pyproject_is_named_with_the_refresh_command(checkout: Path) -> None:
    # a raised lower bound names no new package: only the recorded inputs tell the lock is old
    _edit(checkout / "pyproject.toml", '"fastapi>=0.115",', '"fastapi>=99",')
    found = problems(checkout)
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        assert any(p.startswith(f"{lock} is older than pyproject.toml") for p in found), found
    assert all(REFRESH_COMMAND in p for p in found)


def test_a_dev_extra_change_makes_only_the_dev_lock_old(checkout: Path) -> None:
    _edit(checkout / "pyproject.toml", '"pytest>=8",', '"pytest>=9",')
    assert [p.split(" ")[0] for p in problems(checkout)] == [DEV_LOCK]


def test_a_reformatted_or_reordered_dependency_list_is_not_a_change(checkout: Path) -> None:
    _edit(
        checkout / "pyproject.toml",
        '"pyyaml>=6",\n    "pyjwt>=2.8",',
        '"pyjwt >= 2.8",\n    "pyyaml>=6",',
    )
    assert problems(checkout) == []


def test_the_dev_lock_pins_every_runtime_package_at_the_runtime_lock_version(
    checkout: Path,
) -> None:
    runtime = {(p.name, p.version) for p in pins(ROOT / RUNTIME_LOCK)}
    dev = {(p.name, p.version) for p in pins(ROOT / DEV_LOCK)}
    assert runtime <= dev, runtime - dev
    # and the check says so when they part
    (version,) = {p.version for p in pins(ROOT / RUNTIME_LOCK) if p.name == "fastapi"}
    _edit(checkout / DEV_LOCK, f"\nfastapi=={version} ", "\nfastapi==0.115.0 ")
    assert any(p.startswith(f"{DEV_LOCK} does not pin fastapi==") for p in problems(checkout))


def test_every_pin_carries_its_hashes() -> None:
    for lock in LOCKS:
        locked = pins(ROOT / lock.file)
        assert locked, lock.file
        unhashed = [p.name for p in locked if not p.hashes]
        assert unhashed == [], f"{lock.file}: {unhashed}"


def test_the_image_and_the_test_bootstrap_install_from_the_locks_with_hashes() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    # the lock with its hashes, then the project resolving nothing more
    assert re.search(
        rf"pip install [^\n]*--require-hashes -r \S*{re.escape(RUNTIME_LOCK)}", dockerfile
    )
    assert re.search(r"pip install [^\n]*--no-deps /wheels/maag-", dockerfile)
    assert "--find-links" not in dockerfile  # nothing resolved from wheels built at build time
    bootstrap = (ROOT / "deploy" / "local" / "bootstrap.sh").read_text()
    assert re.search(rf"pip install [^\n]*--require-hashes -r {re.escape(DEV_LOCK)}", bootstrap)
    assert re.search(r"pip install [^\n]*--no-deps -e \.", bootstrap)
    assert "maag.ops.lock --check" in bootstrap
