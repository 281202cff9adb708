"""The realm Keycloak imports is generated from the code's own declarations, and holds what
the services need: every role, an audience per service, scoped people, agency clients."""

from __future__ import annotations

import json
from pathlib import Path

from contracts.reference import ORGANISATIONS, Agency, Role
from maag.ops.identity.realm import PEOPLE, PRODUCTION_REALM_FILE, REALM_FILE, realm, render
from maag.runtime.web.auth import MAX_TOKEN_SECONDS, agency_client, audience_of
from maag.services import SPECS

ROOT = Path(__file__).resolve().parents[3]


def test_the_checked_in_realm_is_what_the_code_generates() -> None:
    assert (ROOT / REALM_FILE).read_text() == render(), "run `maag identity realm`"
    assert (ROOT / PRODUCTION_REALM_FILE).read_text() == render(production=True), (
        "run `maag identity realm`"
    )


def test_the_production_realm_has_no_person_no_secret_and_no_password_or_device_sign_in() -> None:
    production = realm(production=True)
    clients = {c["clientId"]: c for c in production["clients"]}
    assert "maag-cli" not in clients
    for client in clients.values():
        assert not client.get("directAccessGrantsEnabled"), client["clientId"]
        assert "oauth2.device.authorization.grant.enabled" not in client.get("attributes", {})
        assert "secret" not in client, client["clientId"]
    assert all(
        "credentials" not in u and "serviceAccountClientId" in u for u in production["users"]
    )
    assert all(u.startswith("https://") for u in clients["maag-web"]["redirectUris"])
    # the local realm keeps the command line's sign-in, for local use only
    assert "maag-cli" in {c["clientId"] for c in realm()["clients"]}


def test_every_role_a_person_may_hold_is_a_realm_role() -> None:
    roles = {r["name"] for r in realm()["roles"]["realm"]}
    assert roles == {r.value for r in Role} - {Role.SYSTEM.value}


def test_each_service_is_an_audience_that_cannot_get_tokens_itself() -> None:
    clients = {c["clientId"]: c for c in realm()["clients"]}
    for service in SPECS:
        client = clients[audience_of(service)]
        assert client["bearerOnly"] and not client["serviceAccountsEnabled"]
        assert not client["directAccessGrantsEnabled"] and not client["standardFlowEnabled"]


def test_every_agency_submits_with_a_client_of_its_own_naming_it() -> None:
    clients = {c["clientId"]: c for c in realm()["clients"]}
    for agency in Agency:
        client = clients[agency_client(agency.value)]
        mappers = {m["name"]: m["config"] for m in client["protocolMappers"]}
        assert mappers["agency"]["claim.value"] == agency.value
        assert mappers["audience maag-referral"]["included.custom.audience"] == "maag-referral"
        assert "audience maag-panel" not in mappers  # its token is for submissions only


def test_the_web_client_uses_pkce_and_tokens_live_well_under_an_hour() -> None:
    web = next(c for c in realm()["clients"] if c["clientId"] == "maag-web")
    assert web["attributes"]["pkce.code.challenge.method"] == "S256"
    assert all(uri.startswith("http://127.0.0.1:") for uri in web["redirectUris"])
    assert realm()["accessTokenLifespan"] <= MAX_TOKEN_SECONDS


def test_seeded_people_belong_to_known_organisations_with_their_own_ids() -> None:
    assert all(p.agency in ORGANISATIONS for p in PEOPLE)
    ids = [p.username for p in PEOPLE]
    assert len(ids) == len(set(ids)) and all(len(i) <= 36 for i in ids)
    users = json.loads(render())["users"]
    assert {u["id"] for u in users if "id" in u} >= set(ids)  # their id is their subject
