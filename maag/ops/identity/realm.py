"""The Keycloak realm, generated from the code's own declarations so that roles, services and
organisations are each declared once: `maag identity realm` writes
`deploy/keycloak/maag-realm.json`, which `maag infra up` imports (a test keeps it current), and
each environment's (`maag-realm.<environment>.json`, which `maag deploy render` writes too),
whose web client sends people back to that environment's web host
(deploy/environments/<environment>.toml).

Local use only: the seeded people, their password and the clients' secrets below are for a
developer's machine; a deployment imports no users and keeps secrets in its own store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.reference import Agency, District, Office, Panel, Position, Role
from maag.ops.environments import PRODUCTION, Environment, load, realm_file
from maag.runtime.web.auth import (
    AGENCY_CLAIM,
    CLI_CLIENT,
    DISTRICTS_CLAIM,
    POSITION_CLAIM,
    PROVIDER_CLAIM,
    ROLES_CLAIM,
    TIERS_CLAIM,
    WEB_CLIENT,
    agency_client,
    audience_of,
)
from maag.services import SPECS

REALM = "maag"
# The providers' directory the commissioning service seeds: one of each provider's staff is
# seeded here, acting for the organisation of the provider's kind.
SEEDED_PROVIDERS = (
    Path(__file__).resolve().parents[3] / "services/commissioning/application/providers.json"
)
PROVIDER_AGENCY = {
    "in-house": Office.CHILDRENS_SERVICES.value,  # the county's quadrant teams
    "health": Office.PCT.value,
    "pvi": Agency.PVI.value,
}
REALM_FILE = Path("deploy/keycloak/maag-realm.json")
# What a deployment imports: the roles, the claims and the clients, with no seeded person, no
# secret, and no client that signs people in by password or device code (the CLI's). One per
# environment (`deploy/keycloak/maag-realm.<environment>.json`, written by `maag deploy
# render`): its web client sends people back to the environment's own web host only
# (deploy/environments/<environment>.toml), and its name is the one its issuer names.
PRODUCTION_REALM_FILE = realm_file(PRODUCTION)
# The one password of every seeded person, and the prefix of every seeded client secret.
LOCAL_PASSWORD = "maag-local"


def local_web_env() -> dict[str, str]:
    """What the web app needs locally to sign people in at this realm, and to keep their
    sessions across its restarts (local use only)."""
    return {
        "MAAG_WEB_CLIENT_SECRET": f"{LOCAL_PASSWORD}-web",
        "MAAG_WEB_SESSION_SECRET": f"{LOCAL_PASSWORD}-sessions",
    }


WEB_ORIGIN = "http://127.0.0.1:8010"
TOKEN_SECONDS = 600  # well under the services' limit (tests/unit/identity/test_realm.py)


# The agencies whose case systems integrate (submit referrals by event): each has a client
# here and a KafkaUser in the deployment. The county narrows it here.
INTEGRATING_AGENCIES: tuple[Agency, ...] = tuple(Agency)


# What the web app's service account may read at the provider: the directory of people. The
# users-in-a-role read needs `view-realm` beside `view-users` (Keycloak checks the role's
# container); both are read-only, and neither shows a client's secret.
DIRECTORY_ROLES = ("view-users", "view-realm")


def agency_secret(agency: str) -> str:
    return f"{LOCAL_PASSWORD}-{agency}"


@dataclass(frozen=True)
class Person:
    """A seeded person: their username is also their subject (the `sub` the audit records)."""

    username: str
    roles: tuple[Role, ...]
    agency: str
    name: str
    districts: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    position: Position = Position.PRACTITIONER
    provider: str | None = None  # a provider's staff: their provider's id


# The seeded panel members sit county-wide (every district's MAAG, the EARP and the JAP), so
# the demo and the tests can use any district; `panel-tendring-1` shows a narrower seat.
ALL_DISTRICTS = tuple(d.value for d in District)
ALL_TIERS = tuple(p.value for p in Panel)


def _people() -> tuple[Person, ...]:
    people = [
        Person(f"referrer-{a.value}", (Role.REFERRER,), a.value, f"Referrer {a.value}")
        for a in Agency
    ]
    people += [
        Person(
            f"panel-{a.value}",
            (Role.PANEL_MEMBER,),
            a.value,
            f"Panel member {a.value}",
            ALL_DISTRICTS,
            ALL_TIERS,
        )
        for a in Agency
    ]
    people += [
        Person(
            "coordinator-1",
            (Role.PANEL_MEMBER,),
            Agency.SOCIAL_CARE.value,
            "Panel Coordinator",
            ALL_DISTRICTS,
            ALL_TIERS,
        ),
        Person(
            "chair-1",
            (Role.PANEL_CHAIR, Role.PANEL_MEMBER),
            Agency.SOCIAL_CARE.value,
            "Panel Chair",
            ALL_DISTRICTS,
            ALL_TIERS,
        ),
        # The EARP and JAP as the county forms them (services/panel/domain/constitution.py).
        Person(
            "scf-head-1",
            (Role.PANEL_CHAIR, Role.PANEL_MEMBER),
            Office.CHILDRENS_SERVICES.value,
            "SCF Head-of-service",
            ALL_DISTRICTS,
            (Panel.EARP.value, Panel.JAP.value),
            Position.HEAD_OF_SERVICE,
        ),
        Person(
            "scf-commissioner-1",
            (Role.PANEL_MEMBER,),
            Office.CHILDRENS_SERVICES.value,
            "SCF Commissioner",
            ALL_DISTRICTS,
            (Panel.EARP.value, Panel.JAP.value),
            Position.COMMISSIONER,
        ),
        Person(
            "pct-commissioner-1",
            (Role.PANEL_MEMBER,),
            Office.PCT.value,
            "PCT Children's-commissioner",
            ALL_DISTRICTS,
            (Panel.JAP.value,),
            Position.COMMISSIONER,
        ),
        Person(
            "adult-transition-1",
            (Role.PANEL_MEMBER,),
            Agency.ADULT_TRANSITION.value,
            "Adult-transition Head-of-service",
            ALL_DISTRICTS,
            (Panel.JAP.value,),
            Position.HEAD_OF_SERVICE,
        ),
        Person(
            "panel-tendring-1",
            (Role.PANEL_MEMBER,),
            Agency.SOCIAL_CARE.value,
            "Tendring panel member",
            (District.TENDRING.value,),
            (Panel.MAAG.value,),
        ),
    ]
    people += [
        Person(
            f"lead-{a.value}", (Role.LEAD_PROFESSIONAL,), a.value, f"Lead professional {a.value}"
        )
        for a in Agency
    ]
    people += [
        Person(
            "commissioner-1", (Role.COMMISSIONER,), Office.CHILDRENS_SERVICES.value, "Commissioner"
        ),
        # children's social care's front door (the MASH), county-wide
        Person(
            "front-door-1",
            (Role.FRONT_DOOR,),
            Agency.SOCIAL_CARE.value,
            "Front door social worker",
            ALL_DISTRICTS,
        ),
        Person("auditor-1", (Role.AUDITOR,), Office.COUNTY_AUDIT.value, "Auditor"),
        Person(
            "privacy-officer-1",
            (Role.PRIVACY_OFFICER,),
            Office.INFORMATION_GOVERNANCE.value,
            "Data protection officer",
        ),
        Person("operator-1", (Role.OPERATOR,), Office.COUNTY_IT.value, "Operator"),
    ]
    # one of each seeded provider's staff (the providers' directory commissioning seeds)
    people += [
        Person(
            f"provider-{entry['provider_id']}",
            (Role.PROVIDER,),
            PROVIDER_AGENCY[entry["kind"]],
            f"Provider {entry['provider_id']}",
            provider=entry["provider_id"],
        )
        for entry in json.loads(SEEDED_PROVIDERS.read_text())
    ]
    return tuple(people)


PEOPLE: tuple[Person, ...] = _people()


def _attribute(name: str, *, multivalued: bool) -> dict[str, Any]:
    return {
        "name": name,
        "displayName": name,
        "multivalued": multivalued,
        "permissions": {"view": ["admin"], "edit": ["admin"]},
        "validations": {"length": {"max": 64}},
    }


def _user_profile() -> str:
    """Keycloak 26 keeps only the attributes its user profile declares."""
    standard = [
        {
            "name": "username",
            "displayName": "${username}",
            "validations": {"length": {"min": 3, "max": 255}},
            "permissions": {"view": ["admin", "user"], "edit": ["admin"]},
            "multivalued": False,
        },
        {
            "name": "email",
            "displayName": "${email}",
            "validations": {"email": {}, "length": {"max": 255}},
            "permissions": {"view": ["admin", "user"], "edit": ["admin"]},
            "multivalued": False,
        },
        {
            "name": "firstName",
            "displayName": "${firstName}",
            "validations": {"length": {"max": 255}},
            "permissions": {"view": ["admin", "user"], "edit": ["admin"]},
            "multivalued": False,
        },
        {
            "name": "lastName",
            "displayName": "${lastName}",
            "validations": {"length": {"max": 255}},
            "permissions": {"view": ["admin", "user"], "edit": ["admin"]},
            "multivalued": False,
        },
    ]
    ours = [
        _attribute(AGENCY_CLAIM, multivalued=False),
        _attribute(DISTRICTS_CLAIM, multivalued=True),
        _attribute(TIERS_CLAIM, multivalued=True),
        _attribute(POSITION_CLAIM, multivalued=False),
        _attribute(PROVIDER_CLAIM, multivalued=False),
    ]
    return json.dumps({"attributes": standard + ours, "groups": []}, sort_keys=True)


def _mapper(name: str, kind: str, **config: str) -> dict[str, Any]:
    return {
        "name": name,
        "protocol": "openid-connect",
        "protocolMapper": kind,
        "consentRequired": False,
        "config": {"access.token.claim": "true", "introspection.token.claim": "true", **config},
    }


def _audiences(*services: str) -> list[dict[str, Any]]:
    return [
        _mapper(
            f"audience {audience_of(s)}",
            "oidc-audience-mapper",
            **{"included.custom.audience": audience_of(s), "id.token.claim": "false"},
        )
        for s in services
    ]


def _roles_claim(**more: str) -> dict[str, Any]:
    """The realm roles held, as a flat `roles` claim."""
    return _mapper(
        ROLES_CLAIM,
        "oidc-usermodel-realm-role-mapper",
        **{"claim.name": ROLES_CLAIM, "jsonType.label": "String", "multivalued": "true", **more},
    )


def _person_claims() -> list[dict[str, Any]]:
    """A person's roles and the attributes that scope them, as flat claims."""

    def attribute(name: str, multivalued: bool) -> dict[str, Any]:
        return _mapper(
            name,
            "oidc-usermodel-attribute-mapper",
            **{
                "user.attribute": name,
                "claim.name": name,
                "jsonType.label": "String",
                "multivalued": str(multivalued).lower(),
                "id.token.claim": "true",
                "userinfo.token.claim": "true",
            },
        )

    return [
        _roles_claim(**{"id.token.claim": "true", "userinfo.token.claim": "true"}),
        attribute(AGENCY_CLAIM, False),
        attribute(DISTRICTS_CLAIM, True),
        attribute(TIERS_CLAIM, True),
        attribute(POSITION_CLAIM, False),
        attribute(PROVIDER_CLAIM, False),
    ]


