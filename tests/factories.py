"""Factories for the programs domain. ``.build()`` where a row is not needed."""

import datetime

import factory
from django.contrib.auth.models import Group, User

from programs import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """``UserFactory(roles=["TPM"])`` puts the user in those role groups.

        get_or_create: a transactional test's flush removes the groups the migration made.
        """
        if create and extracted:
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Portfolio
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Portfolio {n}")
    slug = factory.Sequence(lambda n: f"portfolio-{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Program

    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")
    portfolio = factory.SubFactory(PortfolioFactory)
    tpm = factory.SubFactory(UserFactory)
    phase = models.Phase.EXECUTING
    start_date = datetime.date(2026, 1, 1)
    target_date = datetime.date(2027, 6, 30)
    problem_statement = "Why this program exists."


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProgramMembership

    program = factory.SubFactory(ProgramFactory)
    user = factory.SubFactory(UserFactory)
    role = models.MembershipRole.CONTRIBUTOR


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Milestone

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    baseline_date = datetime.date(2026, 12, 1)
    target_date = factory.SelfAttribute("baseline_date")


class StatusUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.StatusUpdate

    program = factory.SubFactory(ProgramFactory)
    author = factory.SelfAttribute("program.tpm")
    reported_health = models.ReportedHealth.ON_TRACK
    summary = "All good."


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Risk

    program = factory.SubFactory(ProgramFactory)
    title = factory.Sequence(lambda n: f"Risk {n}")
    likelihood = 3
    impact = 3


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Decision

    program = factory.SubFactory(ProgramFactory)
    title = factory.Sequence(lambda n: f"Decision {n}")
    outcome = "We go with option A."
    decided_on = datetime.date(2026, 11, 1)
    recorded_by = factory.SelfAttribute("program.tpm")


# --- Reviews --------------------------------------------------------------------------------

from reviews import models as review_models  # noqa: E402 - the reviews factories follow


class ChecklistTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = review_models.ChecklistTemplate

    name = factory.Sequence(lambda n: f"Checklist {n}")
    tier = review_models.LaunchTier.TIER_3
    version = 1
    active = False


class ChecklistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = review_models.ChecklistItem

    template = factory.SubFactory(ChecklistTemplateFactory)
    area = review_models.ReviewArea.RELIABILITY
    question = factory.Sequence(lambda n: f"Question {n}?")
    guidance = "Action: do it. Evidence: a link."
    required = True
    order = factory.Sequence(lambda n: n)


class ReviewerFactory(factory.django.DjangoModelFactory):
    """``ReviewerFactory(user=..., areas=["security"])``: a reviewer covering those areas."""

    class Meta:
        model = review_models.Reviewer
        django_get_or_create = ("user",)
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, roles=["Reviewer"])
    capacity_council = False

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        if create and extracted:
            for area in extracted:
                review_models.ReviewerArea.objects.get_or_create(reviewer=self, area=area)


class CapacityBudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = review_models.CapacityBudget

    team = factory.SubFactory(TeamFactory)
    quarter = "2026-Q4"
    resource_kind = review_models.ResourceKind.VCPU
    amount = 100


class CapacityRequestFactory(factory.django.DjangoModelFactory):
    """A draft request; submit and decide it through ``reviews.capacity.services``."""

    class Meta:
        model = review_models.CapacityRequest

    team = factory.SubFactory(TeamFactory)
    program = factory.SubFactory(ProgramFactory)
    requester = factory.SubFactory(UserFactory)
    resource_kind = review_models.ResourceKind.VCPU
    amount = 10
    environment = "production"
    region = "eu-west-1"
    needed_by = datetime.date(2026, 11, 15)
    quarter = "2026-Q4"
    justification = "Launch traffic."


class OperationalReviewFactory(factory.django.DjangoModelFactory):
    """A scheduled review of every program; change state through ``reviews.ops.services``."""

    class Meta:
        model = review_models.OperationalReview

    # Far from the dates tests pass explicitly, so a sequence never meets one (one a day).
    date = factory.Sequence(lambda n: datetime.date(2031, 1, 6) + datetime.timedelta(days=n))
    title = factory.LazyAttribute(lambda r: f"Weekly operational review {r.date}")


class ActionItemFactory(factory.django.DjangoModelFactory):
    """An open action item agreed in a review."""

    class Meta:
        model = review_models.ActionItem

    title = factory.Sequence(lambda n: f"Action {n}")
    owner = factory.SubFactory(UserFactory)
    due_date = datetime.date(2026, 11, 1)
    created_in = factory.SubFactory(OperationalReviewFactory)
    created_by = factory.SelfAttribute("owner")
