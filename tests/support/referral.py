"""Shared test data for the referral service: a submission, tokens, settings."""

from __future__ import annotations

from typing import Any

from eventsourcing.cryptography import AESCipher

from contracts.reference import Role
from maag.runtime.auth import TokenVerifier

SECRET = "test-secret-of-sufficient-length-0123456789"
CHILD_NAME = "Zebedee Quillfeather"  # distinctive, so a leak is unmistakable
CIPHER_KEY = AESCipher.create_key(32)


def verifier() -> TokenVerifier:
    return TokenVerifier(SECRET, "maag")


def token(role: Role | str = Role.REFERRER, agency: str = "education", user: str = "u-1") -> str:
    return verifier().issue(user, role, agency)


def auth(
    role: Role | str = Role.REFERRER, agency: str = "education", user: str = "u-1"
) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, agency, user)}"}


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
