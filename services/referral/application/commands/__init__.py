"""The referral service's abilities that change something, one file each, all in one
registry (`handlers`). Each command that acts on a case names its action; the pipeline
(`maag.runtime.commands`) asks the one access policy (`maag.runtime.policy`) before the
handler runs, and again on a replayed key. Effects outside the store (a key destroyed, the
index relinked) are left by the handler for after the commit (`Work.after_commit`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from maag.runtime.commands import Handlers
from services.referral.application.access import case_scope

if TYPE_CHECKING:  # the application imports its commands
    from services.referral.application.app import ReferralApp

handlers: Handlers[ReferralApp] = Handlers(
    "the referral changed while this request was handled; read it and retry", case_scope
)

# Each ability registers its handler on import.
from services.referral.application.commands.answer_front_door import (  # noqa: E402
    AnswerFrontDoor,
)
from services.referral.application.commands.authorise_assessment import (  # noqa: E402
    AuthoriseAssessment,
)
from services.referral.application.commands.close_assessment import (  # noqa: E402
    CloseAssessment,
)
from services.referral.application.commands.erase_personal_data import (  # noqa: E402
    ErasePersonalData,
)
from services.referral.application.commands.link_household import LinkHousehold  # noqa: E402
from services.referral.application.commands.place_legal_hold import (  # noqa: E402
    PlaceLegalHold,
)
from services.referral.application.commands.record_assessment import (  # noqa: E402
    RecordAssessment,
)
from services.referral.application.commands.record_birth import RecordBirth  # noqa: E402
from services.referral.application.commands.record_consent import RecordConsent  # noqa: E402
from services.referral.application.commands.record_safeguarding_basis import (  # noqa: E402
    RecordSafeguardingBasis,
)
from services.referral.application.commands.release_legal_hold import (  # noqa: E402
    ReleaseLegalHold,
)
from services.referral.application.commands.resolve_child_match import (  # noqa: E402
    ResolveChildMatch,
)
from services.referral.application.commands.review_assessment import (  # noqa: E402
    ReviewAssessment,
)
from services.referral.application.commands.submit_referral import SubmitReferral  # noqa: E402
from services.referral.application.commands.upload_document import (  # noqa: E402
    UploadDocument,
)
from services.referral.application.commands.withdraw_consent import (  # noqa: E402
    WithdrawConsent,
)
from services.referral.application.commands.write_note import WriteNote  # noqa: E402

__all__ = [
    "AnswerFrontDoor",
    "AuthoriseAssessment",
    "CloseAssessment",
    "ErasePersonalData",
    "LinkHousehold",
    "PlaceLegalHold",
    "RecordAssessment",
    "RecordBirth",
    "RecordConsent",
    "RecordSafeguardingBasis",
    "ReleaseLegalHold",
    "ResolveChildMatch",
    "ReviewAssessment",
    "SubmitReferral",
    "UploadDocument",
    "WithdrawConsent",
    "WriteNote",
    "handlers",
]
