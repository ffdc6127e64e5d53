"""Factories for every model of programs, reviews and metrics. ``.build()`` where no row is needed.

A factory writes a row as it could stand in the database, bypassing the services: use it to
set up the world a test reads. What a test exercises (a transition, a recompute, a move of a
milestone's date) goes through the service, as the application does it.

Dates are fixed (2026–2027) unless a model's meaning depends on today (metrics, snapshots,
readings), where they are relative to ``timezone.localdate()``.
"""

import datetime

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from core.models import ApiToken
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


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token valid for ``lifetime_days``; its secret (shown once, never stored) is on
    ``.secret`` for the test to send."""

    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Script {n}")
    lifetime_days = 30

    @classmethod
    def _create(cls, model_class, *, lifetime_days, **fields):
        # knox's manager makes the secret and stores only its hash: rows are made through it.
        token, secret = model_class.objects.create(
            expiry=datetime.timedelta(days=lifetime_days), **fields
        )
        token.secret = secret
        return token


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


def today() -> datetime.date:
    return timezone.localdate()


def days_from_today(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


class MilestoneFactory(factory.django.DjangoModelFactory):
    """``MilestoneFactory(depends_on=[other, ...])``: a milestone waiting on others."""

    class Meta:
        model = models.Milestone
        skip_postgeneration_save = True

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    baseline_date = datetime.date(2026, 12, 1)
    target_date = factory.SelfAttribute("baseline_date")

    @factory.post_generation
    def depends_on(self, create, extracted, **kwargs):
        if create and extracted:
            self.depends_on.add(*extracted)


class MilestoneDateChangeFactory(factory.django.DjangoModelFactory):
    """A ledger entry as ``milestone_move`` writes it (the milestone's own dates untouched)."""

    class Meta:
        model = models.MilestoneDateChange

    milestone = factory.SubFactory(MilestoneFactory)
    changed_by = factory.SelfAttribute("milestone.program.tpm")
    from_date = factory.SelfAttribute("milestone.baseline_date")
    to_date = factory.LazyAttribute(lambda c: c.from_date + datetime.timedelta(days=14))
    category = models.MoveCategory.VENDOR
    reason = "Vendor late"


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


# --- Program plans --------------------------------------------------------------------------

from programs.plans import models as plan_models  # noqa: E402 - the plans factories


class PlanTemplateFactory(factory.django.DjangoModelFactory):
    """An inactive template (``active=True`` for one plans may start from)."""

    class Meta:
        model = plan_models.PlanTemplate

    name = factory.Sequence(lambda n: f"Plan template {n}")
    version = 1
    active = False


class PlanTemplateSectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = plan_models.PlanTemplateSection

    template = factory.SubFactory(PlanTemplateFactory)
    position = factory.Sequence(lambda n: n + 1)
    key = factory.Sequence(lambda n: f"section-{n}")
    title = factory.Sequence(lambda n: f"Section {n}")


class PlanFactory(factory.django.DjangoModelFactory):
    """A plan never published, following the installation's infrastructure template."""

    class Meta:
        model = plan_models.Plan

    program = factory.SubFactory(ProgramFactory)
    template = factory.LazyFunction(
        lambda: plan_models.PlanTemplate.objects.get(name="Infrastructure program", version=1)
    )


class PlanVersionFactory(factory.django.DjangoModelFactory):
    """A version row only (``plan.published`` is not moved: the services do that)."""

    class Meta:
        model = plan_models.PlanVersion

    plan = factory.SubFactory(PlanFactory)
    number = factory.LazyAttribute(lambda v: v.plan.versions.count() + 1)
    sections = factory.LazyFunction(lambda: {"problem": "Too slow."})
    author = factory.SelfAttribute("plan.program.tpm")
    published_at = factory.LazyFunction(timezone.now)


class AlignmentRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = plan_models.AlignmentRound

    version = factory.SubFactory(PlanVersionFactory)
    plan = factory.SelfAttribute("version.plan")
    reason = "First version published"
    opened_at = factory.LazyFunction(timezone.now)


class PlanAcknowledgementFactory(factory.django.DjangoModelFactory):
    """The sponsor's acknowledgement, not given yet."""

    class Meta:
        model = plan_models.PlanAcknowledgement

    round = factory.SubFactory(AlignmentRoundFactory)
    asked = factory.SubFactory(UserFactory)


# --- Playbooks ------------------------------------------------------------------------------

from programs.playbooks import models as playbook_models  # noqa: E402 - the playbooks factories


class PlaybookFactory(factory.django.DjangoModelFactory):
    """A playbook with its first version (v1, in force since 2026-01-05) and one owner.

    ``PlaybookFactory(owners=[a, b])`` names the owners; ``versions=0`` leaves it without any.
    """

    class Meta:
        model = playbook_models.Playbook
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"playbook-{n}")
    title = factory.Sequence(lambda n: f"Process {n}")
    summary = "How we do it."
    review_by = datetime.date(2027, 1, 4)

    @factory.post_generation
    def owners(self, create, extracted, **kwargs):
        if create:
            self.owners.set(extracted if extracted is not None else [UserFactory()])

    @factory.post_generation
    def versions(self, create, extracted, **kwargs):
        if not create or extracted == 0 or self.current_version_id:
            return
        first = PlaybookVersionFactory(playbook=self, number=1, author=self.owners.first())
        playbook_models.Playbook.objects.filter(pk=self.pk).update(current_version=first)
        self.current_version = first


