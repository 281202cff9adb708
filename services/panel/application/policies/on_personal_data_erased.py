"""The case's personal data erased (the referral service's data protection officer): the
case's data key here is destroyed, and with it every text the plan holds about the family
(needs, goals, actions, progress, meeting summaries). What the panel decided stays."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.referral import PersonalDataErased
from maag.runtime.logging import get_logger
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.panel.domain.plan import plan_id_for

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp

log = get_logger(__name__)


def on_personal_data_erased(d: Delivery[PersonalDataErased], work: Work[PanelApp]) -> None:
    case_id = d.message.case_id
    keys = work.app.case_keys
    assert keys is not None, "the panel service keeps the plan's texts under its keyring"

    # Now, before the message is recorded as handled: a crash in between redelivers it and
    # destroys nothing more (the keys are gone), where a destruction left for after the
    # commit could be lost with the process. The plan's own key too: a plan started before
    # its events named their case has one.
    destroyed = keys.destroy(case_id, plan_id_for(case_id))
    log.info("case data key destroyed", keys=destroyed)
