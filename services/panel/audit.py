"""What the panel's events mean in a case's audit timeline."""

from __future__ import annotations

from collections.abc import Callable

from maag.runtime.spec import AuditSpec, Change
from services.panel.domain.case import PanelCase


def _status(value: str) -> Callable[[object], Change]:
    return lambda e: Change(set={"status": value})


def _moved(
    e: PanelCase.Escalated | PanelCase.SteppedDown | PanelCase.SocialCareSteppedDown,
) -> Change:
    return Change(set={"status": "awaiting listing", "panel": str(e.to_panel)})


AUDIT = AuditSpec(
    effects={
        PanelCase.Opened: lambda e: Change(
            set={"status": "awaiting listing", **({"district": e.district} if e.district else {})}
        ),
        PanelCase.Listed: lambda e: Change(set={"status": "listed", "panel": str(e.panel)}),
        PanelCase.LeadProfessionalAssigned: lambda e: Change(
            set={
                "status": "lead professional assigned",
                "panel": str(e.panel),
                "lead_professional": {
                    "professional_id": str(e.professional_id),
                    "name": str(e.professional_name),
                    "agency": str(e.agency),
                },
            }
        ),
        PanelCase.PackageRequested: _status("package requested"),
        PanelCase.Escalated: _moved,
        PanelCase.SteppedDown: _moved,
        PanelCase.Deferred: _status("deferred"),
        PanelCase.Closed: _status("closed"),
        PanelCase.ReviewDecided: lambda e: Change(set={"status": f"package review: {e.decision}"}),
        PanelCase.NeedReassessed: lambda e: Change(set={"level_of_need": int(e.level_of_need)}),
        PanelCase.CommissioningFailureListed: lambda e: Change(
            set={"status": "listed again: package not commissioned", "panel": str(e.panel)}
        ),
        PanelCase.Paused: _status("paused: consent withdrawn"),
        PanelCase.Resumed: _status("awaiting listing"),
        PanelCase.ReferredToSocialCare: _status("with children's social care"),
        PanelCase.SocialCareSteppedDown: _moved,
    },
    # The meetings a case was listed on or decided at: their attendance belongs in its
    # timeline.
    follow=("meeting_id",),
)
