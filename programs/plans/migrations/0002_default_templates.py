"""The plan templates every installation starts with (admins add and version more)."""

from django.db import migrations

# fmt: off
COMMON_TAIL = [
    ("milestones", "Milestones", "markdown", "milestones", False,
     "The program's live milestones are shown here. Add what the dates mean: the critical path, "
     "what each milestone unlocks."),
    ("dependencies", "Dependencies", "markdown", "dependencies", False,
     "The live waits between milestones are shown here. Add the agreements behind them: who "
     "delivers what to whom, by when."),
    ("risks", "Risks", "markdown", "risks", False,
     "The open risks of the risk log are shown here. Add the risk appetite and escalation path."),
]
COMMUNICATION = (
    "communication", "Communication plan", "markdown", "", False,
    "Cadence, audiences and channels: e.g. weekly status update (program channel), monthly "
    "leadership review, launch announcements (engineering-all).",
)
STAKEHOLDERS = (
    "stakeholders", "Stakeholders", "markdown", "", False,
    "Sponsor, accountable leads per team, consulted and informed groups.",
)
TEMPLATES = {
    "Infrastructure program": (
        "Cross-team builds and platform changes: new regions, fleet upgrades, new services.",
        [
            ("problem", "Problem", "markdown", "", False,
             "What is wrong today, for whom, and what it costs. Numbers beat adjectives."),
            ("goals", "Goals and non-goals", "markdown", "", False,
             "What the program will achieve, and what it deliberately will not."),
            ("success_criteria", "Success criteria", "markdown", "success_metrics", True,
             "How we will know it worked. The program's success metrics are shown here."),
            ("scope", "Scope per team", "per_team", "", True,
             "What each team taking part delivers. Each team's lead acknowledges its own line."),
            *COMMON_TAIL,
            ("rollout", "Rollout and rollback", "markdown", "", False,
             "How the change reaches production (stages, bake times, gates) and how it is undone."),
            COMMUNICATION,
            STAKEHOLDERS,
        ],
    ),
    "Migration or deprecation": (
        "Moving users off a system: API deprecations, storage or network migrations.",
        [
            ("problem", "Problem", "markdown", "", False,
             "Why the old system must go, and the cost of keeping it."),
            ("goals", "Goals and non-goals", "markdown", "", False,
             "The end state, and what is out of scope (e.g. redesigning the clients)."),
            ("success_criteria", "Success criteria", "markdown", "success_metrics", True,
             "E.g. share of traffic migrated, old system's request rate, incidents caused."),
            ("scope", "Scope per team", "per_team", "", True,
             "What each team migrates or builds, and by when."),
            ("waves", "Migration waves", "markdown", "", True,
             "Cohorts of users or services, in order, with the criteria to move to the next."),
            *COMMON_TAIL,
            ("rollout", "Rollback", "markdown", "", False,
             "How a migrated cohort goes back, and until when that is possible."),
            COMMUNICATION,
            STAKEHOLDERS,
        ],
    ),
}
# fmt: on


def create(apps, schema_editor):
    PlanTemplate = apps.get_model("plans", "PlanTemplate")
    PlanTemplateSection = apps.get_model("plans", "PlanTemplateSection")
    for name, (description, sections) in TEMPLATES.items():
        template, created = PlanTemplate.objects.get_or_create(
            name=name, version=1, defaults={"description": description, "active": True}
        )
        if not created:
            continue
        PlanTemplateSection.objects.bulk_create(
            PlanTemplateSection(
                template=template,
                position=position,
                key=key,
                title=title,
                kind=kind,
                live=live,
                material=material,
                guidance=guidance,
            )
            for position, (key, title, kind, live, material, guidance) in enumerate(sections, 1)
        )


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    # Backwards: nothing to undo by hand; unapplying 0001 drops the tables with their rows.
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
