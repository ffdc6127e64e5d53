"""The default launch checklist, one active template per tier.

Written in the spirit of SRE launch-coordination checklists: each item is a question, the
action expected and the evidence a reviewer looks for. Tier 1 (customer-facing or
company-critical) asks everything; tier 2 leaves out what only the largest launches need;
tier 3 (low risk, easily rolled back) keeps the essentials. The content is frozen here, as
a migration must be: admins change it by copying a template into a new version.
"""

from django.db import migrations

# (area, question, guidance, tiers that ask it, tiers for which it is required)
ITEMS = [
    (
        "reliability",
        "Are the service's SLOs defined, and does the launch keep them?",
        "Action: write down availability and latency SLOs and the SLIs that measure them. "
        "Evidence: link to the SLO document and to a dashboard of the SLIs over the last 14 days "
        "in staging or canary.",
        (1, 2, 3),
        (1, 2),
    ),
    (
        "reliability",
        "Have the failure modes of each dependency been tested?",
        "Action: for every hard dependency, say what happens when it is slow, erroring or down, "
        "and test the worst case. Evidence: link to the failure-mode table and the game-day or "
        "fault-injection results.",
        (1, 2),
        (1,),
    ),
    (
        "reliability",
        "Does the service degrade gracefully under overload?",
        "Action: load shedding, timeouts and retries with backoff and a budget are in place. "
        "Evidence: load-test report showing behaviour at 2× expected peak.",
        (1, 2),
        (1, 2),
    ),
    (
        "reliability",
        "Is there no single point of failure across zones?",
        "Action: run in at least two zones (three for tier 1) with no zonal affinity for state. "
        "Evidence: deployment topology and a zone-drain test.",
        (1,),
        (1,),
    ),
    (
        "capacity",
        "Is the expected load estimated and provisioned with headroom?",
        "Action: estimate peak QPS, storage and egress for launch day and for the next two "
        "quarters; provision launch peak + 50%. Evidence: sizing sheet and an approved capacity "
        "request.",
        (1, 2, 3),
        (1, 2),
    ),
    (
        "capacity",
        "Has a load test at expected peak passed in a production-like environment?",
        "Action: replay or synthesise peak traffic against the launch build. Evidence: load-test "
        "report with latency percentiles and saturation of the scarcest resource.",
        (1, 2),
        (1,),
    ),
    (
        "capacity",
        "Is autoscaling configured and tested, with limits below quota?",
        "Action: scaling policy, minimum and maximum replicas, and the quotas that bound them. "
        "Evidence: link to the config and a scale-up test.",
        (1, 2),
        (),
    ),
    (
        "observability",
        "Are the golden signals monitored on a dashboard?",
        "Action: latency, traffic, errors and saturation per endpoint and per zone. "
        "Evidence: dashboard link.",
        (1, 2, 3),
        (1, 2, 3),
    ),
    (
        "observability",
        "Do SLO burn-rate alerts page the on-call with a runbook?",
        "Action: multi-window burn-rate alerts routed to the owning rotation; every alert links "
        "a runbook. Evidence: alert definitions and runbook links.",
        (1, 2, 3),
        (1, 2),
    ),
    (
        "observability",
        "Is an on-call rotation staffed and trained for launch week?",
        "Action: a named primary and secondary, with a handover. Evidence: the rotation's "
        "schedule and the training or shadowing record.",
        (1, 2),
        (1, 2),
    ),
    (
        "observability",
        "Are logs and traces structured, sampled and retained as policy requires?",
        "Action: request IDs through every hop, no personal data in logs. Evidence: a sample "
        "trace and the log-retention setting.",
        (1, 2),
        (),
    ),
    (
        "security",
        "Has a threat model been written and reviewed?",
        "Action: list assets, entry points and mitigations (STRIDE or equivalent). "
        "Evidence: link to the threat model with the security reviewer's comments resolved.",
        (1, 2),
        (1, 2),
    ),
    (
        "security",
        "Are authentication and authorisation enforced on every endpoint?",
        "Action: no anonymous endpoints beyond health checks; least-privilege service "
        "identities. Evidence: endpoint inventory with the policy of each.",
        (1, 2, 3),
        (1, 2, 3),
    ),
    (
        "security",
        "Are secrets in the secret manager, rotated and out of code and images?",
        "Action: no credentials in repositories, images or environment files. "
        "Evidence: the secret-scanner report for the launch build.",
        (1, 2, 3),
        (1, 2, 3),
    ),
    (
        "security",
        "Are dependencies scanned with no open critical vulnerabilities?",
        "Action: software-composition scan of the launch build. Evidence: scan report; "
        "accepted findings listed with an owner and due date.",
        (1, 2),
        (1,),
    ),
    (
        "rollback",
        "Can the launch be rolled back in minutes, and has the rollback been rehearsed?",
        "Action: a one-step rollback (previous release or flag off) that does not need the new "
        "code. Evidence: the rollback procedure and the record of a rehearsal in staging.",
        (1, 2, 3),
        (1, 2, 3),
    ),
    (
        "rollback",
        "Is the rollout staged, with a canary and automatic halt on regression?",
        "Action: canary → one zone → one region → everywhere, with promotion criteria. "
        "Evidence: the rollout plan and the canary analysis config.",
        (1, 2),
        (1, 2),
    ),
    (
        "rollback",
        "Are schema and data migrations backward compatible?",
        "Action: expand/contract migrations; the previous release runs against the new schema. "
        "Evidence: migration plan and the compatibility test.",
        (1, 2, 3),
        (1,),
    ),
    (
        "rollback",
        "Is the launch behind a feature flag that can be turned off without a deploy?",
        "Action: a kill switch owned by the on-call. Evidence: flag name and who may flip it.",
        (1, 2, 3),
        (),
    ),
    (
        "compliance",
        "Has the data-protection review been completed for new personal data?",
        "Action: record what personal data is collected, why, where it is stored and for how "
        "long. Evidence: link to the privacy review, or say why none is collected (N/A).",
        (1, 2),
        (1, 2),
    ),
    (
        "compliance",
        "Are audit logs kept for privileged actions?",
        "Action: who did what, when, for admin operations and data access. "
        "Evidence: a sample audit record.",
        (1,),
        (1,),
    ),
    (
        "compliance",
        "Are licences of new third-party components approved?",
        "Action: check new dependencies against the licence policy. Evidence: the licence "
        "report of the launch build.",
        (1, 2, 3),
        (),
    ),
    (
        "documentation",
        "Is there a runbook for the service's alerts and common operations?",
        "Action: how to diagnose, mitigate, scale and roll back. Evidence: runbook link.",
        (1, 2, 3),
        (1, 2, 3),
    ),
    (
        "documentation",
        "Is the architecture documented, with its dependencies and owners?",
        "Action: a diagram and the list of upstream and downstream services with their owners. "
        "Evidence: design document link.",
        (1, 2),
        (1,),
    ),
    (
        "documentation",
        "Have support and dependent teams been told the launch date and what changes?",
        "Action: announcement to support, dependent teams and the incident channel. "
        "Evidence: link to the announcement.",
        (1, 2, 3),
        (1,),
    ),
]

TEMPLATES = {
    1: ("Launch checklist — tier 1", "Customer-facing or company-critical launches."),
    2: ("Launch checklist — tier 2", "Internal launches that many teams depend on."),
    3: ("Launch checklist — tier 3", "Low-risk launches that are easily rolled back."),
}


def create_templates(apps, schema_editor):
    Template = apps.get_model("reviews", "ChecklistTemplate")
    Item = apps.get_model("reviews", "ChecklistItem")
    for tier, (name, description) in TEMPLATES.items():
        if Template.objects.filter(name=name).exists():
            continue
        template = Template.objects.create(
            name=name, tier=tier, version=1, active=True, description=description
        )
        Item.objects.bulk_create(
            Item(
                template=template,
                area=area,
                question=question,
                guidance=guidance,
                required=tier in required_for,
                order=(order + 1) * 10,
            )
            for order, (area, question, guidance, tiers, required_for) in enumerate(ITEMS)
            if tier in tiers
        )


def remove_templates(apps, schema_editor):
    Template = apps.get_model("reviews", "ChecklistTemplate")
    names = [name for name, _ in TEMPLATES.values()]
    Template.objects.filter(name__in=names, version=1, reviews__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [migrations.RunPython(create_templates, remove_templates)]
