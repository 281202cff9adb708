"""The child index's own key: apart from the cipher key, required at start, and rotatable by
re-computing every entry from the sealed details; an index the previous release keyed with
the cipher-derived key keeps matching through the rotation."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import os
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from contracts.events.referral import ChildDetails
from maag.ops.cli import app as cli
from maag.runtime.settings import Settings, SettingsError
from services.referral.adapters.child_index import (
    SqlChildIndex,
    keys_table,
    previous_release_key,
)
from services.referral.domain.matching import match_keys
from services.referral.service import build, rotate_child_index
from tests.support.identity import auth
from tests.support.referral import CHILD_INDEX_KEYS, CIPHER_KEY, KEKS_TEXT, details
from tests.unit.services.referral.conftest import Api

CHILD = {
    "given_name": "Jayden",
    "family_name": "Smith",
    "date_of_birth": "2015-06-01",
    "address": "4 Mill Lane, Harlow CM20 1AB",
}
VARIANT = {**CHILD, "given_name": "Jaden", "family_name": "Smyth"}
NEW_KEY = ("index-2", os.urandom(32))
PREVIOUS = ("previous", previous_release_key(CIPHER_KEY))


def _refer(api: Api, child: dict[str, Any], caf: str) -> dict[str, Any]:
    body = details(caf_reference=caf, child=child)
    r = api.client.post("/referrals", json=body, headers=auth(agency="education"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def _offered(api: Api, case_id: str) -> list[str]:
    r = api.client.get(f"/referrals/{case_id}/matches", headers=auth())
    assert r.status_code == 200, r.text
    return [o["child_id"] for o in r.json()]


def _tokens(index: SqlChildIndex, case_id: str) -> dict[str, bytes]:
    with index.engine.connect() as conn:
        rows = conn.execute(keys_table.select().where(keys_table.c.case_id == UUID(case_id))).all()
    return {r.kind: r.token for r in rows}


def _under(key: bytes, child: dict[str, Any]) -> dict[str, bytes]:
    keys = match_keys(ChildDetails.model_validate(child))
    return {k.value: hmac.digest(key, v.encode(), hashlib.sha256) for k, v in keys.items()}


def _deploy(api: Api, keys: tuple[tuple[str, bytes], ...]) -> SqlChildIndex:
    """The service restarted with MAAG_CHILD_INDEX_KEYS set to `keys`."""
    index = SqlChildIndex(api.app.index.engine, keys)  # type: ignore[attr-defined]
    api.app.index = index
    return index


def test_the_index_is_keyed_by_its_own_key_not_one_derived_from_the_cipher_key(
    api: Api,
) -> None:
    """A copy of the database and the cipher key (which every store holds) no longer lets
    anyone confirm a guessed child's date of birth, name sounds and postcode."""
    first = _refer(api, CHILD, "CAF-2026-000501")
    stored = _tokens(api.app.index, first["case_id"])  # type: ignore[arg-type]
    assert stored and stored == _under(CHILD_INDEX_KEYS[0][1], CHILD)
    guessed = _under(previous_release_key(CIPHER_KEY), CHILD)
    assert not set(stored.values()) & set(guessed.values())


def test_the_referral_service_refuses_to_start_without_its_index_key(
    settings: Settings,
) -> None:
    with pytest.raises(SettingsError, match="MAAG_CHILD_INDEX_KEYS is not set"):
        build(dataclasses.replace(settings, child_index_keys=()))


def test_a_rotation_recomputes_every_entry_under_the_new_key_and_drops_erased_ones(
    api: Api, settings: Settings
) -> None:
    first = _refer(api, CHILD, "CAF-2026-000511")
    gone = _refer(api, {**CHILD, "date_of_birth": "2016-02-02"}, "CAF-2026-000512")
    # its data key destroyed, its entries (as a failed erasure could) left behind
    assert api.app.keyring.destroy(UUID(gone["case_id"]))
    # the new key first, the old one listed while the rotation runs: still found
    rotating = (NEW_KEY, *CHILD_INDEX_KEYS)
    _deploy(api, rotating)
    during = _refer(api, VARIANT, "CAF-2026-000513")
    assert _offered(api, during["case_id"]) == [first["child_id"]]

    done = rotate_child_index(dataclasses.replace(settings, child_index_keys=rotating))
    assert (done.rekeyed, done.forgotten, done.skipped) == (2, 1, 0)

    index = _deploy(api, (NEW_KEY,))  # the old key dropped
    assert _tokens(index, first["case_id"]) == _under(NEW_KEY[1], CHILD)
    assert _tokens(index, during["case_id"]) == _under(NEW_KEY[1], VARIANT)
    assert _tokens(index, gone["case_id"]) == {}
    after = _refer(api, VARIANT, "CAF-2026-000514")
    assert set(_offered(api, after["case_id"])) == {first["child_id"], during["child_id"]}
    # again: nothing changes
    again = rotate_child_index(dataclasses.replace(settings, child_index_keys=(NEW_KEY,)))
    assert (again.rekeyed, again.forgotten) == (3, 0)
    assert _tokens(index, first["case_id"]) == _under(NEW_KEY[1], CHILD)