class PlaybookVersionFactory(factory.django.DjangoModelFactory):
    """The next version of a playbook (a row only: it does not become the current one)."""

    class Meta:
        model = playbook_models.PlaybookVersion

    playbook = factory.SubFactory(PlaybookFactory)
    number = factory.LazyAttribute(lambda v: v.playbook.versions.count() + 1)
    body = factory.Sequence(lambda n: f"## Steps\n\n1. Do step {n}.\n2. Check it.")
    change_note = "Clearer steps."
    author = factory.SubFactory(UserFactory)
    published_at = factory.LazyFunction(
        lambda: datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
    )


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


class ChecklistAreaGuidanceFactory(factory.django.DjangoModelFactory):
    """The playbook section explaining one area of a checklist template."""

    class Meta:
        model = review_models.ChecklistAreaGuidance

    template = factory.SubFactory(ChecklistTemplateFactory)
    area = review_models.ReviewArea.SECURITY
    playbook = factory.SubFactory(PlaybookFactory)
    playbook_anchor = "security"


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


class ReviewerAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = review_models.ReviewerArea
        django_get_or_create = ("reviewer", "area")

    reviewer = factory.SubFactory(ReviewerFactory)
    area = review_models.ReviewArea.RELIABILITY


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


class AutoApprovalThresholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = review_models.AutoApprovalThreshold
        django_get_or_create = ("resource_kind",)

    resource_kind = review_models.ResourceKind.VCPU
    max_amount = 16


class LaunchReviewFactory(factory.django.DjangoModelFactory):
    """A bare draft review (no items: ``reviews.launch.services.launch_review_create`` copies
    a template's items; add them here with ``LaunchReviewItemFactory``)."""

    class Meta:
        model = review_models.LaunchReview

    program = factory.SubFactory(ProgramFactory)
    title = factory.Sequence(lambda n: f"Launch {n}")
    launch_date = datetime.date(2026, 11, 2)
    tier = review_models.LaunchTier.TIER_3
    template = factory.SubFactory(ChecklistTemplateFactory, tier=factory.SelfAttribute("..tier"))
    author = factory.SelfAttribute("program.tpm")


class LaunchReviewItemFactory(factory.django.DjangoModelFactory):
    """A checklist question of a review; ``status="done"`` (with evidence) answers it."""

    class Meta:
        model = review_models.LaunchReviewItem

    review = factory.SubFactory(LaunchReviewFactory)
    area = review_models.ReviewArea.RELIABILITY
    question = factory.Sequence(lambda n: f"Question {n}?")
    required = True
    order = factory.Sequence(lambda n: n)

    class Params:
        answered = factory.Trait(
            status=review_models.AnswerStatus.DONE,
            evidence=["https://wiki.example.com/evidence"],
            answered_by=factory.SelfAttribute("review.author"),
            answered_at=factory.LazyFunction(timezone.now),
        )


class SignOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = review_models.SignOff

    review = factory.SubFactory(LaunchReviewFactory)
    area = review_models.ReviewArea.RELIABILITY
    reviewer = factory.SubFactory(UserFactory, roles=["Reviewer"])
    decision = review_models.SignOffDecision.APPROVED


class ReviewCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = review_models.ReviewComment

    review = factory.SubFactory(LaunchReviewFactory)
    author = factory.SelfAttribute("review.author")
    body = "Ready soon."


class IdempotencyRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = review_models.IdempotencyRecord

    user = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"key-{n}")
    scope = "/api/v1/capacity-requests/"
    fingerprint = "0" * 64
    status_code = 201
    body = factory.LazyFunction(lambda: {"id": 1})


# --- Metrics --------------------------------------------------------------------------------

from metrics import models as metric_models  # noqa: E402 - the metrics factories follow


