"""Check every row of an upload against the database and say what it would do: create,
update, leave unchanged, or refuse (with the row, the column and why).

Reads in a fixed number of queries whatever the number of rows: every name a file refers to
(portfolios, teams, people, programs, milestones, risks) is looked up once for the whole file.
Nothing is written here; ``services.import_run`` writes a plan without errors.
"""

import datetime
import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower

from core.roles import is_admin
from core.types import User
from programs.imports.columns import MILESTONES, PROGRAMS, RISKS
from programs.imports.reading import CellError, Row, Sheet
from programs.models import (
    EDITOR_ROLES,
    Milestone,
    MilestoneState,
    Phase,
    Portfolio,
    PriorityTier,
    Program,
    ProgramMembership,
    Risk,
    RiskState,
    Team,
)
from programs.selectors import visible_programs

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
TRUE_WORDS = {"yes", "y", "true", "1", "x"}
FALSE_WORDS = {"no", "n", "false", "0", ""}


@dataclass
class RowPlan:
    """What one row does, in words for the preview, and what the services will be given."""

    sheet: str
    number: int
    kind: str
    intent: str = CREATE  # what the row does when it has no errors
    label: str = ""
    changes: list[str] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    target: Any = None  # the existing object an update changes
    key: str = ""  # a milestone's key in the file (depends_on names it)
    program_ref: Any = None  # an existing Program, or the lower-cased name of one in the file
    depends_on_keys: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        """What the row does: its intent, or ``error`` once any check refused it."""
        return ERROR if self.errors else self.intent

    def refuse(self, column: str, message: str) -> None:
        self.errors.append(CellError(self.sheet, self.number, column, message))


