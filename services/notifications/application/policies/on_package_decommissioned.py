"""A package decommissioned: each of its providers is told to stop, and from when."""

from __future__ import annotations

from contracts.events.commissioning import PackageDecommissioned
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.policies import ask
from services.notifications.domain.values import Page, Recipient, Template


def on_package_decommissioned(
    d: Delivery[PackageDecommissioned], work: Work[NotificationsApp]
) -> None:
    e = d.message
    context = {"effective_from": e.effective_from.isoformat(), "reason": e.reason.value}
    for provider_id in sorted(set(e.provider_ids)):
        recipient = Recipient.found(work.app.email_of(provider_id), "provider", provider_id)
        page = Page.package(e.package_id)
        ask(d, work, Template.PACKAGE_DECOMMISSIONED, recipient, context, page=page)