def test_an_index_the_previous_release_keyed_matches_through_the_upgrade(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous release keyed the index with a key derived from the cipher key. The
    upgrade lists it after the new key (`maag privacy previous-index-key` prints it), runs
    the rotation, then drops it."""
    _deploy(api, (PREVIOUS,))  # the previous release's index
    first = _refer(api, CHILD, "CAF-2026-000521")
    assert _tokens(api.app.index, first["case_id"]) == _under(PREVIOUS[1], CHILD)  # type: ignore[arg-type]

    monkeypatch.setenv("MAAG_CIPHER_KEY", CIPHER_KEY)
    printed = CliRunner().invoke(cli, ["privacy", "previous-index-key"])
    assert printed.exit_code == 0, printed.output
    assert printed.output.strip() == f"previous={base64.b64encode(PREVIOUS[1]).decode()}"

    upgrading = (NEW_KEY, PREVIOUS)
    _deploy(api, upgrading)
    during = _refer(api, VARIANT, "CAF-2026-000522")
    assert _offered(api, during["case_id"]) == [first["child_id"]]
    rotate_child_index(dataclasses.replace(settings, child_index_keys=upgrading))
    _deploy(api, (NEW_KEY,))
    after = _refer(api, CHILD, "CAF-2026-000523")
    assert set(_offered(api, after["case_id"])) == {first["child_id"], during["child_id"]}


def test_the_rotation_command_names_a_missing_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("MAAG_CHILD_INDEX_KEYS", "MAAG_CIPHER_KEY", "MAAG_KEY_ENCRYPTION_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAAG_HOME", str(tmp_path))  # no local secrets.env
    result = CliRunner().invoke(cli, ["privacy", "rotate-index-key"])
    assert result.exit_code == 1
    assert "MAAG_CHILD_INDEX_KEYS is not set" in result.output


def test_a_local_secrets_file_of_the_previous_release_gets_the_index_key_and_keeps_matching(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`maag up`/`maag run` add the key to .maag/secrets.env, the previous release's derived
    key listed after it (the local store's children are still found); the rest is kept."""
    from maag.ops.cli import _top_up_secrets
    from maag.ops.infra.layout import Layout

    monkeypatch.setenv("MAAG_HOME", str(tmp_path))
    kept = f"MAAG_CIPHER_KEY={CIPHER_KEY}\nMAAG_KEY_ENCRYPTION_KEYS={KEKS_TEXT}\n"
    (tmp_path / "secrets.env").write_text(kept)
    _top_up_secrets(Layout.from_env())
    text = (tmp_path / "secrets.env").read_text()
    assert text.startswith(kept)
    # its stores are under the one cipher key: no key of each service's own is added
    assert "MAAG_CIPHER_KEYS" not in text
    found = Settings.from_env(dict(line.split("=", 1) for line in text.splitlines()))
    (new_id, new), previous = found.child_index_keys
    assert new_id == "local-1" and new not in (PREVIOUS[1], CHILD_INDEX_KEYS[0][1])
    assert previous == PREVIOUS
    _top_up_secrets(Layout.from_env())  # again: nothing added
    assert (tmp_path / "secrets.env").read_text() == text


def test_a_rotation_rekeys_the_national_keys_and_the_child_is_still_found_by_them(
    api: Api, settings: Settings
) -> None:
    known = {**CHILD, "nhs_number": "9434765919", "upn": "B801200005001"}
    first = _refer(api, known, "CAF-2026-000521")
    assert set(_tokens(api.app.index, first["case_id"])) >= {"nhs-number", "upn"}  # type: ignore[arg-type]
    rotating = (NEW_KEY, *CHILD_INDEX_KEYS)
    _deploy(api, rotating)
    rotate_child_index(dataclasses.replace(settings, child_index_keys=rotating))
    index = _deploy(api, (NEW_KEY,))  # the old key dropped
    assert _tokens(index, first["case_id"]) == _under(NEW_KEY[1], known)
    # another name and home: only the NHS number meets, under the new key alone
    moved = {
        **known,
        "given_name": "Kai",
        "family_name": "Ward",
        "address": "elsewhere",
        "upn": None,
    }
    later = _refer(api, {k: v for k, v in moved.items() if v is not None}, "CAF-2026-000522")
    assert _offered(api, later["case_id"]) == [first["child_id"]]
