"""Who may do what in reviews (django-rules predicates and two cached look-ups).

Reading follows the program: whoever may read a program reads its launch reviews and capacity
requests (``programs.selectors.visible_programs``). Reviewers of a submitted review become
members of its program in the reviewer role, so they read it even when it is confidential.

Launch reviews
- create one for a program: its editors (TPM, engineering lead, PM), its members in any role
  but reviewer, and admins;
- answer, submit, resubmit, withdraw, mark launched: the review's author, the program's
  editors and admins;
- sign an area off or send it back: people in the Reviewer role who cover that area, never
  the review's author.

Capacity requests
- file one: members of the team it is for, and admins; change or submit a draft: its
  requester and admins;
- approve, cut, deny, mark fulfilled: the capacity council (Reviewer role, flagged) and
  admins, never the requester.
"""

import rules

from core.roles import Role, has_role, is_admin
from programs.models import MembershipRole
from programs.rules import _memberships, can_edit_program, can_view_program


def reviewer_profile(user):
    """The user's ``Reviewer`` row with its areas, read once per request (None if none)."""
    if not user or not user.is_authenticated:
        return None
    if not hasattr(user, "_pulse_reviewer"):
        from reviews.models import Reviewer

        user._pulse_reviewer = (
            Reviewer.objects.filter(user=user).prefetch_related("areas").first()
            if has_role(user, Role.REVIEWER)
            else None
        )
    return user._pulse_reviewer


def reviewer_areas(user) -> frozenset[str]:
    """The areas the user signs off (empty unless in the Reviewer role)."""
    profile = reviewer_profile(user)
    if profile is None:
        return frozenset()
    return frozenset(area.area for area in profile.areas.all())


def covers_area(user, area: str) -> bool:
    return area in reviewer_areas(user)


def is_capacity_approver(user) -> bool:
    """Admins, and Reviewer-role people on the capacity council."""
    if is_admin(user):
        return True
    profile = reviewer_profile(user)
    return bool(profile and profile.capacity_council)


@rules.predicate
def is_pulse_admin(user) -> bool:
    return is_admin(user)


@rules.predicate
def is_working_member(user, program) -> bool:
    """A member of the program in a role other than reviewer (or its TPM)."""
    if program is None or not user.is_authenticated:
        return False
    role = _memberships(user, program).get(user.pk)
    return program.tpm_id == user.pk or (role is not None and role != MembershipRole.REVIEWER)


@rules.predicate
def is_review_author(user, review) -> bool:
    return review is not None and review.author_id == user.pk


@rules.predicate
def edits_review_program(user, review) -> bool:
    return review is not None and can_edit_program(user, review.program)


@rules.predicate
def is_team_member(user, team) -> bool:
    if team is None or not user.is_authenticated:
        return False
    members = getattr(team, "_member_ids", None)
    if members is None:
        members = team._member_ids = set(team.members.values_list("pk", flat=True))
    return user.pk in members


@rules.predicate
def is_requester(user, request) -> bool:
    return request is not None and request.requester_id == user.pk


rules.add_perm(
    "reviews.add_launchreview",
    rules.is_authenticated & can_view_program & (is_working_member | can_edit_program),
)
rules.add_perm(
    "reviews.change_launchreview",
    rules.is_authenticated & (is_review_author | edits_review_program | is_pulse_admin),
)
rules.add_perm(
    "reviews.add_capacityrequest", rules.is_authenticated & (is_team_member | is_pulse_admin)
)
rules.add_perm(
    "reviews.change_capacityrequest", rules.is_authenticated & (is_requester | is_pulse_admin)
)


def can_comment_on(user, review) -> bool:
    """The author, the program's leads, admins and the reviewers of the review's areas."""
    if user.has_perm("reviews.change_launchreview", review):
        return True
    mine = reviewer_areas(user)
    return bool(mine) and review.items.filter(area__in=mine).exists()


def sign_off_refusal(user, review, area: str) -> str | None:
    """Why the user may not sign this area of this review off, or None if they may."""
    if review.author_id == user.pk:
        return "You cannot sign off your own launch review."
    if not covers_area(user, area):
        return "Only reviewers of this area sign it off."
    return None
