"""The demo-data generator behind ``manage.py seed_demo`` (and the benchmarks' data size).

It writes rows directly with ``bulk_create`` in batches rather than through the services: the
services are for one user's write at a time, while a seed of 10,000 programs must write a
million rows in minutes. It therefore writes what the services would have written too: the
milestone date-change ledger with reasons, the simple-history "created" rows (and the "changed"
rows for moves and completions), and each program's ``last_update_at``.

Determinism: every random choice comes from one ``random.Random(seed)`` consumed in a fixed
order, and every date and time derives from the ``today`` anchor, so the same seed and
``today`` give identical names, dates and counts. Primary keys are the database's and differ.
"""

import datetime
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection, models, transaction
from django.utils.text import slugify

from core.apps import grant_admin_role_permissions
from core.roles import Role
from programs.management import vocabulary as words
from programs.models import (
    Decision,
    MembershipRole,
    Milestone,
    MilestoneDateChange,
    MilestoneState,
    Phase,
    Portfolio,
    PriorityTier,
    Program,
    ProgramMembership,
    ReportedHealth,
    Risk,
    RiskState,
    StatusUpdate,
    Team,
)

# Seeded people are recognised by this e-mail domain, so --reset removes them and nobody else.
DEMO_EMAIL_DOMAIN = "demo.pulse.example"
DEMO_PASSWORD = "pulse-demo-password"  # noqa: S105 - printed for local demo sign-in only

# The demo accounts: (username, role, full name). "admin" is also a superuser and staff.
DEMO_ACCOUNTS = [
    ("tpm", Role.TPM, "Tina TPM"),
    ("engineer", Role.ENGINEER, "Eli Engineer"),
    ("reviewer", Role.REVIEWER, "Rita Reviewer"),
    ("leader", Role.LEADERSHIP, "Lee Leader"),
    ("admin", Role.ADMIN, "Ada Admin"),
]

# How the programs are spread over phases (fractions of N; the rest are executing).
PHASE_MIX = [
    (Phase.PLANNING, 0.15),
    (Phase.LAUNCHING, 0.12),
    (Phase.PROPOSED, 0.08),
    (Phase.DONE, 0.15),
    (Phase.CANCELLED, 0.05),
]
WATERMELON_SHARE = 0.06  # reported green while a critical milestone is overdue
STALE_SHARE = 0.08  # no update for 3 to 6 weeks: at least two weekly updates missed
CONFIDENTIAL_SHARE = 0.04
CROSS_DEPENDENCY_SHARE = 0.15  # programs with a milestone that waits on another program
UPDATE_WEEKS = 12
WORK_HOURS = range(8, 19)


@dataclass
class SeedReport:
    """What a seed run wrote: row counts per model and seconds per step."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0


@contextmanager
def explicit_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let the seed set ``created_at``/``updated_at``/``changed_at`` itself.

    ``auto_now``/``auto_now_add`` would stamp every row with the moment of the seed, and a
    status-update history needs twelve weeks of past times. Restored on exit.
    """
    touched = []
    for model in model_classes:
        for model_field in model._meta.concrete_fields:
            if getattr(model_field, "auto_now", False) or getattr(
                model_field, "auto_now_add", False
            ):
                touched.append((model_field, model_field.auto_now, model_field.auto_now_add))
                model_field.auto_now = model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field, auto_now, auto_now_add in touched:
            model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add


def _moment(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=datetime.UTC)


class _HistoryRows:
    """Builds simple-history rows for bulk-created objects, as the services would have."""

    def __init__(self) -> None:
        self.rows: dict[type[models.Model], list[models.Model]] = defaultdict(list)

    def add(
        self,
        instance: models.Model,
        *,
        when: datetime.datetime,
        user_id: int | None,
        kind: str = "+",
        reason: str = "",
        **overrides,
    ) -> None:
        history_model = type(instance).history.model
        values = {
            f.attname: overrides.get(f.attname, getattr(instance, f.attname))
            for f in history_model.tracked_fields
        }
        self.rows[history_model].append(
            history_model(
                history_date=when,
                history_type=kind,
                history_user_id=user_id,
                history_change_reason=reason[:100] or None,
                **values,
            )
        )


