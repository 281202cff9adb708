"""A package commissioned: each of its providers is told what it is to deliver, from when."""

from __future__ import annotations

from contracts.events.commissioning import PackageCommissioned
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.policies import ask
from services.notifications.domain.values import Page, Recipient, Template


def on_package_commissioned(d: Delivery[PackageCommissioned], work: Work[NotificationsApp]) -> None:
    e = d.message
    for provider_id in sorted({i.provider_id for i in e.interventions}):
        services = ", ".join(i.service for i in e.interventions if i.provider_id == provider_id)
        recipient = Recipient.found(work.app.email_of(provider_id), "provider", provider_id)
        context = {"starts_on": e.starts_on.isoformat(), "services": services}
        page = Page.package(e.package_id)
        ask(d, work, Template.PACKAGE_COMMISSIONED, recipient, context, page=page)