@dataclass(frozen=True)
class WebClientUris:
    """Where the provider may send a person back to, and the web app's origin."""

    redirects: tuple[str, ...]
    origin: str
    after_sign_out: str


# Locally the web app may listen on any path of its address (tests start it on others).
LOCAL_URIS = WebClientUris((f"{WEB_ORIGIN}/*",), WEB_ORIGIN, f"{WEB_ORIGIN}/*")


def web_client_uris(environment: Environment) -> WebClientUris:
    """A deployment's: exactly the callback and the page after sign-out of the web app's
    public address (services/web/routes/sign_in.py), on the environment's web host."""
    return WebClientUris(
        (environment.redirect_uri,), environment.web_url, f"{environment.web_url}/"
    )


def _clients(uris: WebClientUris, production: bool = False) -> list[dict[str, Any]]:
    services = list(SPECS)
    # Each service is an audience only: it verifies tokens and never asks for one.
    clients: list[dict[str, Any]] = [
        {
            "clientId": audience_of(s),
            "name": f"MAAG {s} service",
            "enabled": True,
            "publicClient": False,
            "bearerOnly": True,
            "standardFlowEnabled": False,
            "directAccessGrantsEnabled": False,
            "serviceAccountsEnabled": False,
            "protocol": "openid-connect",
        }
        for s in services
    ]
    if not production:
        clients.append(_cli_client(services))
    clients.append(_web_client(services, uris, production))
    for a in INTEGRATING_AGENCIES:
        clients.append(_agency_client(a, production))
    return clients


