"""What the notifications' events mean in a case's audit timeline."""

from __future__ import annotations

from maag.runtime.spec import AuditSpec, Change
from services.notifications.domain.notification import Notification

AUDIT = AuditSpec(effects={Notification.Sent: lambda e: Change(count=("emails_sent",))})
