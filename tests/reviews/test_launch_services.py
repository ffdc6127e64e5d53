"""Launch-review services on PostgreSQL: the checklist copy, the transition table, answers,
sign-offs, reviewers joining the program, e-mails and the health engine's inputs."""

import datetime
import importlib

import pytest
from django.core import mail

from core.errors import DomainError, StaleWriteError
from metrics.selectors import health_inputs
from programs.models import MembershipRole, ProgramMembership
from programs.selectors import visible_programs
from reviews.launch import services
from reviews.launch.selectors import launch_readiness_rows
from reviews.models import (
    AnswerStatus,
    ChecklistItem,
    LaunchReviewState,
    SignOff,
)
from reviews.states import LAUNCH_REVIEW_TRANSITIONS, IllegalTransition
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    ProgramFactory,
    ReviewerFactory,
    UserFactory,
)
from tests.reviews.conftest import ALL_STATES, answer_all, put_in_state

pytestmark = pytest.mark.django_db

AUTHOR_ACTIONS = ["submit", "resubmit", "launch", "withdraw"]


def test_a_review_copies_its_template_and_template_changes_never_rewrite_it(review, checklist):
    """Items are copied on creation; a new template version leaves the review as it was."""
    assert review.state == LaunchReviewState.DRAFT
    assert review.template == checklist
    questions = list(review.items.values_list("question", flat=True))
    assert questions == ["SLOs defined?", "Autoscaling tested?", "Threat model?", "Runbook?"]
    new = services.checklist_template_new_version(template=checklist)
    services.checklist_template_activate(template=new)
    ChecklistItem.objects.filter(template=new).update(question="Changed?")
    checklist.refresh_from_db()
    assert (new.version, new.active, checklist.active) == (2, True, False)
    assert list(review.items.values_list("question", flat=True)) == questions
    assert checklist.in_use and not new.in_use


def test_default_templates_give_every_tier_a_checklist():
    """The data migration ships one active checklist per tier, tier 1 the longest.

    Run here directly: a transactional test elsewhere may have flushed the migrated rows.
    """
    from django.apps import apps

    from reviews.models import ChecklistTemplate

    migration = importlib.import_module("reviews.migrations.0002_default_checklist_templates")
    ChecklistTemplate.objects.all().delete()
    migration.create_templates(apps, None)
    counts = {t.tier: t.items.count() for t in ChecklistTemplate.objects.filter(active=True)}
    assert set(counts) == {1, 2, 3}
    assert counts[1] > counts[2] > counts[3] >= 10
    required = ChecklistItem.objects.filter(template__tier=3, required=True)
    assert set(required.values_list("area", flat=True)) >= {"security", "rollback"}


def test_milestone_must_belong_to_the_program(program, author, checklist):
    other = MilestoneFactory(program=ProgramFactory())
    with pytest.raises(DomainError, match="milestone of this review's program"):
        services.launch_review_create(
            program=program, user=author, title="x", launch_date=datetime.date(2026, 12, 1),
            tier=3, milestone=other,
        )  # fmt: skip


@pytest.mark.parametrize("action", AUTHOR_ACTIONS)
@pytest.mark.parametrize("state", ALL_STATES)
def test_every_author_transition_follows_the_table(review, author, action, state):
    """Legal from the table's sources (to its target), refused with a message otherwise."""
    answer_all(review, author)
    review = put_in_state(review, state)
    transition = LAUNCH_REVIEW_TRANSITIONS[action]
    if state in transition.sources:
        changed = services.launch_review_transition(
            review=review, user=author, action=action, version=review.version
        )
        assert changed.state == transition.target
        assert changed.version == review.version + 1
    else:
        with pytest.raises(IllegalTransition, match="Cannot"):
            services.launch_review_transition(
                review=review, user=author, action=action, version=review.version
            )
        review.refresh_from_db()
        assert review.state == state