@dataclass
class _People:
    tpms: list[User]
    engineers: list[User]
    reviewers: list[User]
    leaders: list[User]
    admins: list[User]

    @property
    def demo_tpm(self) -> User:
        return self.tpms[0]

    @property
    def demo_engineer(self) -> User:
        return self.engineers[0]


class DemoSeeder:
    """Seeds ``programs`` realistic programs and everything around them.

    ``today`` anchors every date; ``batch_size`` bounds each INSERT; ``progress`` receives a
    line per chunk of programs written.
    """

    def __init__(
        self,
        *,
        programs: int,
        seed: int,
        today: datetime.date,
        batch_size: int = 2000,
        password: str = DEMO_PASSWORD,
        progress: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.n = programs
        self.rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
        self.today = today
        self.batch_size = batch_size
        self.password = password
        self.progress = progress
        self.report = SeedReport()
        self.chunk_size = max(50, batch_size // 8)
        # Milestones of earlier programs that later programs may depend on (bounded).
        self.dependable: list[Milestone] = []
        self.used_names: set[str] = set()
        self.used_slugs: set[str] = set()

    # --- entry point ------------------------------------------------------------------------

    def run(self) -> SeedReport:
        """Write everything in one transaction: a failed seed leaves nothing behind."""
        started = time.perf_counter()
        timestamped = [
            Portfolio, Team, Program, ProgramMembership, Milestone, MilestoneDateChange,
            StatusUpdate, Risk, Decision,
        ]  # fmt: skip
        with transaction.atomic(), explicit_timestamps(*timestamped):
            people = self._people()
            portfolios = self._portfolios(people)
            teams = self._teams(people)
            flags = self._program_flags()
            for start in range(0, self.n, self.chunk_size):
                stop = min(self.n, start + self.chunk_size)
                self._write_chunk(range(start, stop), people, portfolios, teams, flags)
                self.progress(
                    f"  programs {stop:>6}/{self.n}  ({time.perf_counter() - started:5.1f} s)"
                )
        self.report.seconds = time.perf_counter() - started
        return self.report

    # --- people, portfolios, teams -----------------------------------------------------------

    def _people(self) -> _People:
        """Demo accounts first in each role, then generated people sized to the program count."""
        n = self.n
        sizes = {
            Role.TPM: min(300, max(3, n // 8)),
            Role.ENGINEER: min(1500, max(8, n // 2)),
            Role.REVIEWER: min(60, max(3, n // 50)),
            Role.LEADERSHIP: min(30, max(3, n // 100)),
            Role.ADMIN: 1,
        }
        demo = {role: (username, full_name) for username, role, full_name in DEMO_ACCOUNTS}
        wanted: list[tuple[str, str, str, str]] = []  # username, first, last, role
        taken = set()
        for role, size in sizes.items():
            username, full_name = demo[role]
            first, last = full_name.split(" ", 1)
            wanted.append((username, first, last, role))
            taken.add(username)
            for _ in range(size - 1):
                first = self.rng.choice(words.FIRST_NAMES)
                last = self.rng.choice(words.LAST_NAMES)
                base = f"{first}.{last}".lower().replace("'", "")
                username, suffix = base, 2
                while username in taken:
                    username, suffix = f"{base}{suffix}", suffix + 1
                taken.add(username)
                wanted.append((username, first, last, role))

        existing = {u.username: u for u in User.objects.filter(username__in=taken)}
        password_hash = make_password(self.password)  # hashed once: one hash is ~0.3 s
        joined = _moment(self.today - datetime.timedelta(days=400), 9)
        new_users = [
            User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@{DEMO_EMAIL_DOMAIN}",
                password=password_hash,
                is_staff=role == Role.ADMIN,
                is_superuser=username == "admin",
                date_joined=joined,
            )
            for username, first, last, role in wanted
            if username not in existing
        ]
        created = User.objects.bulk_create(new_users, batch_size=self.batch_size)
        self.report.counts["users"] += len(created)
        by_name = {**existing, **{u.username: u for u in created}}
        # Demo accounts always get the printed password and their role, even if they existed.
        for username, *_ in DEMO_ACCOUNTS:
            user = by_name[username]
            if username in existing:
                user.password = password_hash
                user.is_active = True
                user.is_staff = user.is_staff or username == "admin"
                user.is_superuser = user.is_superuser or username == "admin"
                user.save(update_fields=["password", "is_active", "is_staff", "is_superuser"])

        # The roles come from a migration; a flushed database lacks them, so make sure.
        groups = {role: Group.objects.get_or_create(name=role)[0].pk for role in Role}
        grant_admin_role_permissions()
        through = User.groups.through
        already = set(
            through.objects.filter(user_id__in=[u.pk for u in by_name.values()]).values_list(
                "user_id", "group_id"
            )
        )
        links = []
        for username, _first, _last, role in wanted:
            pair = (by_name[username].pk, groups[role])
            if pair not in already:
                links.append(through(user_id=pair[0], group_id=pair[1]))
        through.objects.bulk_create(links, batch_size=self.batch_size)

        def of(role: str) -> list[User]:
            return [by_name[u] for u, _f, _l, r in wanted if r == role]

        return _People(
            tpms=of(Role.TPM),
            engineers=of(Role.ENGINEER),
            reviewers=of(Role.REVIEWER),
            leaders=of(Role.LEADERSHIP),
            admins=of(Role.ADMIN),
        )

    def _portfolios(self, people: _People) -> dict[str, Portfolio]:
        created_at = _moment(self.today - datetime.timedelta(days=500), 9)
        portfolios = []
        for position, (name, description) in enumerate(words.PORTFOLIOS):
            portfolios.append(
                Portfolio(
                    name=name,
                    slug=slugify(name),
                    description=description,
                    leader=people.leaders[position % len(people.leaders)],
                    created_at=created_at,
                    updated_at=created_at,
                )
            )
        Portfolio.objects.bulk_create(portfolios)
        self.report.counts["portfolios"] += len(portfolios)
        return {p.name: p for p in portfolios}

    def _teams(self, people: _People) -> list[Team]:
        created_at = _moment(self.today - datetime.timedelta(days=500), 9)
        teams = [
            Team(name=name, slug=slugify(name), created_at=created_at, updated_at=created_at)
            for name in words.TEAMS
        ]
        Team.objects.bulk_create(teams)
        self.report.counts["teams"] += len(teams)
        through = Team.members.through
        members = [
            through(team_id=teams[position % len(teams)].pk, user_id=engineer.pk)
            for position, engineer in enumerate(people.engineers)
        ] + [through(team_id=teams[15].pk, user_id=tpm.pk) for tpm in people.tpms[:1]]
        through.objects.bulk_create(members, batch_size=self.batch_size)
        return teams

    # --- which programs are special -----------------------------------------------------------

    def _program_flags(self) -> dict[str, object]:
        """Phases and the special programs, fixed up front so small seeds still have each kind."""
        n, rng = self.n, self.rng
        phases: list[str] = []
        for phase, share in PHASE_MIX:
            phases += [phase] * round(n * share)
        phases = phases[: max(0, n - 1)]
        phases += [Phase.EXECUTING] * (n - len(phases))
        rng.shuffle(phases)
        if n:
            # The first program is the demo TPM's flagship: executing, so it has a bit of all.
            flagship = phases.index(Phase.EXECUTING)
            phases[0], phases[flagship] = phases[flagship], phases[0]
        running = [
            i for i, phase in enumerate(phases) if i and phase in (Phase.EXECUTING, Phase.LAUNCHING)
        ]

        def pick(pool: list[int], share: float) -> list[int]:
            return (
                sorted(rng.sample(pool, min(len(pool), max(1, round(n * share))))) if pool else []
            )

        watermelons = pick(running, WATERMELON_SHARE)
        stale = pick([i for i in running if i not in watermelons], STALE_SHARE)
        confidential = pick(list(range(1, n)), CONFIDENTIAL_SHARE)
        cross = pick(list(range(1, n)), CROSS_DEPENDENCY_SHARE)
        return {
            "phases": phases,
            "watermelons": set(watermelons),
            "stale": set(stale),
            "confidential": set(confidential),
            "cross": set(cross),
            # The demo TPM owns a watermelon and a stale program, so both show on their home page.
            "demo_tpm_owns": {0, *watermelons[:1], *stale[:1]},
        }

    # --- one chunk of programs ---------------------------------------------------------------

    def _write_chunk(self, indexes, people, portfolios, teams, flags) -> None:
        rows: dict[type[models.Model], list[models.Model]] = defaultdict(list)
        after_programs: list[tuple[type[models.Model], Callable[[], models.Model]]] = []
        history = _HistoryRows()
        events: list[Callable[[], None]] = []
        for index in indexes:
            self._plan_program(
                index, people, portfolios, teams, flags, rows, after_programs, history, events
            )

        self._insert(Program, rows[Program])
        for program in rows[Program]:
            history.add(program, when=program.created_at, user_id=program.tpm_id)
        # Rows whose foreign keys point at programs are built now that programs have keys.
        for model, build in after_programs:
            rows[model].append(build())
        self._insert(Program.teams.through, rows[Program.teams.through], label="program teams")
        for model in (ProgramMembership, Milestone):
            self._insert(model, rows[model])
        for callback in events:
            callback()  # needs milestone keys: history of moves, ledger rows, dependencies
        dependencies = Milestone.depends_on.through
        self._insert(dependencies, rows[dependencies], label="milestone dependencies")
        for model in (MilestoneDateChange, StatusUpdate, Risk, Decision):
            self._insert(model, rows[model])
        for model in (ProgramMembership, StatusUpdate, Risk, Decision):
            for instance in rows[model]:
                history.add(
                    instance,
                    when=instance.created_at,
                    user_id=getattr(instance, "author_id", None)
                    or getattr(instance, "recorded_by_id", None)
                    or instance.program.tpm_id,
                )
        for history_model, history_rows in history.rows.items():
            self._insert(
                history_model,
                history_rows,
                label=f"history rows: {history_model.instance_type._meta.verbose_name_plural}",
            )

    def _insert(self, model, objects, label: str | None = None) -> None:
        if objects:
            model.objects.bulk_create(objects, batch_size=self.batch_size)
            self.report.counts[label or model._meta.verbose_name_plural] += len(objects)

    def _program_name(self, index: int, confidential: bool) -> tuple[str, str, str]:
        """A realistic, unique name and slug, and the portfolio the initiative belongs to.

        The first programs use the canonical initiatives verbatim; later ones add a scope (a
        region, a fleet tier, a business line), then a wave number when even that repeats.
        """
        rng = self.rng
        if index < len(words.INITIATIVES):
            portfolio, initiative = words.INITIATIVES[index]
            name = initiative.format(region=rng.choice(words.REGIONS))
        else:
            portfolio, initiative = rng.choice(words.INITIATIVES)
            name = initiative.format(region=rng.choice(words.REGIONS))
            scopes = (
                words.SCOPES if "{region}" not in initiative else words.SCOPES[len(words.REGIONS) :]
            )
            name = f"{name} — {rng.choice(scopes)}"
        if confidential:
            codename = words.CODENAMES[rng.randrange(len(words.CODENAMES))]
            name = f"Project {codename}: {name}"
        base, wave = name, 2
        while name in self.used_names:
            name, wave = f"{base} (wave {wave})", wave + 1
        self.used_names.add(name)
        slug = base_slug = slugify(name)[:180]
        suffix = 2
        while slug in self.used_slugs:
            slug, suffix = f"{base_slug}-{suffix}", suffix + 1
        self.used_slugs.add(slug)
        return name, slug, portfolio

    def _program_dates(self, phase: str, watermelon: bool) -> tuple[datetime.date, datetime.date]:
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)
        if phase == Phase.PROPOSED:
            start = today + rng.randint(14, 90) * day
        elif phase == Phase.PLANNING:
            start = today + rng.randint(-45, 21) * day
        elif phase in (Phase.DONE, Phase.CANCELLED):
            start = today - rng.randint(300, 700) * day
        else:
            start = today - rng.randint(120 if watermelon else 60, 420) * day
        length = rng.randint(150, 540)
        target = start + length * day
        if phase == Phase.DONE:
            target = min(target, today - rng.randint(14, 120) * day)
            target = max(target, start + 60 * day)
        elif phase in (Phase.EXECUTING, Phase.LAUNCHING, Phase.PLANNING):
            target = max(target, today + rng.randint(21, 200) * day)
        return start, target

    def _plan_program(self, index, people, portfolios, teams, flags, rows, after, history, events):
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)
        phase = flags["phases"][index]
        watermelon = index in flags["watermelons"]
        stale = index in flags["stale"]
        confidential = index in flags["confidential"]
        name, slug, portfolio_name = self._program_name(index, confidential)
        start, target = self._program_dates(phase, watermelon)
        if index in flags["demo_tpm_owns"] or index % len(people.tpms) == 0:
            tpm = people.demo_tpm
        else:
            tpm = people.tpms[index % len(people.tpms)]
        sponsor = rng.choice(people.leaders)
        created_on = min(start - rng.randint(7, 45) * day, today - rng.randint(2, 30) * day)
        created_at = _moment(created_on, rng.choice(WORK_HOURS), rng.randrange(60))
        team_pool = words.PORTFOLIO_TEAMS[portfolio_name]
        program_teams = [teams[i] for i in sorted(rng.sample(team_pool, rng.randint(1, 3)))]
        program = Program(
            name=name,
            slug=slug,
            portfolio=portfolios[portfolio_name],
            tpm=tpm,
            sponsor=sponsor,
            phase=phase,
            priority=rng.choices(list(PriorityTier), weights=[1, 3, 5, 2])[0],
            start_date=start,
            target_date=target,
            problem_statement=(
                f"**{name}** addresses a gap the {program_teams[0].name} team has carried for "
                "too long: the current setup is approaching end of support, costs more each "
                "quarter and is the root cause of recurring incidents.\n\n"
                "- Two Sev-2 incidents last quarter traced back to it\n"
                "- Vendor support ends next year"
            ),
            success_criteria=(
                "- 100% of the in-scope fleet migrated, no Sev-1 during rollout\n"
                "- p99 latency no worse than today\n"
                "- Old stack decommissioned and its cost removed from the budget"
            ),
            confidential=confidential,
            update_cadence_days=rng.choices([7, 14], weights=[9, 1])[0],
            created_at=created_at,
            updated_at=created_at,
        )
        rows[Program].append(program)
        through = Program.teams.through
        for team in program_teams:
            after.append(
                (through, lambda p=program, t=team: through(program_id=p.pk, team_id=t.pk))
            )

        # Members: the TPM, an engineering lead, sometimes a PM, the sponsor, contributors.
        eng_lead = rng.choice(people.engineers)
        members = {tpm.pk: (tpm, MembershipRole.TPM)}
        members.setdefault(eng_lead.pk, (eng_lead, MembershipRole.ENG_LEAD))
        if rng.random() < 0.3:
            pm = rng.choice(people.tpms)
            members.setdefault(pm.pk, (pm, MembershipRole.PM))
        members.setdefault(sponsor.pk, (sponsor, MembershipRole.SPONSOR))
        for contributor in rng.sample(
            people.engineers, min(len(people.engineers), rng.randint(1, 4))
        ):
            members.setdefault(contributor.pk, (contributor, MembershipRole.CONTRIBUTOR))
        if index % 7 == 0 or (confidential and index == min(flags["confidential"])):
            demo = people.demo_engineer
            members.setdefault(demo.pk, (demo, MembershipRole.CONTRIBUTOR))
        for user, role in members.values():
            rows[ProgramMembership].append(
                ProgramMembership(
                    program=program,
                    user=user,
                    role=role,
                    created_at=created_at,
                    updated_at=created_at,
                )
            )
        member_users = [user for user, _role in members.values()]

        milestones = self._plan_milestones(
            program,
            phase,
            watermelon,
            program_teams,
            member_users,
            rows,
            history,
            events,
            index,
            flags,
        )
        self._plan_updates(program, phase, watermelon, stale, milestones, eng_lead, rows)
        self._plan_risks(program, member_users, rows)
        self._plan_decisions(program, sponsor, rows)

    def _plan_milestones(
        self,
        program,
        phase,
        watermelon,
        program_teams,
        member_users,
        rows,
        history,
        events,
        index,
        flags,
    ) -> list[Milestone]:
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)
        count = 20 if self.n >= 10_000 else rng.randint(5, 20)
        names = [
            words.MILESTONES[i] for i in sorted(rng.sample(range(len(words.MILESTONES)), count))
        ]
        span = (program.target_date - program.start_date).days
        slipping = rng.random() < 0.35  # a third of programs slip repeatedly; the rest rarely
        milestones: list[Milestone] = []
        for position, name in enumerate(names):
            baseline = program.start_date + round(span * (position + 1) / (count + 1)) * day
            planned_on = program.created_at.date() + rng.randint(0, 14) * day
            planned_on = min(planned_on, today - day)
            created_at = _moment(planned_on, rng.choice(WORK_HOURS), rng.randrange(60))
            moves: list[tuple[datetime.date, datetime.date, str]] = []
            target = baseline
            frozen = phase == Phase.PROPOSED or (watermelon and position == 0)
            move_count = (
                0
                if frozen
                else rng.choices(
                    [0, 1, 2, 3], weights=[40, 35, 15, 10] if slipping else [85, 12, 3, 0]
                )[0]
            )
            for _ in range(move_count):
                reason = rng.choice(words.SLIP_REASONS)
                delta = (
                    -rng.randint(3, 10) if reason.startswith("Pulled in") else rng.randint(5, 45)
                )
                moves.append((target, target + delta * day, reason))
                target = target + delta * day
            critical = position == 0 and watermelon or rng.random() < 0.25
            state, completed = self._milestone_state(phase, target, watermelon and position == 0)
            milestone = Milestone(
                program=program,
                name=name,
                description="",
                owner_team=rng.choice(program_teams),
                baseline_date=baseline,
                target_date=target,
                completed_date=completed,
                state=state,
                critical=critical,
                times_moved=len(moves),
                version=1 + len(moves) + (state == MilestoneState.DONE),
                created_at=created_at,
                updated_at=created_at,
            )
            rows[Milestone].append(milestone)
            milestones.append(milestone)
            mover = rng.choice(member_users[:2])
            move_times = self._move_times(created_at, moves, completed)
            events.append(
                lambda m=milestone, mv=moves, times=move_times, who=mover.pk: (
                    self._milestone_history(m, mv, times, who, history, rows)
                )
            )
        # Dependencies: within the program mostly on the previous milestone; across programs
        # on a critical milestone of an earlier program (earlier only, so there is no cycle).
        through = Milestone.depends_on.through
        for before, after in zip(milestones, milestones[1:], strict=False):
            if rng.random() < 0.4:
                events.append(
                    lambda a=after, b=before: rows[through].append(
                        through(from_milestone_id=a.pk, to_milestone_id=b.pk)
                    )
                )
        if index in flags["cross"] and self.dependable and len(milestones) > 1:
            upstream = rng.choice(self.dependable)
            downstream = milestones[rng.randrange(1, len(milestones))]
            events.append(
                lambda a=downstream, b=upstream: rows[through].append(
                    through(from_milestone_id=a.pk, to_milestone_id=b.pk)
                )
            )
        self.dependable.extend(m for m in milestones if m.critical)
        del self.dependable[:-5000]
        return milestones

    def _milestone_state(
        self, phase: str, target: datetime.date, force_overdue: bool
    ) -> tuple[str, datetime.date | None]:
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)
        done_on = min(target + rng.randint(-5, 3) * day, today - day)
        if force_overdue:
            return rng.choice([MilestoneState.IN_PROGRESS, MilestoneState.BLOCKED]), None
        if phase == Phase.DONE:
            return MilestoneState.DONE, done_on
        if phase == Phase.PROPOSED:
            return MilestoneState.PLANNED, None
        if phase == Phase.CANCELLED:
            return (
                (MilestoneState.DONE, done_on)
                if target < today
                else (MilestoneState.CANCELLED, None)
            )
        if target < today:
            if rng.random() < 0.8:
                return MilestoneState.DONE, done_on
            return rng.choice([MilestoneState.IN_PROGRESS, MilestoneState.BLOCKED]), None
        if target < today + 30 * day:
            return MilestoneState.IN_PROGRESS, None
        return (MilestoneState.BLOCKED if rng.random() < 0.03 else MilestoneState.PLANNED), None

    def _move_times(self, created_at, moves, completed) -> list[datetime.datetime]:
        """When each move happened: after the plan, before today, in order."""
        rng, today = self.rng, self.today
        last_day = min(today, completed) if completed else today
        times = []
        floor = created_at.date()
        for from_date, _to_date, _reason in moves:
            latest = max(floor + datetime.timedelta(days=1), min(last_day, from_date))
            latest = min(latest, today - datetime.timedelta(days=1))
            span = max(0, (latest - floor).days)
            moved_on = floor + datetime.timedelta(days=rng.randint(min(1, span), span))
            moved_on = min(moved_on, today - datetime.timedelta(days=1))
            times.append(_moment(moved_on, rng.choice(WORK_HOURS), rng.randrange(60)))
            floor = moved_on
        return times

    def _milestone_history(self, milestone, moves, times, user_id, history, rows) -> None:
        """The created row, one changed row and ledger entry per move, and the completion."""
        history.add(
            milestone,
            when=milestone.created_at,
            user_id=user_id,
            target_date=milestone.baseline_date,
            state=MilestoneState.PLANNED,
            completed_date=None,
            version=1,
        )
        version = 1
        for (from_date, to_date, reason), when in zip(moves, times, strict=True):
            version += 1
            rows[MilestoneDateChange].append(
                MilestoneDateChange(
                    milestone=milestone,
                    changed_by_id=user_id,
                    changed_at=when,
                    from_date=from_date,
                    to_date=to_date,
                    reason=reason,
                )
            )
            history.add(
                milestone,
                when=when,
                user_id=user_id,
                kind="~",
                reason=f"Moved {from_date} → {to_date}: {reason}",
                target_date=to_date,
                state=MilestoneState.PLANNED,
                completed_date=None,
                version=version,
            )
        if milestone.state == MilestoneState.DONE:
            history.add(
                milestone,
                when=_moment(milestone.completed_date, 17),
                user_id=user_id,
                kind="~",
                reason="Completed",
            )

    def _plan_updates(self, program, phase, watermelon, stale, milestones, eng_lead, rows) -> None:
        """Twelve weeks of weekly updates, with gaps; the last one sets ``last_update_at``."""
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)
        overdue = [m for m in milestones if m.is_open and m.target_date < today]
        if any(m.critical for m in overdue):
            honest = ReportedHealth.OFF_TRACK
        elif overdue:
            honest = ReportedHealth.AT_RISK
        else:
            honest = ReportedHealth.ON_TRACK
        skip_recent = rng.randint(3, 6) if stale else 0
        end = today if phase not in (Phase.DONE, Phase.CANCELLED) else program.target_date
        latest = None
        for weeks_ago in range(UPDATE_WEEKS - 1, -1, -1):
            if weeks_ago < skip_recent or rng.random() < 0.05:
                continue
            posted_on = end - (7 * weeks_ago + rng.randint(1, 3)) * day
            if posted_on <= program.created_at.date():
                continue
            if watermelon and weeks_ago < 4:
                health = ReportedHealth.ON_TRACK
            elif weeks_ago < 2:
                health = honest if rng.random() < 0.85 else ReportedHealth.AT_RISK
            else:
                health = rng.choices(list(ReportedHealth), weights=[6, 3, 1])[0]
            posted_at = _moment(posted_on, rng.choice(WORK_HOURS), rng.randrange(60))
            update = StatusUpdate(
                program=program,
                author=program.tpm if rng.random() < 0.85 else eng_lead,
                reported_health=health,
                summary=rng.choice(words.UPDATE_SUMMARIES[health]),
                highlights=rng.choice(words.HIGHLIGHTS),
                risks_and_blockers="" if health == ReportedHealth.ON_TRACK else "See the risk log.",
                asks=rng.choice(words.ASKS),
                next_steps="- Continue the rollout\n- Review the next phase plan",
                created_at=posted_at,
                updated_at=posted_at,
            )
            rows[StatusUpdate].append(update)
            latest = posted_at
        program.last_update_at = latest

    def _plan_risks(self, program, member_users, rows) -> None:
        rng, today = self.rng, self.today
        for title, description in rng.sample(words.RISKS, rng.randint(2, 7)):
            state = rng.choices(list(RiskState), weights=[45, 25, 10, 20])[0]
            raised_on = min(
                program.created_at.date() + datetime.timedelta(days=rng.randint(0, 60)),
                today - datetime.timedelta(days=1),
            )
            raised_at = _moment(raised_on, rng.choice(WORK_HOURS))
            closed_at = None
            if state == RiskState.CLOSED:
                closed_on = raised_on + datetime.timedelta(
                    days=rng.randint(0, max(0, (today - raised_on).days - 1))
                )
                closed_at = _moment(min(closed_on, today - datetime.timedelta(days=1)), 16)
            rows[Risk].append(
                Risk(
                    program=program,
                    title=title,
                    description=description,
                    likelihood=rng.randint(1, 5),
                    impact=rng.randint(1, 5),
                    owner=rng.choice(member_users),
                    mitigation=rng.choice(words.MITIGATIONS),
                    due_date=today + datetime.timedelta(days=rng.randint(-30, 60)),
                    state=state,
                    closed_at=closed_at,
                    created_at=raised_at,
                    updated_at=closed_at or raised_at,
                )
            )

    def _plan_decisions(self, program, sponsor, rows) -> None:
        rng, today = self.rng, self.today
        first = max(program.start_date, program.created_at.date())
        span = (today - first).days - 1
        if span < 1:
            return
        for title, context in rng.sample(words.DECISIONS, rng.randint(1, 3)):
            decided_on = first + datetime.timedelta(days=rng.randint(0, span))
            recorded_at = _moment(decided_on, rng.choice(WORK_HOURS))
            rows[Decision].append(
                Decision(
                    program=program,
                    title=title,
                    context=context,
                    outcome=f"Decided: {title.lower()}.",
                    decided_on=decided_on,
                    decided_by=rng.choice([sponsor, program.tpm]),
                    recorded_by=program.tpm,
                    created_at=recorded_at,
                    updated_at=recorded_at,
                )
            )


# --- wiping the demo data --------------------------------------------------------------------


def reset_demo_data() -> None:
    """Remove every program, portfolio and team (with their history) and the seeded people.

    On PostgreSQL the app's tables are truncated (with CASCADE, so rows of other apps that
    point at programs go too); elsewhere the ORM deletes them. People outside the demo e-mail
    domain stay.
    """
    app_models = list(apps.get_app_config("programs").get_models(include_auto_created=True))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            quoted = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in app_models)
            with connection.cursor() as cursor:
                # Rows written earlier in this transaction leave deferred foreign-key checks
                # pending, which TRUNCATE refuses: run them now, defer again afterwards.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")  # noqa: S608
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for model in (Decision, Risk, StatusUpdate, Milestone, Program, Team, Portfolio):
                model.objects.all().delete()
            for model in app_models:
                if model.__name__.startswith("Historical"):
                    model.objects.all().delete()
        User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").delete()