def _cli_client(services: list[str]) -> dict[str, Any]:
    """Local only: the command line signs people in by password or device code."""
    return {
        "clientId": CLI_CLIENT,
        "name": "maag command line (local: password and device grants)",
        "enabled": True,
        "publicClient": True,
        "standardFlowEnabled": False,
        "directAccessGrantsEnabled": True,
        "serviceAccountsEnabled": False,
        "protocol": "openid-connect",
        "attributes": {"oauth2.device.authorization.grant.enabled": "true"},
        "protocolMappers": _person_claims() + _audiences(*services),
    }


def _web_client(services: list[str], uris: WebClientUris, production: bool) -> dict[str, Any]:
    client: dict[str, Any] = {
        "clientId": WEB_CLIENT,
        "name": "MAAG web app",
        "enabled": True,
        "publicClient": False,
        "standardFlowEnabled": True,
        "directAccessGrantsEnabled": False,
        # its service account reads the directory of people (services/web/directory.py)
        "serviceAccountsEnabled": True,
        "protocol": "openid-connect",
        "redirectUris": list(uris.redirects),
        "webOrigins": [uris.origin],
        "attributes": {
            "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": uris.after_sign_out,
        },
        "protocolMappers": _person_claims() + _audiences(*services),
    }
    if not production:  # a deployment's secret is made by the provider, never checked in
        client["secret"] = f"{LOCAL_PASSWORD}-web"
    return client


