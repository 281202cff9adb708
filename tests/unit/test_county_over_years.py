"""The county over three financial years: random sequences of referrals, consent, meetings'
decisions, the front door's answers and commissioners' budgets, the four services joined by
the in-process bus of `tests.support.county`, the clock moved on by 1 to 120 days at a time
from 1 October 2026, and at the end carried on past 1 April 2029. After every step:

1. budgets equal spend, year by year (each budget holds exactly its packages' shares of
   that year's cost; the spend report agrees with every year whose budgets are all set);
2. every review listed for an open case is listed at the tier holding the case;
3. no case is both with children's social care and open on a panel's agenda;
4. the savings report counts each day of each case's avoided outcome once;
5. every decision was recorded in its meeting's window (from its start until
   `MAAG_MEETING_WINDOW_HOURS` after it).

A panel sits at a meeting the case is listed on: the clock moves on to a moment in that
meeting's window (a meeting whose window closed has carried the case on). A coordinator
also calls meetings for now and brings a case (and its reviews) forward to them.

Two product bugs this machine found (a penny per line between the spend report and the
budgets; a decommissioning before a recommission takes effect still counted in the spend
and savings reports) are fixed; the shortest way to each is kept below as its own test."""

from __future__ import annotations

import tempfile
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from contracts.events.panel import ReviewDecision
from contracts.reference import (
    JAP_FUNDERS,
    AvoidedOutcome,
    District,
    Panel,
    Position,
    Role,
    financial_year,
    fy_bounds,
    settable_years,
)
from maag.runtime.web.auth import Caller
from services.commissioning.application.commands.set_budget import SetBudget
from services.commissioning.application.queries.savings_report import savings
from services.commissioning.application.queries.spend_report import spend
from services.commissioning.domain.aggregates import Budget, Package, budget_uuid
from services.commissioning.domain.rules import CommissioningRefused
from services.panel.adapters.read_model import DECISIONS
from services.panel.application.commands.confirm_attendance import ConfirmAttendance
from services.panel.application.commands.list_case import ListCase
from services.panel.application.commands.schedule_meeting import ScheduleMeeting
from services.panel.domain.case import REVIEW_REASON, TAKEN_ON_BY_SOCIAL_CARE, PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.rules import PanelRuleBroken
from services.panel.domain.schedule import LOCAL
from services.panel.domain.values import CaseStatus
from services.referral.domain.referral import Referral
from tests.support import identity
from tests.support.county import County
from tests.support.referral import details
from tests.unit.services.panel.test_case_flow import decide as decision

START = datetime(2026, 10, 1, 9, 0, tzinfo=LOCAL)
END = datetime(2029, 4, 8, 9, 0, tzinfo=LOCAL)  # past the start of the third year after
DISTRICTS = ("harlow", "maldon", "tendring")
KEYS = (
    *(f"maag:{d.value}" for d in District),
    "earp",
    *(f"jap:{f}" for f in JAP_FUNDERS),
)
ALL_DISTRICTS = [d.value for d in District]
ALL_TIERS = [p.value for p in Panel]
CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs", "youth-service"],
    "given_on": "2026-09-01",
    "how_obtained": "signed form",
}
# Who confirms attendance to make each tier's meeting quorate (its constitution).
QUORUM: dict[Panel, list[tuple[str, str, Position]]] = {
    Panel.MAAG: [
        ("m-sc", "social-care", Position.PRACTITIONER),
        ("m-ed", "education", Position.PRACTITIONER),
        ("m-ca", "camhs", Position.PRACTITIONER),
        ("m-po", "police", Position.PRACTITIONER),
    ],
    Panel.EARP: [
        ("e-c", "childrens-services", Position.COMMISSIONER),
        ("e-h", "childrens-services", Position.HEAD_OF_SERVICE),
    ],
    Panel.JAP: [
        ("j-h", "childrens-services", Position.HEAD_OF_SERVICE),
        ("j-p", "pct", Position.COMMISSIONER),
        ("j-a", "adult-transition", Position.HEAD_OF_SERVICE),
    ],
}
CHAIR = Caller.of(
    "chair-1",
    [Role.PANEL_CHAIR, Role.PANEL_MEMBER],
    "childrens-services",
    ALL_DISTRICTS,
    ALL_TIERS,
    Position.HEAD_OF_SERVICE,
)
MAAG_CHAIR = Caller.of(
    "chair-2", [Role.PANEL_CHAIR, Role.PANEL_MEMBER], "social-care", ALL_DISTRICTS, ALL_TIERS
)
COMMISSIONER = Caller.of("commissioner-1", Role.COMMISSIONER, "childrens-services")
SERVICES = ("family support", "parenting", "therapy", "mentoring", "youth work")
# Each outcome priced (pence a year), so that every day counted has a value.
COSTS = {o.value: 3_650_000 + 365_000 * i for i, o in enumerate(AvoidedOutcome)}


