"""Every write to launch reviews. One transaction each, validated, history recorded.

Services take keyword-only arguments and raise ``core.errors.DomainError`` for a business
rule (``reviews.states.IllegalTransition`` for a state change the table refuses) and
``core.errors.StaleWriteError`` when the caller edited an old version. State changes come
only from ``reviews.states.LAUNCH_REVIEW_TRANSITIONS``. A change to what the health engine
reads (launch dates, approvals, open required items) announces itself with
``programs.signals.notify_program_changed``; e-mails go out on commit.

Who may call what is checked by the views (``reviews.rules``), except the reviewers' own
rules, which hold here whatever the caller: only a reviewer of an area signs it, and never
the review's author.
"""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core.errors import DomainError, StaleWriteError
from core.roles import Role
from core.services import UNSET, Maybe, apply_versioned_update, given
from core.types import User
from programs.models import MembershipRole, Milestone, Program, ProgramMembership
from programs.signals import notify_program_changed
from reviews.launch import emails
from reviews.models import (
    AnswerStatus,
    ChecklistAreaGuidance,
    ChecklistItem,
    ChecklistTemplate,
    LaunchReview,
    LaunchReviewItem,
    LaunchReviewState,
    ReviewArea,
    ReviewComment,
    SignOff,
    SignOffDecision,
)
from reviews.rules import covers_area
from reviews.signals import announce, launch_review_decided
from reviews.states import LAUNCH_REVIEW_TRANSITIONS, check_transition

MAX_EVIDENCE_LINKS = 20
_url = URLValidator(schemes=["http", "https"])

# Actions an author (or the program's editors) takes; sign-offs drive approve/request_changes.
AUTHOR_ACTIONS = ("submit", "resubmit", "launch", "withdraw")


def _review_areas(review: LaunchReview) -> list[str]:
    return list(review.items.values_list("area", flat=True).distinct())


def required_areas(review: LaunchReview) -> set[str]:
    """Areas that need a reviewer's approval: those with at least one required item."""
    return set(review.items.filter(required=True).values_list("area", flat=True))


