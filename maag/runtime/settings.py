"""Settings from the environment, read in one place."""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from psycopg.conninfo import make_conninfo

from contracts.reference import AvoidedOutcome


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    """What a service needs to know about its surroundings.

    KAFKA_BOOTSTRAP_SERVERS   broker addresses (default 127.0.0.1:9092)
    MAAG_POSTGRES_URL         postgresql://user:pw@host:port/db; when unset, SQLite under MAAG_DATA_DIR
    MAAG_POSTGRES_SCHEMA      schema for a service's tables (default: the service name)
    MAAG_STORE_MIGRATED       true where `maag db migrate` made the store's tables as their owner
                              and the service runs as a role that may not change its history:
                              the service creates none of them
    MAAG_DATA_DIR             where the SQLite default keeps its files (default .maag/data)
    MAAG_CIPHER_KEY           AES key (base64) that encrypts stored events at rest
    MAAG_KEY_ENCRYPTION_KEYS  the referral service's key-encryption keys, id=base64 (32 bytes), the
                              first the current one, e.g. 2026-11=...,2025-06=...: they wrap each
                              case's data key (`maag privacy rotate-keys` re-wraps with the first)
    MAAG_CHILD_INDEX_KEYS     the referral service's child-index keys, id=base64 (32 bytes), the
                              first the current one: the HMAC keys of the child index's match
                              keys, apart from the cipher key; new referrals are indexed under the
                              first and looked up under all (`maag privacy rotate-index-key`
                              re-computes every entry under the first)
    MAAG_RETENTION            the retention schedule, <outcome>=dob+<years> or <outcome>=fy+<years>,
                              e.g. closed=dob+25,declined=fy+6 (what it leaves out keeps the
                              defaults in services/referral/domain/retention.py)
    MAAG_CHAIN_KEY            secret (base64, 32 bytes or more) the services key their hash chains
                              and sign their anchors with; the database never holds it, and
                              `maag audit verify` needs it (`maag secrets` prints a new one)
    MAAG_ANCHOR_INTERVAL      seconds between anchors of a moved chain head (default 60)
    MAAG_ANCHOR_FILE          also append every anchor to this file (JSON lines), optional
    MAAG_ANCHOR_SIGNING_KEY   the anchoring process's Ed25519 private key (base64, 32 bytes), apart
                              from MAAG_CHAIN_KEY: the verifier holds only the public key (unset:
                              derived from MAAG_CHAIN_KEY, for development only)
    MAAG_ANCHOR_PUBLIC_KEYS   the public keys `verify` trusts anchors by: base64 (every service) or
                              service=base64,... (unset: derived from MAAG_CHAIN_KEY)
    MAAG_ANCHOR_WITNESS_DIR   an append-only witness outside the database and the broker: each
                              anchor is also written there as a new file, never overwritten, and
                              `verify` reads it (in Kubernetes a bucket with object lock, mounted)
    MAAG_TOPIC_PREFIX         prepended to every topic name (isolates tests and environments)
    MAAG_LOG_FORMAT           json | console (default: console on a terminal, else json)
    MAAG_OIDC_ISSUER          the identity provider's issuer URL (its realm), e.g.
                              http://127.0.0.1:8180/realms/maag; services refuse to start without
    MAAG_OIDC_JWKS_URL        where its signing keys are (default <issuer>/protocol/openid-connect/certs;
                              set it where the services reach the provider by another address)
    MAAG_HTTP_HOST/PORT       where a service's HTTP API listens
    MAAG_QUORUM_OTHER_AGENCIES  agencies besides social care a panel meeting needs (default 3)
    MAAG_MEETING_WINDOW_HOURS how long after its start a meeting records attendance and
                              decisions; what it left undecided is then carried on (default 24)
    MAAG_SMTP_HOST/PORT       the mail server (default 127.0.0.1:1025, the local mailbox)
    MAAG_SMTP_STARTTLS        true to upgrade the connection with STARTTLS
    MAAG_SMTP_USERNAME/PASSWORD  credentials, when the server wants them
    MAAG_MAIL_FROM            the sender address of every email
    MAAG_WEB_BASE_URL         the web app's public address; links in emails point at its pages
                              (<base>/cases/<id>, <base>/packages/<id>)
    MAAG_SMTP_RETRY_SECONDS   how long a transient SMTP failure is retried (default 300)
    MAAG_REVIEW_REMINDER_DAYS how many days before a package review its lead professional is
                              reminded (default 14)
    MAAG_PROVIDER_DIRECTORY   JSON file of provider contacts (default: the seeded reference data)
    MAAG_KAFKA_SECURITY_PROTOCOL  PLAINTEXT (default), SASL_PLAINTEXT or SASL_SSL
    MAAG_KAFKA_SASL_USERNAME/PASSWORD  the service's Kafka user (SCRAM-SHA-512) when the broker
                              authenticates clients (Strimzi KafkaUser)
    MAAG_KAFKA_CREATE_TOPICS  true (default): create missing registry topics at start; false where
                              an operator manages topics (Strimzi KafkaTopic)
    MAAG_SERVICE_URLS         where the other services' APIs are, e.g. referral=http://maag-referral:8000,...
                              (for the full audit timeline; default: the local ports)
    MAAG_AVOIDED_ANNUAL_COST_PENCE  the yearly cost of each outcome an EARP/JAP package is an
                              alternative to, for the savings report, e.g.
                              accommodation:15600000,hospital:20000000 (pence; sets or overrides
                              the sourced defaults in services/commissioning/domain/savings.py)
    """

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = field(default=None, repr=False)
    # The CA that signed the brokers' certificates (Strimzi's cluster CA), for SASL_SSL.
    kafka_ca_file: Path | None = None
    kafka_create_topics: bool = True
    postgres_url: str | None = None
    # The database password, when it is kept apart from the URL (the secret the database
    # operator creates the role with: one copy of it).
    postgres_password: str | None = field(default=None, repr=False)
    postgres_schema: str | None = None
    store_migrated: bool = False
    data_dir: Path = field(default_factory=lambda: Path(".maag/data"))
    # secrets: never in a repr (a logged Settings)
    cipher_key: str | None = field(default=None, repr=False)
    chain_key: bytes | None = field(default=None, repr=False)
    # Each service's own cipher and chain keys, for the tools that read every store (`maag
    # audit verify`, the replay): MAAG_CIPHER_KEYS / MAAG_CHAIN_KEYS, service=base64,...
    # A service is given only its own, as MAAG_CIPHER_KEY / MAAG_CHAIN_KEY.
    cipher_keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    chain_keys: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    key_encryption_keys: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    child_index_keys: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    retention_schedule: str = ""
    anchor_interval: float = 60.0
    anchor_file: Path | None = None
    anchor_signing_key: bytes | None = field(default=None, repr=False)
    anchor_public_keys: Mapping[str, bytes] = field(default_factory=dict)
    anchor_witness_dir: Path | None = None
    # how often the service walks its whole hash chain on its own (maag.runtime.evidence
    # .store_check): a break is found then, whether or not an auditor looks
    store_check_interval: float = 300.0
    topic_prefix: str = ""
    log_format: str | None = None
    oidc_issuer: str | None = None
    oidc_jwks_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    quorum_other_agencies: int = 3
    meeting_window_hours: int = 24
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    mail_from: str = "maag-notifications@localhost"
    web_base_url: str = "http://127.0.0.1:8010"
    smtp_retry_seconds: float = 300.0
    # Emails in flight at once, each on its own connection; a crash can resend at most this
    # many (accepted by the server, not yet journalled). A case's emails keep one lane, in order.
    smtp_connections: int = 4
    review_reminder_days: int = 14
    provider_directory: Path | None = None
    avoided_annual_cost_pence: dict[str, int] = field(default_factory=dict)
    # name -> base URL of every service, in the order a case moves through them
    service_urls: dict[str, str] = field(default_factory=dict)

    def cipher_key_for(self, service: str) -> str | None:
        """The key `service`'s store is encrypted with: MAAG_CIPHER_KEY where it is given (a
        service is given only its own so; a tool given one reads every store with it), else
        the service's in MAAG_CIPHER_KEYS."""
        return self.cipher_key or self.cipher_keys.get(service.lower())

    def chain_key_for(self, service: str) -> bytes | None:
        """The key `service`'s tamper evidence derives from (its chain, seals, keyring log):
        MAAG_CHAIN_KEY where it is given, else the service's in MAAG_CHAIN_KEYS."""
        return self.chain_key or self.chain_keys.get(service.lower())

    @property
    def postgres_conninfo(self) -> str | None:
        """What psycopg connects with: MAAG_POSTGRES_URL, with MAAG_POSTGRES_PASSWORD when the
        password is kept apart from it (every connection the runtime opens itself: the
        leader lock, the wake-ups, the migration)."""
        if not self.postgres_url or self.postgres_password is None:
            return self.postgres_url
        return make_conninfo(self.postgres_url, password=self.postgres_password)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        local_service_urls: Mapping[str, str] | None = None,
    ) -> Settings:
        """`local_service_urls`: the services and where they listen when run locally
        (`maag.services.settings_from_env` gives them); MAAG_SERVICE_URLS overrides them."""
        env = os.environ if env is None else env
        fmt = env.get("MAAG_LOG_FORMAT")
        if fmt not in (None, "json", "console"):
            raise SettingsError(f"MAAG_LOG_FORMAT must be json or console, not {fmt!r}")
        kafka_security = _kafka_security(env)
        return cls(
            kafka_bootstrap=env.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            kafka_security_protocol=kafka_security,
            kafka_sasl_username=env.get("MAAG_KAFKA_SASL_USERNAME") or None,
            kafka_sasl_password=env.get("MAAG_KAFKA_SASL_PASSWORD") or None,
            kafka_ca_file=_ca_file(env, kafka_security),
            kafka_create_topics=_flag(env, "MAAG_KAFKA_CREATE_TOPICS", True),
            postgres_url=env.get("MAAG_POSTGRES_URL") or None,
            postgres_password=env.get("MAAG_POSTGRES_PASSWORD") or None,
            postgres_schema=env.get("MAAG_POSTGRES_SCHEMA") or None,
            store_migrated=_flag(env, "MAAG_STORE_MIGRATED", False),
            data_dir=Path(env.get("MAAG_DATA_DIR", ".maag/data")),
            cipher_key=env.get("MAAG_CIPHER_KEY") or None,
            chain_key=secret_key(env, "MAAG_CHAIN_KEY"),
            cipher_keys=service_keys(env.get("MAAG_CIPHER_KEYS", ""), "MAAG_CIPHER_KEYS"),
            chain_keys={
                service: base64.b64decode(key)
                for service, key in service_keys(
                    env.get("MAAG_CHAIN_KEYS", ""), "MAAG_CHAIN_KEYS"
                ).items()
            },
            key_encryption_keys=parse_keks(env.get("MAAG_KEY_ENCRYPTION_KEYS", "")),
            child_index_keys=parse_keks(
                env.get("MAAG_CHILD_INDEX_KEYS", ""), "MAAG_CHILD_INDEX_KEYS"
            ),
            retention_schedule=env.get("MAAG_RETENTION", ""),
            anchor_interval=_number(env, "MAAG_ANCHOR_INTERVAL", 60, 1, 86_400, float),
            anchor_file=Path(f) if (f := env.get("MAAG_ANCHOR_FILE")) else None,
            anchor_signing_key=ed25519_key(env, "MAAG_ANCHOR_SIGNING_KEY"),
            anchor_public_keys=anchor_public_keys(env.get("MAAG_ANCHOR_PUBLIC_KEYS", "")),
            anchor_witness_dir=Path(w) if (w := env.get("MAAG_ANCHOR_WITNESS_DIR")) else None,
            store_check_interval=_number(env, "MAAG_STORE_CHECK_INTERVAL", 300, 10, 86_400, float),
            topic_prefix=env.get("MAAG_TOPIC_PREFIX", ""),
            log_format=fmt,
            oidc_issuer=_url(env, "MAAG_OIDC_ISSUER"),
            oidc_jwks_url=_url(env, "MAAG_OIDC_JWKS_URL"),
            http_host=env.get("MAAG_HTTP_HOST", "127.0.0.1"),
            http_port=int(_number(env, "MAAG_HTTP_PORT", 8000, 0, 65535)),
            quorum_other_agencies=int(_number(env, "MAAG_QUORUM_OTHER_AGENCIES", 3, 0, 11)),
            meeting_window_hours=int(_number(env, "MAAG_MEETING_WINDOW_HOURS", 24, 1, 168)),
            smtp_host=env.get("MAAG_SMTP_HOST", "127.0.0.1"),
            smtp_port=int(_number(env, "MAAG_SMTP_PORT", 1025, 1, 65535)),
            smtp_starttls=_flag(env, "MAAG_SMTP_STARTTLS", False),
            smtp_username=env.get("MAAG_SMTP_USERNAME") or None,
            smtp_password=env.get("MAAG_SMTP_PASSWORD") or None,
            mail_from=env.get("MAAG_MAIL_FROM", "maag-notifications@localhost"),
            web_base_url=_url(env, "MAAG_WEB_BASE_URL") or "http://127.0.0.1:8010",
            smtp_retry_seconds=_number(env, "MAAG_SMTP_RETRY_SECONDS", 300, 0, 86_400, float),
            smtp_connections=int(_number(env, "MAAG_SMTP_CONNECTIONS", 4, 1, 32)),
            review_reminder_days=int(_number(env, "MAAG_REVIEW_REMINDER_DAYS", 14, 0, 90)),
            provider_directory=Path(p) if (p := env.get("MAAG_PROVIDER_DIRECTORY")) else None,
            avoided_annual_cost_pence=parse_costs(env.get("MAAG_AVOIDED_ANNUAL_COST_PENCE", "")),
            service_urls=parse_service_urls(
                env.get("MAAG_SERVICE_URLS", ""), local_service_urls or {}
            ),
        )

    def eventsourcing_env(self, app_name: str) -> dict[str, str]:
        """The environment `eventsourcing` reads, chosen deliberately: never its in-memory default."""
        env: dict[str, str] = {}
        if self.postgres_url:
            env.update(postgres_env(self.postgres_url, self.postgres_password))
            env["POSTGRES_SCHEMA"] = self.postgres_schema or app_name.lower()
            env["PERSISTENCE_MODULE"] = "eventsourcing.postgres"
            # Fail fast when the database is away (eventsourcing retries each call ten times
            # on top, and its default waits 30 s per attempt), and check a pooled connection
            # before use so that a restarted database costs no failed call (a check that
            # needs no round trip while the connection is well: maag.runtime.store.liveness).
            env["POSTGRES_CONNECT_TIMEOUT"] = "1"
            env["POSTGRES_PRE_PING"] = "y"
            if self.store_migrated:  # made by its owner; this role may not create them
                env["CREATE_TABLE"] = "no"
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            env["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
            env["SQLITE_DBNAME"] = str(self.data_dir / f"{app_name.lower()}.sqlite")
        if cipher_key := self.cipher_key_for(app_name):
            env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
            env["CIPHER_KEY"] = cipher_key
        return env


def _number(
    env: Mapping[str, str],
    name: str,
    default: float,
    low: float,
    high: float,
    kind: type[int] | type[float] = int,
) -> float:
    """A numeric setting, or an error naming the variable and the rule (not a traceback)."""
    text = env.get(name)
    if text is None or text == "":
        return default
    try:
        value = kind(text)
    except ValueError:
        raise SettingsError(
            f"{name} must be {'a whole number' if kind is int else 'a number'}, not {text[:40]!r}"
        ) from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be from {low} to {high}, not {value}")
    return value


def parse_costs(text: str, name: str = "MAAG_AVOIDED_ANNUAL_COST_PENCE") -> dict[str, int]:
    """'accommodation:15600000,hospital:20000000' -> each outcome's yearly cost in pence."""
    costs: dict[str, int] = {}
    known = {o.value for o in AvoidedOutcome}
    for part in filter(None, (p.strip() for p in text.split(","))):
        outcome, _, pence = part.partition(":")
        outcome = outcome.strip()
        if outcome not in known:
            raise SettingsError(
                f"{name}: {outcome[:40]!r} is not an outcome a package avoids "
                f"({', '.join(sorted(known))})"
            )
        if not pence.strip().isdigit() or int(pence) > 10**10:
            raise SettingsError(
                f"{name}: {outcome}'s cost must be whole pence from 0 to 10000000000, "
                f"not {pence[:40]!r}"
            )
        if outcome in costs:
            raise SettingsError(f"{name}: {outcome} is given twice")
        costs[outcome] = int(pence)
    return costs


def secret_key(env: Mapping[str, str], name: str, least: int = 32) -> bytes | None:
    """A key given in base64, at least `least` bytes once decoded (None when unset)."""
    text = env.get(name)
    if not text:
        return None
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise SettingsError(f"{name} must be base64 (`maag secrets` prints a new key)") from None
    if len(key) < least:
        raise SettingsError(f"{name} must be at least {least} bytes, not {len(key)}")
    return key


def ed25519_key(env: Mapping[str, str], name: str) -> bytes | None:
    """An Ed25519 key (private seed or public key) in base64: exactly 32 bytes."""
    text = env.get(name)
    if not text:
        return None
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        key = b""
    if len(key) != 32:
        raise SettingsError(
            f"{name} must be base64 of 32 bytes (`maag audit anchor-keys` prints a new pair)"
        )
    return key


def anchor_public_keys(text: str) -> dict[str, bytes]:
    """MAAG_ANCHOR_PUBLIC_KEYS: base64 (every service's, as "*") or service=base64,..."""
    found: dict[str, bytes] = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        service, sep, value = entry.partition("=")
        if not sep or not value or not re.fullmatch(r"[a-z][a-z0-9-]{0,39}", service):
            service, value = "*", entry  # a bare key (its "=" is base64's padding)
        key = ed25519_key({"MAAG_ANCHOR_PUBLIC_KEYS": value}, "MAAG_ANCHOR_PUBLIC_KEYS")
        if key is None:
            raise SettingsError(f"MAAG_ANCHOR_PUBLIC_KEYS: no key for {service}")
        found[service] = key
    return found


def service_keys(text: str, name: str) -> dict[str, str]:
    """`service=base64,...` (MAAG_CIPHER_KEYS, MAAG_CHAIN_KEYS): each service's own 32-byte
    key, as base64 text."""
    found: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        service, sep, value = entry.partition("=")
        if not sep or not re.fullmatch(r"[a-z][a-z0-9-]{0,39}", service):
            raise SettingsError(f"{name}: each entry is service=base64")
        key = secret_key({name: value}, name)
        if key is None or len(key) != 32:
            raise SettingsError(f"{name}: {service}'s key must be base64 of 32 bytes")
        found[service] = value
    return found


KEK_ID = re.compile(r"^[a-z0-9][a-z0-9.-]{0,39}$")


def parse_keks(text: str, name: str = "MAAG_KEY_ENCRYPTION_KEYS") -> tuple[tuple[str, bytes], ...]:
    """`id=base64,...`, each key 32 bytes, ids unique; the first is the current one (the
    key-encryption keys, and the child index's keys)."""
    found: list[tuple[str, bytes]] = []
    for entry in filter(None, (e.strip() for e in text.split(","))):
        kek_id, sep, value = entry.partition("=")
        if not sep or not KEK_ID.match(kek_id):
            raise SettingsError(
                f"{name}: each entry is id=base64, the id of lower-case letters, digits, . and -"
            )
        key = secret_key({name: value}, name)
        if key is None or len(key) != 32:
            raise SettingsError(f"{name}: key {kek_id} must be 32 bytes")
        if any(kek_id == seen for seen, _ in found):
            raise SettingsError(f"{name}: key id {kek_id} appears twice")
        found.append((kek_id, key))
    return tuple(found)


def _url(env: Mapping[str, str], name: str) -> str | None:
    text = (env.get(name) or "").strip()
    if not text:
        return None
    if not text.startswith(("http://", "https://")) or len(text) > 500:
        raise SettingsError(f"{name} must be an http(s) URL")
    return text.rstrip("/")


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = (env.get(name) or "").strip().lower()
    if not text:
        return default
    if text not in _TRUE + _FALSE:
        raise SettingsError(f"{name} must be true or false, not {text[:40]!r}")
    return text in _TRUE


def parse_service_urls(text: str, local: Mapping[str, str]) -> dict[str, str]:
    """`name=url,...` over the `local` defaults; a name not a service, or a bad url, is refused."""
    urls = dict(local)
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, url = item.partition("=")
        if not sep or name not in urls or not url.startswith(("http://", "https://")):
            raise SettingsError(
                f"MAAG_SERVICE_URLS: {item!r} is not <service>=<http(s) url> "
                f"(services: {', '.join(urls)})"
            )
        urls[name] = url.rstrip("/")
    return urls


KAFKA_SECURITY = ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL")


def _kafka_security(env: Mapping[str, str]) -> str:
    protocol = env.get("MAAG_KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT"
    if protocol not in KAFKA_SECURITY:
        raise SettingsError(
            f"MAAG_KAFKA_SECURITY_PROTOCOL must be one of {', '.join(KAFKA_SECURITY)}, "
            f"not {protocol[:40]!r}"
        )
    if protocol != "PLAINTEXT" and not (
        env.get("MAAG_KAFKA_SASL_USERNAME") and env.get("MAAG_KAFKA_SASL_PASSWORD")
    ):
        raise SettingsError(
            f"MAAG_KAFKA_SECURITY_PROTOCOL {protocol} needs MAAG_KAFKA_SASL_USERNAME and "
            "MAAG_KAFKA_SASL_PASSWORD (the service's KafkaUser)"
        )
    return protocol


def _ca_file(env: Mapping[str, str], protocol: str) -> Path | None:
    """The brokers' CA, required with TLS: a service never falls back to trusting whatever
    the system trusts, nor starts without trust and fails on its first connection."""
    text = env.get("MAAG_KAFKA_CA_FILE") or ""
    if protocol != "SASL_SSL":
        return Path(text) if text else None
    if not text:
        raise SettingsError(
            "MAAG_KAFKA_CA_FILE is needed with MAAG_KAFKA_SECURITY_PROTOCOL SASL_SSL: the "
            "CA certificate the brokers' certificates are signed with (Strimzi's "
            "<cluster>-cluster-ca-cert Secret, key ca.crt)"
        )
    path = Path(text)
    try:
        pem = path.read_text()
    except OSError as e:
        raise SettingsError(
            f"MAAG_KAFKA_CA_FILE: cannot read {text[:200]} ({e.strerror})"
        ) from None
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise SettingsError(f"MAAG_KAFKA_CA_FILE: {text[:200]} holds no PEM certificate")
    return path


def postgres_env(url: str, password: str | None = None) -> dict[str, str]:
    """eventsourcing's PostgreSQL settings from MAAG_POSTGRES_URL (and MAAG_POSTGRES_PASSWORD,
    which, when set, is the password)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.path[1:]:
        # The value is not repeated: it may hold the database password.
        raise SettingsError(
            "MAAG_POSTGRES_URL must look like postgresql://user:password@host:port/dbname"
        )
    return {
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_DBNAME": parts.path[1:],
        "POSTGRES_USER": unquote(parts.username or ""),
        "POSTGRES_PASSWORD": password if password is not None else unquote(parts.password or ""),
    }
