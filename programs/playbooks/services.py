"""Every write to playbooks. One transaction each, validated, history recorded.

Services take keyword-only arguments, check who may act (``programs.playbooks.rules``) and
raise ``core.errors.DomainError`` for a business rule and ``core.errors.StaleWriteError``
when the caller based the change on something that moved since:

- metadata (title, summary, owners, governed workflow, review-by date) carries the row's
  ``version``, as every versioned row does;
- publishing carries the version *number* the new text was based on: if somebody published
  another version meanwhile, it is refused, so nobody's text silently replaces a newer one.

Versions are never changed or deleted: a correction is a new version.
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError, StaleWriteError
from core.services import UNSET, Maybe, apply_versioned_update, given
from core.types import User
from programs.playbooks.models import Playbook, PlaybookVersion

# How far "mark reviewed" moves the review-by date: a process is re-read twice a year.
REVIEW_INTERVAL = datetime.timedelta(days=182)
# Addresses the pages use under /playbooks/.
RESERVED_SLUGS = frozenset({"new"})
# Refusals, worded once for the service, the pages and the API.
CREATE_DENIED = "TPMs and admins create playbooks."
EDIT_DENIED = "Only the playbook's owners and admins change it."


class StalePublishError(StaleWriteError):
    """Somebody published a version after the one the new text was based on."""

    def __init__(self, *, current_number: int, based_on: int | None) -> None:
        # The API's 409 names the current version *number*: the one to reload and merge with.
        super().__init__(current_version=current_number, submitted_version=based_on)
        self.args = (
            f"Version {current_number} was published since you started from version "
            f"{based_on}. Your text is kept below: compare it with version {current_number}, "
            "merge what you need and publish again.",
        )


def _check_can_edit(playbook: Playbook, user: User) -> None:
    if not user.has_perm("playbooks.change_playbook", playbook):
        raise PermissionDenied(EDIT_DENIED)


def _clean_owners(owners: Iterable[User]) -> list[User]:
    people = list(dict.fromkeys(owners))
    if not people:
        raise DomainError({"owners": "A playbook needs at least one owner."})
    if any(not person.is_active for person in people):
        raise DomainError({"owners": "Owners must be active people."})
    return people


def _check_governs(governs: str, *, playbook: Playbook | None = None) -> str:
    """The workflow, checked to be free: one playbook governs each."""
    if not governs:
        return ""
    taken = Playbook.objects.filter(governs=governs)
    if playbook is not None:
        taken = taken.exclude(pk=playbook.pk)
    other = taken.only("title").first()
    if other is not None:
        raise DomainError({"governs": f"“{other.title}” already governs this workflow."})
    return governs


def _check_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise DomainError({"body": "Write the playbook's text (Markdown)."})
    return text


@transaction.atomic
def playbook_create(
    *,
    user: User,
    slug: str,
    title: str,
    body: str,
    owners: Iterable[User],
    review_by: datetime.date,
    summary: str = "",
    governs: str = "",
    change_note: str = "",
) -> Playbook:
    """Create a playbook with its first version (v1), published now by ``user``.

    TPMs and admins create playbooks; the owners (at least one) publish later versions.
    """
    if not user.has_perm("playbooks.add_playbook"):
        raise PermissionDenied(CREATE_DENIED)
    if slug in RESERVED_SLUGS:
        raise DomainError({"slug": f"“{slug}” is taken by the playbooks pages: choose another."})
    people = _clean_owners(owners)
    text = _check_body(body)
    playbook = Playbook(
        slug=slug,
        title=(title or "").strip(),
        summary=(summary or "").strip(),
        governs=_check_governs(governs),
        review_by=review_by,
    )
    playbook.full_clean()
    playbook._history_user = user
    playbook._change_reason = "Created"
    playbook.save()
    playbook.owners.set(people)
    first = PlaybookVersion(
        playbook=playbook,
        number=1,
        body=text,
        change_note=(change_note or "").strip() or "First version.",
        author=user,
        published_at=timezone.now(),
    )
    first.full_clean()
    first.save()
    # Pointing at v1 is part of creating it, not a change of anyone's: no version bump.
    Playbook.objects.filter(pk=playbook.pk).update(current_version=first)
    playbook.current_version = first
    return playbook


@transaction.atomic
def playbook_publish(
    *,
    playbook: Playbook,
    user: User,
    based_on: int,
    body: str,
    change_note: str,
) -> PlaybookVersion:
    """Publish a new version of ``playbook`` (the next number), in force from now.

    ``based_on`` is the version number the author started from: when another version was
    published since, a ``StalePublishError`` refuses the write (the page keeps the text, the
    API answers 409). A change note is required, and the text must differ from the current.
    """
    _check_can_edit(playbook, user)
    locked = (
        Playbook.objects.select_for_update(of=("self",))
        .select_related("current_version")
        .get(pk=playbook.pk)
    )
    current = locked.current_version
    current_number = current.number if current else 0
    if based_on != current_number:
        raise StalePublishError(current_number=current_number, based_on=based_on)
    text = _check_body(body)
    note = (change_note or "").strip()
    if not note:
        raise DomainError(
            {"change_note": "Say what changed and why: readers see it in the history."}
        )
    if current is not None and current.body.strip() == text:
        raise DomainError({"body": f"The text is the same as version {current_number}."})
    version = PlaybookVersion(
        playbook=locked,
        number=current_number + 1,
        body=text,
        change_note=note,
        author=user,
        published_at=timezone.now(),
    )
    version.full_clean()
    version.save()
    apply_versioned_update(
        instance=locked,
        expected_version=None,
        data={"current_version": version},
        user=user,
        change_reason=f"Published v{version.number}",
    )
    return version


@transaction.atomic
def playbook_update(
    *,
    playbook: Playbook,
    user: User,
    version: int | None,
    title: Maybe[str] = UNSET,
    summary: Maybe[str] = UNSET,
    governs: Maybe[str] = UNSET,
    review_by: Maybe[datetime.date] = UNSET,
    owners: Maybe[Iterable[User]] = UNSET,
) -> Playbook:
    """Change a playbook's metadata (only the fields given), with the version check.

    The text changes by publishing a version; the slug stays (links hold it).
    """
    _check_can_edit(playbook, user)
    fields = given(title=title, summary=summary, governs=governs, review_by=review_by)
    for name in ("title", "summary"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if "governs" in fields:
        fields["governs"] = _check_governs(fields["governs"] or "", playbook=playbook)
    m2m = {}
    if owners is not UNSET:
        m2m["owners"] = _clean_owners(owners)
    updated = apply_versioned_update(
        instance=playbook,
        expected_version=version,
        data=fields,
        user=user,
        change_reason="Owners changed" if m2m and not fields else None,
        m2m=m2m,
    )
    return updated


@transaction.atomic
def playbook_mark_reviewed(
    *, playbook: Playbook, user: User, version: int | None, today: datetime.date | None = None
) -> Playbook:
    """An owner confirmed the playbook is still right: its review-by date moves to
    ``REVIEW_INTERVAL`` from today (or from its old date, if that is later)."""
    _check_can_edit(playbook, user)
    today = today or timezone.localdate()
    start = max(today, playbook.review_by)
    return apply_versioned_update(
        instance=playbook,
        expected_version=version,
        data={"review_by": start + REVIEW_INTERVAL},
        user=user,
        change_reason="Reviewed: still right",
    )
