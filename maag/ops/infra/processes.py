"""Process and port helpers: pid files, liveness, ports, waiting."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from maag.ops.infra.layout import InfraError


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def require_tool(name: str, fix: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise InfraError(f"`{name}` was not found on PATH. {fix}")
    return path


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def alive(pid: int, cmdline_marker: str) -> bool:
    """True if `pid` runs and its command line contains the marker (guards against pid reuse)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    return cmdline_marker in cmdline


def stop_pid(pid: int, cmdline_marker: str, timeout: float = 30.0) -> None:
    if not alive(pid, cmdline_marker):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid, cmdline_marker):
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: Path | None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    hint = f" See {log}." if log else ""
    raise InfraError(f"{what} did not become ready within {timeout:.0f}s.{hint}")


def started(
    proc: subprocess.Popen[bytes],
    what: str,
    log: Path,
    ready: Callable[[], bool],
    timeout: float,
    undo: Callable[[], object],
) -> int:
    """Wait until a process we launched is `ready`; if it exits or times out, `undo` (stop
    it) and say why, so nothing is left half-started."""

    def check() -> bool:
        if proc.poll() is not None:
            raise InfraError(
                f"{what} exited with code {proc.returncode} while starting. See {log}."
            )
        return ready()

    try:
        wait_until(check, timeout, what, log)
    except BaseException:
        undo()
        raise
    return proc.pid


def stop_recorded(pid_file: Path, cmdline_marker: str) -> bool:
    """Stop the process our pid file names, if it is still ours; False if there was none."""
    pid = read_pid(pid_file)
    running = pid is not None and alive(pid, cmdline_marker)
    pid_file.unlink(missing_ok=True)
    if not running or pid is None:
        return False
    stop_pid(pid, cmdline_marker)
    return True
