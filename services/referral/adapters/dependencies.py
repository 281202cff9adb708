"""What the referral's routes take from the request besides the shared pipeline's caller,
correlation id and key (`maag.runtime.web.http`): the application, which `create_api`
keeps in the FastAPI app's state, and today's date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends

from contracts.reference import COUNTY_ZONE
from maag.runtime.web import http
from services.referral.application.app import ReferralApp

App = Annotated[ReferralApp, Depends(http.from_state("referral", ReferralApp))]


def today() -> date:
    """The county's today (what is due or overdue turns at midnight there, as the panel's
    and the web app's days do)."""
    return datetime.now(COUNTY_ZONE).date()
