"""The demo's playbooks: six processes of an infrastructure organisation, each with two or
three versions published over the past year by its owners, one of them past its review-by
date (the demo TPM's, so it shows on their home page).

``seed_playbooks`` runs as the demo step ``programs.playbooks`` (stage RECORDS, before the
launch reviews, whose checklist items link these); ``publish_latest_launch_process`` runs in
stage HISTORY, after the demo's launch reviews exist, so those keep linking version 2 while a
review started today links version 3.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from programs.playbooks.models import Playbook, PlaybookVersion

LAUNCH_V1 = """\
Every launch that users or other teams will depend on goes through a launch review in Pulse.
The review is a checklist copied from the tier's template when you start it; reviewers of
each area sign their area off.

## Tiers

| Tier | What | Reviewers |
| --- | --- | --- |
| 1 | customer-facing or company-critical | every area |
| 2 | internal, many teams depend on it | every area with a required item |
| 3 | low risk, easily rolled back | reliability and security |

## Reliability

SLOs written down, dependencies' failure modes tested, graceful degradation at 2× peak.

## Security

A threat model reviewed by the security team; secrets in the vault; least-privilege roles.

## Observability

Golden signals on a dashboard, alerts that page on SLO burn, a runbook for each alert.

## Capacity

Sized for launch peak plus 50%, with an approved capacity request (see the capacity process).

## Rollback

A rollback you have practised, and the point of no return named.

## Compliance

Data classification and retention agreed with the privacy team.

## Documentation

A user-facing page and an on-call runbook.
"""

LAUNCH_V2 = LAUNCH_V1.replace(
    "## Rollback\n\nA rollback you have practised, and the point of no return named.",
    "## Rollback\n\nA rollback you have practised **in the last 30 days**, in production or a "
    "production-like environment, and the point of no return named. Link the drill's "
    "recording or log as evidence.",
).replace(
    "reviewers of\neach area sign their area off.",
    "reviewers of\neach area sign their area off. Start the review at least **three weeks** "
    "before the launch date: reviewers answer within five working days.",
)

LAUNCH_V3 = (
    LAUNCH_V2.replace(
        "## Observability\n\nGolden signals on a dashboard, alerts that page on SLO burn, a runbook "
        "for each alert.",
        "## Observability\n\nGolden signals on a dashboard, alerts that page on SLO burn (multi-window, "
        "multi-burn-rate), a runbook for each alert, and traces sampled on the launch's entry points.",
    )
    + "\n## Sign-off\n\nThe launch is approved when every area with a required item is signed "
    "off. A changed answer withdraws its area's sign-off: ask again.\n"
)

CAPACITY_V1 = """\
Capacity is asked for per team and per quarter, in Pulse, and decided by the capacity council
against the team's budget.

## Sizing a request

Estimate launch-day peak and the next two quarters' growth. Say how you sized it: the
council reads the justification first.

## Filing

One request per resource kind, environment and region. Link the program it serves.

## Deciding

The council meets every Tuesday. It approves, cuts (with a reason) or denies. Requests within
the team's auto-approval threshold are approved at once.
"""

CAPACITY_V2 = CAPACITY_V1.replace(
    "Estimate launch-day peak and the next two quarters' growth.",
    "Estimate launch-day peak and the next two quarters' growth, and add 50% headroom for "
    "tier-1 launches (30% otherwise).",
).replace(
    "One request per resource kind, environment and region.",
    "One request per resource kind, environment and region, filed **at least one quarter "
    "before** it is needed: the supply chain for new racks is 10 weeks.",
)

OPS_V1 = """\
The weekly operational review looks at every program whose computed health is yellow or red,
and at every watermelon (reported green, computed red).

## Agenda

1. Watermelons first: the TPM explains the gap.
2. Red programs, then yellow, by priority.
3. Open action items past their due date.

## Action items

Every action item has one owner and a due date. The TPM of the program follows it up.
"""

OPS_V2 = (
    OPS_V1.replace(
        "3. Open action items past their due date.",
        "3. Open action items past their due date.\n4. Plans nobody has acknowledged for two weeks.",
    )
    + "\n## Time box\n\nForty-five minutes. What does not fit becomes an action item.\n"
)

OPS_V3 = OPS_V2.replace(
    "The TPM of the program follows it up.",
    "The TPM of the program follows it up; an item overdue twice goes to the program's sponsor.",
)

STATUS_V1 = """\
A status update is due every week for each active program, by Friday noon.

## Summary

One or two sentences a VP can read in ten seconds: where the program stands and why.

## Reported health

Say how it is, not how it should be: Pulse computes a grade from the milestones and flags an
update reported green on a program computed red.

## Asks

Name the person and the date you need it by.
"""

STATUS_V2 = STATUS_V1.replace(
    "One or two sentences a VP can read in ten seconds: where the program stands and why.",
    "One or two sentences a VP can read in ten seconds: where the program stands and why. "
    "Lead with what changed since last week.",
)

HANDOFF_V1 = """\
When an incident's postmortem finds work bigger than a ticket, the incident commander hands
it to a TPM, who turns it into a program.

## When

The postmortem lists a remediation of more than two engineer-weeks, or one that spans teams.

## Handoff meeting

Within five working days: the incident commander, the TPM, the owning teams' leads.

## The program

Problem statement from the postmortem, success criteria measurable in production, first
milestone within six weeks.
"""

HANDOFF_V2 = HANDOFF_V1.replace(
    "Within five working days: the incident commander, the TPM, the owning teams' leads.",
    "Within five working days: the incident commander, the TPM, the owning teams' leads and "
    "the SRE who wrote the postmortem. The TPM writes the program's plan before the meeting "
    "ends.",
)

ESCALATION_V1 = """\
A dependency between teams that is late puts the programs waiting on it at risk.