def reviewers_for(areas: Iterable[str]) -> QuerySet[User]:
    """Active people in the Reviewer role who cover any of ``areas``."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name=Role.REVIEWER,
            reviewer__areas__area__in=list(areas),
        )
        .distinct()
        .order_by("username")
    )


def missing_items(review: LaunchReview) -> list[str]:
    """Required items neither done nor marked not applicable, as "Area: question"."""
    open_items = review.items.filter(required=True, status=AnswerStatus.NOT_DONE).order_by(
        "order", "id"
    )
    return [f"{item.get_area_display()}: {item.question}" for item in open_items]


def clean_evidence(links: Iterable[str] | None) -> list[str]:
    """Evidence links, trimmed and de-duplicated; each must be an http(s) URL."""
    cleaned: list[str] = []
    errors = []
    for raw in links or ():
        link = (raw or "").strip()
        if not link or link in cleaned:
            continue
        try:
            _url(link)
        except ValidationError:
            errors.append(f"“{link[:80]}” is not a web address (http:// or https://).")
            continue
        cleaned.append(link)
    if len(cleaned) > MAX_EVIDENCE_LINKS:
        errors.append(f"At most {MAX_EVIDENCE_LINKS} links per item.")
    if errors:
        raise DomainError({"evidence": errors})
    return cleaned


# --- Templates ------------------------------------------------------------------------------


def active_template(tier: int) -> ChecklistTemplate:
    template = ChecklistTemplate.objects.filter(tier=tier, active=True).first()
    if template is None:
        raise DomainError(
            {"tier": "No active checklist template for this tier: ask an admin to activate one."}
        )
    return template


@transaction.atomic
def checklist_template_new_version(*, template: ChecklistTemplate) -> ChecklistTemplate:
    """Copy a template and its items as the next version of its name, inactive.

    Used templates are frozen; this is how they change. Activate the copy when it is ready.
    """
    latest = ChecklistTemplate.objects.filter(name=template.name).aggregate(v=Max("version"))["v"]
    copy = ChecklistTemplate(
        name=template.name,
        tier=template.tier,
        version=(latest or 0) + 1,
        active=False,
        description=template.description,
    )
    copy.full_clean()
    copy.save()
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            template=copy,
            area=item.area,
            question=item.question,
            guidance=item.guidance,
            required=item.required,
            order=item.order,
            playbook_id=item.playbook_id,
            playbook_anchor=item.playbook_anchor,
        )
        for item in template.items.all()
    )
    ChecklistAreaGuidance.objects.bulk_create(
        ChecklistAreaGuidance(
            template=copy,
            area=guidance.area,
            playbook_id=guidance.playbook_id,
            playbook_anchor=guidance.playbook_anchor,
        )
        for guidance in template.area_guidance.all()
    )
    return copy


@transaction.atomic
def checklist_template_activate(*, template: ChecklistTemplate) -> ChecklistTemplate:
    """Make this version the one new reviews of its tier use (the previous one retires)."""
    ChecklistTemplate.objects.filter(tier=template.tier, active=True).exclude(
        pk=template.pk
    ).update(active=False)
    ChecklistTemplate.objects.filter(pk=template.pk).update(active=True)
    template.refresh_from_db()
    return template


# --- Reviews --------------------------------------------------------------------------------


def _check_milestone(program: Program, milestone: Milestone | None) -> None:
    if milestone is not None and milestone.program_id != program.pk:
        raise DomainError({"milestone": "Pick a milestone of this review's program."})


@transaction.atomic
def launch_review_create(
    *,
    program: Program,
    user: User,
    title: str,
    launch_date: datetime.date,
    tier: int,
    milestone: Milestone | None = None,
) -> LaunchReview:
    """Start a launch review (draft) from the tier's active template, copying its items.

    The copy is the review's own: later template versions never change it.
    """
    _check_milestone(program, milestone)
    template = active_template(tier)
    review = LaunchReview(
        program=program,
        milestone=milestone,
        title=title,
        launch_date=launch_date,
        tier=tier,
        template=template,
        author=user,
    )
    review.full_clean()
    review._history_user = user
    review.save()
    bulk_create_with_history(
        [
            LaunchReviewItem(
                review=review,
                area=item.area,
                question=item.question,
                guidance=item.guidance,
                required=item.required,
                order=item.order,
                playbook_id=item.playbook_id,
                playbook_anchor=item.playbook_anchor,
            )
            for item in template.items.order_by("order", "id")
        ],
        LaunchReviewItem,
        default_user=user,
    )
    notify_program_changed(program.pk)
    return review


@transaction.atomic
def launch_review_update(
    *,
    review: LaunchReview,
    user: User,
    version: int | None,
    title: Maybe[str] = UNSET,
    launch_date: Maybe[datetime.date] = UNSET,
    milestone: Maybe[Milestone | None] = UNSET,
) -> LaunchReview:
    """Change a review's title, launch date or milestone while it has not launched; only the
    fields given change."""
    fields = given(title=title, launch_date=launch_date, milestone=milestone)
    if review.state in (LaunchReviewState.LAUNCHED, LaunchReviewState.WITHDRAWN):
        raise DomainError(f"A {review.get_state_display().lower()} review no longer changes.")
    if "milestone" in fields:
        _check_milestone(review.program, fields["milestone"])
    review = apply_versioned_update(
        instance=review, expected_version=version, data=fields, user=user
    )
    notify_program_changed(review.program_id)
    return review


def _answer(
    *,
    item: LaunchReviewItem,
    user: User,
    version: int | None,
    status: str,
    not_applicable_reason: str = "",
    evidence: Iterable[str] | None = None,
    notes: str = "",
) -> LaunchReviewItem:
    if status not in AnswerStatus.values:
        raise DomainError({"status": f"Choose one of: {', '.join(AnswerStatus.values)}."})
    reason = (not_applicable_reason or "").strip()
    if status == AnswerStatus.NOT_APPLICABLE and not reason:
        raise DomainError({"not_applicable_reason": "Say why this does not apply."})
    item = apply_versioned_update(
        instance=item,
        expected_version=version,
        data={
            "status": status,
            "not_applicable_reason": reason if status == AnswerStatus.NOT_APPLICABLE else "",
            "evidence": clean_evidence(evidence),
            "notes": (notes or "").strip(),
            "answered_by": user,
            "answered_at": timezone.now(),
        },
        user=user,
    )
    # An approval covers the answers it saw: changing one in its area needs a new look.
    SignOff.objects.filter(review_id=item.review_id, area=item.area, superseded=False).update(
        superseded=True
    )
    return item


def _lock_editable(review: LaunchReview) -> LaunchReview:
    locked = LaunchReview.objects.select_for_update().get(pk=review.pk)
    if not locked.is_editable:
        raise DomainError(
            f"Answers can be changed while the review is a draft or changes were requested; "
            f"it is {locked.get_state_display().lower()}."
        )
    return locked


@transaction.atomic
def launch_review_item_answer(
    *,
    item: LaunchReviewItem,
    user: User,
    version: int | None,
    status: str,
    not_applicable_reason: str = "",
    evidence: Iterable[str] | None = None,
    notes: str = "",
) -> LaunchReviewItem:
    """Answer one checklist item: done, not applicable (with a reason) or not done.

    Evidence links must be http(s) URLs. Allowed while the review is a draft or sent back;
    changing an answer supersedes the sign-offs of its area.
    """
    _lock_editable(item.review)
    item = _answer(
        item=item,
        user=user,
        version=version,
        status=status,
        not_applicable_reason=not_applicable_reason,
        evidence=evidence,
        notes=notes,
    )
    notify_program_changed(item.review.program_id)
    return item


@transaction.atomic
def launch_review_answer_many(
    *, review: LaunchReview, user: User, answers: Iterable[Mapping[str, Any]]
) -> list[LaunchReviewItem]:
    """Answer several items of one review at once (CI tooling): all or nothing.

    Each answer names its ``item`` (an item of this review); ``version`` is optional (a tool
    that owns its items may leave it out; when given, a stale one refuses the whole batch).
    """
    _lock_editable(review)
    answers = list(answers)
    ids = [answer["item"].pk for answer in answers]
    if len(ids) != len(set(ids)):
        raise DomainError({"answers": "Each item may be answered once per request."})
    if any(answer["item"].review_id != review.pk for answer in answers):
        raise DomainError({"answers": "Every item must belong to this review."})
    done = []
    for answer in answers:
        fields = dict(answer)
        item = fields.pop("item")
        done.append(_answer(item=item, user=user, version=fields.pop("version", None), **fields))
    notify_program_changed(review.program_id)
    return done


def _transition(
    review: LaunchReview, *, action: str, user: User, version: int | None, **extra: Any
) -> LaunchReview:
    """Apply ``action`` from the transition table under a row lock, with the version check."""
    locked = LaunchReview.objects.select_for_update().get(pk=review.pk)
    if version is not None and locked.version != version:
        raise StaleWriteError(current_version=locked.version, submitted_version=version)
    target = check_transition(LAUNCH_REVIEW_TRANSITIONS, action, locked.state)
    return apply_versioned_update(
        instance=locked,
        expected_version=None,
        data={"state": target, **extra},
        user=user,
        change_reason=LAUNCH_REVIEW_TRANSITIONS[action].label,
    )


def _add_reviewers_to_program(review: LaunchReview, reviewers: Iterable[User], user: User) -> None:
    """Reviewers join the program in the reviewer role (to read it, confidential or not).

    People who already belong to the program keep their role.
    """
    existing = set(
        ProgramMembership.objects.filter(program_id=review.program_id).values_list(
            "user_id", flat=True
        )
    )
    for reviewer in reviewers:
        if reviewer.pk in existing or reviewer.pk == review.program.tpm_id:
            continue
        membership = ProgramMembership(
            program_id=review.program_id, user=reviewer, role=MembershipRole.REVIEWER
        )
        membership._history_user = user
        membership.save()


@transaction.atomic
def launch_review_transition(
    *, review: LaunchReview, user: User, action: str, version: int | None
) -> LaunchReview:
    """Submit, resubmit, start reviewing, mark launched or withdraw a review.

    Submitting (or resubmitting) is refused while required items are open, with the list of
    them; it adds the reviewers of the review's areas to the program and e-mails them.
    Resubmitting retires the requests for changes it answers. Starting a review is for a
    reviewer of one of its areas.
    """
    if action in ("approve", "request_changes"):
        raise DomainError("Reviewers approve or request changes per area, with a sign-off.")
    # Lock first: an answer changing between the check for open items and the state change
    # would otherwise slip through (answers take the same lock).
    review = (
        LaunchReview.objects.select_for_update(of=("self",))
        .select_related("program")
        .get(pk=review.pk)
    )
    if version is not None and review.version != version:
        raise StaleWriteError(current_version=review.version, submitted_version=version)
    if action == "start_review":
        if review.author_id == user.pk or not any(
            covers_area(user, area) for area in _review_areas(review)
        ):
            raise DomainError("Only a reviewer of this review's areas starts reviewing it.")
    extra: dict[str, Any] = {}
    now = timezone.now()
    if action in ("submit", "resubmit"):
        check_transition(LAUNCH_REVIEW_TRANSITIONS, action, review.state)
        missing = missing_items(review)
        if missing:
            raise DomainError(
                {
                    "non_field_errors": f"Cannot submit yet: {len(missing)} required "
                    f"item{'s are' if len(missing) != 1 else ' is'} neither done nor marked "
                    "not applicable.",
                    "missing": missing,
                }
            )
        extra["submitted_at"] = now
    elif action == "launch":
        extra["launched_at"] = now
    review = _transition(review, action=action, user=user, version=version, **extra)
    if action in ("submit", "resubmit"):
        if action == "resubmit":
            SignOff.objects.filter(
                review=review, decision=SignOffDecision.CHANGES_REQUESTED, superseded=False
            ).update(superseded=True)
        reviewers = list(reviewers_for(_review_areas(review)).exclude(pk=review.author_id))
        _add_reviewers_to_program(review, reviewers, user)
        emails.review_submitted(review, reviewers)
    notify_program_changed(review.program_id)
    return review


def area_status(review: LaunchReview) -> dict[str, SignOff | None]:
    """Each area of the review → its live sign-off (the latest not superseded), or None."""
    live: dict[str, SignOff | None] = {area: None for area in _review_areas(review)}
    for sign_off in review.sign_offs.filter(superseded=False).order_by("created_at", "id"):
        live[sign_off.area] = sign_off
    return live


def _announce_decision(review: LaunchReview, user: User, comment: str) -> None:
    """Tell the apps above (Slack, webhooks) that the review was decided, on commit."""
    announce(
        launch_review_decided,
        review_id=review.pk,
        program_id=review.program_id,
        decision=review.state,
        decided_by_id=user.pk,
        comment=comment,
    )


@transaction.atomic
def launch_review_sign_off(
    *,
    review: LaunchReview,
    user: User,
    area: str,
    decision: str,
    comment: str = "",
) -> SignOff:
    """A reviewer approves one area, or sends it back with a comment.

    Only reviewers of the area sign it, never the review's author. Sending an area back puts
    the whole review in changes requested; the approval of the last area with required items
    approves the review. The author is e-mailed each decision.
    """
    if area not in ReviewArea.values:
        raise DomainError({"area": "Unknown area."})
    if decision not in SignOffDecision.values:
        raise DomainError({"decision": "Approve, or request changes."})
    comment = (comment or "").strip()
    if decision == SignOffDecision.CHANGES_REQUESTED and not comment:
        raise DomainError({"comment": "Say what needs to change."})
    locked = LaunchReview.objects.select_for_update().get(pk=review.pk)
    action = "approve" if decision == SignOffDecision.APPROVED else "request_changes"
    check_transition(LAUNCH_REVIEW_TRANSITIONS, action, locked.state)
    if locked.author_id == user.pk:
        raise DomainError("You cannot sign off your own launch review.")
    if not covers_area(user, area):
        raise DomainError({"area": "Only reviewers of this area sign it off."})
    if area not in _review_areas(locked):
        raise DomainError({"area": "This review has no items in that area."})
    SignOff.objects.filter(review=locked, area=area, superseded=False).update(superseded=True)
    sign_off = SignOff(review=locked, area=area, reviewer=user, decision=decision, comment=comment)
    sign_off.full_clean()
    sign_off.save()
    area_label = ReviewArea(area).label
    if decision == SignOffDecision.CHANGES_REQUESTED:
        locked = _transition(
            locked, action="request_changes", user=user, version=None, decided_at=timezone.now()
        )
        emails.review_decided(
            locked, what=f"changes requested ({area_label})", who=user, comment=comment
        )
        _announce_decision(locked, user, comment)
    else:
        live = area_status(locked)
        approved = {
            name
            for name, current in live.items()
            if current and current.decision == SignOffDecision.APPROVED
        }
        if required_areas(locked) <= approved:
            locked = _transition(
                locked, action="approve", user=user, version=None, decided_at=timezone.now()
            )
            emails.review_decided(
                locked, what="approved — every area signed off", who=user, comment=comment
            )
            _announce_decision(locked, user, comment)
        else:
            if locked.state == LaunchReviewState.SUBMITTED:
                locked = _transition(locked, action="start_review", user=user, version=None)
            emails.review_decided(
                locked, what=f"{area_label} signed off", who=user, comment=comment
            )
    notify_program_changed(locked.program_id)
    return sign_off


@transaction.atomic
def review_comment_add(
    *, review: LaunchReview, user: User, body: str, area: str = ""
) -> ReviewComment:
    """Add a comment to a review: the author's answer to reviewers, or a reviewer's note."""
    if review.state in (LaunchReviewState.LAUNCHED, LaunchReviewState.WITHDRAWN):
        raise DomainError(f"A {review.get_state_display().lower()} review takes no comments.")
    comment = ReviewComment(review=review, author=user, body=(body or "").strip(), area=area)
    comment.full_clean()
    comment.save()
    return comment
