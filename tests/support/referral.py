"""Shared test data for the referral service: a submission, the cipher key and the
key-encryption keys, the child-index keys."""

from __future__ import annotations

import base64
import os
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.cryptography import AESCipher

from contracts.events.referral import ReferralDetails
from services.referral.application.personal import fingerprint, seal
from services.referral.domain.referral import Referral

CHILD_NAME = "Zebedee Quillfeather"  # distinctive, so a leak is unmistakable
CIPHER_KEY = AESCipher.create_key(32)
KEKS = (("test-1", os.urandom(32)),)
KEKS_TEXT = ",".join(f"{i}={base64.b64encode(k).decode()}" for i, k in KEKS)
CHILD_INDEX_KEYS = (("index-1", os.urandom(32)),)
CHILD_INDEX_KEYS_TEXT = ",".join(f"{i}={base64.b64encode(k).decode()}" for i, k in CHILD_INDEX_KEYS)


def details(**override: Any) -> dict[str, Any]:
    given, family = CHILD_NAME.split()
    body: dict[str, Any] = {
        "caf_reference": "CAF-2026-000123",
        "referring_agency": "education",
        "referring_professional_id": "teacher-42",
        "district": "harlow",
        "child": {
            "given_name": given,
            "family_name": family,
            "date_of_birth": "2014-03-09",
            "address": "1 Example Street, Harlow",
        },
        "needs": ["learning", "emotional wellbeing"],
        "agencies_requested": ["camhs", "youth-service"],
        "level_of_need": 3,
        "significant_harm_concern": False,
        "transition": False,
    }
    body.update(override)
    return body


def a_child(i: int) -> dict[str, str]:
    """The i-th of many different children (benchmarks: a county refers different children,
    so the child index offers matches only rarely)."""
    return {
        "given_name": f"Child{i:06d}",
        "family_name": "Benchmark",
        "date_of_birth": (date(2010, 1, 1) + timedelta(days=i % 5000)).isoformat(),
        "address": f"{i} Bench Road, Harlow CM20 {i % 9}AB",
    }


def receive(
    submitted: ReferralDetails, case_id: UUID | None = None, channel: str = "http"
) -> Referral:
    """A new Referral of `submitted` (ReferralDetails), its child sealed under a throwaway key
    (as the application seals it under the case's data key)."""
    key, case = os.urandom(32), case_id or uuid4()
    body = submitted.model_dump(mode="json")
    return Referral.receive(
        case, submitted, channel, seal(key, case, body["child"]), fingerprint(key, body)
    )
