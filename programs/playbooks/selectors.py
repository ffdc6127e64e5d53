"""Every read of playbooks that a page, endpoint or another workflow's page makes.

Each runs a fixed number of queries whatever the number of playbooks and versions. The
version *in force* at a moment is the latest published at or before it: a record (a launch
review, a capacity request…) links the version in force at its ``created_at``, and a form for
a new record the current version. A record older than the playbook links its first version,
the nearest to what guided it.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from core.diffs import Diff, side_by_side
from programs.playbooks.models import GovernedWorkflow, Playbook, PlaybookVersion

if TYPE_CHECKING:
    from programs.playbooks.filters import PlaybookFilter


def with_listing(playbooks: QuerySet[Playbook]) -> QuerySet[Playbook]:
    """Playbooks with their current version (and its author) and owners: two queries."""
    return playbooks.select_related("current_version", "current_version__author").prefetch_related(
        "owners"
    )


def playbook_filtered(*, filters: "PlaybookFilter | None" = None) -> QuerySet[Playbook]:
    """The playbooks page and the API list: every playbook (nothing is confidential), narrowed
    by ``filters`` (a FilterSet bound to the query string; invalid values left out), with the
    current version and owners: two queries."""
    playbooks = Playbook.objects.all()
    if filters is not None:
        filters.is_valid()
        playbooks = filters.filter_queryset(playbooks)
    else:
        playbooks = playbooks.order_by("title", "id")
    return with_listing(playbooks)


def overdue_playbooks(*, owner, today: datetime.date | None = None) -> QuerySet[Playbook]:
    """The owner's playbooks past their review-by date, the longest overdue first: one query."""
    today = today or timezone.localdate()
    owned = Playbook.owners.through.objects.filter(playbook=OuterRef("pk"), user=owner)
    return (
        Playbook.objects.filter(Exists(owned), review_by__lt=today)
        .only("id", "slug", "title", "review_by")
        .order_by("review_by", "title", "id")
    )


def playbook_get(*, slug: str) -> Playbook:
    """One playbook with its current version and owners, or 404."""
    return get_object_or_404(with_listing(Playbook.objects.all()), slug=slug)


@dataclass(frozen=True)
class PlaybookPage:
    playbook: Playbook
    current: PlaybookVersion | None
    versions: list[PlaybookVersion]  # newest first

    def overdue(self, today: datetime.date) -> bool:
        return self.playbook.review_by < today


def playbook_page(*, slug: str) -> PlaybookPage:
    """A playbook, its owners and current version, and its whole history (newest first) with
    each version's author: three queries. Bodies of past versions are not read."""
    playbook = playbook_get(slug=slug)
    versions = list(playbook.versions.select_related("author").defer("body").order_by("-number"))
    return PlaybookPage(playbook=playbook, current=playbook.current_version, versions=versions)


def playbook_version_get(*, slug: str, number: int) -> PlaybookVersion:
    """One version of a playbook with its playbook (and that one's current version), or 404."""
    return get_object_or_404(
        PlaybookVersion.objects.select_related("playbook", "playbook__current_version", "author"),
        playbook__slug=slug,
        number=number,
    )


def version_numbers(*, playbook: Playbook) -> list[int]:
    """The playbook's version numbers, newest first (the diff page's pickers)."""
    return list(playbook.versions.order_by("-number").values_list("number", flat=True))


@dataclass(frozen=True)
class VersionDiff:
    old: PlaybookVersion
    new: PlaybookVersion
    diff: Diff


def playbook_diff(*, playbook: Playbook, old: int, new: int) -> VersionDiff:
    """The side-by-side diff of two versions of ``playbook`` (404 if one does not exist)."""
    versions = {
        version.number: version
        for version in playbook.versions.select_related("author").filter(number__in=[old, new])
    }
    if old not in versions or new not in versions:
        raise Http404("No such version.")
    return VersionDiff(
        old=versions[old],
        new=versions[new],
        diff=side_by_side(versions[old].body, versions[new].body),
    )


# --- Links from the workflows ---------------------------------------------------------------


@dataclass(frozen=True)
class PlaybookLink:
    """A link to the version of a playbook that guides a record: "Capacity process · v3"."""

    slug: str
    title: str
    number: int
    current_number: int
    anchor: str = ""

    @property
    def url(self) -> str:
        url = reverse("playbooks:version", kwargs={"slug": self.slug, "number": self.number})
        return f"{url}#{self.anchor}" if self.anchor else url

    @property
    def is_current(self) -> bool:
        return self.number == self.current_number

    def at(self, anchor: str) -> "PlaybookLink":
        """The same link, to a section (a heading's anchor) of the version."""
        return replace(self, anchor=anchor or "")


def _in_force_number(at: datetime.datetime | None) -> Subquery | Coalesce:
    """The number of the version in force at ``at`` of the playbook ``OuterRef("pk")`` (``at``
    None: the current one), falling back to the first for a record older than the playbook."""
    versions = PlaybookVersion.objects.filter(playbook=OuterRef("pk"))
    if at is None:
        return Subquery(versions.order_by("-number").values("number")[:1])
    in_force = versions.filter(published_at__lte=at).order_by("-published_at", "-number")
    return Coalesce(
        Subquery(in_force.values("number")[:1]),
        Subquery(versions.order_by("number").values("number")[:1]),
    )


def workflow_links(
    workflow: str, *, playbook_ids: Iterable[int | None], at: datetime.datetime | None = None
) -> tuple[PlaybookLink | None, dict[int, PlaybookLink]]:
    """The playbook governing ``workflow`` and the playbooks ``playbook_ids``, each in its
    version in force at ``at`` (None: the current one): (the governing link or None, the
    links by playbook id). One query."""
    ids = {pk for pk in playbook_ids if pk}
    rows = (
        Playbook.objects.filter(Q(pk__in=ids) | Q(governs=GovernedWorkflow(workflow)))
        .annotate(in_force=_in_force_number(at), latest=_in_force_number(None))
        .values_list("pk", "slug", "title", "governs", "in_force", "latest")
    )
    governing, links = None, {}
    for pk, slug, title, governs, in_force, latest in rows:
        if in_force is None:
            continue
        link = PlaybookLink(slug=slug, title=title, number=in_force, current_number=latest)
        links[pk] = link
        if governs == workflow:
            governing = link
    return governing, links


def governing_link(workflow: str, *, at: datetime.datetime | None = None) -> PlaybookLink | None:
    """The link to the playbook governing ``workflow`` (a ``GovernedWorkflow``), in the
    version in force at ``at`` (None: the current one); None when no playbook governs it.
    One query."""
    return workflow_links(workflow, playbook_ids=(), at=at)[0]