# What the runs did, by kind (read by whoever runs the machine by hand, e.g. to see that
# decisions and reviews were actually taken).
SEEN: Counter[str] = Counter()


def _front_door() -> dict[str, str]:
    return identity.auth(Role.FRONT_DOOR, "social-care", "front-door-1")


class CountyOverYears(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._dir = tempfile.TemporaryDirectory(dir=_fast_tmp(), prefix="county-")
        root = Path(self._dir.name)
        self._opened = County.opened(lambda name: root / name, START)
        self.county = self._opened.__enter__()
        self.county.commissioning.avoided_costs = dict(COSTS)
        self.referrals = TestClient(self.county.services["referral"].api)
        self.cases: list[uuid.UUID] = []
        self.made = 0
        SEEN["examples"] += 1

    def teardown(self) -> None:
        try:
            # the rest of the three years: the clock carried on, every invariant after each hop
            # (and each year's budgets for the next set, so that every year's spend is checked)
            while self.county.now < END:
                self.county.advance(min(timedelta(days=120), END - self.county.now))
                for key in KEYS:
                    self._set_budget(key, financial_year(self.county.today) + 1, 5_000_000_000)
                self.county.settle()
                self.check_all()
            SEEN["packages"] += len(self.packages())
            SEEN["dead letters"] += len(self.county.dead)
            SEEN["redelivered"] += self.county.redelivered
        finally:
            self._opened.__exit__(None, None, None)
            self._dir.cleanup()

    # --- reading the services ---

    def referral(self, case_id: uuid.UUID) -> Referral:
        found: Any = self.county.referral.repository.get(case_id)
        assert isinstance(found, Referral)
        return found

    def panel_case(self, case_id: uuid.UUID) -> PanelCase | None:
        found = _find(self.county.panel, case_id)
        return found if isinstance(found, PanelCase) else None

    def packages(self) -> list[Package]:
        """Every package commissioning holds."""
        return _all_packages(self.county)

    # --- rules ---

    @initialize(
        referrals=st.lists(
            st.tuples(st.sampled_from(DISTRICTS), st.integers(2, 4)), min_size=2, max_size=5
        )
    )
    def first_referrals(self, referrals: list[tuple[str, int]]) -> None:
        """The county starts with a few children referred with consent."""
        for district, level in referrals:
            self._refer(district, True, False, level)
        self.county.settle()

    @rule(
        referrals=st.lists(
            st.tuples(
                st.sampled_from(DISTRICTS), st.booleans(), st.integers(0, 9), st.integers(2, 4)
            ),
            min_size=1,
            max_size=3,
        )
    )
    def refer(self, referrals: list[tuple[str, bool, int, int]]) -> None:
        """Children referred: district, consent given or not, now and then a significant-harm
        concern, a level of need."""
        for district, consent, harm, level in referrals:
            self._refer(district, consent, harm == 0, level)
        self.county.settle()

    def _refer(self, district: str, consent: bool, harm: bool, level: int) -> None:
        self.made += 1
        body = details(
            district=district,
            caf_reference=f"CAF-2026-{700000 + self.made:06d}",
            level_of_need=level,
            significant_harm_concern=harm,
            child={
                "given_name": f"Child{self.made}",
                "family_name": f"Family{self.made}",
                "date_of_birth": f"201{self.made % 10}-0{1 + self.made % 9}-1{self.made % 10}",
                "address": f"{self.made} Example Street",
            },
        )
        if consent:
            body["consent"] = CONSENT
        made = self.referrals.post(
            "/referrals",
            json=body,
            headers={**identity.auth(), "Idempotency-Key": f"county-{self.made:08d}"},
        )
        assert made.status_code == 201, made.text
        self.cases.append(uuid.UUID(made.json()["case_id"]))
        SEEN[f"referral {made.json()['status']}"] += 1

    @rule(data=st.data())
    def give_consent(self, data: st.DataObject) -> None:
        waiting = [c for c in self.cases if self.referral(c).status.value == "pending-consent"]
        if not waiting:
            return
        case_id = data.draw(st.sampled_from(waiting))
        given = self.referrals.post(
            f"/referrals/{case_id}/consent", json=CONSENT, headers=identity.auth()
        )
        assert given.status_code == 200, given.text
        self.county.settle()

    @rule(days=st.integers(1, 120))
    def advance(self, days: int) -> None:
        self.county.advance(timedelta(days=days))

    @rule(data=st.data())
    def front_door_answers(self, data: st.DataObject) -> None:
        waiting = [
            c
            for c in self.cases
            if (r := self.referral(c)).with_social_care
            and r.front_door is not None
            and r.front_door.answer is None
        ]
        if not waiting:
            return
        case_id = data.draw(st.sampled_from(waiting))
        answer = data.draw(st.sampled_from(["accepted", "stepped-down"]))
        answered = self.referrals.post(
            f"/referrals/{case_id}/front-door",
            json={"answer": answer, "reason": "assessed at the front door"},
            headers=_front_door(),
        )
        assert answered.status_code == 200, answered.text
        SEEN[f"front door {answer}"] += 1
        self.county.settle()

    @rule(
        key=st.sampled_from(KEYS),
        ahead=st.integers(0, 1),
        pounds=st.sampled_from([10, 50_000, 2_000_000, 20_000_000]),
        every=st.booleans(),
        small=st.integers(0, 5),
    )
    def commissioner_sets_budgets(
        self, key: str, ahead: int, pounds: int, every: bool, small: int
    ) -> None:
        """One budget of this year or the next, at a random amount; or every budget of next
        year (now and then one too small). A refusal changes nothing."""
        this = financial_year(self.county.today)
        if every:
            for i, each in enumerate(KEYS):
                self._set_budget(each, this + 1, 100 if i == small else 5_000_000_000)
        else:
            self._set_budget(key, this + ahead, pounds * 100)
        self.county.settle()

    def _set_budget(self, key: str, fy: int, pence: int) -> None:
        app = self.county.commissioning
        before = app.recorder.max_notification_id()
        try:
            app.handle(
                SetBudget(
                    key=key, fy=fy, amount_pence=pence, caller=COMMISSIONER, correlation_id="b"
                )
            )
            SEEN["budget set"] += 1
        except CommissioningRefused:
            SEEN["budget refused"] += 1
            assert app.recorder.max_notification_id() == before, "a refusal changed the store"

    @rule(data=st.data(), count=st.integers(1, 6))
    def panels_sit(self, data: st.DataObject, count: int) -> None:
        """A few cases decided, each at a meeting it is listed on."""
        for _ in range(count):
            self.decide(data)

    def decide(self, data: st.DataObject) -> None:
        """At a meeting the case is listed on (of the tier holding it): quorate, a decision."""
        open_cases = {
            c: case
            for c in self.cases
            if (case := self.panel_case(c)) is not None
            and case.is_open
            and any(listing.panel is case.panel for listing in case.listings.values())
        }
        if not open_cases:
            SEEN["nothing to decide"] += 1
            return
        case_id = data.draw(st.sampled_from(sorted(open_cases)))
        case = open_cases[case_id]
        reviews = {p.review_meeting for p in case.packages.values() if p.ended is None}
        window = self.county.panel.meeting_window
        meetings = sorted(
            m
            for m, listing in case.listings.items()
            if listing.panel is case.panel and listing.starts_at + window >= self.county.now
        )
        if not meetings:  # listed only where a decision was taken already
            SEEN["nothing to decide"] += 1
            return
        # a package's review meeting, when there is one, three times as likely
        meeting_id = data.draw(
            st.sampled_from(meetings + [m for m in meetings if m in reviews] * 2)
        )
        meeting: Any = self.county.panel.repository.get(meeting_id)
        assert isinstance(meeting, Meeting)
        if not self._sit_at(meeting, data):
            SEEN["the meeting had ended"] += 1
            return
        case = self.panel_case(case_id)
        if case is None or not case.is_open or meeting_id not in case.listings:
            SEEN["taken off the agenda while the clock moved on"] += 1
            return
        self._decide_at(data, case, meeting)

    @rule(data=st.data())
    def call_a_meeting(self, data: st.DataObject) -> None:
        """A coordinator calls the panel holding a case to meet now and brings the case (and
        what waits for it at later meetings, its reviews too) forward; sometimes it decides."""
        held = [
            c
            for c in self.cases
            if (case := self.panel_case(c)) is not None and case.status is CaseStatus.ACTIVE
        ]
        if not held:
            return
        case_id = data.draw(st.sampled_from(held))
        case = self.panel_case(case_id)
        assert case is not None
        ref = case.ref
        member = Caller.of("coord-1", Role.PANEL_MEMBER, "social-care", ALL_DISTRICTS, ALL_TIERS)
        called = self.county.panel.handle(
            ScheduleMeeting(ref=ref, starts_at=self.county.now, caller=member, correlation_id="c")
        )
        try:
            self.county.panel.handle(
                ListCase(
                    meeting_id=called.id,
                    case_id=case_id,
                    reason="urgent",
                    caller=member,
                    correlation_id="c",
                )
            )
        except PanelRuleBroken as refused:  # e.g. a meeting called this minute moved it on
            SEEN[f"refused listing: {str(refused)[:50]}"] += 1
            return
        SEEN["called a meeting"] += 1
        later = self.panel_case(case_id)
        assert later is not None and called.id in later.listings
        assert not [
            m
            for m, listing in later.listings.items()
            if listing.panel is later.panel and listing.starts_at > called.starts_at
        ], "what waited at the panel's later meetings was brought forward"
        self.county.settle()
        later = self.panel_case(case_id)
        assert later is not None
        if data.draw(st.booleans()):
            meeting: Any = self.county.panel.repository.get(called.id)
            self._decide_at(data, later, meeting)

    def _sit_at(self, meeting: Meeting, data: st.DataObject) -> bool:
        """The clock at a moment in the meeting's window (moved on if it has not started);
        False if its window has closed."""
        window = self.county.panel.meeting_window
        if self.county.now > meeting.ends_at(window):
            return False
        if self.county.now < meeting.starts_at:
            into = timedelta(minutes=data.draw(st.integers(0, int(window.total_seconds()) // 60)))
            self.county.advance(meeting.starts_at + into - self.county.now)
        return True

    def _decide_at(self, data: st.DataObject, case: PanelCase, meeting: Meeting) -> None:
        case_id, meeting_id = case.id, meeting.id
        self._quorate(meeting)
        kinds = ["assign-lead-professional", "request-package", "request-package", "close", "defer"]
        if case.panel is not Panel.JAP:
            kinds.append("escalate")
        if case.panel is not Panel.MAAG:
            kinds.append("step-down")
        reviewable = sorted(
            p for p, package in case.packages.items() if package.review_meeting == meeting_id
        )
        if reviewable:
            kinds += ["review-package"] * 3
        if _has_decision("refer-to-social-care"):
            kinds.append("refer-to-social-care")
        kind = data.draw(st.sampled_from(kinds))
        body: dict[str, Any] = {"kind": kind, "case_id": str(case_id), "justification": "county"}
        if kind == "assign-lead-professional":
            body |= {
                "professional_id": "lead-1",
                "name": "Lee Lead",
                "agency": "education",
                "work_email": "lee.lead@school.example",
            }
        elif kind == "request-package":
            body |= self._package_terms(data, case.panel)
        elif kind == "review-package":
            decided = data.draw(st.sampled_from(list(ReviewDecision)))
            body |= {
                "package_id": str(data.draw(st.sampled_from(reviewable))),
                "goals": data.draw(st.sampled_from(["met", "partly", "not-met"])),
                "level_of_need_change": data.draw(st.integers(-1, 1)),
                "decision": decided.value,
                "reason": "reviewed",
            }
            if decided is ReviewDecision.RECOMMISSION:
                body["interventions"] = self._interventions(data)
        elif kind == "escalate":
            body |= {
                "to": data.draw(
                    st.sampled_from(["earp", "jap"] if case.panel is Panel.MAAG else ["jap"])
                ),
                "reason": "needs more",
            }
        elif kind == "step-down":
            body |= {
                "to": data.draw(
                    st.sampled_from(["maag", "earp"] if case.panel is Panel.JAP else ["maag"])
                ),
                "reason": "stable",
            }
        else:
            body["reason"] = "decided"
        chair = MAAG_CHAIR if meeting.panel is Panel.MAAG else CHAIR
        try:
            self.county.panel.handle(decision(meeting.id, body, chair, "county"))
            SEEN[f"decided {kind}" + (f" {body['decision']}" if "decision" in body else "")] += 1
        except PanelRuleBroken as refused:
            # refused for what it asks (e.g. a case outside the tier's terms)
            SEEN[f"refused {kind}: {str(refused)[:60]}"] += 1
        self.county.settle()

    def _quorate(self, meeting: Meeting) -> None:
        for person, agency, position in QUORUM[meeting.panel]:
            member = Caller.of(
                person, Role.PANEL_MEMBER, agency, ALL_DISTRICTS, ALL_TIERS, position
            )
            self.county.panel.handle(
                ConfirmAttendance(
                    meeting_id=meeting.id, name=person, caller=member, correlation_id="q"
                )
            )

    def _interventions(self, data: st.DataObject) -> list[dict[str, Any]]:
        count = data.draw(st.integers(1, 2))
        return [
            {
                "service": data.draw(st.sampled_from(SERVICES)),
                "hours_per_week": data.draw(st.integers(1, 4)),
                "starts_on": (
                    self.county.today + timedelta(days=data.draw(st.integers(0, 42)))
                ).isoformat(),
                "review_interval_weeks": data.draw(st.integers(4, 26)),
                "estimated_weekly_cost_pence": 10_000,
            }
            for _ in range(count)
        ]

    def _package_terms(self, data: st.DataObject, panel: Panel) -> dict[str, Any]:
        outcomes = [o.value for o in AvoidedOutcome]
        need = 0 if panel is Panel.MAAG else 1
        terms: dict[str, Any] = {
            "interventions": self._interventions(data),
            "alternative_to": data.draw(
                st.lists(st.sampled_from(outcomes), min_size=need, max_size=2, unique=True)
            ),
        }
        if panel is Panel.JAP:
            first = data.draw(st.integers(1, 98))
            second = data.draw(st.integers(1, 99 - first))
            terms["funding_split"] = [
                {"agency": JAP_FUNDERS[0], "percent": first},
                {"agency": JAP_FUNDERS[1], "percent": second},
                {"agency": JAP_FUNDERS[2], "percent": 100 - first - second},
            ]
        return terms

    # --- invariants ---

    @invariant()
    def check_all(self) -> None:
        SEEN["checked"] += 1
        packages = self.packages()
        budgets_equal_spend(self.county, packages)
        reviews_listed_at_the_holding_tier(self, self.cases)
        no_case_both_at_social_care_and_a_panel(self, self.cases)
        savings_count_each_day_once(self.county, packages)
        decisions_in_their_meetings_windows(self.county, self.cases)
        nothing_left_on_a_meeting_that_ended(self)


def nothing_left_on_a_meeting_that_ended(machine: CountyOverYears) -> None:
    """An open case waiting undecided on a meeting sits on one whose window is open, or
    closed since the panel's loop last carried what meetings left undecided."""
    county = machine.county
    window = county.panel.meeting_window
    for case_id in machine.cases:
        case = machine.panel_case(case_id)
        if case is None:
            continue
        for m, listing in case.listings.items():
            meeting: Any = county.panel.repository.get(m)
            if case.undecided_at(meeting):
                assert listing.starts_at + window >= county.looped_at, (
                    f"case {case_id} left undecided on the meeting at "
                    f"{listing.starts_at:%Y-%m-%d %H:%M} ({listing.reason!r}), never carried on"
                )


def decisions_in_their_meetings_windows(county: County, cases: list[uuid.UUID]) -> None:
    """Every decision a panel recorded on a case, recorded in its meeting's window (a case
    social care takes on closes when the front door answers, as the meeting that referred
    it decided: that closure is the front door's, at any time)."""
    window = county.panel.meeting_window
    for case_id in cases:
        for e in county.panel.events.get(case_id):
            if type(e) not in DECISIONS or getattr(e, "meeting_id", None) is None:
                continue
            if isinstance(e, PanelCase.Closed) and e.reason == TAKEN_ON_BY_SOCIAL_CARE:
                continue
            meeting: Any = county.panel.repository.get(e.meeting_id)
            assert meeting.starts_at <= e.timestamp <= meeting.ends_at(window), (
                f"{type(e).__name__} of case {case_id} recorded at {e.timestamp:%Y-%m-%d %H:%M}, "
                f"outside the window of the meeting at {meeting.starts_at:%Y-%m-%d %H:%M}"
            )


def budgets_equal_spend(county: County, packages: list[Package]) -> None:
    """Each budget holds, in its year, exactly its packages' shares of what they cost there;
    the spend report agrees with every year whose budgets are all set."""
    app = county.commissioning
    years = range(financial_year(START.date()), settable_years(county.today).stop)
    held: dict[tuple[str, int], int] = {}
    for fy in years:
        for key in KEYS:
            budget = _find(app, budget_uuid(key, fy))
            if not isinstance(budget, Budget):
                continue
            owed = {p.id: p.share_in(key, fy) for p in packages}
            expected = sum(owed.values())
            assert budget.committed == expected, (
                f"budget {key} {fy}: holds {budget.committed} pence, its packages cost "
                f"{expected} there ({ {str(k)[:8]: v for k, v in owed.items() if v} } vs "
                f"{ {str(k)[:8]: v for k, v in budget.commitments.items() if v} })"
            )
            held[(key, fy)] = budget.committed
    engine = county.project("commissioning")
    for fy in years:
        if not all((key, fy) in held for key in KEYS):
            continue
        rows = spend(engine, county.today, fy)
        reported: dict[str, int] = defaultdict(int)
        for row in rows:
            reported[row["panel"]] += row["committed_pence"]
        for key in KEYS:
            if key.startswith("jap:"):
                continue
            assert reported.get(key, 0) == held[(key, fy)], (
                f"spend report {fy}: {key} spent {reported.get(key, 0)} pence, its budget "
                f"holds {held[(key, fy)]}"
            )
        jap = sum(held[(k, fy)] for k in KEYS if k.startswith("jap:"))
        assert reported.get("jap", 0) == jap, (
            f"spend report {fy}: the JAP spent {reported.get('jap', 0)} pence, its funders' "
            f"budgets hold {jap}"
        )


def reviews_listed_at_the_holding_tier(machine: CountyOverYears, cases: list[uuid.UUID]) -> None:
    """Every review an open case has listed is on a meeting of the tier holding the case."""
    for case_id in cases:
        case = machine.panel_case(case_id)
        if case is None or case.status is not CaseStatus.ACTIVE:
            continue
        review_meetings = {p.review_meeting for p in case.packages.values() if p.ended is None}
        for meeting_id, listing in case.listings.items():
            if meeting_id in case.decided_at:
                continue  # a meeting that decided on it keeps the decision: done, not due
            if listing.reason == REVIEW_REASON or meeting_id in review_meetings:
                assert listing.panel is case.panel, (
                    f"case {case_id}: held by {case.panel.value}, a review is listed at "
                    f"{listing.panel.value} ({listing.starts_at:%Y-%m-%d}, {listing.reason!r})"
                )
        assert not case.reviews_elsewhere(), (
            f"case {case_id}: reviews listed at a tier not holding it: {case.reviews_elsewhere()}"
        )


def no_case_both_at_social_care_and_a_panel(
    machine: CountyOverYears, cases: list[uuid.UUID]
) -> None:
    """A referral with children's social care has no open panel case on any agenda."""
    for case_id in cases:
        if not machine.referral(case_id).with_social_care:
            continue
        case = machine.panel_case(case_id)
        if case is None:
            continue
        assert case.status in (CaseStatus.AT_SOCIAL_CARE, CaseStatus.CLOSED), (
            f"case {case_id}: with children's social care, and {case.status.value} at the "
            f"{case.panel.value} (listed on {len(case.listings)} meeting(s))"
        )
        assert not case.listings or case.status is CaseStatus.CLOSED, (
            f"case {case_id}: with children's social care, and listed on {len(case.listings)} "
            "meeting(s)"
        )


def savings_count_each_day_once(county: County, packages: list[Package]) -> None:
    """Each financial year so far: the days the report counts for each outcome are the days
    covered by the union of each case's active packages naming it (EARP and JAP packages
    apart from the MAAG's prevention), each worth the outcome's annual cost / 365 (the
    report rounds per package credited: within half a penny each)."""
    engine = county.project("commissioning")
    for fy in range(financial_year(START.date()), financial_year(county.today) + 1):
        first, last = fy_bounds(fy)
        report = savings(engine, COSTS, first, last)
        for group, panels, outcomes in (
            ("alternatives", (Panel.EARP, Panel.JAP), report["outcomes"]),
            ("prevention", (Panel.MAAG,), report["prevention"]["outcomes"]),
        ):
            days: dict[tuple[uuid.UUID, str], set[date]] = defaultdict(set)
            covers: dict[str, int] = defaultdict(int)
            for p in packages:
                if p.panel not in panels:
                    continue
                start = min(run.from_day for run in p.runs)
                end = p.ended_on - timedelta(days=1) if p.ended_on else last
                begin, finish = max(start, first), min(end, last)
                for avoided in p.alternative_to:
                    covers[avoided.value] += 1
                    days[(p.case_id, avoided.value)].update(_days(begin, finish))
            expected: dict[str, int] = defaultdict(int)
            for (_, outcome), covered in days.items():
                expected[outcome] += len(covered)
            counted = {o["outcome"]: o for o in outcomes}
            for outcome in set(expected) | set(counted):
                got = counted[outcome]["days"] if outcome in counted else 0
                assert got == expected[outcome], (
                    f"savings {fy} ({group}): {outcome} counted on {got} days, its cases' "
                    f"packages cover {expected[outcome]}"
                )
                worth = expected[outcome] * COSTS[outcome] / 365
                cost = counted[outcome]["cost_pence"] if outcome in counted else 0
                assert abs(cost - worth) <= covers[outcome] / 2 + 1e-6, (
                    f"savings {fy} ({group}): {outcome} worth {cost} pence, "
                    f"{expected[outcome]} days at {COSTS[outcome]} a year is {worth:.1f}"
                )


def test_a_package_stopped_before_its_recommission_takes_effect_counts_nothing_after(
    tmp_path: Path,
) -> None:
    """Found by the machine above, and kept as the shortest way to it: a review recommissions
    a package from the review meeting's day, and the case is closed before that day. The
    budget gives back everything from the closure; the spend report and the savings report
    must count nothing after it either."""
    with County.opened(lambda name: tmp_path / name, START) as county:
        county.commissioning.avoided_costs = dict(COSTS)
        client = TestClient(county.services["referral"].api)
        made = client.post(
            "/referrals",
            json={
                **details(district="harlow", caf_reference="CAF-2026-690001"),
                "consent": CONSENT,
            },
            headers={**identity.auth(), "Idempotency-Key": "county-repro-1"},
        )
        assert made.status_code == 201, made.text
        case_id = uuid.UUID(made.json()["case_id"])
        county.settle()
        case = _panel_case_of(county, case_id)
        (first,) = case.listings
        chair = MAAG_CHAIR

        def decide(meeting_id: uuid.UUID, **body: Any) -> None:
            meeting: Any = county.panel.repository.get(meeting_id)
            if county.now < meeting.starts_at:  # the clock moved on to its start
                county.advance(meeting.starts_at - county.now)
            for person, agency, position in QUORUM[meeting.panel]:
                member = Caller.of(
                    person, Role.PANEL_MEMBER, agency, ALL_DISTRICTS, ALL_TIERS, position
                )
                county.panel.handle(
                    ConfirmAttendance(
                        meeting_id=meeting_id, name=person, caller=member, correlation_id="q"
                    )
                )
            county.panel.handle(
                decision(meeting_id, {**body, "case_id": str(case_id)}, chair, "repro")
            )
            county.settle()

        line = {
            "service": "family support",
            "hours_per_week": 2,
            "starts_on": (county.today + timedelta(days=7)).isoformat(),
            "review_interval_weeks": 4,
            "estimated_weekly_cost_pence": 7000,
        }
        decide(first, kind="request-package", interventions=[line], alternative_to=["leaving-home"])
        (package_id,) = _panel_case_of(county, case_id).packages
        review = _panel_case_of(county, case_id).packages[package_id].review_meeting
        assert review is not None
        review_day = county.panel.repository.get(review).starts_at.astimezone(LOCAL).date()
        # the review, brought forward to the meeting sitting now and decided ahead of its
        # day: recommissioned from the review meeting's day
        member = Caller.of("coord-1", Role.PANEL_MEMBER, "social-care", ALL_DISTRICTS, ALL_TIERS)
        county.panel.handle(
            ListCase(
                meeting_id=first, case_id=case_id, reason="early", caller=member, correlation_id="r"
            )
        )
        decide(
            first,
            kind="review-package",
            package_id=str(package_id),
            goals="partly",
            level_of_need_change=0,
            decision="recommission",
            interventions=[{**line, "hours_per_week": 3}],
            effective_from=review_day.isoformat(),
            reason="more support",
        )
        # closed today, before the package even started: decommissioned from today
        decide(first, kind="close", reason="moved away")
        (package,) = [p for p in _all_packages(county) if p.id == package_id]
        assert package.ended_on == county.today and package.cost_in(2026) == 0
        budgets_equal_spend(county, [package])
        savings_count_each_day_once(county, [package])


def test_a_package_of_two_lines_is_spent_as_its_budget_holds_it(tmp_path: Path) -> None:
    """Found by the machine above: two lines of a package, each of £90 a week, for 169 days
    of 2026/27 (24 weeks and a day): each line costs 217,285.7 pence that year, the package
    434,571.4. The budget holds 434,571; the spend report counts 2 x 217,286 = 434,572."""
    with County.opened(lambda name: tmp_path / name, START) as county:
        client = TestClient(county.services["referral"].api)
        made = client.post(
            "/referrals",
            json={
                **details(district="harlow", caf_reference="CAF-2026-690002"),
                "consent": CONSENT,
            },
            headers={**identity.auth(), "Idempotency-Key": "county-repro-2"},
        )
        assert made.status_code == 201, made.text
        case_id = uuid.UUID(made.json()["case_id"])
        county.settle()
        (first,) = _panel_case_of(county, case_id).listings
        meeting: Any = county.panel.repository.get(first)
        county.advance(meeting.starts_at - county.now)  # the meeting sits
        for person, agency, position in QUORUM[meeting.panel]:
            member = Caller.of(
                person, Role.PANEL_MEMBER, agency, ALL_DISTRICTS, ALL_TIERS, position
            )
            county.panel.handle(
                ConfirmAttendance(meeting_id=first, name=person, caller=member, correlation_id="q")
            )
        line = {
            "service": "therapy",
            "hours_per_week": 1,
            "starts_on": "2026-10-14",  # to 31 March: 169 days
            "review_interval_weeks": 26,
            "estimated_weekly_cost_pence": 9000,
        }
        body = {"kind": "request-package", "case_id": str(case_id), "interventions": [line] * 2}
        county.panel.handle(decision(first, body, MAAG_CHAIR, "repro"))
        county.settle()
        (package,) = _all_packages(county)
        assert [line.weekly_cost_pence for line in package.lines] == [9000, 9000]
        budgets_equal_spend(county, [package])


def _panel_case_of(county: County, case_id: uuid.UUID) -> PanelCase:
    found = _find(county.panel, case_id)
    assert isinstance(found, PanelCase)
    return found


def _all_packages(county: County) -> list[Package]:
    """Every package commissioning holds."""
    app = county.commissioning
    ids = {
        n.originator_id
        for n in app.notifications(0, 1_000_000)
        if n.topic.endswith("Package.Commissioned")
    }
    return [p for i in ids if isinstance(p := app.repository.get(i), Package)]


# --- helpers ---


def _find(app: Any, aggregate_id: uuid.UUID) -> Any:
    from eventsourcing.application import AggregateNotFoundError

    try:
        return app.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _has_decision(kind: str) -> bool:
    from typing import get_args

    from services.panel.adapters.bodies import Decision

    union = get_args(Decision)[0]
    return any(get_args(b.model_fields["kind"].annotation) == (kind,) for b in get_args(union))


def _fast_tmp() -> str | None:
    """tmpfs where there is one: the four SQLite stores commit thousands of times."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() else None


CountyOverYears.TestCase.settings = settings(
    max_examples=8,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # no shrinking (minutes for a run this long; the failing steps are printed whole), and
    # no example database written into the checkout
    phases=[Phase.explicit, Phase.generate],
    database=None,
)
TestCountyOverYears = CountyOverYears.TestCase

_ = UTC  # the clock is Europe/London throughout