def _agency_client(a: Agency, production: bool) -> dict[str, Any]:
    client: dict[str, Any] = {
        "clientId": agency_client(a.value),
        "name": f"{a.value}'s case system (submits referrals)",
        "enabled": True,
        "publicClient": False,
        "standardFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": True,
        "protocol": "openid-connect",
        "protocolMappers": [
            _roles_claim(),
            _mapper(
                AGENCY_CLAIM,
                "oidc-hardcoded-claim-mapper",
                **{
                    "claim.name": AGENCY_CLAIM,
                    "claim.value": a.value,
                    "jsonType.label": "String",
                },
            ),
            *_audiences("referral"),
        ],
    }
    if not production:
        client["secret"] = agency_secret(a.value)
    return client


def _users(production: bool = False) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    for p in () if production else PEOPLE:
        first, _, last = p.name.partition(" ")
        attributes = {AGENCY_CLAIM: [p.agency]}
        if p.districts:
            attributes[DISTRICTS_CLAIM] = list(p.districts)
        if p.tiers:
            attributes[TIERS_CLAIM] = list(p.tiers)
        if p.position is not Position.PRACTITIONER:
            attributes[POSITION_CLAIM] = [p.position.value]
        if p.provider:
            attributes[PROVIDER_CLAIM] = [p.provider]
        users.append(
            {
                "id": p.username,
                "username": p.username,
                "enabled": True,
                "email": f"{p.username}@maag.example",  # a name email validators accept
                "emailVerified": True,
                "firstName": first,
                "lastName": last or first,
                "attributes": attributes,
                "realmRoles": [r.value for r in p.roles],
                "credentials": [{"type": "password", "value": LOCAL_PASSWORD, "temporary": False}],
            }
        )
    users.append(
        {
            "id": f"svc-{WEB_CLIENT}",
            "username": f"service-account-{WEB_CLIENT}",
            "enabled": True,
            "serviceAccountClientId": WEB_CLIENT,
            "clientRoles": {"realm-management": list(DIRECTORY_ROLES)},
        }
    )
    for a in INTEGRATING_AGENCIES:
        users.append(
            {
                # its subject, kept short and readable for the audit (Keycloak ids are <= 36)
                "id": f"svc-{agency_client(a.value)}",
                "username": f"service-account-{agency_client(a.value)}",
                "enabled": True,
                "serviceAccountClientId": agency_client(a.value),
                "realmRoles": [Role.REFERRER.value],
            }
        )
    return users


def realm(production: bool = False, environment: Environment | None = None) -> dict[str, Any]:
    """The local realm, or (production) an environment's: the production environment's
    unless another is named."""
    env = (environment or load(PRODUCTION)) if production else None
    return {
        "realm": env.realm if env else REALM,
        "enabled": True,
        "displayName": "MAAG" if production else "MAAG (local)",
        "sslRequired": "external",
        "accessTokenLifespan": TOKEN_SECONDS,
        "ssoSessionIdleTimeout": 1800,
        "registrationAllowed": False,
        "resetPasswordAllowed": False,
        "bruteForceProtected": True,
        "roles": {
            "realm": [
                {"name": r.value, "description": f"MAAG {r.value}"}
                for r in Role
                if r is not Role.SYSTEM
            ]
        },
        "components": {
            "org.keycloak.userprofile.UserProfileProvider": [
                {
                    "providerId": "declarative-user-profile",
                    "subComponents": {},
                    "config": {"kc.user.profile.config": [_user_profile()]},
                }
            ]
        },
        "clients": _clients(web_client_uris(env) if env else LOCAL_URIS, production),
        "users": _users(production),
    }


def render(production: bool = False, environment: Environment | None = None) -> str:
    return json.dumps(realm(production, environment), indent=2, sort_keys=True) + "\n"


def write(directory: Path, environments: Sequence[Environment], local: bool = False) -> list[Path]:
    """Into `directory` (a checkout's deploy/keycloak): each environment's realm, and with
    `local` the local one `maag infra up` imports. `maag identity realm` writes them all,
    `maag deploy render` the environments' with their overlays."""
    texts = {directory / REALM_FILE.name: render()} if local else {}
    for env in environments:
        texts[directory / realm_file(env.name).name] = render(production=True, environment=env)
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in texts.items():
        path.write_text(text)
    return list(texts)