@pytest.mark.parametrize("decision", ["approved", "changes_requested"])
@pytest.mark.parametrize("state", ALL_STATES)
def test_sign_offs_follow_the_table(review, author, sre, decision, state):
    """Sign-offs are possible while submitted or in review, nowhere else."""
    answer_all(review, author)
    review = put_in_state(review, state)
    action = "approve" if decision == "approved" else "request_changes"
    call = lambda: services.launch_review_sign_off(  # noqa: E731
        review=review, user=sre, area="reliability", decision=decision, comment="Fix the SLO"
    )
    if state in LAUNCH_REVIEW_TRANSITIONS[action].sources:
        call()
        review.refresh_from_db()
        assert review.state in (LaunchReviewState.IN_REVIEW, LaunchReviewState.CHANGES_REQUESTED)
    else:
        with pytest.raises(IllegalTransition):
            call()


def test_approve_and_request_changes_are_not_author_actions(review, author):
    for action in ("approve", "request_changes"):
        with pytest.raises(DomainError, match="per area"):
            services.launch_review_transition(
                review=review, user=author, action=action, version=review.version
            )


def test_submission_is_refused_with_the_list_of_missing_items(review, author):
    """Required items neither done nor N/A are listed; optional ones are not."""
    with pytest.raises(DomainError) as refused:
        services.launch_review_transition(
            review=review, user=author, action="submit", version=review.version
        )
    errors = refused.value.message_dict
    assert "2 required items" in errors["non_field_errors"][0]
    assert errors["missing"] == ["Reliability: SLOs defined?", "Security: Threat model?"]
    review.refresh_from_db()
    assert review.state == LaunchReviewState.DRAFT


def test_not_applicable_counts_as_answered_but_needs_a_reason(review, author):
    item = review.items.get(question="Threat model?")
    with pytest.raises(DomainError, match="does not apply"):
        services.launch_review_item_answer(
            item=item, user=author, version=item.version, status="not_applicable"
        )
    answered = services.launch_review_item_answer(
        item=item, user=author, version=item.version, status="not_applicable",
        not_applicable_reason="No new endpoints",
    )  # fmt: skip
    assert answered.status == AnswerStatus.NOT_APPLICABLE
    assert answered.answered_by == author and answered.version == 2
    assert services.missing_items(review) == ["Reliability: SLOs defined?"]


def test_evidence_links_must_be_web_addresses(review, author):
    item = review.items.first()
    with pytest.raises(DomainError) as refused:
        services.launch_review_item_answer(
            item=item, user=author, version=item.version, status="done",
            evidence=["https://ok.example.com/a", "javascript:alert(1)", "not a url"],
        )  # fmt: skip
    assert len(refused.value.message_dict["evidence"]) == 2
    done = services.launch_review_item_answer(
        item=item, user=author, version=item.version, status="done",
        evidence=[" https://ok.example.com/a ", "https://ok.example.com/a", ""],
    )  # fmt: skip
    assert done.evidence == ["https://ok.example.com/a"]


def test_a_stale_answer_is_refused(review, author):
    item = review.items.first()
    services.launch_review_item_answer(item=item, user=author, version=1, status="done")
    with pytest.raises(StaleWriteError):
        services.launch_review_item_answer(item=item, user=author, version=1, status="not_done")


def test_answers_are_frozen_while_under_review(submitted, author):
    item = submitted.items.first()
    with pytest.raises(DomainError, match="draft or changes were requested"):
        services.launch_review_item_answer(
            item=item, user=author, version=item.version, status="not_done"
        )


