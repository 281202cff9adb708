"""A free TCP port on loopback, for a test's own servers.

Not one the kernel picks (port 0): those are from the ephemeral range, which every outgoing
connection (Kafka, PostgreSQL, HTTP clients) also draws from, so a port picked that way can
be taken by a connection before the server binds it. Ports here come from below that range,
from a band of their own for each pytest-xdist worker, and none is handed out twice.
"""

from __future__ import annotations

import os
import random
import socket

_LOW, _BAND = 20000, 1500  # bands below the Linux ephemeral range (32768 and up)
_given: set[int] = set()


def _band() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) if worker.isdigit() else 0
    start = _LOW + (index % 8) * _BAND
    return range(start, start + _BAND)


def free_port() -> int:
    band = _band()
    for _ in range(200):
        port = random.choice(band)
        if port in _given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError(f"no free port in {band.start}-{band.stop - 1} on 127.0.0.1")
