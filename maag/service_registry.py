"""The services `maag run` starts: name -> (the module whose `main(settings)` runs it, its
default HTTP port). A service appears here once it exists; each runs in its own process."""

from __future__ import annotations

SERVICES: dict[str, tuple[str, int]] = {
    "referral": ("services.referral.service", 8001),
    "panel": ("services.panel.service", 8002),
    "commissioning": ("services.commissioning.service", 8003),
    "notifications": ("services.notifications.service", 8004),
    # The local mailbox: a real SMTP server on MAAG_SMTP_PORT that keeps what it receives.
    "mailbox": ("maag.infra.mailbox", 0),
}
