"""Live blocks: the program's own records rendered in a plan section, never copied into it.

A block is a loader ``(program, viewer) -> LiveTable``, registered under a ``LiveBlock`` key. The plan
page draws the table (``templates/plans/_live_table.html``), the Markdown export writes it as a
Markdown table. ``programs`` registers milestones, risks and dependencies below; ``metrics``
registers the success metrics (it sits above ``programs``, so it plugs in from its AppConfig).
Each loader runs a fixed number of queries, and names nothing of a confidential program the
viewer may not see.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from core.formatting import format_number
from programs.models import Milestone, MilestoneState, Program, RiskState
from programs.selectors import visible_programs

Cell = str | tuple[str, str]  # text, or (text, URL)


@dataclass(frozen=True)
class LiveTable:
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]] = field(default_factory=list)
    empty: str = "Nothing yet."
    more: str = ""  # where to see or change them

    def cells(self) -> list[list[dict[str, str]]]:
        """Rows as {"text", "url"} for the template."""
        return [
            [{"text": c[0], "url": c[1]} if isinstance(c, tuple) else {"text": c} for c in row]
            for row in self.rows
        ]


Loader = Callable[[Program, Any], LiveTable]
LIVE_BLOCKS: dict[str, Loader] = {}


def register_live_block(key: str, loader: Loader) -> None:
    LIVE_BLOCKS[key] = loader


def live_table(key: str, program: Program, viewer: Any) -> LiveTable | None:
    loader = LIVE_BLOCKS.get(key)
    return loader(program, viewer) if loader else None


def _date(day: datetime.date | None) -> str:
    return f"{day:%-d %b %Y}" if day else "—"


def _anchor(program: Program, fragment: str) -> str:
    return reverse("programs:detail", kwargs={"slug": program.slug}) + f"#{fragment}"


def milestones_table(program: Program, viewer: Any) -> LiveTable:
    milestones = program.milestones.select_related("owner_team").order_by("target_date", "pk")
    return LiveTable(
        columns=["Milestone", "Team", "Baseline", "Target", "State", "Critical"],
        rows=[
            [
                (m.name, _anchor(program, f"milestone-{m.pk}")),
                m.owner_team.name if m.owner_team else "—",
                _date(m.baseline_date),
                _date(m.target_date),
                m.get_state_display(),
                "Yes" if m.critical else "",
            ]
            for m in milestones
        ],
        empty="No milestones yet: add them on the program page.",
        more=_anchor(program, "milestones"),
    )


def risks_table(program: Program, viewer: Any) -> LiveTable:
    risks = program.risks.exclude(state=RiskState.CLOSED).select_related("owner")
    return LiveTable(
        columns=["Risk", "Likelihood × impact", "State", "Owner", "Mitigation due"],
        rows=[
            [
                (r.title, _anchor(program, f"risk-{r.pk}")),
                f"{r.likelihood} × {r.impact} = {r.likelihood * r.impact}",
                r.get_state_display(),
                (r.owner.get_full_name() or r.owner.username) if r.owner else "—",
                _date(r.due_date),
            ]
            for r in sorted(risks, key=lambda r: (-r.likelihood * r.impact, r.pk))
        ],
        empty="No open risks in the risk log.",
        more=_anchor(program, "risks"),
    )


def dependencies_table(program: Program, viewer: Any) -> LiveTable:
    """What the program's milestones wait on; a milestone of a confidential program the viewer
    may not see is named only as such."""
    through = Milestone.depends_on.through
    links = list(
        through.objects.filter(from_milestone__program=program)
        .select_related("from_milestone", "to_milestone__program", "to_milestone__owner_team")
        .order_by("from_milestone__target_date", "to_milestone__target_date", "pk")
    )
    others = {link.to_milestone.program_id for link in links} - {program.pk}
    visible = set(
        visible_programs(viewer).filter(pk__in=others).values_list("pk", flat=True)
        if others
        else ()
    ) | {program.pk}
    rows: list[list[Cell]] = []
    for link in links:
        down, up = link.from_milestone, link.to_milestone
        if up.program_id not in visible:
            rows.append([(down.name, _anchor(program, f"milestone-{down.pk}")),
                         "A milestone of a confidential program", "—", "—", "—"])  # fmt: skip
            continue
        upstream = up.name if up.program_id == program.pk else f"{up.name} ({up.program.name})"
        late = up.state not in (MilestoneState.DONE, MilestoneState.CANCELLED) and (
            up.target_date > down.target_date
        )
        rows.append(
            [
                (down.name, _anchor(program, f"milestone-{down.pk}")),
                (upstream, _anchor(up.program, f"milestone-{up.pk}")),
                up.owner_team.name if up.owner_team else "—",
                _date(up.target_date),
                up.get_state_display() + (" · due after it" if late else ""),
            ]
        )
    return LiveTable(
        columns=["Milestone", "Waits on", "Their team", "Their target", "Their state"],
        rows=rows,
        empty="No milestone of this program waits on another.",
    )


def number(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{format_number(value)}{(' ' + unit) if unit else ''}"


register_live_block("milestones", milestones_table)
register_live_block("risks", risks_table)
register_live_block("dependencies", dependencies_table)
