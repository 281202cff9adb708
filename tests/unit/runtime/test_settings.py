from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from maag.runtime.settings import Settings, SettingsError


def test_postgres_url_selects_the_postgres_store_with_a_schema_per_service() -> None:
    s = Settings.from_env({"MAAG_POSTGRES_URL": "postgresql://u:p%40ss@db:6543/maag"})
    env = s.eventsourcing_env("Referral")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db",
        "6543",
        "maag",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("u", "p@ss")
    assert env["POSTGRES_SCHEMA"] == "referral"


def test_without_postgres_the_store_is_sqlite_on_disk_never_in_memory(tmp_path: Path) -> None:
    env = Settings.from_env({"MAAG_DATA_DIR": str(tmp_path)}).eventsourcing_env("Panel")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == str(tmp_path / "panel.sqlite")


def test_a_cipher_key_turns_on_encryption_at_rest(tmp_path: Path) -> None:
    env = Settings.from_env(
        {"MAAG_DATA_DIR": str(tmp_path), "MAAG_CIPHER_KEY": "k"}
    ).eventsourcing_env("r")
    assert env["CIPHER_TOPIC"] == "eventsourcing.cryptography:AESCipher"
    assert env["CIPHER_KEY"] == "k"


@pytest.mark.parametrize("url", ["mysql://x/y", "postgresql://host-only", "nonsense"])
def test_a_malformed_postgres_url_is_refused_with_the_expected_shape(url: str) -> None:
    with pytest.raises(SettingsError, match="postgresql://user:password@host:port/dbname"):
        Settings.from_env({"MAAG_POSTGRES_URL": url}).eventsourcing_env("r")


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(SettingsError, match="MAAG_LOG_FORMAT"):
        Settings.from_env({"MAAG_LOG_FORMAT": "xml"})


def test_kafka_clients_authenticate_only_when_a_user_is_given() -> None:
    from maag.runtime.messaging.kafka import client_options

    assert client_options(Settings.from_env({})) == {}
    options = client_options(
        Settings.from_env(
            {
                "MAAG_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "MAAG_KAFKA_SASL_USERNAME": "referral",
                "MAAG_KAFKA_SASL_PASSWORD": "pw",
                "MAAG_KAFKA_CREATE_TOPICS": "false",
            }
        )
    )
    assert options == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "referral",
        "sasl_plain_password": "pw",
    }
    assert Settings.from_env({"MAAG_KAFKA_CREATE_TOPICS": "false"}).kafka_create_topics is False


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("MAAG_HTTP_PORT", "eighty", "MAAG_HTTP_PORT must be a whole number"),
        ("MAAG_HTTP_PORT", "70000", "MAAG_HTTP_PORT must be from 0 to 65535"),
        ("MAAG_QUORUM_OTHER_AGENCIES", "-1", "MAAG_QUORUM_OTHER_AGENCIES must be from 0 to 11"),
        ("MAAG_SMTP_RETRY_SECONDS", "nan", "MAAG_SMTP_RETRY_SECONDS must be from 0 to 86400"),
        ("MAAG_SMTP_CONNECTIONS", "0", "MAAG_SMTP_CONNECTIONS must be from 1 to 32"),
        ("MAAG_SMTP_STARTTLS", "perhaps", "MAAG_SMTP_STARTTLS must be true or false"),
        ("MAAG_KAFKA_CREATE_TOPICS", "ja", "MAAG_KAFKA_CREATE_TOPICS must be true or false"),
        ("MAAG_OIDC_ISSUER", "keycloak:8080/realms/maag", "MAAG_OIDC_ISSUER must be an http"),
        ("MAAG_OIDC_JWKS_URL", "file:///etc/keys", "MAAG_OIDC_JWKS_URL must be an http"),
        ("MAAG_CHILD_INDEX_KEYS", "c2hvcnQ=", "MAAG_CHILD_INDEX_KEYS: each entry is id=base64"),
        ("MAAG_CHILD_INDEX_KEYS", "i-1=c2hvcnQ=", "MAAG_CHILD_INDEX_KEYS must be at least 32"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable_and_the_rule(
    name: str, value: str, says: str
) -> None:
    with pytest.raises(SettingsError, match=says):
        Settings.from_env({name: value})


def test_the_child_index_keys_are_their_own_setting_the_first_current_and_never_shown() -> None:
    new, old = os.urandom(32), os.urandom(32)
    text = f"i-2={base64.b64encode(new).decode()},i-1={base64.b64encode(old).decode()}"
    settings = Settings.from_env({"MAAG_CHILD_INDEX_KEYS": text, "MAAG_CIPHER_KEY": "k"})
    assert settings.child_index_keys == (("i-2", new), ("i-1", old))
    assert settings.key_encryption_keys == ()  # not the key-encryption keys, nor the cipher's
    assert new.hex() not in repr(settings) and "child_index_keys" not in repr(settings)


def test_a_refused_database_url_is_not_repeated_with_its_password() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"MAAG_POSTGRES_URL": "mysql://u:s3cret-pw@h/db"}).eventsourcing_env("r")
    assert "s3cret-pw" not in str(refused.value)


