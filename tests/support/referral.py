"""Shared test data for the referral service: a submission and the cipher key."""

from __future__ import annotations

from typing import Any

from eventsourcing.cryptography import AESCipher

CHILD_NAME = "Zebedee Quillfeather"  # distinctive, so a leak is unmistakable
CIPHER_KEY = AESCipher.create_key(32)


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