def test_submit_adds_the_reviewers_of_its_areas_to_the_program_and_mails_them(
    review, author, sre, secops, program, django_capture_on_commit_callbacks
):
    """Each reviewer of the review's areas joins as a reviewer member and gets an e-mail."""
    bystander = ReviewerFactory(user=UserFactory(roles=["Reviewer"]), areas=["compliance"]).user
    answer_all(review, author)
    review.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.launch_review_transition(
            review=review, user=author, action="submit", version=review.version
        )
    roles = dict(
        ProgramMembership.objects.filter(program=program).values_list("user__username", "role")
    )
    assert roles["sam.sre"] == roles["sue.security"] == MembershipRole.REVIEWER
    assert roles["eve.author"] == MembershipRole.CONTRIBUTOR  # kept
    assert bystander.username not in roles
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["sam.sre@example.com", "sue.security@example.com"]
    assert "GA in eu-west" in mail.outbox[0].subject


def test_reviewers_of_a_submitted_review_read_its_confidential_program(
    confidential_program, engineer, checklist, sre
):
    review = services.launch_review_create(
        program=confidential_program, user=engineer, title="Nightjar GA",
        launch_date=datetime.date(2026, 12, 1), tier=3,
    )  # fmt: skip
    assert not visible_programs(sre).filter(pk=confidential_program.pk).exists()
    answer_all(review, engineer)
    review.refresh_from_db()
    services.launch_review_transition(
        review=review, user=engineer, action="submit", version=review.version
    )
    assert visible_programs(sre).filter(pk=confidential_program.pk).exists()


def test_only_reviewers_of_an_area_sign_it(submitted, sre, secops, tpm):
    with pytest.raises(DomainError, match="Only reviewers of this area"):
        services.launch_review_sign_off(
            review=submitted, user=sre, area="security", decision="approved"
        )
    with pytest.raises(DomainError, match="Only reviewers of this area"):
        services.launch_review_sign_off(
            review=submitted, user=tpm, area="reliability", decision="approved"
        )
    assert not SignOff.objects.exists()


def test_an_engineer_cannot_approve_their_own_review(program, checklist, sre):
    """Even a reviewer of the area cannot sign off a review they wrote."""
    MembershipFactory(program=program, user=sre, role="eng_lead")
    review = services.launch_review_create(
        program=program, user=sre, title="Mine", launch_date=datetime.date(2026, 12, 1), tier=3
    )
    answer_all(review, sre)
    review.refresh_from_db()
    services.launch_review_transition(review=review, user=sre, action="submit", version=1)
    with pytest.raises(DomainError, match="your own"):
        services.launch_review_sign_off(
            review=review, user=sre, area="reliability", decision="approved"
        )


def test_approval_needs_every_area_with_required_items(
    submitted, author, sre, secops, django_capture_on_commit_callbacks
):
    """Reliability then security approve the review; documentation (optional only) needs none.

    The author is e-mailed each decision.
    """
    with django_capture_on_commit_callbacks(execute=True):
        services.launch_review_sign_off(
            review=submitted, user=sre, area="reliability", decision="approved"
        )
    submitted.refresh_from_db()
    assert submitted.state == LaunchReviewState.IN_REVIEW
    with django_capture_on_commit_callbacks(execute=True):
        services.launch_review_sign_off(
            review=submitted, user=secops, area="security", decision="approved", comment="LGTM"
        )
    submitted.refresh_from_db()
    assert submitted.state == LaunchReviewState.APPROVED and submitted.decided_at
    assert [m.to for m in mail.outbox] == [["eve.author@example.com"]] * 2
    assert "Reliability signed off" in mail.outbox[0].subject
    assert "approved" in mail.outbox[1].subject