## When to escalate

The upstream milestone slipped twice, or it is less than four weeks from the date and has no
owner.

## How

1. Talk to the upstream team's lead; write down what was agreed.
2. No agreement in a week: raise it at the operational review.
3. Still blocked: the two sponsors decide.
"""

ESCALATION_V2 = ESCALATION_V1.replace(
    "2. No agreement in a week: raise it at the operational review.",
    "2. No agreement in a week: raise it at the operational review, with both TPMs present.",
)


@dataclass(frozen=True)
class DemoPlaybook:
    slug: str
    title: str
    summary: str
    governs: str
    owners: tuple[str, ...]
    review_in_days: int  # from today; negative: overdue
    versions: tuple[tuple[int, str, str, str], ...]  # (days ago, author, note, body)


PLAYBOOKS = [
    DemoPlaybook(
        "launch-review-process",
        "Launch review process",
        "How a launch is reviewed before it ships: tiers, areas, evidence and sign-off.",
        "launch_review",
        ("tpm", "reviewer"),
        120,
        (
            (300, "tpm", "First version.", LAUNCH_V1),
            (90, "reviewer", "Rollback drills must be recent; start three weeks ahead.", LAUNCH_V2),
        ),
    ),
    DemoPlaybook(
        "capacity-process",
        "Capacity process",
        "How a team asks for capacity, and how the capacity council decides.",
        "capacity",
        ("reviewer", "admin"),
        60,
        (
            (400, "admin", "First version.", CAPACITY_V1),
            (45, "reviewer", "Headroom by tier; file a quarter ahead.", CAPACITY_V2),
        ),
    ),
    DemoPlaybook(
        "operational-review",
        "Operational review",
        "The weekly review of programs at risk: agenda, action items, time box.",
        "ops_review",
        ("tpm",),
        -12,
        (
            (380, "tpm", "First version.", OPS_V1),
            (200, "tpm", "Unacknowledged plans on the agenda; a time box.", OPS_V2),
            (30, "tpm", "Twice-overdue items go to the sponsor.", OPS_V3),
        ),
    ),
    DemoPlaybook(
        "status-update-guidance",
        "Status update guidance",
        "What a good weekly status update says, and by when.",
        "status_update",
        ("tpm", "leader"),
        150,
        (
            (350, "leader", "First version.", STATUS_V1),
            (20, "tpm", "Lead with what changed.", STATUS_V2),
        ),
    ),
    DemoPlaybook(
        "incident-to-program-handoff",
        "Incident-to-program handoff",
        "When a postmortem's remediation becomes a program, and how it is handed over.",
        "incident_handoff",
        ("tpm", "admin"),
        90,
        (
            (250, "admin", "First version.", HANDOFF_V1),
            (60, "tpm", "The postmortem's author joins; plan before the meeting ends.", HANDOFF_V2),
        ),
    ),
    DemoPlaybook(
        "dependency-escalation",
        "Dependency escalation",
        "What to do when another team's late milestone blocks your program.",
        "",
        ("tpm",),
        200,
        (
            (180, "tpm", "First version.", ESCALATION_V1),
            (15, "tpm", "Both TPMs at the operational review.", ESCALATION_V2),
        ),
    ),
]


def seed_playbooks(*, write, today: datetime.date | None = None, **kwargs) -> None:
    """Write the demo's playbooks (those not there yet) with their past versions.

    Rows are written directly, not through ``playbook_publish``: the versions are dated in the
    past, as if published over the year.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    # The demo's named accounts only: a large demo has thousands of people.
    names = {name for demo in PLAYBOOKS for name in demo.owners}
    names |= {author for demo in PLAYBOOKS for _, author, _, _ in demo.versions}
    active = get_user_model().objects.filter(is_active=True)
    people = {user.username: user for user in active.filter(username__in=names)}
    fallback = next(iter(people.values()), None) or active.order_by("pk").first()
    if fallback is None:
        return
    made = 0
    for demo in PLAYBOOKS:
        if Playbook.objects.filter(slug=demo.slug).exists():
            continue
        playbook = Playbook.objects.create(
            slug=demo.slug,
            title=demo.title,
            summary=demo.summary,
            governs=demo.governs,
            review_by=today + datetime.timedelta(days=demo.review_in_days),
        )
        playbook.owners.set([people.get(name, fallback) for name in demo.owners])
        version = None
        for number, (days_ago, author, note, body) in enumerate(demo.versions, start=1):
            version = PlaybookVersion.objects.create(
                playbook=playbook,
                number=number,
                body=body,
                change_note=note,
                author=people.get(author, fallback),
                published_at=now - datetime.timedelta(days=days_ago),
            )
        Playbook.objects.filter(pk=playbook.pk).update(current_version=version)
        made += 1
    if made:
        write(f"Seeded {made} playbooks with their versions.")


def publish_latest_launch_process(*, write, **kwargs) -> None:
    """Version 3 of the launch review process, published now: the demo's launch reviews,
    made under version 2, keep linking it; a review started from now on links version 3."""
    from programs.playbooks.services import playbook_publish

    playbook = (
        Playbook.objects.select_related("current_version")
        .filter(slug="launch-review-process")
        .first()
    )
    if playbook is None or playbook.current_version is None:
        return
    if playbook.current_version.number != 2:
        return
    author = playbook.owners.order_by("username").first()
    if author is None:
        return
    playbook_publish(
        playbook=playbook,
        user=author,
        based_on=2,
        body=LAUNCH_V3,
        change_note="Burn-rate alerts and traces; how sign-off works.",
    )
    write("Published version 3 of the launch review process.")