class SuccessMetricFactory(factory.django.DjangoModelFactory):
    """A metric whose straight path goes from 0 to 100 between 30 days ago and 30 days ahead."""

    class Meta:
        model = metric_models.SuccessMetric

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Metric {n}")
    unit = "%"
    baseline_value = 0.0
    target_value = 100.0
    baseline_date = factory.LazyFunction(lambda: days_from_today(-30))
    target_date = factory.LazyFunction(lambda: days_from_today(30))


class MetricReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = metric_models.MetricReading

    metric = factory.SubFactory(SuccessMetricFactory)
    value = 50.0
    measured_on = factory.LazyFunction(lambda: days_from_today(-1))


class HealthPolicyFactory(factory.django.DjangoModelFactory):
    """The default policy (no portfolio) with the rubric's thresholds; pass ``portfolio`` for an
    override."""

    class Meta:
        model = metric_models.HealthPolicy

    portfolio = None


class HealthSnapshotFactory(factory.django.DjangoModelFactory):
    """Today's snapshot, green, as the engine would store it (pass what a test reads)."""

    class Meta:
        model = metric_models.HealthSnapshot

    program = factory.SubFactory(ProgramFactory)
    day = factory.LazyFunction(today)
    score = 90
    grade = "green"
    components = factory.LazyFunction(lambda: {"schedule": 100, "freshness": 100})
    computed_at = factory.LazyFunction(timezone.now)


class ForecastTuningFactory(factory.django.DjangoModelFactory):
    """A weekly tuning run that kept the default factor."""

    class Meta:
        model = metric_models.ForecastTuning

    ran_at = factory.LazyFunction(timezone.now)
    slip_factor = 1.0
    previous_factor = 1.0
    samples = 40
    since = factory.LazyFunction(lambda: today() - datetime.timedelta(days=365))
    error_before = 6.0
    error_after = 6.0
    plan_error = 8.0
    beat_plan = True


class UpdateReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = metric_models.UpdateReminder

    program = factory.SubFactory(ProgramFactory)
    day = factory.LazyFunction(today)
    sent_to = factory.LazyAttribute(lambda r: r.program.tpm.email)


class WeeklyReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = metric_models.WeeklyReport

    portfolio = factory.SubFactory(PortfolioFactory)
    # A Monday: the week a report covers starts on one.
    week_start = factory.Sequence(
        lambda n: datetime.date(2026, 10, 5) - datetime.timedelta(weeks=n)
    )
    generated_at = factory.LazyFunction(timezone.now)
    content = factory.LazyFunction(lambda: {"sections": []})
    markdown = "# Weekly report"


class ReportSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = metric_models.ReportSubscription

    user = factory.SubFactory(UserFactory, roles=["Leadership"])
    portfolio = factory.SubFactory(PortfolioFactory)


class AnalyticsExportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = metric_models.AnalyticsExport

    requested_by = factory.SubFactory(UserFactory, roles=["Leadership"])


# --- Calendar feeds -------------------------------------------------------------------------

from core.models import CalendarToken  # noqa: E402 - this section is appended to the module


class CalendarTokenFactory(factory.django.DjangoModelFactory):
    """A person's calendar secret (``core.models.CalendarToken``)."""

    class Meta:
        model = CalendarToken

    user = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"calendar-secret-{n:04d}-not-guessable-in-tests")


from metrics.integrations import models as integration_models  # noqa: E402 - Slack and webhooks


class SlackChannelFactory(factory.django.DjangoModelFactory):
    """A portfolio's channel wanting every event (the URL is a Slack-shaped placeholder)."""

    class Meta:
        model = integration_models.SlackChannel

    name = factory.Sequence(lambda n: f"#pulse-{n}")
    portfolio = factory.SubFactory(PortfolioFactory)
    webhook_url = factory.Sequence(lambda n: f"https://hooks.slack.example/services/T0/B0/{n:08d}")


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An endpoint for every portfolio, wanting every event."""

    class Meta:
        model = integration_models.WebhookEndpoint

    name = factory.Sequence(lambda n: f"Receiver {n}")
    url = factory.Sequence(lambda n: f"https://hooks.example.com/pulse/{n}")


class DeliveryFactory(factory.django.DjangoModelFactory):
    """A pending delivery of a grade change to an endpoint."""

    class Meta:
        model = integration_models.Delivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event = integration_models.EventKind.GRADE_CHANGED
    payload = factory.LazyAttribute(
        lambda d: {"id": str(d.event_id), "event": d.event, "data": {"from": "green", "to": "red"}}
    )
    event_id = factory.Faker("uuid4", cast_to=None)


class DeliveryAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = integration_models.DeliveryAttempt

    delivery = factory.SubFactory(DeliveryFactory)
    number = factory.Sequence(lambda n: n + 1)
    started_at = factory.LazyFunction(timezone.now)
    duration_ms = 120
    status_code = 200
