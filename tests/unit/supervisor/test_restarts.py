"""`maag up` keeps the county running: a service that exits is restarted with a growing
pause and said so; one that keeps failing at once is given up on, loudly."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from maag.ops.supervisor import RestartPolicy, run_services

QUICK = RestartPolicy(first=0.05, cap=0.2, fast_seconds=5.0, give_up_after=3)


def test_a_service_that_keeps_failing_at_once_is_given_up_on_with_its_exit_code() -> None:
    said: list[str] = []
    code = run_services(
        ["broken"],
        said.append,
        command=lambda _: [sys.executable, "-c", "import sys; sys.exit(3)"],
        policy=QUICK,
    )
    assert code == 3
    restarts = [s for s in said if "restarting it in" in s]
    assert len(restarts) == QUICK.give_up_after - 1
    # The pause doubles: 0.05 s, then 0.1 s.
    assert restarts == [
        "broken exited with code 3; restarting it in 0.05s",
        "broken exited with code 3; restarting it in 0.1s",
    ]
    assert any("giving up" in s and "failure 3 in a row" in s for s in said), said


def test_a_service_that_exits_is_restarted_and_the_others_keep_running(tmp_path: Path) -> None:
    """'flaky' fails twice, then stays up; 'steady' is never restarted meanwhile."""
    starts = tmp_path / "starts"
    flaky = (
        "import pathlib, sys, time\n"
        f"p = pathlib.Path({str(starts)!r}); n = len(p.read_text()) if p.exists() else 0\n"
        "p.write_text('x' * (n + 1))\n"
        "sys.exit(1) if n < 2 else time.sleep(60)\n"
    )
    steady_marker = tmp_path / "steady"
    steady = (
        "import pathlib, time\n"
        f"p = pathlib.Path({str(steady_marker)!r}); p.write_text(p.read_text() + 's' if p.exists() else 's')\n"
        "time.sleep(60)\n"
    )
    stop = threading.Event()
    said: list[str] = []
    commands = {"flaky": flaky, "steady": steady}

    def watch() -> None:
        # Stop once flaky has been started a third time and has stayed up.
        while not stop.is_set():
            if starts.exists() and len(starts.read_text()) >= 3:
                stop.set()
            stop.wait(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    code = run_services(
        ["flaky", "steady"],
        said.append,
        command=lambda name: [sys.executable, "-c", commands[name]],
        policy=QUICK,
        stop_event=stop,
    )
    watcher.join()
    assert len(starts.read_text()) == 3
    assert steady_marker.read_text() == "s", "the steady service was never restarted"
    assert [s for s in said if "restarting" in s] == [
        s for s in said if s.startswith("flaky exited with code 1; restarting it in")
    ]
    assert len([s for s in said if "restarting" in s]) == 2
    assert not any("giving up" in s for s in said)
    assert code in (0, -15)  # stopped by SIGTERM at the end
