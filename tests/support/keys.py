"""Keys the test run's services share (each run its own): the chains' key; and the
password of the database roles the test systems' services run as."""

from __future__ import annotations

import base64
import os

CHAIN_KEY = os.urandom(32)
CHAIN_KEY_TEXT = base64.b64encode(CHAIN_KEY).decode()  # as MAAG_CHAIN_KEY
WRITER_PASSWORD = "maag-test-writer"  # the roles maag_test_<service>: local, test-only