@dataclass
class ImportPlan:
    rows: list[RowPlan]
    file_errors: list[CellError]

    @property
    def errors(self) -> list[CellError]:
        return [*self.file_errors, *(error for row in self.rows for error in row.errors)]

    @property
    def valid(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows by kind and action: {"milestones": {"create": 12, "update": 3}, …}."""
        counts: dict[str, Counter[str]] = {}
        for row in self.rows:
            counts.setdefault(row.kind, Counter())[row.action] += 1
        return {kind: dict(counter) for kind, counter in counts.items()}

    def digest(self) -> str:
        """A fingerprint of what the preview showed: confirming a plan whose digest changed
        (someone edited the same records since) shows the new preview instead of writing."""
        shown = [(r.sheet, r.number, r.action, r.label, r.changes) for r in self.rows]
        return hashlib.sha256(json.dumps(shown, default=str).encode()).hexdigest()[:32]


# --- Values --------------------------------------------------------------------------------


def _date(row: RowPlan, column: str, text: str, *, required: bool = False) -> datetime.date | None:
    if not text:
        if required:
            row.refuse(column, "A date is required (YYYY-MM-DD).")
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        row.refuse(column, f"“{text}” is not a date: write it as YYYY-MM-DD, e.g. 2027-03-01.")
        return None


def _bool(row: RowPlan, column: str, text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word not in FALSE_WORDS:
        row.refuse(column, f"“{text}” is not yes or no.")
    return False


def _int(row: RowPlan, column: str, text: str, *, low: int, high: int) -> int | None:
    try:
        value = int(text)
    except ValueError:
        row.refuse(column, f"“{text}” is not a whole number from {low} to {high}.")
        return None
    if not low <= value <= high:
        row.refuse(column, f"{value} is not from {low} to {high}.")
        return None
    return value


def _choice(row: RowPlan, column: str, text: str, choices: Any, default: str) -> str:
    if not text:
        return default
    wanted = text.strip().lower().replace(" ", "_")
    for value, label in choices.choices:
        if wanted in (str(value).lower(), str(label).lower().replace(" ", "_")):
            return value
    row.refuse(column, f"“{text}” is not one of: {', '.join(str(v) for v in choices.values)}.")
    return default


def _priority(row: RowPlan, text: str) -> int:
    if not text:
        return PriorityTier.P2
    wanted = text.strip().upper().removeprefix("P")
    if wanted in {"0", "1", "2", "3"}:
        return int(wanted)
    row.refuse("priority", f"“{text}” is not a priority: P0, P1, P2 or P3.")
    return PriorityTier.P2


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", ";").split(";") if part.strip()]


def _clean_fields(row: RowPlan, instance: Any, fields: Iterable[str]) -> None:
    """The model's own field checks (lengths, ranges), without a query."""
    names = set(fields) - {error.column for error in row.errors}  # said once is enough
    exclude = [f.name for f in instance._meta.fields if f.name not in names]
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        for column, messages in error.message_dict.items():
            row.refuse(column, " ".join(messages))


# --- The lookups, once per file ----------------------------------------------------------


class Lookups:
    """Everything the rows refer to, read in one query per kind of thing."""

    def __init__(self, *, user: User, sheets: list[Sheet]) -> None:
        self.user = user
        rows = [(sheet.kind, row) for sheet in sheets for row in sheet.rows]
        wanted = _collect(rows)
        kinds = {kind for kind, _ in rows}
        people = get_user_model().objects.annotate(
            username_lower=Lower("username"), email_lower=Lower("email")
        )
        self.users: dict[str, Any] = {}
        for person in people.filter(
            Q(username_lower__in=wanted["people"]) | Q(email_lower__in=wanted["people"]),
            is_active=True,
        ):
            self.users.setdefault(person.username_lower, person)
            if person.email_lower:
                self.users.setdefault(person.email_lower, person)
        self.portfolios = _by_slug_or_name(Portfolio.objects.all(), wanted["portfolios"])
        self.teams = _by_slug_or_name(Team.objects.all(), wanted["teams"])
        programs = visible_programs(user).annotate(name_lower=Lower("name"))
        self.programs: dict[str, list[Program]] = {}
        for program in programs.filter(
            Q(slug__in=wanted["programs"]) | Q(name_lower__in=wanted["programs"])
        ):
            self.programs.setdefault(program.slug, []).append(program)
            if program.name_lower != program.slug:
                self.programs.setdefault(program.name_lower, []).append(program)
        ids = {program.pk for found in self.programs.values() for program in found}
        if is_admin(user):
            self.editable = ids
        else:
            self.editable = {p.pk for found in self.programs.values() for p in found
                             if p.tpm_id == user.pk} | set(
                ProgramMembership.objects.filter(
                    program_id__in=ids, user=user, role__in=EDITOR_ROLES
                ).values_list("program_id", flat=True)
            )  # fmt: skip
        self.milestones: dict[tuple[int, str], Milestone] = {}
        self.jira_milestones: dict[tuple[int, str], Milestone] = {}
        self.dependencies: dict[int, set[int]] = {}
        self.team_ids: dict[int, set[int]] = {}
        self.risks: dict[tuple[int, str], Risk] = {}
        if not ids:
            return
        if MILESTONES in kinds:
            for milestone in Milestone.objects.filter(program_id__in=ids):
                self.milestones[(milestone.program_id, milestone.name.lower())] = milestone
                jira_key, colon, _ = milestone.name.partition(":")
                if colon:
                    self.jira_milestones[(milestone.program_id, jira_key)] = milestone
            through = Milestone.depends_on.through.objects.filter(
                from_milestone__program_id__in=ids
            )
            for from_id, to_id in through.values_list("from_milestone_id", "to_milestone_id"):
                self.dependencies.setdefault(from_id, set()).add(to_id)
        if RISKS in kinds:
            for risk in Risk.objects.filter(program_id__in=ids):
                self.risks[(risk.program_id, risk.title.lower())] = risk
        if any(kind == PROGRAMS and row.get("slug") for kind, row in rows):
            teams = Program.teams.through.objects.filter(program_id__in=ids)
            for program_id, team_id in teams.values_list("program_id", "team_id"):
                self.team_ids.setdefault(program_id, set()).add(team_id)

    def user_named(self, row: RowPlan, column: str, text: str, *, required: bool = False):
        if not text:
            if required:
                row.refuse(column, "Name a person: a username or an e-mail.")
            return None
        person = self.users.get(text.strip().lower())
        if person is None:
            row.refuse(column, f"Nobody active is called “{text}” (username or e-mail).")
        return person

    def program_named(self, text: str) -> tuple[Program | None, str]:
        """The program a cell names (by slug or name), or why not."""
        found = self.programs.get(text.strip()) or self.programs.get(text.strip().lower()) or []
        if len({p.pk for p in found}) > 1:
            return None, f"{len(found)} programs are named “{text}”: use its slug."
        if not found:
            return None, f"No program “{text}” (slug or name) that you may see."
        return found[0], ""


def _named(found: dict[str, Any], text: str) -> Any:
    """A portfolio or team of ``_by_slug_or_name``'s answer that ``text`` names, or None."""
    return found.get(text.lower()) or found.get(text)


def _by_slug_or_name(queryset, wanted: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in queryset.annotate(name_lower=Lower("name")).filter(
        Q(slug__in=wanted) | Q(name_lower__in=wanted)
    ):
        found[item.slug] = found[item.name_lower] = item
    return found


def _collect(rows: list[tuple[str, Row]]) -> dict[str, set[str]]:
    """Every name the rows refer to, by what it names (lower-cased; slugs as written too)."""
    wanted: dict[str, set[str]] = {
        key: set() for key in ("people", "portfolios", "teams", "programs")
    }

    def add(key: str, text: str) -> None:
        if text.strip():
            wanted[key] |= {text.strip(), text.strip().lower()}

    for kind, row in rows:
        if kind == PROGRAMS:
            for column in ("tpm", "sponsor"):
                add("people", row.get(column))
            add("portfolios", row.get("portfolio"))
            for team in _names(row.get("teams")):
                add("teams", team)
            add("programs", row.get("slug"))
        else:
            add("programs", row.get("program"))
            add("people", row.get("owner"))
            add("teams", row.get("owner_team"))
    return wanted


# --- Rows ----------------------------------------------------------------------------------


class Planner:
    def __init__(self, *, user: User, sheets: list[Sheet], today: datetime.date) -> None:
        self.user = user
        self.today = today
        self.sheets = sheets
        self.lookups = Lookups(user=user, sheets=sheets)
        self.new_programs: dict[str, RowPlan] = {}  # lower-cased name → its row
        self.milestone_keys: dict[str, RowPlan] = {}
        self.seen: dict[tuple[str, Any, str], int] = {}  # (kind, program, name) → row number

    def plan(self) -> ImportPlan:
        rows: list[RowPlan] = []
        file_errors: list[CellError] = []
        for sheet in self.sheets:
            file_errors += sheet.errors
            if any(error.row == 1 for error in sheet.errors):
                continue  # wrong columns: its rows would only repeat the problem
            handle = {PROGRAMS: self.program_row, MILESTONES: self.milestone_row,
                      RISKS: self.risk_row}[sheet.kind]  # fmt: skip
            for row in sheet.rows:
                plan = RowPlan(sheet=sheet.title, number=row.number, kind=sheet.kind)
                handle(plan, row)
                rows.append(plan)
        self.link_dependencies([r for r in rows if r.kind == MILESTONES])
        return ImportPlan(rows=rows, file_errors=file_errors)

    def _duplicate(self, plan: RowPlan, kind: str, program: Any, name: str, column: str) -> bool:
        program_key = program.pk if isinstance(program, Program) else program
        seen_on = self.seen.setdefault((kind, program_key, name.lower()), plan.number)
        if seen_on != plan.number:
            plan.refuse(column, f"“{name}” is already on row {seen_on} of this file.")
            return True
        return False

    def _program_ref(self, plan: RowPlan, text: str) -> Any:
        """An existing program the user may edit, or the lower-cased name of a program row."""
        if not text:
            plan.refuse("program", "Name the program (its slug or name).")
            return None
        if text.strip().lower() in self.new_programs:
            return text.strip().lower()
        program, why = self.lookups.program_named(text)
        if program is None:
            plan.refuse("program", why)
        elif program.pk not in self.lookups.editable:
            plan.refuse("program", f"You may not edit “{program.name}”.")
            return None
        return program

    # Programs

    def program_row(self, plan: RowPlan, row: Row) -> None:
        lookups = self.lookups
        name = row.get("name")
        plan.label = f"Program “{name}”"
        if not name:
            plan.refuse("name", "The program needs a name.")
        data: dict[str, Any] = {
            "name": name,
            "portfolio": _named(lookups.portfolios, row.get("portfolio")),
            "tpm": lookups.user_named(plan, "tpm", row.get("tpm"), required=True),
            "sponsor": lookups.user_named(plan, "sponsor", row.get("sponsor")),
            "phase": _choice(plan, "phase", row.get("phase"), Phase, Phase.PROPOSED),
            "priority": _priority(plan, row.get("priority")),
            "start_date": _date(plan, "start_date", row.get("start_date"), required=True),
            "target_date": _date(plan, "target_date", row.get("target_date"), required=True),
            "confidential": _bool(plan, "confidential", row.get("confidential")),
            "update_cadence_days": _int(plan, "update_cadence_days",
                                        row.get("update_cadence_days") or "7", low=1, high=90),
            "problem_statement": row.get("problem_statement"),
            "success_criteria": row.get("success_criteria"),
        }  # fmt: skip
        if data["portfolio"] is None:
            if row.get("portfolio"):
                plan.refuse("portfolio", f"No portfolio “{row.get('portfolio')}” (slug or name).")
            else:
                plan.refuse("portfolio", "Name the portfolio (its slug or name).")
        teams = []
        for team_name in _names(row.get("teams")):
            team = _named(lookups.teams, team_name)
            if team is None:
                plan.refuse("teams", f"No team “{team_name}” (slug or name).")
            else:
                teams.append(team)
        start, target = data["start_date"], data["target_date"]
        if start and target and target < start:
            plan.refuse("target_date", "The target date cannot be before the start date.")
        instance = Program(**{k: v for k, v in data.items() if k not in ("portfolio", "tpm",
                                                                         "sponsor")})  # fmt: skip
        _clean_fields(plan, instance, ["name", "problem_statement", "success_criteria"])
        slug = row.get("slug")
        if slug:
            program, why = lookups.program_named(slug)
            if program is None or program.slug != slug:
                plan.refuse("slug", f"No program with the slug “{slug}” that you may see; "
                            "leave the slug empty to create one.")  # fmt: skip
                return
            if program.pk not in lookups.editable:
                plan.refuse("slug", f"You may not edit “{program.name}”.")
                return
            plan.target = program
            plan.label = f"Program “{program.name}”"
            self._duplicate(plan, PROGRAMS, None, slug, "slug")
            changed = {k: v for k, v in data.items() if getattr(program, k) != v}
            plan.data = changed
            if {team.pk for team in teams} != lookups.team_ids.get(program.pk, set()):
                plan.data["teams"] = teams
            plan.changes = [_change(program, k, v) for k, v in plan.data.items()]
            plan.intent = UPDATE if plan.data else UNCHANGED
            # Milestones and risks may name it by its name as well as by its slug.
            return
        if name and not self._duplicate(plan, PROGRAMS, None, name, "name"):
            self.new_programs[name.lower()] = plan
        plan.data = {**data, "teams": teams}
        plan.changes = [
            f"{data['portfolio'] or '?'}, TPM {data['tpm'] or '?'}, "
            f"{data['start_date']} → {data['target_date']}"
        ]

    # Milestones

    def milestone_row(self, plan: RowPlan, row: Row) -> None:
        lookups = self.lookups
        name = row.get("name")
        program = self._program_ref(plan, row.get("program"))
        plan.program_ref = program
        program_name = program.name if isinstance(program, Program) else row.get("program")
        plan.label = f"Milestone “{name}” of “{program_name}”"
        if not name:
            plan.refuse("name", "The milestone needs a name.")
        key = row.get("key")
        if key:
            if key in self.milestone_keys:
                plan.refuse("key", f"The key “{key}” is already used on row "
                            f"{self.milestone_keys[key].number}.")  # fmt: skip
            else:
                self.milestone_keys[key] = plan
                plan.key = key
        if name and program is not None:
            self._duplicate(plan, MILESTONES, program, name, "name")
        team = None
        if row.get("owner_team"):
            team = _named(lookups.teams, row.get("owner_team"))
            if team is None:
                plan.refuse("owner_team", f"No team “{row.get('owner_team')}” (slug or name).")
        state = _choice(plan, "state", row.get("state"), MilestoneState, "")
        data: dict[str, Any] = {
            "name": name,
            "description": row.get("description"),
            "owner_team": team,
            "critical": _bool(plan, "critical", row.get("critical")),
            "target_date": _date(plan, "target_date", row.get("target_date"), required=True),
        }
        baseline = _date(plan, "baseline_date", row.get("baseline_date"))
        completed = _date(plan, "completed_date", row.get("completed_date"))
        if completed and completed > self.today:
            plan.refuse("completed_date", "The completion date cannot be in the future.")
        _clean_fields(plan, Milestone(name=name, description=data["description"]),
                      ["name", "description"])  # fmt: skip
        plan.depends_on_keys = _names(row.get("depends_on"))
        existing = None
        if isinstance(program, Program):
            if row.get("jira_key"):
                existing = lookups.jira_milestones.get((program.pk, row.get("jira_key")))
            else:
                existing = lookups.milestones.get((program.pk, name.lower()))
        if existing is None:
            plan.data = {**data, "baseline_date": baseline, "state": state or "planned",
                         "completed_date": completed}  # fmt: skip
            if plan.data["state"] == MilestoneState.DONE and not completed:
                plan.data["completed_date"] = self.today
            plan.changes = [f"due {data['target_date']}" + (", critical" if data["critical"]
                                                              else "")]  # fmt: skip
            return
        plan.target = existing
        if baseline and baseline != existing.baseline_date:
            plan.refuse("baseline_date", f"The baseline never moves (it is "
                        f"{existing.baseline_date}); leave the column empty to keep it.")  # fmt: skip
        changed = {k: v for k, v in data.items() if getattr(existing, k) != v}
        if row.get("jira_key"):
            changed.pop("critical", None)  # Jira says nothing about it: keep Pulse's
            changed.pop("owner_team", None)
            changed.pop("description", None)
        if state and state != existing.state:
            changed["state"] = state
            if state == MilestoneState.DONE:
                changed["completed_date"] = completed or self.today
        if "target_date" in changed:
            if existing.state in (MilestoneState.DONE, MilestoneState.CANCELLED):
                plan.refuse("target_date", f"A {existing.get_state_display().lower()} "
                            "milestone does not move.")  # fmt: skip
            elif not row.get("move_reason"):
                plan.refuse("move_reason", "Moving the target date needs a reason: say why in "
                            "move_reason (it goes in the slip ledger).")  # fmt: skip
            changed["move_reason"] = row.get("move_reason")
        plan.data = changed
        plan.changes = [_change(existing, k, v) for k, v in changed.items() if k != "move_reason"]
        plan.intent = UPDATE if changed else UNCHANGED

    def link_dependencies(self, rows: list[RowPlan]) -> None:
        """Resolve depends_on (keys of this file, or names of the program's milestones) and
        refuse cycles among the file's rows."""
        lookups = self.lookups
        for plan in rows:
            resolved_keys: list[str] = []
            existing: list[Milestone] = []
            for name in plan.depends_on_keys:
                if name in self.milestone_keys:
                    if self.milestone_keys[name] is plan:
                        plan.refuse("depends_on", "A milestone cannot depend on itself.")
                    resolved_keys.append(name)
                    continue
                found = None
                if isinstance(plan.program_ref, Program):
                    found = lookups.milestones.get((plan.program_ref.pk, name.lower()))
                if found is None:
                    plan.refuse("depends_on", f"No milestone “{name}”: not a key of this file, "
                                "nor a milestone of the program.")  # fmt: skip
                else:
                    existing.append(found)
            plan.data["depends_on_existing"] = existing
            plan.depends_on_keys = resolved_keys
            if not (resolved_keys or existing):
                continue
            names = ", ".join([*resolved_keys, *(m.name for m in existing)])
            if plan.target is None:
                plan.changes.append(f"depends on {names}")
            elif resolved_keys or {m.pk for m in existing} != lookups.dependencies.get(
                plan.target.pk, set()
            ):
                plan.changes.append(f"dependencies: {names}")
                if plan.intent == UNCHANGED:
                    plan.intent = UPDATE
                plan.data["set_dependencies"] = True
        # Cycles among the file's rows (a depth-first walk from each key).
        state: dict[str, int] = {}

        def visit(key: str, trail: list[str]) -> None:
            if state.get(key) == 2:
                return
            if state.get(key) == 1:
                loop = trail[trail.index(key) :] + [key]
                self.milestone_keys[key].refuse(
                    "depends_on", "These dependencies go round in a circle: " + " → ".join(loop)
                )
                return
            state[key] = 1
            for upstream in self.milestone_keys[key].depends_on_keys:
                visit(upstream, [*trail, key])
            state[key] = 2

        for key in list(self.milestone_keys):
            visit(key, [])

    # Risks

    def risk_row(self, plan: RowPlan, row: Row) -> None:
        title = row.get("title")
        program = self._program_ref(plan, row.get("program"))
        plan.program_ref = program
        program_name = program.name if isinstance(program, Program) else row.get("program")
        plan.label = f"Risk “{title}” of “{program_name}”"
        if not title:
            plan.refuse("title", "The risk needs a title.")
        elif program is not None:
            self._duplicate(plan, RISKS, program, title, "title")
        data: dict[str, Any] = {
            "title": title,
            "likelihood": _int(plan, "likelihood", row.get("likelihood"), low=1, high=5),
            "impact": _int(plan, "impact", row.get("impact"), low=1, high=5),
            "owner": self.lookups.user_named(plan, "owner", row.get("owner")),
            "mitigation": row.get("mitigation"),
            "due_date": _date(plan, "due_date", row.get("due_date")),
            "description": row.get("description"),
        }
        state = _choice(plan, "state", row.get("state"), RiskState, "")
        _clean_fields(plan, Risk(title=title, mitigation=data["mitigation"],
                                 description=data["description"]),
                      ["title", "mitigation", "description"])  # fmt: skip
        existing = None
        if isinstance(program, Program) and title:
            existing = self.lookups.risks.get((program.pk, title.lower()))
        if existing is None:
            plan.data = {**data, "state": state or RiskState.OPEN}
            plan.changes = [f"exposure {(data['likelihood'] or 0) * (data['impact'] or 0)}"]
            return
        plan.target = existing
        changed = {k: v for k, v in data.items() if getattr(existing, k) != v}
        if state and state != existing.state:
            changed["state"] = state
        plan.data = changed
        plan.changes = [_change(existing, k, v) for k, v in changed.items()]
        plan.intent = UPDATE if changed else UNCHANGED


def _change(instance: Any, field_name: str, value: Any) -> str:
    before = getattr(instance, field_name, None)
    if field_name == "teams":
        return "teams: " + (", ".join(team.name for team in value) or "none")
    words = field_name.replace("_", " ")
    if isinstance(value, str) and len(value) > 40:
        return f"{words} changed"
    return f"{words}: {before if before not in (None, '') else '—'} → {value if value not in (None, '') else '—'}"


def import_plan(*, user: User, sheets: list[Sheet], today: datetime.date) -> ImportPlan:
    """What the sheets would do for ``user``, row by row; writes nothing."""
    return Planner(user=user, sheets=sheets, today=today).plan()
