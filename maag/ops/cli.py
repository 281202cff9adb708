"""The `maag` command: local infrastructure, contracts, topics and the services."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from maag.ops.infra import local
from maag.ops.infra.layout import InfraError, Layout

app = typer.Typer(
    help="MAAG: multi-agency commissioning for vulnerable children.", no_args_is_help=True
)
infra = typer.Typer(
    help="Local Kafka (from Maven Central) and PostgreSQL (from Debian), no Docker.",
    no_args_is_help=True,
)
app.add_typer(infra, name="infra")
contracts_app = typer.Typer(help="The published integration surface.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")
mailbox_app = typer.Typer(
    help="The local mailbox: a real SMTP server that keeps what it receives.", no_args_is_help=True
)
app.add_typer(mailbox_app, name="mailbox")
audit_app = typer.Typer(
    help="For auditors: a case's history across the services, and evidence that the stored "
    "history is intact.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")
deploy_app = typer.Typer(help="Kubernetes manifests generated from the code.", no_args_is_help=True)
app.add_typer(deploy_app, name="deploy")
topics_app = typer.Typer(help="Kafka topics from the topic registry.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")


def _infra(action: str) -> None:
    try:
        if action == "status":
            raise typer.Exit(0 if local.status(Layout.from_env(), typer.echo) else 3)
        getattr(local, action)(Layout.from_env(), typer.echo)
    except InfraError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e


@infra.command("up")
def infra_up(
    brokers: Annotated[
        int,
        typer.Option(
            help="Kafka nodes: 1, or 3 for the production topology (replication 3, "
            "min.insync.replicas 2; nodes on 9092, 9192, 9292). Also MAAG_KAFKA_BROKERS."
        ),
    ] = 0,
) -> None:
    """Fetch (once) and start Kafka on 127.0.0.1:9092, PostgreSQL on 127.0.0.1:5432 and
    Keycloak on 127.0.0.1:8180."""
    if brokers:
        os.environ["MAAG_KAFKA_BROKERS"] = str(brokers)
    _infra("up")


@infra.command("down")
def infra_down() -> None:
    """Stop what `infra up` started (by pid file); leave anything else alone."""
    _infra("down")


@infra.command("status")
def infra_status() -> None:
    """Say whether Kafka and PostgreSQL are running (exit 3 when either is not)."""
    _infra("status")


@contracts_app.command("export")
def contracts_export(
    directory: Annotated[Path, typer.Argument(help="Where to write schemas/ and asyncapi.yaml.")],
    allow_breaking: Annotated[
        bool, typer.Option(help="Overwrite published schemas even with breaking changes.")
    ] = False,
) -> None:
    """Write a JSON Schema per event and the AsyncAPI 3.0 document of every topic (FastStream's,
    from what the services subscribe to and publish)."""
    from contracts.export import BreakingChange, export
    from maag.ops.asyncapi import rendered

    try:
        for path in export(directory, allow_breaking=allow_breaking):
            typer.echo(f"wrote {path}")
    except BreakingChange as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    (directory / "asyncapi.yaml").write_text(rendered())
    typer.echo(f"wrote {directory / 'asyncapi.yaml'}")


@topics_app.command("ensure")
def topics_ensure() -> None:
    """Create every registry topic that is missing (partitions and retention from the registry)."""
    import asyncio

    from maag.runtime.messaging.kafka import ensure_topics
    from maag.services import settings_from_env

    settings = settings_from_env()
    created = asyncio.run(ensure_topics(settings.kafka_bootstrap, settings.topic_prefix))
    typer.echo(f"created: {', '.join(created) or 'none (all present)'}")


@mailbox_app.command("serve")
def mailbox_serve(
    port: Annotated[int, typer.Option(help="SMTP port")] = 1025,
    directory: Annotated[Path, typer.Option(help="Where messages are kept")] = Path(".maag/mail"),
    reject: Annotated[list[str] | None, typer.Option(help="Recipients to refuse with 550")] = None,
    http_port: Annotated[
        int | None, typer.Option(help="Also serve a read-only page of the messages here")
    ] = None,
    reply_delay_ms: Annotated[
        int,
        typer.Option(
            min=0, max=10_000, help="Answer MAIL, RCPT and DATA this much later, as a far relay"
        ),
    ] = 0,
) -> None:
    """Run the SMTP server in the foreground until Ctrl-C."""
    from maag.ops.infra.mailbox import serve

    serve("127.0.0.1", port, directory, set(reject or []), http_port, reply_delay_ms)


@mailbox_app.command("list")
def mailbox_list(
    directory: Annotated[Path, typer.Option(help="Where messages are kept")] = Path(".maag/mail"),
) -> None:
    """One line per message received: number, date, recipient, subject."""
    from maag.ops.infra.mailbox import messages

    for i, (_, msg) in enumerate(messages(directory), start=1):
        typer.echo(f"{i:4d}  {msg['Date']}  {msg['To']}  {msg['Subject']}")


@mailbox_app.command("show")
def mailbox_show(
    number: int,
    directory: Annotated[Path, typer.Option(help="Where messages are kept")] = Path(".maag/mail"),
) -> None:
    """Print message NUMBER (from `maag mailbox list`) as received."""
    from maag.ops.infra.mailbox import messages

    found = messages(directory)
    if not 1 <= number <= len(found):
        typer.echo(f"error: there are {len(found)} messages", err=True)
        raise typer.Exit(1)
    typer.echo(found[number - 1][0].read_text())


SHOWN_BREAKS = 50  # a history re-chained without the key breaks at every event after


@audit_app.command("verify")
def audit_verify(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to check (default: all).")
    ] = None,
    anchors_file: Annotated[
        Path | None,
        typer.Option(
            "--anchors", help="Also hold the stores to the anchors in this file (JSON lines)."
        ),
    ] = None,
) -> None:
    """Walk each service's keyed hash chain over its stored events and hold it to the signed
    anchors on the broker (and in --anchors); exit 1 naming every break: an event altered,
    deleted or inserted, an event whose own MAC fails (inserted, moved to another aggregate or
    altered without the service's key) or that carries none after the cut-over from the
    previous release, a case-index row missing or added, a history re-chained, a tail gone,
    an anchor not signed with the service's key, no trusted anchor, or events chained more
    than two MAAG_ANCHOR_INTERVALs after the latest anchor. Needs MAAG_CHAIN_KEY."""
    import asyncio

    from aiokafka.errors import KafkaError

    from maag.ops.audit.stores import NAMES, store_of
    from maag.runtime.evidence import anchors, keyring
    from maag.runtime.evidence.chain_keys import ChainKeyMissing
    from maag.services import settings_from_env

    _local_keys(Layout.from_env())
    settings = settings_from_env()
    try:
        records = asyncio.run(anchors.read_anchors(settings, anchors_file))
    except (KafkaError, OSError) as e:
        typer.echo(f"error: the anchors cannot be read: {e!r}", err=True)
        raise typer.Exit(1) from e
    broken = False
    for name in services or NAMES:
        try:
            with store_of(settings, name) as (_, chain):
                verdict = keyring.verified(chain, records, settings, name)
        except ChainKeyMissing as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from e
        state = "intact" if verdict.clean else f"{len(verdict.breaks)} break(s)"
        anchored = (
            f"held to {verdict.anchors} anchor(s), the latest at notification "
            f"{verdict.anchored_head}"
            if verdict.anchors
            else "no trusted anchor"
        )
        typer.echo(
            f"{name}: {verdict.chained} events chained (to notification {verdict.head}; "
            f"newest stored {verdict.stored_head}), {anchored}: {state}"
        )
        for b in verdict.breaks[:SHOWN_BREAKS]:
            typer.echo(f"  {b}")
        if len(verdict.breaks) > SHOWN_BREAKS:
            typer.echo(f"  ... and {len(verdict.breaks) - SHOWN_BREAKS} more")
        broken |= not verdict.clean
    raise typer.Exit(1 if broken else 0)


@audit_app.command("anchor-keys")
def audit_anchor_keys() -> None:
    """Print a new Ed25519 key pair for the anchors, as environment assignments: the private
    key for the anchoring services only (MAAG_ANCHOR_SIGNING_KEY), the public key for
    `maag audit verify` and the services' /audit/store (MAAG_ANCHOR_PUBLIC_KEYS)."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    typer.echo(f"MAAG_ANCHOR_SIGNING_KEY={base64.b64encode(seed).decode()}")
    typer.echo(f"MAAG_ANCHOR_PUBLIC_KEYS={base64.b64encode(public).decode()}")


@audit_app.command("replay")
def audit_replay(
    case_id: Annotated[str, typer.Argument(help="The case reference (a UUID).")],
    as_of: Annotated[
        str | None,
        typer.Option(help="Show the case as it stood then (ISO 8601, e.g. 2026-11-27T10:00Z)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    from_stores: Annotated[
        bool,
        typer.Option(
            help="Read the services' stores directly (when the services are down); "
            "such a read is not recorded on the case."
        ),
    ] = False,
    user: Annotated[
        str | None,
        typer.Option(
            help="Sign in as this auditor with their password (asked for, or MAAG_PASSWORD); "
            "without it, sign in on the provider's page (device code)."
        ),
    ] = None,
) -> None:
    """One case's timeline across every service, and its state as of a time (from the
    services at MAAG_SERVICE_URLS, default the local ports). Exit 3: no service knows the
    case; 1: a service could not answer; 2: bad arguments."""
    from datetime import datetime
    from uuid import UUID

    from maag.ops.audit import render
    from maag.ops.audit.stores import histories
    from maag.ops.identity.tokens import ProviderError
    from maag.runtime.evidence.timeline import ReplayRefused, parts_over_http, replay
    from maag.services import settings_from_env

    try:
        case = UUID(case_id)
        when = datetime.fromisoformat(as_of) if as_of else None
        if when is not None and when.tzinfo is None:
            raise ValueError("--as-of: give a time zone, e.g. 2026-11-27T10:00Z")
        if fmt not in ("text", "json"):
            raise ValueError("--format: text or json")
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    _local_issuer(Layout.from_env())
    settings = settings_from_env()
    try:
        if from_stores:
            with histories(settings) as found:
                result = replay(case, {h.service: h.entries for h in found}, when)
        else:
            # The auditor's own sign-in: the services record their reads under its subject.
            token = _sign_in(settings.oidc_issuer, user)
            result = replay(case, parts_over_http(settings.service_urls, token), when)
    except (ReplayRefused, ProviderError, ValueError, OSError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    if fmt == "json":
        import json

        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        typer.echo(render.text(result))
    raise typer.Exit(0 if result.entries else 3)


@app.command("demo")
def demo(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each reaction")] = 90.0,
) -> None:
    """Drive three realistic cases through the running system (`maag up` first), printing
    each step, and end with one case's audit replay."""
    from maag.ops.demo import scenario
    from maag.ops.demo.client import Client, FlowError
    from maag.ops.identity.tokens import ProviderError, Tokens
    from maag.services import settings_from_env

    _local_issuer(Layout.from_env())  # the provider `maag up` gave the services
    settings = settings_from_env()
    assert settings.oidc_issuer is not None
    try:
        tokens = Tokens(settings.oidc_issuer)  # the seeded people sign in
        scenario.run(Client(dict(settings.service_urls), tokens, timeout), typer.echo)
    except (FlowError, ProviderError, ValueError) as e:
        typer.echo(f"demo stopped: {e}", err=True)
        raise typer.Exit(1) from e


@deploy_app.command("render")
def deploy_render(
    directory: Annotated[Path, typer.Argument(help="Where the kustomize base goes.")] = Path(
        "deploy/k8s/base"
    ),
    overlays_dir: Annotated[
        Path, typer.Option("--overlays", help="Where each environment's overlay goes.")
    ] = Path("deploy/k8s/overlays"),
    realms: Annotated[
        Path, typer.Option("--realms", help="Where each environment's realm goes.")
    ] = Path("deploy/keycloak"),
) -> None:
    """Write the kustomize base (Kafka, topics, users, PostgreSQL, each service), and from each
    deploy/environments/<name>.toml its overlay and its identity provider's realm."""
    from maag.ops import environments, overlays
    from maag.ops.deployment import render
    from maag.ops.identity import realm

    try:
        found = environments.load_all()
    except environments.EnvironmentFileError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    for path in render(directory):
        typer.echo(f"wrote {path}")
    for path in overlays.write(overlays_dir, found):
        typer.echo(f"wrote {path}")
    for path in realm.write(realms, found):
        typer.echo(f"wrote {path}")


@deploy_app.command("env")
def deploy_env(
    environment: Annotated[str, typer.Argument(help="deploy/environments/<environment>.toml")],
) -> None:
    """Print the environment's values as shell assignments, for the guide's commands:
    `eval "$(maag deploy env prod)"` sets NAMESPACE, IMAGE, PULL_SECRET, WEB_HOST..."""
    import shlex

    from maag.ops import environments, overlays

    try:
        env = environments.load(environment)
    except environments.EnvironmentFileError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    for name, value in overlays.shell(env).items():
        typer.echo(f"{name}={shlex.quote(value)}")


@deploy_app.command("check")
def deploy_check(
    environment: Annotated[str, typer.Argument(help="deploy/environments/<environment>.toml")],
) -> None:
    """Before applying: the environment's overlay and realm are current and agree on its hosts,
    and (with kubectl, its current context) the cluster has the Kubernetes version, the
    namespace, every Secret, the operators and APIs the manifests need. Each problem is printed
    with the command that fixes it; exit 1 when there is any."""
    import shutil

    from maag.ops import preflight

    binary = shutil.which("kubectl")
    findings = preflight.check(environment, kubectl=preflight.Kubectl(binary) if binary else None)
    raise typer.Exit(preflight.report(findings, typer.echo))


@app.command("run")
def run(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to run (default: all).")
    ] = None,
) -> None:
    """Run the services, each in its own process, until Ctrl-C."""
    from maag.ops.supervisor import run_services
    from maag.runtime.store.migrations import MigrationError
    from maag.services import PROCESSES, SPECS

    known = list(PROCESSES)
    names = services or known
    unknown = sorted(set(names) - set(known))
    if unknown:
        typer.echo(
            f"error: unknown service(s) {', '.join(unknown)}; known: {', '.join(known)}",
            err=True,
        )
        raise typer.Exit(2)
    if not names:
        typer.echo("No services are built yet; the infrastructure is up and waiting.")
        return
    layout = Layout.from_env()
    _top_up_secrets(layout)  # a key this release added (e.g. MAAG_CHILD_INDEX_KEYS)
    _local_keys(layout)
    try:
        store_env = _migrate_stores([n for n in names if n in SPECS])
    except MigrationError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    raise typer.Exit(run_services(names, typer.echo, env_of=lambda n: store_env.get(n, {})))


def _migrate_stores(names: list[str]) -> dict[str, dict[str, str]]:
    """On PostgreSQL: each service's store made by MAAG_POSTGRES_URL's role (the owner), and
    the service run as its own role (maag_<service>), which may not change its history."""
    from maag.runtime.store.migrations import local_writer, migrate, writer_env
    from maag.services import settings_from_env

    settings = settings_from_env()
    if settings.postgres_url is None:
        return {}  # SQLite files: one local user, nothing to grant
    password = os.environ.get("MAAG_POSTGRES_WRITER_PASSWORD")
    found = {}
    for name in names:
        migrate(settings, name, local_writer(name), password)
        found[name] = writer_env(settings, local_writer(name), password or "")
    return found


@app.command("up")
def up(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to run (default: all).")
    ] = None,
) -> None:
    """Everything, locally: Kafka and PostgreSQL (started if needed), the topics, every
    service and the mailbox, until Ctrl-C. (`deploy/local/system.sh` also installs first.)"""
    import asyncio

    from maag.ops.infra import kafka, keycloak, postgres
    from maag.runtime.messaging.kafka import ensure_topics
    from maag.services import settings_from_env

    layout = Layout.from_env()
    # on the way out, stop only what this command started
    kafka_was_up = pg_was_up = keycloak_was_up = True
    if not all(os.environ.get(v) for v in _INFRA_VARIABLES):
        kafka_was_up = kafka.running(layout) is not None
        pg_was_up = postgres.running()
        keycloak_was_up = keycloak.running(layout) is not None
        _infra("up")
        os.environ.setdefault("KAFKA_BOOTSTRAP_SERVERS", layout.kafka_bootstrap)
        os.environ.setdefault("MAAG_POSTGRES_URL", layout.postgres_url)
        os.environ.setdefault("MAAG_OIDC_ISSUER", layout.oidc_issuer)
    try:
        _local_secrets(layout)
        settings = settings_from_env()
        asyncio.run(ensure_topics(settings.kafka_bootstrap, settings.topic_prefix))
        run(services)
    finally:
        if not kafka_was_up and kafka.stop(layout):
            typer.echo("kafka: stopped")
        if not pg_was_up and postgres.stop(layout):
            typer.echo("postgres: stopped")
        if not keycloak_was_up and keycloak.stop(layout):
            typer.echo("keycloak: stopped")


# What the local infrastructure gives the services; all set means someone else runs it.
_INFRA_VARIABLES = ("KAFKA_BOOTSTRAP_SERVERS", "MAAG_POSTGRES_URL", "MAAG_OIDC_ISSUER")


def _local_issuer(layout: Layout) -> None:
    """The local identity provider, unless MAAG_OIDC_ISSUER names another."""

    os.environ.setdefault("MAAG_OIDC_ISSUER", layout.oidc_issuer)


def _local_secrets(layout: Layout) -> None:
    """The local default's keys (each made once, kept in .maag/secrets.env) and the local
    identity provider's issuer."""

    _local_issuer(layout)
    path = layout.home / "secrets.env"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.touch(0o600)
    _top_up_secrets(layout)
    _local_keys(layout)


def _top_up_secrets(layout: Layout) -> None:
    """A key added since .maag/secrets.env was made is added to it; the others are kept.
    A child-index key added to a store the previous release indexed lists that release's
    key (derived from the cipher key) after it, so its children are still found until
    `maag privacy rotate-index-key` moves them."""
    import base64

    path = layout.home / "secrets.env"
    if not path.exists():
        return  # not the local default: the environment gives the keys
    kept = dict(line.partition("=")[::2] for line in path.read_text().splitlines() if line)
    missing = {k: v for k, v in _new_secrets().items() if k not in kept}
    # stores made under one key for all keep it: a key of each service's own would not open
    # them (the services read the common key where the map has no entry)
    if "MAAG_CIPHER_KEY" in kept:
        missing.pop("MAAG_CIPHER_KEYS", None)
    if "MAAG_CHAIN_KEY" in kept:
        missing.pop("MAAG_CHAIN_KEYS", None)
    if "MAAG_CHILD_INDEX_KEYS" in missing and kept.get("MAAG_CIPHER_KEY"):
        from services.referral.service import previous_release_key

        previous = base64.b64encode(previous_release_key(kept["MAAG_CIPHER_KEY"])).decode()
        missing["MAAG_CHILD_INDEX_KEYS"] += f",previous={previous}"
    if missing:
        with path.open("a") as f:
            f.writelines(f"{k}={v}\n" for k, v in missing.items())
        path.chmod(0o600)


def _local_keys(layout: Layout) -> None:
    """The local default's keys, where `maag up` made them (the environment wins: a key
    it gives, MAAG_CIPHER_KEY say, is not overruled by the file's map of every service's)."""
    from maag.ops.deployment import PER_SERVICE_KEYS

    path = layout.home / "secrets.env"
    for line in path.read_text().splitlines() if path.exists() else ():
        key, _, value = line.partition("=")
        if not key or not value or os.environ.get(PER_SERVICE_KEYS.get(key, "")):
            continue
        os.environ.setdefault(key, value)


@app.command("serve", hidden=True)
def serve(service: str) -> None:
    """Run one service in this process (used by `maag run`)."""
    from maag.runtime.settings import SettingsError
    from maag.services import main_of, settings_from_env

    try:
        main_of(service)(settings_from_env())
    except SettingsError as e:  # the operator's mistake: say which, without a traceback
        raise SystemExit(f"{service}: {e}") from None


@app.command("token")
def token(
    user: Annotated[
        str | None,
        typer.Option(help="A seeded person, e.g. referrer-education (README lists them)"),
    ] = None,
    agency: Annotated[
        str | None,
        typer.Option(help="Instead: an integrating agency's system token (client credentials)"),
    ] = None,
) -> None:
    """Print a token from the local identity provider (development only: it signs in a seeded
    person with the local password, or an agency's system with its local secret)."""
    from maag.ops.identity.realm import LOCAL_PASSWORD
    from maag.ops.identity.tokens import ProviderError, Tokens
    from maag.services import settings_from_env

    _local_issuer(Layout.from_env())
    settings = settings_from_env()
    if (user is None) == (agency is None):
        typer.echo("error: give --user or --agency", err=True)
        raise typer.Exit(2)
    try:
        tokens = Tokens(settings.oidc_issuer or "")
        typer.echo(tokens.agency(agency) if agency else tokens.person(user or "", LOCAL_PASSWORD))
    except ProviderError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e


def _sign_in(issuer: str | None, user: str | None) -> str:
    """A person's token: by password when a user is named, else by device code."""

    from maag.ops.identity.tokens import ProviderError, Tokens

    if not issuer:
        raise ProviderError("MAAG_OIDC_ISSUER is not set")
    tokens = Tokens(issuer)
    if user is not None:
        password = os.environ.get("MAAG_PASSWORD") or typer.prompt(
            f"password for {user}", hide_input=True
        )
        return tokens.person(user, password)
    return tokens.device(lambda text: typer.echo(text, err=True))


@app.command("secrets")
def secrets() -> None:
    """Print new keys (each service's store cipher key and chain key, the key-encryption key
    and the referral service's child-index key), as environment assignments; each
    service's own key goes in its own Secret (deploy/README.md)."""
    for key, value in _new_secrets().items():
        typer.echo(f"{key}={value}")


def _new_secrets() -> dict[str, str]:
    import base64

    from maag.services import SPECS

    def each() -> str:  # a key of each service's own: `maag run` gives each process its own
        return ",".join(f"{s}={base64.b64encode(os.urandom(32)).decode()}" for s in SPECS)

    return {
        "MAAG_CIPHER_KEYS": each(),  # AES-256 for each service's store
        # each service's hash chain, seals and keyring log (maag.runtime.evidence.chain_keys)
        "MAAG_CHAIN_KEYS": each(),
        # the referral's key-encryption key (each case's data key is wrapped by it)
        "MAAG_KEY_ENCRYPTION_KEYS": "local-1=" + base64.b64encode(os.urandom(32)).decode(),
        # the referral's child-index key (the index's HMACs), apart from the cipher key; a
        # .maag/secrets.env made before it gets it added at the next `maag up`
        "MAAG_CHILD_INDEX_KEYS": "local-1=" + base64.b64encode(os.urandom(32)).decode(),
        # the local services' database roles (`maag db migrate`), which own nothing
        "MAAG_POSTGRES_WRITER_PASSWORD": base64.b64encode(os.urandom(24)).decode(),
    }


db_app = typer.Typer(help="The services' stores in PostgreSQL.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("migrate")
def db_migrate(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services whose stores to make (default: all).")
    ] = None,
    writer: Annotated[
        str | None,
        typer.Option(help="The role the service runs as (default: maag_<service>); one service."),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            help="Seconds to wait for the database to take the owner and for the writer role "
            "to exist (a first install: CloudNativePG is still making them)."
        ),
    ] = 0,
) -> None:
    """As the store's owner (MAAG_POSTGRES_URL): make each service's tables, make its history
    (events, hash chain, case index) append-only, grant the service's role what it needs and
    no more, and record that this release migrated it. A missing role is created with
    MAAG_POSTGRES_WRITER_PASSWORD; without it, the role must exist (waited for, as the
    database is, up to --timeout)."""
    import psycopg
    from eventsourcing.persistence import PersistenceError
    from sqlalchemy.exc import SQLAlchemyError

    from maag.runtime.settings import SettingsError
    from maag.runtime.store.migrations import RELEASE, MigrationError, local_writer, migrate
    from maag.services import SPECS, settings_from_env

    names = services or list(SPECS)
    unknown = sorted(set(names) - set(SPECS))
    if unknown or (writer is not None and len(names) != 1):
        typer.echo(
            f"error: unknown service(s) {', '.join(unknown)}"
            if unknown
            else "error: --writer names the role of one service",
            err=True,
        )
        raise typer.Exit(2)
    password = os.environ.get("MAAG_POSTGRES_WRITER_PASSWORD")
    try:
        settings = settings_from_env()
        for name in names:
            role = writer or local_writer(name)

            def waiting(reason: str, name: str = name) -> None:
                typer.echo(f"{name}: waiting: {reason}")

            tables = migrate(settings, name, role, password, timeout=timeout, report=waiting)
            typer.echo(
                f"{name}: {', '.join(tables)} append-only; runs as {role}; release {RELEASE}"
            )
    except (MigrationError, SettingsError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    except (psycopg.Error, PersistenceError, SQLAlchemyError) as e:
        # the database refused a step (as the store's and the read models' libraries report
        # it): say which, without a traceback
        typer.echo(f"error: the migration failed: {type(e).__name__}: {e}".rstrip(), err=True)
        raise typer.Exit(1) from e


@db_app.command("wait")
def db_wait(
    service: Annotated[str, typer.Argument(help="The service whose store to wait for.")],
    timeout: Annotated[float, typer.Option(help="Seconds to wait before giving up.")] = 300,
) -> None:
    """As the service's own role (MAAG_POSTGRES_URL): wait until this release's migration has
    run on its store and the store is at its head (what `maag db migrate` makes), reading the
    catalogue only. Each pod's init container in Kubernetes: a service starts only after its
    own release's migration Job has run (a store the previous release migrated keeps it
    waiting). Exit 1 (naming what is missing) after --timeout."""
    from maag.runtime.settings import SettingsError
    from maag.runtime.store.migration_head import wait_for_head
    from maag.runtime.store.migrations import RELEASE, MigrationError
    from maag.services import SPECS, settings_from_env

    if service not in SPECS:
        typer.echo(f"error: unknown service {service}", err=True)
        raise typer.Exit(2)
    try:
        wait_for_head(
            settings_from_env(),
            service,
            timeout,
            report=lambda reason: typer.echo(f"{service}: waiting for its migration: {reason}"),
        )
    except (MigrationError, SettingsError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    typer.echo(f"{service}: its store is at release {RELEASE}'s head")


privacy_app = typer.Typer(
    help="Data protection: erasure, legal holds, retention, subject access, key rotation "
    "(the privacy-officer role; each act recorded on the case).",
    no_args_is_help=True,
)
app.add_typer(privacy_app, name="privacy")
User = Annotated[
    str | None,
    typer.Option(
        help="Sign in as this person with their password (asked for, or MAAG_PASSWORD); "
        "without it, sign in on the provider's page (device code)."
    ),
]


def _referral(method: str, path: str, user: str | None, **kwargs: Any) -> Any:
    """Call the referral service as the signed-in data protection officer; exit 1 with the
    service's reason when it refuses."""
    import uuid

    import httpx

    from maag.ops.identity.tokens import ProviderError
    from maag.services import settings_from_env

    _local_issuer(Layout.from_env())
    settings = settings_from_env()
    try:
        token = _sign_in(settings.oidc_issuer, user)
        response = httpx.request(
            method,
            settings.service_urls["referral"].rstrip("/") + path,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
            timeout=120,
            **kwargs,
        )
    except (ProviderError, httpx.HTTPError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    if response.status_code >= 400:
        typer.echo(f"refused ({response.status_code}): {response.text}", err=True)
        raise typer.Exit(1)
    return response


@privacy_app.command("erase")
def privacy_erase(
    case_id: str,
    reason: Annotated[str, typer.Option(help="Why (recorded on the case).")],
    user: User = None,
) -> None:
    """Erase a child's personal details: the case's data key is destroyed, the decisions
    stay. Refused while the case is under a legal hold."""
    found = _referral("POST", f"/privacy/cases/{case_id}/erasure", user, json={"reason": reason})
    typer.echo(f"{case_id}: personal details erased ({found.json()['personal_data_erased']})")


@privacy_app.command("hold")
def privacy_hold(
    case_id: str,
    reason: Annotated[str, typer.Option(help="Why (recorded on the case).")],
    until: Annotated[str, typer.Option(help="The hold's last day, YYYY-MM-DD.")],
    user: User = None,
) -> None:
    """Place a legal hold: nothing of the case is erased until it ends or is released."""
    body = {"reason": reason, "until": until}
    found = _referral("POST", f"/privacy/cases/{case_id}/legal-hold", user, json=body)
    typer.echo(f"{case_id}: legal hold {found.json()['legal_hold']}")


@privacy_app.command("release")
def privacy_release(
    case_id: str,
    reason: Annotated[str, typer.Option(help="Why (recorded on the case).")],
    user: User = None,
) -> None:
    """Release a case's legal hold."""
    _referral("POST", f"/privacy/cases/{case_id}/legal-hold/release", user, json={"reason": reason})
    typer.echo(f"{case_id}: legal hold released")


@privacy_app.command("retention")
def privacy_retention(
    outcomes: Annotated[
        list[str] | None,
        typer.Argument(
            help="Only these outcomes (closed, declined, redirected-to-social-care, "
            "pending-consent); default: all."
        ),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Erase what is due (without it: a dry run).")
    ] = False,
    user: User = None,
) -> None:
    """The cases the retention schedule says may now be erased; with --apply, erase each
    (one recorded erasure each, its reason the rule). Cases under a legal hold are listed and
    left."""
    from services.referral.service import ScheduleError, outcome_named

    try:
        for name in outcomes or ():
            outcome_named(name)
    except ScheduleError as e:
        typer.echo(f"error: {e}; nothing erased", err=True)
        raise typer.Exit(2) from e
    due = _referral("GET", "/privacy/retention", user, params={"outcome": outcomes or []}).json()
    erased = 0
    for d in due:
        state = "held: left" if d["held"] else ("erasing" if apply else "due")
        typer.echo(f"{d['case_id']}  {d['rule']}  due {d['due_on']}  {state}")
        if apply and not d["held"]:
            reason = f"retention schedule: {d['rule']} (due {d['due_on']})"
            _referral(
                "POST", f"/privacy/cases/{d['case_id']}/erasure", user, json={"reason": reason}
            )
            erased += 1
    held = sum(1 for d in due if d["held"])
    verb = "erased" if apply else "would be erased (dry run: --apply to erase)"
    typer.echo(f"{len(due) - held} {verb}; {held} under a legal hold")


@privacy_app.command("export")
def privacy_export(
    case_id: str,
    fmt: Annotated[str, typer.Option("--format", help="json or html")] = "json",
    output: Annotated[Path | None, typer.Option(help="Write it here (default: stdout).")] = None,
    user: User = None,
) -> None:
    """Subject access: everything held about the child across the services, other people's
    details withheld (the export is recorded on the case)."""
    if fmt not in ("json", "html"):
        typer.echo("error: --format: json or html", err=True)
        raise typer.Exit(2)
    found = _referral("GET", f"/privacy/cases/{case_id}/export", user, params={"format": fmt})
    if output is None:
        typer.echo(found.text)
    else:
        output.write_text(found.text)
        typer.echo(f"wrote {output}")


@privacy_app.command("rotate-keys")
def privacy_rotate_keys(
    service: Annotated[
        str, typer.Option(help="Whose keyring: referral (the child's details) or panel (plans)")
    ] = "referral",
) -> None:
    """Re-wrap every case's data key with the first of MAAG_KEY_ENCRYPTION_KEYS (run where
    that service runs, with its settings). Stored events are not touched: the hash chains
    verify as before, and the keyring's log records each re-wrap."""
    from maag.services import settings_from_env
    from services.panel.service import keyring as panel_keyring
    from services.referral.service import KeyringError
    from services.referral.service import keyring as referral_keyring

    keyrings = {"referral": referral_keyring, "panel": panel_keyring}
    if service not in keyrings:
        typer.echo(f"error: --service is one of {', '.join(keyrings)}", err=True)
        raise typer.Exit(2)
    _local_keys(Layout.from_env())
    settings = settings_from_env()
    try:
        keys = keyrings[service](settings)
        moved = keys.rotate()
    except KeyringError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    typer.echo(f"{moved} data keys re-wrapped with {keys.current}; now {keys.wrapped_by()}")


@privacy_app.command("rotate-index-key")
def privacy_rotate_index_key() -> None:
    """Re-compute every child-index entry under the first of MAAG_CHILD_INDEX_KEYS, from each
    referral's child as the store holds it (run where the referral service runs, with its
    settings, beside it). Then drop the retired keys from the list. Safe to run again."""
    from maag.runtime.settings import SettingsError
    from maag.services import settings_from_env
    from services.referral.service import KeyringError, rotate_child_index

    _local_keys(Layout.from_env())
    try:
        settings = settings_from_env()
        done = rotate_child_index(settings)
    except (KeyringError, SettingsError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    current = settings.child_index_keys[0][0]
    typer.echo(
        f"{done.rekeyed} referrals' index entries re-computed under {current}; "
        f"{done.forgotten} erased cases' entries deleted; {done.skipped} entries of no stored "
        "referral left as they were"
    )


@privacy_app.command("previous-index-key")
def privacy_previous_index_key(
    key_id: Annotated[str, typer.Option("--id", help="The id to list it under")] = "previous",
) -> None:
    """Print the child-index key the previous release derived from MAAG_CIPHER_KEY, as a
    MAAG_CHILD_INDEX_KEYS entry: listed after the new key, children indexed before the
    upgrade are still found until `maag privacy rotate-index-key` has moved them."""
    import base64

    from maag.runtime.settings import KEK_ID
    from maag.services import settings_from_env
    from services.referral.service import previous_release_key

    _local_keys(Layout.from_env())
    cipher_key = settings_from_env().cipher_key_for("referral")
    if not cipher_key:
        typer.echo("error: MAAG_CIPHER_KEY is not set (the referral store's key)", err=True)
        raise typer.Exit(1)
    if not KEK_ID.match(key_id):
        typer.echo("error: --id is lower-case letters, digits, . and -", err=True)
        raise typer.Exit(2)
    typer.echo(f"{key_id}={base64.b64encode(previous_release_key(cipher_key)).decode()}")


boards_app = typer.Typer(
    help="The local Children's Trust Boards' report, projected from the event topics.",
    no_args_is_help=True,
)
app.add_typer(boards_app, name="boards")


@boards_app.command("rebuild")
def boards_rebuild() -> None:
    """Rebuild the boards' projection from the beginning of the event topics (run where the
    commissioning service runs, with its settings; the running service follows on from
    where the rebuild ends)."""
    import time

    from maag.services import settings_from_env
    from services.commissioning.service import board_feed

    _local_keys(Layout.from_env())
    feed = board_feed(settings_from_env())
    started = time.perf_counter()
    feed.reset()
    read = asyncio.run(feed.catch_up())
    typer.echo(
        f"{read} records read into the boards' projection in {time.perf_counter() - started:.1f} s"
    )


identity_app = typer.Typer(help="The identity provider's realm (Keycloak).", no_args_is_help=True)
app.add_typer(identity_app, name="identity")


@identity_app.command("realm")
def identity_realm(
    folder: Annotated[Path, typer.Argument(help="The checkout to write the realms into")] = Path(
        "."
    ),
) -> None:
    """Write the local realm (roles, clients, seeded people) that `maag infra up` imports, and
    beside it each environment's (deploy/environments/<name>.toml: no people, no secrets, no
    password or device sign-in, its web client sending people back to its own web host)."""
    from maag.ops import environments
    from maag.ops.identity import realm

    try:
        found = environments.load_all()
    except environments.EnvironmentFileError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    for path in realm.write(folder / realm.REALM_FILE.parent, found, local=True):
        typer.echo(f"wrote {path}")


if __name__ == "__main__":
    app()
