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
from typing import Any, cast

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection, models, transaction
from django.utils.text import slugify
from simple_history.utils import get_history_model_for_model

from core.apps import grant_admin_role_permissions
from core.roles import Role
from programs.management import vocabulary as words
from programs.models import (
    Decision,
    MembershipRole,
    Milestone,
    MilestoneDateChange,
    MilestoneState,
    MoveCategory,
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
from programs.playbooks.models import Playbook

# The kind of reason a TPM would pick for each of the vocabulary's slip reasons, so the demo's
# slips group plausibly by category in the insights.
SLIP_CATEGORIES: dict[str, MoveCategory] = {
    "Vendor hardware delivery slipped three weeks.": MoveCategory.VENDOR,
    "Security review found issues in the certificate handling; fixes first.": MoveCategory.SCOPE,
    "Load test showed p99 regression at 2x peak; tuning before we proceed.": (
        MoveCategory.ESTIMATE
    ),
    "Change freeze for the holiday peak.": MoveCategory.OTHER,
    "Dependency on the network team's backbone upgrade, which moved.": MoveCategory.DEPENDENCY,
    "Two engineers reassigned to an incident follow-up for a sprint.": MoveCategory.STAFFING,
    "Canary surfaced a kernel panic on one hardware generation.": MoveCategory.INCIDENT,
    "Capacity council asked for a revised plan before approving the headroom.": (
        MoveCategory.DEPENDENCY
    ),
    "Data migration is slower than estimated (about 40% of projected throughput).": (
        MoveCategory.ESTIMATE
    ),
    "Compliance asked for additional evidence on access reviews.": MoveCategory.SCOPE,
    "Upstream release was delayed; waiting for the patched version.": MoveCategory.VENDOR,
    "Scope grew: two more services must move before cutover.": MoveCategory.SCOPE,
    "Pulled in: automation landed early and the canary was clean.": MoveCategory.ESTIMATE,
}

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
CONFIDENTIAL_SHARE = 0.04
CROSS_DEPENDENCY_SHARE = 0.15  # programs with a milestone that waits on another program
UPDATE_WEEKS = 12
WORK_HOURS = range(8, 19)

# The health of a real organisation under the rubric (``metrics.health``): of the graded
# programs about seven in ten green, a fifth yellow and a few red; a handful stale (silent for
# more than two cadences) and a handful of watermelons (a current "on track" update over a
# yellow or red grade).
RED_SHARE = 0.08
YELLOW_SHARE = 0.21
WATERMELON_SHARE = 0.045

# A yellow or red program has one story: the problem a TPM would name first in the review.
# Stories are dealt in this order, round and round, so a small seed still shows varied causes
# and a large one keeps these proportions (a story listed twice is twice as common).
YELLOW_STORIES = (
    "silent", "critical_overdue", "high_risk", "metric_behind", "launch_pending",
    "upstream_late", "no_plan", "pushed", "silent", "critical_overdue", "slip", "not_started",
    "high_risk", "many_overdue", "metric_behind",
)  # fmt: skip
RED_STORIES = (
    "silent_long", "critical_overdue_long", "two_high_risks", "launch_unready",
    "upstream_critical", "critical_overdue_long", "slip_long", "silent_long",
)  # fmt: skip
GREEN = "green"
RUNNING = (Phase.EXECUTING, Phase.LAUNCHING)
# The phases a story can happen in; the others need a running program (dates in the past).
STORY_PHASES = {
    "launch_pending": (Phase.LAUNCHING,),
    "launch_unready": (Phase.LAUNCHING,),
    "silent": (Phase.PLANNING, *RUNNING),
    "silent_long": (Phase.PLANNING, *RUNNING),
    "high_risk": (Phase.PLANNING, *RUNNING),
    "two_high_risks": (Phase.PLANNING, *RUNNING),
}
STALE_STORIES = ("silent", "silent_long")
# A program waiting on a late milestone of another needs one of these written before it.
LATE_SOURCES = {
    "upstream_late": ("critical_overdue", "critical_overdue_long", "many_overdue"),
    "upstream_critical": ("critical_overdue_long",),
}
# Launch reviews are written through the services (slow): bounded at any size.
LAUNCH_STORY_CAP = 40
GREEN_LAUNCH_REVIEWS = 12


@dataclass
class SeedReport:
    """What a seed run wrote: row counts per model and seconds per step."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0
    # Each graded program's story (by primary key): the apps above seed their part of it (a
    # metric behind its path, a launch review not approved) in their ``programs.demo`` steps.
    stories: dict[int, str] = field(default_factory=dict)
    # The launch reviews to write: (program id, kind, launch date); see ``seed_reviews``.
    launches: list[tuple[int, str, datetime.date]] = field(default_factory=list)


@contextmanager
def explicit_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let the seed set ``created_at``/``updated_at``/``changed_at`` itself.

    ``auto_now``/``auto_now_add`` would stamp every row with the moment of the seed, and a
    status-update history needs twelve weeks of past times. Restored on exit.
    """
    touched: list[tuple[models.DateField | models.TimeField, bool, bool]] = []
    for model in model_classes:
        for model_field in model._meta.concrete_fields:
            # DateField (DateTimeField too) and TimeField are the fields with auto_now.
            if isinstance(model_field, models.DateField | models.TimeField) and (
                model_field.auto_now or model_field.auto_now_add
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
        # Keyed by simple-history's generated model classes, which the type checker cannot see.
        self.rows: dict[Any, list[models.Model]] = defaultdict(list)

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
        history_model = get_history_model_for_model(type(instance))
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


@dataclass
class _Plan:
    """A milestone as planned, before it becomes a row: its dates, moves and (when a story
    decides it) its state."""

    name: str
    baseline: datetime.date
    planned_on: datetime.date
    critical: bool
    moves: list[tuple[datetime.date, datetime.date, str]] = field(default_factory=list)
    state: str | None = None
    waits: bool = False  # on a late milestone of another program

    @property
    def target(self) -> datetime.date:
        return self.moves[-1][1] if self.moves else self.baseline

    @property
    def slip(self) -> int:
        return max(0, (self.target - self.baseline).days)


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
        # Milestones of earlier programs that later programs may wait on (bounded): sound
        # ones (done, or due ahead) for healthy programs, late ones for the stories of a
        # dependency on a late upstream milestone.
        self.sound_upstream: list[Milestone] = []
        self.late_upstream: list[Milestone] = []
        self.late_critical_upstream: list[Milestone] = []
        self.green_launches = 0
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
        wanted: list[tuple[str, str, str, Role]] = []  # username, first, last, role
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
        # Each team's first engineer leads it (the demo engineer leads the first team).
        for team, lead in zip(teams, people.engineers, strict=False):
            team.lead = lead
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
        """Phases, stories and the special programs, fixed up front so that small seeds still
        have each kind."""
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
        stories = self._stories(phases)
        troubled = [i for i, story in sorted(stories.items()) if story != GREEN]
        stale = [i for i in troubled if stories[i] in STALE_STORIES]
        candidates = [i for i in troubled if stories[i] not in STALE_STORIES]
        watermelons = sorted(
            rng.sample(candidates, min(len(candidates), max(1, round(len(stories) * WATERMELON_SHARE))))
        ) if candidates else []  # fmt: skip

        def pick(pool: list[int], share: float) -> list[int]:
            return (
                sorted(rng.sample(pool, min(len(pool), max(1, round(n * share))))) if pool else []
            )

        confidential = pick(list(range(1, n)), CONFIDENTIAL_SHARE)
        # Healthy programs wait on sound milestones of others (late ones are stories).
        cross = pick(
            [i for i in range(1, n) if stories.get(i, GREEN) == GREEN], CROSS_DEPENDENCY_SHARE
        )
        return {
            "phases": phases,
            "stories": stories,
            "watermelons": set(watermelons),
            "confidential": set(confidential),
            "cross": set(cross),
            # The demo TPM owns a watermelon and a stale program, so both show on their home page.
            "demo_tpm_owns": {0, *watermelons[:1], *stale[:1]},
        }

    def _stories(self, phases: list[str]) -> dict[int, str]:
        """Each graded program's story (done and cancelled ones are not graded): green for
        most, and for RED_SHARE and YELLOW_SHARE of them one problem each, dealt from
        RED_STORIES and YELLOW_STORIES to programs in a phase where it can happen."""
        rng = self.rng
        graded = [i for i, phase in enumerate(phases) if phase not in (Phase.DONE, Phase.CANCELLED)]
        stories = dict.fromkeys(graded, GREEN)
        # Programs that may get a story, by phase, in a seeded random order (not the flagship).
        queues: dict[str, list[int]] = defaultdict(list)
        for index in rng.sample(graded, len(graded)):
            if index:
                queues[phases[index]].append(index)
        total = len(graded)
        deals = [
            (RED_STORIES, round(total * RED_SHARE)),
            (YELLOW_STORIES, round(total * YELLOW_SHARE)),
        ]
        if total >= 5:  # even a small seed shows a red and a yellow program
            deals = [(deck, max(1, count)) for deck, count in deals]
        launches = 0
        for deck, count in deals:
            dealt = position = misses = 0
            while dealt < count and misses < len(deck):
                story = deck[position % len(deck)]
                position += 1
                open_phases = [p for p in STORY_PHASES.get(story, RUNNING) if queues[p]]
                if not open_phases or (story.startswith("launch") and launches >= LAUNCH_STORY_CAP):
                    misses += 1
                    continue
                phase = rng.choices(open_phases, weights=[len(queues[p]) for p in open_phases])[0]
                stories[queues[phase].pop()] = story
                launches += story.startswith("launch")
                dealt, misses = dealt + 1, 0
        # Programs are written in index order: one waiting on a late milestone of another needs
        # that other (a running program, as it is) written first.
        for story, sources in LATE_SOURCES.items():
            for index in [i for i, s in sorted(stories.items()) if s == story]:
                firsts = sorted(i for i, s in stories.items() if s in sources)
                if firsts and firsts[0] > index:
                    stories[index], stories[firsts[0]] = stories[firsts[0]], story
        return stories

    # --- one chunk of programs ---------------------------------------------------------------

    def _write_chunk(self, indexes, people, portfolios, teams, flags) -> None:
        rows: dict[type[models.Model], list[models.Model]] = defaultdict(list)
        after_programs: list[tuple[type[models.Model], Callable[[], models.Model]]] = []
        history = _HistoryRows()
        events: list[Callable[[], None]] = []
        stories: list[tuple[Program, str]] = []
        launches: list[tuple[Program, str, datetime.date]] = []
        for index in indexes:
            self._plan_program(
                index, people, portfolios, teams, flags, rows, after_programs, history, events,
                stories, launches,
            )  # fmt: skip

        self._insert(Program, rows[Program])
        # ``rows`` holds each model's own instances under its class.
        for program in cast(list[Program], rows[Program]):
            history.add(program, when=program.created_at, user_id=program.tpm_id)
        for program, story in stories:
            self.report.stories[program.pk] = story
        self.report.launches += [(program.pk, kind, day) for program, kind, day in launches]
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
            for instance in cast(
                list[ProgramMembership | StatusUpdate | Risk | Decision], rows[model]
            ):
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

    def _program_dates(self, phase: str, story: str | None) -> tuple[datetime.date, datetime.date]:
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)
        if story == "metric_behind":
            # Far enough along (half way or more) for a lagging metric to be well off its path.
            elapsed = rng.randint(150, 330)
            return today - elapsed * day, today + rng.randint(30, elapsed) * day
        if phase == Phase.PROPOSED:
            start = today + rng.randint(14, 90) * day
        elif phase == Phase.PLANNING:
            start = today + rng.randint(-45, 21) * day
        elif phase in (Phase.DONE, Phase.CANCELLED):
            start = today - rng.randint(300, 700) * day
        else:
            start = today - rng.randint(60, 420) * day
        length = rng.randint(150, 540)
        target = start + length * day
        if phase == Phase.DONE:
            target = min(target, today - rng.randint(14, 120) * day)
            target = max(target, start + 60 * day)
        elif phase in (Phase.EXECUTING, Phase.LAUNCHING, Phase.PLANNING):
            target = max(target, today + rng.randint(21, 200) * day)
        return start, target

    def _silence(self, story: str | None, cadence: int) -> int | None:
        """Days since the program's latest update (None: done or cancelled, not graded).

        A healthy program posts every cadence, now and then a few days late (a line to watch);
        the silent stories missed two cadences (yellow) or four (red: five weeks, weekly)."""
        rng = self.rng
        if story is None:
            return None
        if story == "silent":
            return rng.randint(2 * cadence + 1, 4 * cadence - 1)
        if story == "silent_long":
            return rng.randint(4 * cadence + 4, 6 * cadence)
        if story != GREEN or rng.random() < 0.85:
            return rng.randint(1, cadence - 1)
        return rng.randint(cadence + 1, 2 * cadence - 1)

    def _plan_program(
        self, index, people, portfolios, teams, flags, rows, after, history, events, stories,
        launches,
    ):  # fmt: skip
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)
        phase = flags["phases"][index]
        story = flags["stories"].get(index)  # None: done or cancelled
        watermelon = index in flags["watermelons"]
        confidential = index in flags["confidential"]
        name, slug, portfolio_name = self._program_name(index, confidential)
        start, target = self._program_dates(phase, story)
        cadence = rng.choices([7, 14], weights=[9, 1])[0]
        silence = self._silence(story, cadence)
        if index in flags["demo_tpm_owns"] or index % len(people.tpms) == 0:
            tpm = people.demo_tpm
        else:
            tpm = people.tpms[index % len(people.tpms)]
        sponsor = rng.choice(people.leaders)
        created_on = min(start - rng.randint(7, 45) * day, today - rng.randint(2, 30) * day)
        # Silent since it last wrote, weeks after it was created (a stale story has a silence).
        if story in STALE_STORIES and silence is not None:
            created_on = min(created_on, today - (silence + rng.randint(14, 40)) * day)
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
            update_cadence_days=cadence,
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

        # A story waiting on a late upstream milestone needs one written before it (a tiny
        # seed may have none): the program is then late itself.
        if story == "upstream_late" and not self.late_upstream:
            story = "critical_overdue"
        if story == "upstream_critical" and not self.late_critical_upstream:
            story = "critical_overdue_long"
        if story is not None:
            stories.append((program, story))
        self._plan_milestones(
            program, phase, story, program_teams, member_users, rows, history, events, index,
            flags,
        )  # fmt: skip
        self._plan_updates(program, phase, story, watermelon, silence, eng_lead, rows)
        self._plan_risks(program, story, member_users, rows)
        self._plan_decisions(program, sponsor, rows)
        self._plan_launch(program, phase, story, launches)

    def _plan_milestones(
        self, program, phase, story, program_teams, member_users, rows, history, events, index,
        flags,
    ) -> list[Milestone]:  # fmt: skip
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)
        count = 20 if self.n >= 10_000 else rng.randint(5, 20)
        names = [
            words.MILESTONES[i] for i in sorted(rng.sample(range(len(words.MILESTONES)), count))
        ]
        # "No plan": every milestone planned so far is behind it, the rest is not planned yet.
        plan_end = today - rng.randint(7, 20) * day if story == "no_plan" else program.target_date
        span = max(count, (plan_end - program.start_date).days)
        length = max(1, (program.target_date - program.start_date).days)
        created_on = program.created_at.date()
        plans = [
            _Plan(
                name=name,
                # The last one falls on the program's target: the plan reaches its end.
                baseline=program.start_date + round(span * (position + 1) / count) * day,
                planned_on=min(created_on + rng.randint(0, 14) * day, today - day),
                critical=rng.random() < 0.25,
            )
            for position, name in enumerate(names)
        ]
        if phase not in (Phase.PROPOSED, Phase.DONE, Phase.CANCELLED) and story != "no_plan":
            # Ordinary slips: a tenth of the program's length at most, as in a healthy program.
            self._slip(plans, budget=length // 10, moves_each=2, odds=(75, 20, 5))
        if story not in (None, GREEN):
            self._tell_story(story, plans, program, length)
        elif story == GREEN and phase in RUNNING and rng.random() < 0.12:
            # A milestone a few days late: a line to watch in the reasons, not a grade.
            late = [p for p in plans if not p.critical and -6 <= (p.target - today).days <= 20]
            if late:
                self._pin(late[0], today - rng.randint(1, 6) * day, MilestoneState.IN_PROGRESS)

        milestones: list[Milestone] = []
        for plan in plans:
            created_at = _moment(plan.planned_on, rng.choice(WORK_HOURS), rng.randrange(60))
            state, completed = self._milestone_state(phase, plan)
            milestone = Milestone(
                program=program,
                name=plan.name,
                description="",
                owner_team=rng.choice(program_teams),
                baseline_date=plan.baseline,
                target_date=plan.target,
                completed_date=completed,
                state=state,
                critical=plan.critical,
                times_moved=len(plan.moves),
                version=1 + len(plan.moves) + (state == MilestoneState.DONE),
                created_at=created_at,
                updated_at=created_at,
            )
            rows[Milestone].append(milestone)
            milestones.append(milestone)
            mover = rng.choice(member_users[:2])
            move_times = self._move_times(created_at, plan.moves, completed)
            events.append(
                lambda m=milestone, mv=plan.moves, times=move_times, who=mover.pk: (
                    self._milestone_history(m, mv, times, who, history, rows)
                )
            )
        self._plan_dependencies(program, story, plans, milestones, rows, events, index, flags)
        return milestones

    def _plan_dependencies(self, program, story, plans, milestones, rows, events, index, flags):
        """Within the program mostly on the previous milestone, where that costs nothing;
        across programs on a milestone of an earlier one (earlier only: there is no cycle):
        a sound one for a healthy program, a late one for the dependency stories."""
        rng, today = self.rng, self.today
        through = Milestone.depends_on.through

        def link(after: Milestone, before: Milestone) -> None:
            events.append(
                lambda: rows[through].append(
                    through(from_milestone_id=after.pk, to_milestone_id=before.pk)
                )
            )

        def sound(up: Milestone, down: Milestone) -> bool:  # see health.upstream_is_trouble
            return not up.is_open or today <= up.target_date <= down.target_date

        for before, after in zip(milestones, milestones[1:], strict=False):
            if rng.random() < 0.4 and sound(before, after):
                link(after, before)
        waiting = [m for m, plan in zip(milestones, plans, strict=True) if plan.waits]
        if waiting:
            pool = (
                self.late_critical_upstream if story == "upstream_critical" else self.late_upstream
            )
            link(waiting[0], rng.choice(pool))
        elif index in flags["cross"] and self.sound_upstream and len(milestones) > 1:
            for _attempt in range(3):
                upstream = rng.choice(self.sound_upstream)
                downstream = [m for m in milestones[1:] if sound(upstream, m)]
                if downstream:
                    link(rng.choice(downstream), upstream)
                    break
        if story == GREEN:
            self.sound_upstream.extend(
                m for m in milestones if m.critical and sound(m, m)
            )  # fmt: skip
            del self.sound_upstream[:-5000]
        elif story is not None:
            late = [m for m in milestones if m.is_open and m.target_date < today]
            self.late_upstream.extend(late)
            self.late_critical_upstream.extend(
                m for m in late if m.critical and (today - m.target_date).days > 14
            )
            del self.late_upstream[:-5000]
            del self.late_critical_upstream[:-5000]

    def _move(self, plan: _Plan, delta: int) -> None:
        """Move a planned milestone by ``delta`` days, with a reason that fits the direction."""
        reason = words.SLIP_REASONS[-1] if delta < 0 else self.rng.choice(words.SLIP_REASONS[:-1])
        plan.moves.append((plan.target, plan.target + datetime.timedelta(days=delta), reason))

    def _pin(self, plan: _Plan, on: datetime.date, state: str | None = None) -> None:
        """Plan a milestone for one day, never moved, in a state the story decides."""
        plan.baseline, plan.moves, plan.state = on, [], state

    def _slip(
        self, plans: list[_Plan], *, budget: int, moves_each: int, odds: tuple[int, ...] = ()
    ) -> None:
        """Slip non-critical milestones, up to ``budget`` days in all.

        With ``odds`` (weights of 0, 1, 2... moves) each milestone draws how often it moves;
        without, the milestones move in turn until the budget is spent. A move is at most a
        third of the days since the milestone was planned: a plan made last week has not
        slipped a month. Critical dates still ahead are left alone (their forecast is another
        story); a critical one finished long ago may have moved (a forecast to measure).
        """
        rng, today = self.rng, self.today
        slipped = sum(p.slip for p in plans)
        # A move is 30 days at most: a critical milestone due 45 days ago or more stays past.
        long_past = today - datetime.timedelta(days=45)
        movable = [
            p for p in plans if (not p.critical or p.baseline < long_past) and p.state is None
        ]
        rounds = range(moves_each) if not odds else range(1)
        for _round in rounds:
            for plan in movable:
                room = min(30, (today - plan.planned_on).days // 3 - plan.slip)
                wanted = rng.choices(range(len(odds)), weights=odds)[0] if odds else 1
                for _ in range(min(wanted, moves_each - len(plan.moves))):
                    if room < 5 or slipped >= budget:
                        break
                    if odds and rng.random() < 0.15:  # now and then a date is pulled in
                        self._move(plan, -rng.randint(3, 10))
                        continue
                    delta = min(rng.randint(5, room), budget - slipped)
                    if delta < 1:
                        break
                    self._move(plan, delta)
                    slipped += delta
                    room -= delta

    def _tell_story(self, story: str, plans: list[_Plan], program, length: int) -> None:
        """Give a running program its one problem: a late or unstarted critical milestone,
        late milestones, pushes, a slipped plan, a wait on a late upstream milestone."""
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)

        def nearest(on: datetime.date) -> _Plan:
            return min(plans, key=lambda p: (abs((p.baseline - on).days), p.name))

        if story in ("critical_overdue", "critical_overdue_long"):
            late = rng.randint(3, 12) if story == "critical_overdue" else rng.randint(18, 40)
            plan = nearest(today - late * day)
            plan.critical = True
            due = today - late * day
            self._pin(plan, due, rng.choice([MilestoneState.IN_PROGRESS, MilestoneState.BLOCKED]))
            if rng.random() < 0.5 and (due - plan.planned_on).days > 40:
                plan.baseline = due - rng.randint(7, 14) * day  # pushed once, then missed
                plan.moves = [(plan.baseline, due, rng.choice(words.SLIP_REASONS[:-1]))]
        elif story == "many_overdue":
            for plan in sorted(plans, key=lambda p: (abs((p.baseline - today).days), p.name))[:3]:
                plan.critical = False
                self._pin(plan, today - rng.randint(1, 6) * day, MilestoneState.IN_PROGRESS)
        elif story == "not_started":
            plan = nearest(today + 5 * day)
            plan.critical = True
            self._pin(plan, today + rng.randint(2, 6) * day, MilestoneState.PLANNED)
        elif story == "pushed":
            ahead = [p for p in plans if p.baseline >= today + 20 * day] or plans[-1:]
            plan = ahead[0]
            plan.critical, plan.moves = False, []
            for delta in (rng.randint(5, 10), rng.randint(5, 10), -rng.randint(3, 5)):
                self._move(plan, delta)
        elif story in ("slip", "slip_long"):
            share = rng.randint(20, 33) if story == "slip" else rng.randint(45, 60)
            self._slip(
                plans, budget=length * share // 100, moves_each=3 if story == "slip_long" else 2
            )
        elif story in ("upstream_late", "upstream_critical"):
            ahead = [p for p in plans if p.target >= today + 10 * day and p.state is None]
            plan = ahead[0] if ahead else plans[-1]
            if not ahead:
                self._pin(plan, min(program.target_date, today + rng.randint(14, 40) * day))
            plan.waits = True
            if story == "upstream_critical":
                plan.critical = True
                self._pin(plan, plan.baseline if not plan.moves else plan.target,
                          MilestoneState.IN_PROGRESS)  # fmt: skip

    def _milestone_state(self, phase: str, plan: _Plan) -> tuple[str, datetime.date | None]:
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)
        target = plan.target
        if plan.state:
            return plan.state, None
        done_on = min(target + rng.randint(-5, 3) * day, today - day)
        done_on = max(done_on, min(plan.planned_on + day, today - day))
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
            return MilestoneState.DONE, done_on
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
                    program_id=milestone.program_id,
                    owner_team_id=milestone.owner_team_id,
                    changed_by_id=user_id,
                    changed_at=when,
                    from_date=from_date,
                    to_date=to_date,
                    # Derived from the reason, not drawn: the random sequence stays the same.
                    category=SLIP_CATEGORIES[reason],
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

    def _plan_updates(self, program, phase, story, watermelon, silence, eng_lead, rows) -> None:
        """Up to twelve weeks of updates, one per cadence with the odd one missed, the latest
        ``silence`` days ago; the last one sets ``last_update_at``.

        What they report follows the story: a healthy program says on track (now and then at
        risk: candour), a troubled one says so in its last updates, unless it is a watermelon
        (on track over a yellow or red grade); a silent one last wrote while things looked fine.
        """
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)
        created_on = program.created_at.date()
        if silence is None:  # done or cancelled: weekly until the end (a cancelled one's is
            # its target, or today if that has not come)
            end = min(program.target_date, today)
            days = [end - (7 * weeks + rng.randint(1, 3)) * day
                    for weeks in range(UPDATE_WEEKS - 1, -1, -1) if rng.random() >= 0.05]  # fmt: skip
        else:
            days, on = [], today - silence * day
            never = story == "silent" and phase == Phase.PLANNING and rng.random() < 0.5
            while not never and on > created_on and (today - on).days <= UPDATE_WEEKS * 7:
                days.append(on)
                on -= (program.update_cadence_days + rng.choice((-1, 0, 0, 1))) * day
                if rng.random() < 0.05:  # a missed update, weeks ago
                    on -= program.update_cadence_days * day
            days.reverse()
        days = [on for on in days if on > created_on]
        if watermelon or story == GREEN:
            final = ReportedHealth.ON_TRACK if watermelon or rng.random() < 0.88 else (
                ReportedHealth.AT_RISK
            )  # fmt: skip
        elif story in STALE_STORIES:
            final = rng.choices([ReportedHealth.ON_TRACK, ReportedHealth.AT_RISK], weights=[7, 3])[
                0
            ]
        elif story in RED_STORIES:
            final = rng.choices([ReportedHealth.OFF_TRACK, ReportedHealth.AT_RISK], weights=[7, 3])[
                0
            ]
        elif story is not None:
            final = rng.choices([ReportedHealth.AT_RISK, ReportedHealth.OFF_TRACK], weights=[8, 2])[
                0
            ]
        latest = None
        for position, posted_on in enumerate(days):
            from_last = len(days) - 1 - position
            if story is None:
                health = rng.choices(list(ReportedHealth), weights=[6, 3, 1])[0]
            elif from_last == 0:
                health = final
            elif watermelon and from_last < 4:
                health = ReportedHealth.ON_TRACK
            elif from_last < 3 and final != ReportedHealth.ON_TRACK and rng.random() < 0.6:
                health = ReportedHealth.AT_RISK  # the trouble began a few weeks ago
            else:
                health = rng.choices(list(ReportedHealth), weights=[16, 3, 1])[0]
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

    def _plan_risks(self, program, story, member_users, rows) -> None:
        """Two to seven risks. A high one (likelihood x impact 15 or more) still open is being
        mitigated on time, unless the story is one or two high risks with nothing under way."""
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)
        unmitigated = {"high_risk": 1, "two_high_risks": 2}.get(story or "", 0)
        for number, (title, description) in enumerate(
            rng.sample(words.RISKS, rng.randint(max(2, unmitigated), 7))
        ):
            state = rng.choices(list(RiskState), weights=[45, 25, 10, 20])[0]
            likelihood, impact = rng.randint(1, 5), rng.randint(1, 5)
            due_date = today + rng.randint(-30, 60) * day
            if number < unmitigated:
                state = RiskState.OPEN
                if story == "two_high_risks":
                    likelihood = impact = 5
                else:
                    likelihood, impact = rng.randint(4, 5), rng.randint(4, 5)
                due_date = today + rng.randint(10, 40) * day
            elif likelihood * impact >= 15 and state in (RiskState.OPEN, RiskState.MITIGATING):
                state, due_date = RiskState.MITIGATING, today + rng.randint(7, 60) * day
            raised_on = min(program.created_at.date() + rng.randint(0, 60) * day, today - day)
            raised_at = _moment(raised_on, rng.choice(WORK_HOURS))
            closed_at = None
            if state == RiskState.CLOSED:
                closed_on = raised_on + rng.randint(0, max(0, (today - raised_on).days - 1)) * day
                closed_at = _moment(min(closed_on, today - day), 16)
            rows[Risk].append(
                Risk(
                    program=program,
                    title=title,
                    description=description,
                    likelihood=likelihood,
                    impact=impact,
                    owner=rng.choice(member_users),
                    mitigation=rng.choice(words.MITIGATIONS),
                    due_date=due_date,
                    state=state,
                    closed_at=closed_at,
                    created_at=raised_at,
                    updated_at=closed_at or raised_at,
                )
            )

    def _plan_launch(self, program, phase, story, launches) -> None:
        """The launch review a running program has (written by ``seed_reviews``): not
        approved days before the launch for the launch stories; for a dozen healthy running
        ones, approved, launched (its date passed) or under review well ahead of the date."""
        rng, today = self.rng, self.today
        day = datetime.timedelta(days=1)
        if story == "launch_unready":
            launches.append((program, "unready", today + rng.randint(2, 6) * day))
        elif story == "launch_pending":
            launches.append((program, "pending", today + rng.randint(8, 13) * day))
        elif phase in RUNNING and story == GREEN and self.green_launches < GREEN_LAUNCH_REVIEWS:
            # A launching program may have launched a first wave; an executing one prepares.
            self.green_launches += 1
            kinds = ["approved", "approved", "in_review", "draft"]
            kind = rng.choice([*kinds, "launched"] if phase == Phase.LAUNCHING else kinds)
            offset = {
                "approved": rng.randint(1, 30),
                "launched": -rng.randint(3, 30),
                "in_review": rng.randint(21, 60),
                "draft": rng.randint(30, 75),
            }[kind]
            launches.append((program, kind, today + offset * day))

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
    """Remove every program, portfolio, team and playbook (with their history) and the seeded
    people.

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
            for app_model in app_models:
                if app_model.__name__.startswith("Historical"):
                    app_model._default_manager.all().delete()
        # Playbooks go with the programs (their versions' authors are seeded people).
        Playbook.objects.all().delete()
        User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").delete()
