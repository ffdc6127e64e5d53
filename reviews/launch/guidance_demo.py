"""The demo's checklist guidance: each item and each area of the checklist templates links
the section of the playbook that explains it (the demo step ``reviews.checklist_guidance``,
after the playbooks are seeded and before the launch reviews copy the items)."""

from programs.playbooks.models import Playbook
from reviews.models import ChecklistAreaGuidance, ChecklistItem, ChecklistTemplate

LAUNCH_PROCESS = "launch-review-process"
CAPACITY_PROCESS = "capacity-process"


def link_demo_checklists(*, write, **kwargs) -> None:
    """Link the items and areas of every template no review uses yet (used ones are frozen)
    and that links nothing yet: an item to its area's section of the launch review process,
    a capacity item to the capacity process's sizing section."""
    playbooks = {
        p.slug: p for p in Playbook.objects.filter(slug__in=[LAUNCH_PROCESS, CAPACITY_PROCESS])
    }
    launch = playbooks.get(LAUNCH_PROCESS)
    if launch is None:
        return
    capacity = playbooks.get(CAPACITY_PROCESS)
    linked = 0
    for template in ChecklistTemplate.objects.filter(reviews__isnull=True).distinct():
        if (
            template.area_guidance.exists()
            or template.items.filter(playbook__isnull=False).exists()
        ):
            continue
        items = list(template.items.all())
        for item in items:
            if item.area == "capacity" and capacity is not None:
                item.playbook, item.playbook_anchor = capacity, "sizing-a-request"
            else:
                item.playbook, item.playbook_anchor = launch, item.area
        ChecklistItem.objects.bulk_update(items, ["playbook", "playbook_anchor"])
        ChecklistAreaGuidance.objects.bulk_create(
            ChecklistAreaGuidance(
                template=template, area=area, playbook=launch, playbook_anchor=area
            )
            for area in sorted({item.area for item in items})
        )
        linked += 1
    if linked:
        write(f"Linked the checklists of {linked} templates to their playbooks.")