def test_a_service_without_an_identity_provider_refuses_to_start() -> None:
    from maag.runtime.web.auth import TokenVerifier

    settings = Settings.from_env({})
    with pytest.raises(ValueError, match="MAAG_OIDC_ISSUER is not set"):
        TokenVerifier.for_service(settings.oidc_issuer, settings.oidc_jwks_url, "referral")


def test_the_provider_keys_default_to_the_issuers_and_may_be_reached_elsewhere() -> None:
    from maag.runtime.web.auth import TokenVerifier

    issuer = "https://id.example/realms/maag"
    verifier = TokenVerifier.for_service(issuer, None, "panel")
    assert verifier.keys.jwks_url == f"{issuer}/protocol/openid-connect/certs"
    assert verifier.audience == "maag-panel"
    inside = TokenVerifier.for_service(issuer, "http://keycloak:8080/certs", "panel")
    assert inside.keys.jwks_url == "http://keycloak:8080/certs" and inside.issuer == issuer


SASL = {"MAAG_KAFKA_SASL_USERNAME": "maag-referral", "MAAG_KAFKA_SASL_PASSWORD": "pw"}
CA_PEM = """-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUJ6Kf0y4pQ0vUJ0v0m6n6z1x0cZ8wCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----
"""


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"MAAG_KAFKA_SECURITY_PROTOCOL": "SSL"}, "MAAG_KAFKA_SECURITY_PROTOCOL must be one of"),
        ({"MAAG_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "needs MAAG_KAFKA_SASL_USERNAME"),
        ({"MAAG_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", **SASL}, "MAAG_KAFKA_CA_FILE is needed"),
        (
            {"MAAG_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", **SASL, "MAAG_KAFKA_CA_FILE": "/nowhere"},
            "MAAG_KAFKA_CA_FILE: cannot read /nowhere",
        ),
    ],
)
def test_a_service_without_its_kafka_trust_or_user_refuses_to_start(
    env: dict[str, str], says: str
) -> None:
    with pytest.raises(SettingsError, match=says):
        Settings.from_env(env)


def test_with_tls_the_clients_trust_only_the_brokers_ca(tmp_path: Path) -> None:
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("hello")
    tls = {"MAAG_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", **SASL}
    with pytest.raises(SettingsError, match="holds no PEM certificate"):
        Settings.from_env({**tls, "MAAG_KAFKA_CA_FILE": str(not_pem)})
    ca = tmp_path / "ca.crt"
    ca.write_text(CA_PEM)
    settings = Settings.from_env({**tls, "MAAG_KAFKA_CA_FILE": str(ca)})
    assert settings.kafka_ca_file == ca


def test_a_database_password_apart_from_the_url_may_hold_any_character(tmp_path: Path) -> None:
    from maag.runtime.follow.projection import read_model_engine

    password = "p@ss:w/rd%40?#"
    settings = Settings.from_env(
        {
            "MAAG_POSTGRES_URL": "postgresql://referral@maag-pg-rw:5432/referral",
            "MAAG_POSTGRES_PASSWORD": password,
        }
    )
    assert settings.eventsourcing_env("referral")["POSTGRES_PASSWORD"] == password
    engine = read_model_engine(settings, "referral")
    assert (engine.url.username, engine.url.password, engine.url.host, engine.url.database) == (
        "referral",
        password,
        "maag-pg-rw",
        "referral",
    )


def test_several_brokers_are_given_as_kafka_writes_them() -> None:
    from maag.runtime.messaging.kafka import servers

    assert servers("127.0.0.1:9092, 127.0.0.1:9192,127.0.0.1:9292,") == [
        "127.0.0.1:9092",
        "127.0.0.1:9192",
        "127.0.0.1:9292",
    ]
    assert servers("maag-kafka-bootstrap:9093") == ["maag-kafka-bootstrap:9093"]
