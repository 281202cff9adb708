"""A replay as text, for a person reading it."""

from __future__ import annotations

from maag.runtime.evidence.timeline import Entry, Replay


def _cause(entry: Entry) -> str:
    cause = entry.caused_by
    if not cause:
        return ""
    if "event_id" in cause:
        return f"caused by {cause['type']} {cause['event_id'][:8]}"
    if "request" in cause:
        return f"caused by {cause['request']}"
    return f"caused by {next(iter(cause.values()))}"


def _who(entry: Entry) -> str:
    if not entry.actor:
        return "by the system"
    a = entry.actor
    return f"by {a.get('user_id')} ({a.get('role')}, {a.get('agency')})"


def entry_line(entry: Entry) -> str:
    at = entry.at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    parts = [f"{at}  {entry.service:<13} {entry.event:<36} {_who(entry)}"]
    if entry.basis:
        parts.append(f"    basis: {entry.basis}")
    if cause := _cause(entry):
        parts.append(f"    {cause}  [event {entry.event_id[:8]}]")
    return "\n".join(parts)


def text(replay: Replay) -> str:
    services = sorted({e.service for e in replay.entries})
    when = replay.as_of.isoformat() if replay.as_of else "now"
    lines = [
        f"Case {replay.case_id}: {len(replay.entries)} events as of {when} "
        f"({', '.join(services) or 'no service has it'})",
        "",
        *(entry_line(e) for e in replay.entries),
        "",
        f"State as of {when}:",
    ]
    s = replay.state
    lead = s.lead_professional
    lines += [
        f"  status:            {s.status}",
        f"  consent:           {s.consent}"
        + (" (safeguarding basis recorded)" if s.safeguarding_basis else ""),
        f"  panel:             {s.panel or '-'} (district {s.district or '-'})",
        f"  level of need:     {s.level_of_need or '-'}",
        "  lead professional: "
        + (f"{lead['name']} ({lead['agency']}, {lead['professional_id']})" if lead else "-"),
        f"  active packages:   {len(s.active_packages)}",
        *(
            f"    {pid}: {', '.join(p['providers'])}, {p['weekly_cost_pence']}p a week from {p['starts_on']}"
            for pid, p in s.active_packages.items()
        ),
        f"  emails sent:       {s.emails_sent}",
        f"  reads on record:   {s.reads}",
    ]
    return "\n".join(lines)
