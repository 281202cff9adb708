from __future__ import annotations

import json

import pytest

from maag.runtime import logging as maag_logging


def test_json_records_carry_case_and_correlation_ids_and_withhold_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    maag_logging.configure("json")
    log = maag_logging.get_logger("test")
    with maag_logging.bound(case_id="case-42", correlation_id="corr-7"):
        log.info("referral received", child_name="Ada Example", date_of_birth="2015-01-01")
    record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert record["case_id"] == "case-42"
    assert record["correlation_id"] == "corr-7"
    assert record["event"] == "referral received"
    assert record["child_name"] == "[withheld]" and record["date_of_birth"] == "[withheld]"
    assert "Ada" not in json.dumps(record)


def test_ids_are_unbound_after_the_block(capsys: pytest.CaptureFixture[str]) -> None:
    maag_logging.configure("json")
    with maag_logging.bound(case_id="c1"):
        pass
    maag_logging.get_logger("test").info("after")
    record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert "case_id" not in record


def test_every_key_a_contract_classes_identifying_or_special_is_withheld(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """By class, not by a list: the consent's wording, the needs and the child's links too."""
    assert {"how_obtained", "needs", "caf_reference", "household_id"} <= maag_logging.PERSONAL_KEYS
    assert "case_id" not in maag_logging.PERSONAL_KEYS  # operational: it stays
    maag_logging.configure("json")
    maag_logging.get_logger("test").info(
        "consent", how_obtained="from mother Jane", needs=["sleep"], panel="maag"
    )
    record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert record["how_obtained"] == "[withheld]" and record["needs"] == "[withheld]"
    assert record["panel"] == "maag"
