"""A subject access bundle: everything held about a child across the services, with other
people's personal data taken out (UK GDPR Article 15 gives the child their own data, and
Article 15(4) not at the expense of others'). No I/O: the caller gathers the parts.

Held about the child: their details (unless erased), the referral's decisions and consent,
and every service's timeline of the case (decisions, packages, emails, and who read the
case, as role and agency). Taken out: the names, ids and email addresses of the
professionals who acted, were named, or were written to (the keys below, at any depth)."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from typing import Any

REDACTED = "[withheld: another person's details]"
# The fields of any service's events that name, identify or reach a person other than the
# child (professionals, chairs, recipients); `actor` is kept as its role and agency only.
THIRD_PARTY = re.compile(
    r"(^|_)(name|email|recipient|person_id|professional_id|user_id|sub|chair|members)$"
)
ACTOR_KEPT = ("role", "agency")


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if THIRD_PARTY.search(str(k)) and v not in (None, "") else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def bundle(
    case_id: str,
    child: dict[str, Any] | None,
    erased: dict[str, str] | None,
    referral: dict[str, Any],
    timeline: list[dict[str, Any]],
    made_at: datetime,
) -> dict[str, Any]:
    entries = []
    for entry in timeline:
        actor = entry.get("actor") or {}
        entries.append(
            {
                "at": entry["at"],
                "service": entry["service"],
                "event": entry["event"],
                "by": {k: actor[k] for k in ACTOR_KEPT if k in actor} or None,
                "basis": entry.get("basis"),
                "details": redact(entry.get("details") or {}),
            }
        )
    return {
        "case_id": case_id,
        "made_at": made_at.isoformat(),
        "child": child,
        "personal_data_erased": erased,
        "referral": redact(referral),
        "timeline": entries,
        "withheld": "Other people's names, ids and email addresses are withheld; "
        "who acted is shown by role and agency.",
    }


def as_html(found: dict[str, Any]) -> str:
    """The same bundle as a readable page (every value escaped)."""

    def cell(value: Any) -> str:
        if isinstance(value, dict | list):
            return f"<pre>{html.escape(json.dumps(value, indent=2, sort_keys=True))}</pre>"
        return html.escape("" if value is None else str(value))

    child = found["child"]
    rows = "".join(
        f"<tr><td>{cell(e['at'])}</td><td>{cell(e['service'])}</td><td>{cell(e['event'])}</td>"
        f"<td>{cell(e['by'])}</td><td>{cell(e['basis'])}</td><td>{cell(e['details'])}</td></tr>"
        for e in found["timeline"]
    )
    about = (
        "".join(f"<dt>{cell(k)}</dt><dd>{cell(v)}</dd>" for k, v in child.items())
        if child
        else f"<p>Erased: {cell(found['personal_data_erased'])}</p>"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>What MAAG holds about case {cell(found['case_id'])}</title></head><body>"
        f"<h1>What MAAG holds about case {cell(found['case_id'])}</h1>"
        f"<p>Made {cell(found['made_at'])}. {cell(found['withheld'])}</p>"
        f"<h2>The child</h2><dl>{about}</dl>"
        f"<h2>The referral</h2>{cell(found['referral'])}"
        "<h2>Everything that happened</h2><table><thead><tr><th>When</th><th>Service</th>"
        "<th>What</th><th>By</th><th>Basis</th><th>Details</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>"
    )
