"""The services `maag run` starts: name -> the module whose `main(settings)` runs it.

A service appears here once it exists; `maag run` starts each in its own process.
"""

from __future__ import annotations

SERVICES: dict[str, str] = {
    "referral": "services.referral.service",
}
