"""``manage.py seed_reviews``: launch reviews and capacity requests on the demo programs.

Run after ``seed_demo``. Uses the demo accounts: "engineer" writes launch reviews and files
capacity requests, "reviewer" covers every review area and sits on the capacity council.
Everything goes through the services, so states, sign-offs and budgets are consistent.
Deterministic for a given --seed; re-running adds nothing when reviews exist (use --reset).
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from programs.models import MembershipRole, Phase, Program, ProgramMembership, Team
from reviews.capacity import services as capacity_services
from reviews.launch import services
from reviews.management import demo_history
from reviews.models import (
    AutoApprovalThreshold,
    CapacityBudget,
    CapacityRequest,
    LaunchReview,
    ResourceKind,
    ReviewArea,
    Reviewer,
    ReviewerArea,
    quarter_of,
)

User = get_user_model()

BUDGETS = {  # per team and quarter: a plausible infrastructure team's allowance
    ResourceKind.VCPU: 2000,
    ResourceKind.MEMORY: 8000,
    ResourceKind.STORAGE: 400,
    ResourceKind.DATABASE_IOPS: 60000,
    ResourceKind.MONTHLY_COST: 250000,
}
THRESHOLDS = {ResourceKind.VCPU: 32, ResourceKind.MEMORY: 128, ResourceKind.STORAGE: 2}


# The state a launch review is brought to, by kind of launch plan (see ``_review``).
PLAN_STATES = {
    "unready": "draft",  # required items open, days before the launch: red
    "pending": ("submitted", "in_review"),  # not approved within two weeks: yellow
    "approved": "approved",
    "launched": "launched",
    "in_review": ("submitted", "in_review", "changes"),
    "draft": "draft",
}


class Command(BaseCommand):
    help = "Seed launch reviews, budgets and capacity requests on the demo programs."
    # ``seed_demo`` passes its launch plan: [(program id, kind, launch date)], kinds as above.
    stealth_options = ("plan",)

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--reviews", type=int, default=12, help="How many launch reviews.")
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="The date launch dates are relative to, YYYY-MM-DD (default: today).",
        )
        parser.add_argument("--reset", action="store_true", help="Delete reviews and requests.")

    @transaction.atomic
    def handle(self, *args, seed, reviews, reset, today=None, plan=None, **options):
        self.verbosity = options.get("verbosity", 1)
        rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        try:
            engineer = User.objects.get(username="engineer")
            reviewer = User.objects.get(username="reviewer")
        except User.DoesNotExist:
            raise CommandError("Run seed_demo first: the demo accounts are missing.") from None
        if reset:
            LaunchReview.objects.all().delete()
            CapacityRequest.objects.all().delete()
            CapacityBudget.objects.all().delete()
        elif LaunchReview.objects.exists():
            self.stdout.write("Launch reviews exist already; nothing to do (use --reset).")
            return
        demo_history.purge_orphan_history()
        profile, _ = Reviewer.objects.update_or_create(
            user=reviewer, defaults={"capacity_council": True}
        )
        for area in ReviewArea.values:
            ReviewerArea.objects.get_or_create(reviewer=profile, area=area)
        for resource_kind, amount in THRESHOLDS.items():
            AutoApprovalThreshold.objects.update_or_create(
                resource_kind=resource_kind, defaults={"max_amount": amount}
            )
        today = today or timezone.localdate()
        if plan is None:
            # Run on its own: coherent launches on the first running programs.
            programs = list(
                Program.objects.filter(phase__in=[Phase.LAUNCHING, Phase.EXECUTING])
                .exclude(tpm=engineer)
                .order_by("id")[:reviews]
            )
            kinds = ["approved", "launched", "in_review", "draft"]
            offsets = {"approved": (1, 30), "launched": (-30, -3), "in_review": (21, 60),
                       "draft": (30, 75)}  # fmt: skip
            plan = []
            for number, program in enumerate(programs):
                kind = kinds[number % len(kinds)]
                plan.append((program.pk, kind, today + datetime.timedelta(
                    days=rng.randint(*offsets[kind]))))  # fmt: skip
        by_id = Program.objects.exclude(tpm=engineer).in_bulk([pk for pk, _k, _d in plan])
        plan = [(by_id[pk], kind, day) for pk, kind, day in plan if pk in by_id]
        programs = [program for program, _kind, _day in plan]
        for program in programs:
            ProgramMembership.objects.get_or_create(
                program=program, user=engineer, defaults={"role": MembershipRole.ENG_LEAD}
            )
        made = [
            self._review(rng, program, engineer, reviewer, kind, launch_date)
            for program, kind, launch_date in plan
        ]
        waiting = self._capacity(rng, programs[:12], engineer, reviewer, today)
        past = self._history(seed, today, engineer, reviewer, made)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {len(made)} launch reviews and capacity requests "
                f"({waiting} over budget, left for the capacity council to decide)."
            )
        )
        self.stdout.write(
            f"Seeded the year behind them: {past['launch reviews']} launched reviews and "
            f"{past['capacity requests']} decided capacity requests."
        )

    def _history(self, seed, today, engineer, reviewer, made) -> dict[str, int]:
        """Move the reviews and requests just made onto a timeline before ``today``, and add
        the four quarters behind them (see ``reviews.management.demo_history``). Its own
        random sequence: the reviews above stay what they were for a seed."""
        rng = random.Random(f"review-history-{seed}")  # noqa: S311 - demo data
        scale = Program.objects.count()
        demo_history.retime_launch_reviews(made, rng=rng, today=today)
        demo_history.retime_capacity_requests(
            CapacityRequest.objects.order_by("pk"), rng=rng, today=today
        )
        panel = demo_history.reviewer_panel(reviewer)
        council = [reviewer, *panel["capacity"][1:2]]
        for member in council[1:]:
            Reviewer.objects.filter(user=member).update(capacity_council=True)
        return {
            "launch reviews": demo_history.seed_past_launch_reviews(
                rng=rng, today=today, panel=panel, per_quarter=min(30, 6 + scale // 40)
            ),
            "capacity requests": demo_history.seed_past_capacity(
                rng=rng,
                today=today,
                requester=engineer,
                council=council,
                budgets=BUDGETS,
                thresholds=THRESHOLDS,
                per_quarter=min(40, 10 + scale // 40),
            ),  # fmt: skip
        }

    def _review(self, rng, program, engineer, reviewer, kind, launch_date):
        """A review brought to the state its plan says, consistently with its date: launched
        only once its date has passed, still open only while it is ahead."""
        tier = rng.choice([1, 2, 2, 3, 3])
        review = services.launch_review_create(
            program=program, user=engineer, title=f"{program.name} GA",
            launch_date=launch_date, tier=tier,
        )  # fmt: skip
        target = PLAN_STATES[kind]
        if isinstance(target, tuple):
            target = rng.choice(target)
        for item in review.items.all():
            if target == "draft" and (item.required if kind == "unready" else rng.random() < 0.5):
                continue
            if item.required or rng.random() < 0.5:
                services.launch_review_item_answer(
                    item=item, user=engineer, version=item.version, status="done",
                    evidence=[f"https://wiki.example.com/{program.slug}/{item.area}"],
                )  # fmt: skip
        if target == "draft":
            return review
        review.refresh_from_db()
        review = services.launch_review_transition(
            review=review, user=engineer, action="submit", version=review.version
        )
        areas = sorted(services.required_areas(review))
        if target == "submitted":
            return review
        signed = areas if target in ("approved", "launched") else areas[: len(areas) // 2]
        for area in signed:
            services.launch_review_sign_off(
                review=review, user=reviewer, area=area, decision="approved", comment="Looks good."
            )
        if target == "changes" and areas:
            services.launch_review_sign_off(
                review=review, user=reviewer, area=areas[-1], decision="changes_requested",
                comment="Link the production dashboard, not staging.",
            )  # fmt: skip
        review.refresh_from_db()
        if target == "launched":
            review = services.launch_review_transition(
                review=review, user=engineer, action="launch", version=review.version
            )
        return review

    def _capacity(self, rng, programs, engineer, reviewer, today) -> int:
        """Budgets, and requests in every state; returns how many were left waiting because
        approving them would go over budget (as a council member would have to decide)."""
        quarter = quarter_of(today)
        over_budget = 0
        teams = list(Team.objects.order_by("name")[:6])
        for team in teams:
            team.members.add(engineer)
            for resource_kind, allowance in BUDGETS.items():
                CapacityBudget.objects.get_or_create(
                    team=team, quarter=quarter, resource_kind=resource_kind,
                    defaults={"amount": Decimal(allowance)},
                )  # fmt: skip
        for n, program in enumerate(programs):
            requesting_team = teams[n % len(teams)] if teams else None
            if requesting_team is None:
                return over_budget
            kind = rng.choice(list(BUDGETS))
            amount = Decimal(rng.choice([8, 24, 300, 900, 1500]))
            request = capacity_services.capacity_request_create(
                user=engineer, team=requesting_team, program=program, resource_kind=kind, amount=amount,
                environment=rng.choice(["production", "staging"]),
                region=rng.choice(["eu-west-1", "us-east-1", "ap-south-1"]),
                needed_by=today + datetime.timedelta(days=rng.randint(5, 40)),
                justification="Launch traffic forecast plus 50% headroom.",
            )  # fmt: skip
            if n % 4 == 3:
                continue
            request = capacity_services.capacity_request_submit(
                request=request, user=engineer, version=request.version
            )
            if request.state != "submitted" or n % 4 == 2:
                continue
            try:
                capacity_services.capacity_request_approve(
                    request=request, user=reviewer, version=request.version,
                    approved_amount=request.amount if n % 2 else request.amount / 2,
                    note="Within plan.",
                )  # fmt: skip
            except DomainError as refusal:
                # Over budget: leave it waiting for a person to decide (as the demo should).
                over_budget += 1
                if self.verbosity >= 2:
                    self.stdout.write(f"  waiting for the council: {refusal.messages[0]}")
        return over_budget