def test_changes_requested_then_answered_and_resubmitted(
    submitted, author, sre, secops, django_capture_on_commit_callbacks
):
    """A request for changes sends the review back; the author comments, fixes, resubmits.

    Changing an answer supersedes the approval of its area: it is signed again.
    """
    services.launch_review_sign_off(
        review=submitted, user=secops, area="security", decision="approved"
    )
    with pytest.raises(DomainError, match="what needs to change"):
        services.launch_review_sign_off(
            review=submitted, user=sre, area="reliability", decision="changes_requested"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.launch_review_sign_off(
            review=submitted, user=sre, area="reliability", decision="changes_requested",
            comment="The SLO dashboard is for staging only.",
        )  # fmt: skip
    submitted.refresh_from_db()
    assert submitted.state == LaunchReviewState.CHANGES_REQUESTED
    assert "changes requested (Reliability)" in mail.outbox[0].subject
    assert "staging only" in mail.outbox[0].body
    services.review_comment_add(review=submitted, user=author, body="Linked production.")
    item = submitted.items.get(question="Threat model?")
    services.launch_review_item_answer(
        item=item, user=author, version=item.version, status="done", notes="Updated"
    )
    live = SignOff.objects.filter(superseded=False)
    assert list(live.values_list("area", "decision")) == [("reliability", "changes_requested")]
    resubmitted = services.launch_review_transition(
        review=submitted, user=author, action="resubmit", version=submitted.version
    )
    assert resubmitted.state == LaunchReviewState.SUBMITTED
    assert not live.exists()
    for user, area in ((sre, "reliability"), (secops, "security")):
        services.launch_review_sign_off(
            review=resubmitted, user=user, area=area, decision="approved"
        )
    resubmitted.refresh_from_db()
    assert resubmitted.state == LaunchReviewState.APPROVED
    launched = services.launch_review_transition(
        review=resubmitted, user=author, action="launch", version=resubmitted.version
    )
    assert launched.state == LaunchReviewState.LAUNCHED and launched.launched_at


def test_start_review_is_for_reviewers_of_its_areas(submitted, author, sre):
    with pytest.raises(DomainError, match="Only a reviewer"):
        services.launch_review_transition(
            review=submitted, user=author, action="start_review", version=submitted.version
        )
    started = services.launch_review_transition(
        review=submitted, user=sre, action="start_review", version=submitted.version
    )
    assert started.state == LaunchReviewState.IN_REVIEW


def test_a_stale_transition_is_refused(review, author):
    with pytest.raises(StaleWriteError):
        services.launch_review_transition(
            review=review, user=author, action="withdraw", version=review.version + 5
        )


def test_launch_readiness_rows_in_one_query(
    program, author, checklist, submitted, secops, sre, count_queries
):
    """Per program, the launches ahead with their state and open required items; one query."""
    other = ProgramFactory()
    other_review = services.launch_review_create(
        program=other, user=author, title="Other", launch_date=datetime.date(2026, 10, 1), tier=3
    )
    withdrawn = services.launch_review_create(
        program=program, user=author, title="Dropped", launch_date=datetime.date(2026, 9, 1),
        tier=3,
    )  # fmt: skip
    services.launch_review_transition(
        review=withdrawn, user=author, action="withdraw", version=withdrawn.version
    )
    for user, area in ((sre, "reliability"), (secops, "security")):
        services.launch_review_sign_off(review=submitted, user=user, area=area, decision="approved")
    rows = []
    assert (
        count_queries(
            lambda: rows.extend(
                launch_readiness_rows([program.pk, other.pk, 999999])
                .order_by("program_id", "launch_date", "id")
                .values_list("program_id", "title", "launch_date", "state", "open_required")
            )
        )
        == 1
    )
    assert rows == [
        (program.pk, "GA in eu-west", datetime.date(2026, 11, 2), "approved", 0),
        (other.pk, "Other", datetime.date(2026, 10, 1), "draft", 2),
    ]
    # As the health engine reads them: approved once every area with required items signed off.
    by_program = {
        p.id: p.launches
        for p in health_inputs([program.pk, other.pk], today=datetime.date(2026, 10, 1))
    }
    assert by_program == {
        program.pk: ((submitted.pk, "GA in eu-west", datetime.date(2026, 11, 2), True, 0),),
        other.pk: ((other_review.pk, "Other", datetime.date(2026, 10, 1), False, 2),),
    }
